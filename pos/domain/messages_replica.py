"""The texts of the till's replica and of the central store's schema, merged into
``pos.domain.messages.MESSAGES``. Each says the way out."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

REPLICA_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.REPLICA_MISSING: {
        "tr": "Bu kasanın yerel kopyası yok ({path}): `pos replica init` ile oluşturun",
        "en": "This till has no local replica ({path}): build it with `pos replica init`",
    },
    Code.REPLICA_LOCKED: {
        "tr": "Yerel kopyayı başka bir program kullanıyor ({path}): onu kapatın; "
        "düzelmezse `pos replica init` ile yeniden oluşturun",
        "en": "Another program holds the local replica ({path}): close it; "
        "if that does not help, rebuild it with `pos replica init`",
    },
    Code.REPLICA_CORRUPT: {
        "tr": "Yerel kopya bozuk ({path}: {reason}): `pos replica init` ile yeniden oluşturun",
        "en": "The local replica is damaged ({path}: {reason}): rebuild it with `pos replica init`",
    },
    Code.REPLICA_OLD_SCHEMA: {
        "tr": "Yerel kopya Kasa'nın başka bir sürümünden ({schema}, bu Kasa {wanted} "
        "istiyor): `pos replica init` ile yeniden oluşturun",
        "en": "The local replica comes from another version of Kasa ({schema}; this Kasa "
        "needs {wanted}): rebuild it with `pos replica init`",
    },
    Code.REPLICA_HAS_UNSENT: {
        "tr": "Yerel kopyada merkeze gönderilmemiş {count} kayıt var: önce bağlantıyı "
        "kurup gönderin; yeniden oluşturmak onları siler",
        "en": "The local replica holds {count} records not yet sent to the central store: "
        "send them first; rebuilding would lose them",
    },
    Code.REPLICA_NEEDS_CENTRAL: {
        "tr": "Yerel kopya yalnızca merkezi bir PostgreSQL mağazasından alınır; bu kasanın "
        "mağazası zaten yerel ({url})",
        "en": "A replica is copied from a central PostgreSQL store only; this till's store "
        "is already local ({url})",
    },
    Code.STORE_SCHEMA_TOO_NEW: {
        "tr": "Merkezi mağaza Kasa'nın daha yeni bir sürümüyle güncellenmiş ({schema}); bu "
        "Kasa en çok {known} biliyor: bu kasaya {schema} sürümünü bilen Kasa'yı kurun",
        "en": "The central store was upgraded by a newer Kasa ({schema}); this Kasa knows "
        "up to {known}: install a Kasa that knows {schema} on this till",
    },
    Code.STORE_SCHEMA_TOO_OLD: {
        "tr": "Merkezi mağazanın şeması eski ({schema}); bu Kasa {wanted} istiyor: önce "
        "`pos db upgrade` çalıştırın",
        "en": "The central store's schema is older ({schema}) than this Kasa needs "
        "({wanted}): run `pos db upgrade` first",
    },
    Code.STORE_NEEDS_EXTENSION: {
        "tr": "Merkezi mağazanın kullanıcısı {extension} eklentisini kuramıyor: veritabanı "
        "yöneticisi {database} veritabanında `CREATE EXTENSION {extension};` çalıştırsın, "
        "sonra `pos db upgrade` komutunu yeniden çalıştırın",
        "en": "The central store's user may not create the {extension} extension: the "
        "database administrator should run `CREATE EXTENSION {extension};` in the "
        "{database} database, then run `pos db upgrade` again",
    },
}
