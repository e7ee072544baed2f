"""The journal's texts, in Turkish and English: what ``pos journal verify`` says of each
till's chain. ``pos.domain.messages`` takes them into the one catalogue."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.journal import Kind
from pos.domain.results import Code

JOURNAL_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.JOURNAL_HOLDS: {
        "tr": "{till}: tamam, {entries} kayıt",
        "en": "{till}: OK, {entries} entries",
    },
    Code.JOURNAL_CHANGED: {
        "tr": "{till}: {seq}. kayıt ({kind} {event}) değiştirilmiş: içeriği karmasını tutmuyor",
        "en": "{till}: entry {seq} ({kind} {event}) was changed: its content and hash disagree",
    },
    Code.JOURNAL_REMOVED: {
        "tr": "{till}: kayıt silinmiş: {seq}. kayıttan başlayarak {missing} kayıt eksik",
        "en": "{till}: entries were removed: {missing} missing from entry {seq} on",
    },
    Code.JOURNAL_INSERTED: {
        "tr": "{till}: {seq}. kayıt ({kind} {event}) sonradan eklenmiş: kasanın zincirinden değil",
        "en": "{till}: entry {seq} ({kind} {event}) was inserted: not part of the till's chain",
    },
    Code.JOURNAL_REORDERED: {
        "tr": "{till}: sıra değiştirilmiş: {seq}. kayıt ({kind} {event}) {found}. sırada olmalı",
        "en": "{till}: entries were reordered: entry {seq} ({kind} {event}) belongs at {found}",
    },
    Code.JOURNAL_FORGED: {
        "tr": "{till}: {seq}. kayıt ({kind} {event}) kasanın anahtarıyla imzalanmamış: sahte",
        "en": "{till}: entry {seq} ({kind} {event}) is not signed by the till's key: forged",
    },
    Code.JOURNAL_Z_EDITED: {
        "tr": "{till}: {seq}. kayıttaki Z raporu (oturum {event}) saklandığı yerde değiştirilmiş:"
        " kayıtla aynı değil",
        "en": "{till}: the Z report of entry {seq} (session {event}) was edited where it is kept:"
        " it differs from the entry",
    },
    Code.JOURNAL_KEY: {
        "tr": "  imza anahtarı {fingerprint}",
        "en": "  signing key {fingerprint}",
    },
}

KINDS: Mapping[str, Mapping[str, str]] = {
    Kind.SALE: {"tr": "satış", "en": "sale"},
    Kind.REFUND: {"tr": "iade", "en": "refund"},
    Kind.VOID: {"tr": "iptal", "en": "void"},
    Kind.DRAWER: {"tr": "satışsız çekmece açma", "en": "drawer opened without a sale"},
    Kind.CASH_MOVEMENT: {"tr": "kasaya giriş/çıkış", "en": "cash paid in or out"},
    Kind.Z_REPORT: {"tr": "Z raporu", "en": "Z report"},
    Kind.FLOAT: {"tr": "gün açılışı (kasa avansı)", "en": "day opened with its float"},
}


def kind_name(kind: str | None, locale: str) -> str:
    """What the shop calls an entry's kind; the stored word itself if it is none of ours."""
    if kind is None:
        return "-"
    names = KINDS.get(kind)
    return (names.get(locale) or names["tr"]) if names else kind
