"""The audit log in the shop's words: each entry as one sentence, in Turkish and English.

A row of the log holds an action (``user.unlock``), who did it, what it was done to
and the details the use case wrote (``before`` and ``after``, amounts in minor units,
rates in basis points). :func:`describe` turns it into "Mehmet Müdür: Ayşe Kasiyer
kullanıcısının kilidini açtı", money as money, rates as percentages, a sale by its
receipt number. One entry per action in :data:`WORDING`; the names come from the
store with the row (:class:`AuditFacts`).

Turkish adds its case endings to a name by vowel harmony ("Ayşe'nin", "Mehmet'in"),
which no rule gets right for every name. The sentences never put an ending on a name:
the actor stands before a colon, and what was acted on takes a noun that carries the
ending ("Ayşe Kasiyer kullanıcısının", "Süt 1 L ürününün").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from pos.domain.clock import DEFAULT_TIME_ZONE, shop_zone
from pos.domain.money import format_money

DEFAULT_CURRENCY = "TRY"
Locale = str


@dataclass(frozen=True)
class AuditFacts:
    """One audit entry with the names the store knows for it."""

    action: str
    actor: str | None
    """Who did it (display name); None for the till's own doings (the sweeper)."""
    approver: str | None
    details: Mapping[str, Any]
    subject: str | None = None
    """What it was done to, by name: a user's or a product's name, a coupon's code."""
    product: str | None = None
    """The product the details name (a price changed in a sale, a hold released)."""
    receipt: str | None = None
    """The receipt number of the sale it concerns (``T01-000042``); None before payment."""
    coupon_kind: str | None = None
    """``percent`` or ``fixed``, for a coupon's ``value``."""
    currency: str = DEFAULT_CURRENCY
    time_zone: str = DEFAULT_TIME_ZONE


@dataclass(frozen=True)
class Wording:
    tr: str
    en: str
    params: Callable[[AuditFacts, Locale], Mapping[str, str]] = field(
        default=lambda _facts, _locale: {}
    )


def describe(facts: AuditFacts, locale: Locale) -> str:
    """The entry as a sentence in ``locale`` (Turkish for any language without its own)."""
    tongue = "en" if locale.split("_")[0] == "en" else "tr"
    wording = WORDING.get(facts.action)
    if wording is None:
        return _unknown(facts, tongue)
    template = wording.tr if tongue == "tr" else wording.en
    params = {
        "who": facts.actor or _WORDS["till"][tongue],
        "subject": facts.subject or _WORDS["unknown"][tongue],
        "product": facts.product or _WORDS["product"][tongue],
        "sale": _sale(facts, tongue),
        **wording.params(facts, tongue),
    }
    sentence = template.format(**params)
    if facts.approver and facts.action != "approval.granted":
        sentence += _WORDS["approved_by"][tongue].format(approver=facts.approver)
    return sentence


# -- how values are written -------------------------------------------------------------

_WORDS: Mapping[str, Mapping[str, str]] = {
    "till": {"tr": "Kasa", "en": "The till"},
    "unknown": {"tr": "(silinmiş)", "en": "(deleted)"},
    "product": {"tr": "bir ürün", "en": "a product"},
    "sale": {"tr": "ödenmemiş bir satış", "en": "an unpaid sale"},
    "receipt": {"tr": "{receipt} fişli satış", "en": "sale {receipt}"},
    "approved_by": {"tr": " (onaylayan: {approver})", "en": " (approved by {approver})"},
    "yes": {"tr": "evet", "en": "yes"},
    "no": {"tr": "hayır", "en": "no"},
    "none": {"tr": "yok", "en": "none"},
    "and": {"tr": ", ", "en": ", "},
}

_ROLES = {
    "manager": {"tr": "müdür", "en": "manager"},
    "cashier": {"tr": "kasiyer", "en": "cashier"},
}
_PAYMENT_STATES = {
    "initiated": {"tr": "başlatıldı", "en": "started"},
    "pending": {"tr": "bekliyor", "en": "pending"},
    "paid": {"tr": "ödendi", "en": "paid"},
    "failed": {"tr": "başarısız", "en": "failed"},
    "cancelled": {"tr": "iptal edildi", "en": "cancelled"},
    "refunded": {"tr": "iade edildi", "en": "refunded"},
}
_APPROVED = {
    "sale.void": {"tr": "satışın iptali", "en": "voiding the sale"},
    "cart.price_override": {"tr": "fiyat değişikliği", "en": "a price change"},
    "cart.line_discount": {"tr": "yetkiyi aşan indirim", "en": "a discount over the limit"},
    "payment.force_resolve": {"tr": "ödemenin elle sonuçlandırılması", "en": "settling a payment"},
    "sale.return_in_cash": {
        "tr": "iadenin kart yerine nakit ödenmesi",
        "en": "paying a return in cash instead of to the card",
    },
    "sale.return_without_receipt": {
        "tr": "fişsiz iade",
        "en": "a return without a receipt",
    },
    "cash.paid_in": {"tr": "kasaya para girişi", "en": "paying cash into the drawer"},
    "cash.paid_out": {"tr": "kasadan para çıkışı", "en": "paying cash out of the drawer"},
}
_COUPON_KINDS = {
    "percent": {"tr": "yüzde", "en": "percent"},
    "fixed": {"tr": "sabit tutar", "en": "fixed amount"},
}

_FIELDS: Mapping[str, Mapping[str, str]] = {
    "sku": {"tr": "stok kodu", "en": "SKU"},
    "barcode": {"tr": "barkod", "en": "barcode"},
    "name": {"tr": "ad", "en": "name"},
    "price_minor": {"tr": "fiyat", "en": "price"},
    "unit_price_minor": {"tr": "birim fiyat", "en": "unit price"},
    "currency": {"tr": "para birimi", "en": "currency"},
    "tax_rate_bp": {"tr": "KDV oranı", "en": "VAT rate"},
    "active": {"tr": "etkin", "en": "active"},
    "code": {"tr": "kod", "en": "code"},
    "kind": {"tr": "tür", "en": "kind"},
    "value": {"tr": "indirim", "en": "discount"},
    "min_cart_minor": {"tr": "en az sepet", "en": "minimum basket"},
    "cap_minor": {"tr": "en çok indirim", "en": "discount cap"},
    "valid_from": {"tr": "başlangıç", "en": "valid from"},
    "valid_to": {"tr": "bitiş", "en": "valid to"},
    "usage_limit": {"tr": "kullanım sınırı", "en": "usage limit"},
    "prices_include_tax": {"tr": "fiyatlara KDV dahil", "en": "prices include VAT"},
    "receipt_header": {"tr": "fiş başlığı", "en": "receipt header"},
    "time_zone": {"tr": "saat dilimi", "en": "time zone"},
    "available": {"tr": "stok", "en": "stock"},
    "min_stock": {"tr": "en az stok", "en": "minimum stock"},
    "failed_pin_attempts": {"tr": "yanlış PIN denemesi", "en": "wrong PIN tries"},
    "locked_until": {"tr": "kilit bitişi", "en": "locked until"},
    "status": {"tr": "durum", "en": "status"},
    "resolved_at": {"tr": "kapatıldı", "en": "resolved"},
    "note": {"tr": "not", "en": "note"},
}
_MONEY_FIELDS = frozenset(
    {"price_minor", "unit_price_minor", "min_cart_minor", "cap_minor", "total_minor"}
)
_TIME_FIELDS = frozenset({"valid_from", "valid_to", "locked_until", "resolved_at"})


def _money(facts: AuditFacts, minor: object, locale: Locale) -> str:
    if not isinstance(minor, int) or isinstance(minor, bool):
        return str(minor)
    return format_money(minor, facts.currency, locale)


def _percent(basis_points: object, locale: Locale) -> str:
    if not isinstance(basis_points, int) or isinstance(basis_points, bool):
        return str(basis_points)
    return str(format_percent(Decimal(basis_points) / 10_000, locale=locale))


def _count(number: object, locale: Locale) -> str:
    if not isinstance(number, int) or isinstance(number, bool):
        return str(number)
    return str(format_decimal(number, locale=locale))


def _when(facts: AuditFacts, at: object, locale: Locale) -> str:
    try:
        instant = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    if instant.tzinfo is None:
        return str(at)
    zone = shop_zone(facts.time_zone)
    return str(format_datetime(instant.astimezone(zone), "short", locale=locale))


def _value(facts: AuditFacts, name: str, value: object, locale: Locale) -> str:
    """One field's value the way a shop writes it."""
    if value is None:
        return _WORDS["none"][locale]
    if isinstance(value, bool):
        return _WORDS["yes" if value else "no"][locale]
    if name in _MONEY_FIELDS:
        return _money(facts, value, locale)
    if name == "tax_rate_bp":
        return _percent(value, locale)
    if name == "value":
        return _coupon_value(facts, value, locale)
    if name == "kind" and isinstance(value, str) and value in _COUPON_KINDS:
        return _COUPON_KINDS[value][locale]
    if name == "status" and isinstance(value, str) and value in _PAYMENT_STATES:
        return _PAYMENT_STATES[value][locale]
    if name in _TIME_FIELDS:
        return _when(facts, value, locale)
    if isinstance(value, int):
        return _count(value, locale)
    return str(value).replace("\n", " / ")


def _coupon_value(facts: AuditFacts, value: object, locale: Locale) -> str:
    kind = facts.details.get("kind", facts.coupon_kind)
    return _percent(value, locale) if kind == "percent" else _money(facts, value, locale)


def _changes(facts: AuditFacts, locale: Locale) -> str:
    """``before → after`` for each field that changed: "fiyat: ₺32,50 → ₺29,90"."""
    before = facts.details.get("before")
    after = facts.details.get("after")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return ""
    parts = []
    for name in after:
        label = _FIELDS.get(name, {}).get(locale, name)
        old = _value(facts, name, before.get(name), locale)
        new = _value(facts, name, after.get(name), locale)
        parts.append(f"{label}: {old} → {new}")
    return _WORDS["and"][locale].join(parts)


def _fields(facts: AuditFacts, locale: Locale) -> str:
    """What a new product was made with: "fiyat: ₺12,50, KDV oranı: %10"."""
    after = facts.details.get("after")
    if not isinstance(after, Mapping):
        return ""
    shown = [name for name in ("price_minor", "tax_rate_bp", "barcode") if after.get(name)]
    return _WORDS["and"][locale].join(
        f"{_FIELDS[name][locale]}: {_value(facts, name, after[name], locale)}" for name in shown
    )


def _sale(facts: AuditFacts, locale: Locale) -> str:
    if facts.receipt:
        return _WORDS["receipt"][locale].format(receipt=facts.receipt)
    return _WORDS["sale"][locale]


def _unknown(facts: AuditFacts, locale: Locale) -> str:
    # Only a row written by hand or by a newer Kasa: said plainly rather than hidden.
    who = facts.actor or _WORDS["till"][locale]
    return f"{who}: {facts.action}"


# -- the parameters of each action ----------------------------------------------------


def _detail(name: str, kind: str = "count") -> Callable[[AuditFacts, Locale], str]:
    def read(facts: AuditFacts, locale: Locale) -> str:
        value = facts.details.get(name)
        if kind == "money":
            return _money(facts, value, locale)
        if kind == "text":
            return str(value or "").replace("\n", " / ")
        return _count(value, locale)

    return read


def _params(**readers: Callable[[AuditFacts, Locale], str]) -> Callable[..., Mapping[str, str]]:
    def params(facts: AuditFacts, locale: Locale) -> Mapping[str, str]:
        return {name: read(facts, locale) for name, read in readers.items()}

    return params


def _role(facts: AuditFacts, locale: Locale) -> str:
    role = facts.details.get("role")
    return _ROLES[role][locale] if isinstance(role, str) and role in _ROLES else str(role)


def _state(key: str) -> Callable[[AuditFacts, Locale], str]:
    def read(facts: AuditFacts, locale: Locale) -> str:
        value = facts.details.get(key)
        return _value(facts, "status", value, locale)

    return read


def _price(key: str) -> Callable[[AuditFacts, Locale], str]:
    def read(facts: AuditFacts, locale: Locale) -> str:
        side = facts.details.get(key)
        value = side.get("unit_price_minor") if isinstance(side, Mapping) else None
        return _money(facts, value, locale)

    return read


def _side(key: str, name: str) -> Callable[[AuditFacts, Locale], str]:
    def read(facts: AuditFacts, locale: Locale) -> str:
        side = facts.details.get(key)
        return _value(facts, name, side.get(name) if isinstance(side, Mapping) else None, locale)

    return read


def _approved(facts: AuditFacts, locale: Locale) -> str:
    action = facts.details.get("approved")
    if isinstance(action, str) and action in _APPROVED:
        return _APPROVED[action][locale]
    return str(action)


def _coupon_terms(facts: AuditFacts, locale: Locale) -> str:
    return _coupon_value(facts, facts.details.get("value"), locale)


def _released(facts: AuditFacts, locale: Locale) -> str:
    released = facts.details.get("released")
    return _count(len(released) if isinstance(released, list) else 0, locale)


def _how_many(name: str) -> Callable[[AuditFacts, Locale], str]:
    """How many items the list the details hold under ``name`` has (lines, holds)."""

    def read(facts: AuditFacts, locale: Locale) -> str:
        items = facts.details.get(name)
        return _count(len(items) if isinstance(items, list) else 0, locale)

    return read


def _reason(facts: AuditFacts, locale: Locale) -> str:
    reason = facts.details.get("reason")
    return f" ({reason})" if reason else ""


def _why(facts: AuditFacts, locale: Locale) -> str:
    """A manager's reason after a colon, as a price given away carries it."""
    reason = facts.details.get("reason")
    return f": {reason}" if reason else ""


def _note(facts: AuditFacts, locale: Locale) -> str:
    after = facts.details.get("after")
    note = facts.details.get("note") or (after.get("note") if isinstance(after, Mapping) else None)
    return f": {note}" if note else ""


def _terminal_answer(facts: AuditFacts, locale: Locale) -> str:
    return _changes_of_state(facts, locale)


def _changes_of_state(facts: AuditFacts, locale: Locale) -> str:
    before, after = _state("before")(facts, locale), _state("after")(facts, locale)
    return after if before == after else f"{before} → {after}"


_RETRY_OUTCOMES = {
    "ingested": {"tr": "satış alındı", "en": "the sale went in"},
    "already_here": {"tr": "satış zaten oradaydı", "en": "the sale was already there"},
    "conflict": {"tr": "yine alınamadı", "en": "still not taken"},
}


def _offline_sale(facts: AuditFacts, locale: Locale) -> str:
    """A conflict's sale by the receipt the till printed: the central store has no
    order for it, so its number comes with the entry."""
    receipt = facts.details.get("receipt")
    if isinstance(receipt, str) and receipt:
        return {"tr": "{r} fişli çevrimdışı satışı", "en": "the offline sale {r}"}[locale].format(
            r=receipt
        )
    return {"tr": "bir çevrimdışı satışı", "en": "an offline sale"}[locale]


def _retry_outcome(facts: AuditFacts, locale: Locale) -> str:
    outcome = facts.details.get("outcome")
    if isinstance(outcome, str) and outcome in _RETRY_OUTCOMES:
        return _RETRY_OUTCOMES[outcome][locale]
    return str(outcome)


WORDING: Mapping[str, Wording] = {
    "user.sign_in": Wording("{who}: oturum açtı", "{who} signed in"),
    "user.create": Wording(
        "{who}: {subject} kullanıcısını {role} olarak ekledi",
        "{who} added {subject} as {role}",
        _params(role=_role),
    ),
    "user.unlock": Wording(
        "{who}: {subject} kullanıcısının kilidini açtı", "{who} unlocked {subject}"
    ),
    "user.reset_pin": Wording(
        "{who}: {subject} kullanıcısının PIN kodunu yeniledi", "{who} set a new PIN for {subject}"
    ),
    "user.deactivate": Wording(
        "{who}: {subject} kullanıcısını devre dışı bıraktı", "{who} deactivated {subject}"
    ),
    "user.reactivate": Wording(
        "{who}: {subject} kullanıcısını yeniden etkinleştirdi", "{who} reactivated {subject}"
    ),
    "user.locked": Wording(
        "{subject}: {tries} yanlış PIN denemesi, kullanıcı kilitlendi",
        "{subject} was locked out after {tries} wrong PINs",
        _params(tries=_detail("failed_pin_attempts")),
    ),
    "approval.granted": Wording(
        "{approver}: {who} için {what} onayını verdi",
        "{approver} approved {what} for {who}",
        _params(
            approver=lambda facts, locale: facts.approver or _WORDS["unknown"][locale],
            what=_approved,
        ),
    ),
    "sale.voided": Wording(
        "{who}: satışı iptal etti ({total}, {units} adet stoğa döndü)",
        "{who} voided the sale ({total}, {units} units back in stock)",
        _params(total=_detail("total_minor", "money"), units=_detail("units_released")),
    ),
    "sale.parked": Wording(
        "{who}: satışı park etti ({total}, {lines} satır)",
        "{who} parked the sale ({total}, {lines} lines)",
        _params(total=_detail("total_minor", "money"), lines=_how_many("lines")),
    ),
    "sale.recalled": Wording(
        "{who}: park edilmiş satışı geri çağırdı ({total}; stoğu yetmeyen {short} satır çıktı)",
        "{who} recalled a parked sale ({total}; {short} lines short of stock taken off)",
        _params(total=_detail("total_minor", "money"), short=_how_many("short")),
    ),
    "sale.returned": Wording(
        "{who}: iade aldı, {receipt} ({total}): {reason}",
        "{who} took a return, {receipt} ({total}): {reason}",
        _params(
            receipt=_detail("return_receipt", "text"),
            total=_detail("total_minor", "money"),
            reason=_detail("reason", "text"),
        ),
    ),
    "sale.offline_over_limit": Wording(
        "{who}: çevrimdışı sınırları aşan bir satış aldı ({total})",
        "{who} took an offline sale past the offline limits ({total})",
        _params(total=_detail("total_minor", "money")),
    ),
    "sale.taken_over": Wording(
        "{who}: {subject} kullanıcısının başladığı satışı devraldı: {sale}",
        "{who} took over the sale {subject} had rung up: {sale}",
    ),
    "cart.price_override": Wording(
        "{who}: satıştaki {product} ürününün fiyatını {before} yerine {after} yaptı{why}",
        "{who} changed the price of {product} in the sale from {before} to {after}{why}",
        _params(before=_price("before"), after=_price("after"), why=_why),
    ),
    "cart.line_discount": Wording(
        "{who}: satıştaki {product} ürününe {amount} indirim yaptı{why}",
        "{who} took {amount} off {product} in the sale{why}",
        _params(
            amount=lambda facts, locale: _money(facts, facts.details.get("discount_minor"), locale),
            why=_why,
        ),
    ),
    "cart.line_discount_removed": Wording(
        "{who}: satıştaki {product} ürününün indirimini kaldırdı",
        "{who} took the discount off {product} in the sale",
    ),
    "receipt.reprint": Wording(
        "{who}: {sale} için fişi yeniden yazdırdı", "{who} reprinted the receipt of {sale}"
    ),
    "drawer.open_no_sale": Wording(
        "{who}: kasa çekmecesini satışsız açtı{why}",
        "{who} opened the cash drawer without a sale{why}",
        _params(why=_why),
    ),
    "payment.force_resolve": Wording(
        "{who}: {sale} için kart ödemesini elle sonuçlandırdı: {state}{note}",
        "{who} settled the card payment of {sale} by hand: {state}{note}",
        _params(state=_changes_of_state, note=_note),
    ),
    "payment.conflict_handled": Wording(
        "{who}: {sale} için terminalin bildirdiği çekimi ele aldı{note}",
        "{who} handled the charge the terminal reported for {sale}{note}",
        _params(note=_note),
    ),
    "payment.check_again": Wording(
        "{who}: {sale} için kart ödemesini terminale yeniden sordu: {state}",
        "{who} asked the terminal again about the card payment of {sale}: {state}",
        _params(state=_terminal_answer),
    ),
    "coupon.created": Wording(
        "{who}: {subject} kuponunu oluşturdu ({value} indirim)",
        "{who} created coupon {subject} ({value} off)",
        _params(value=_coupon_terms),
    ),
    "coupon.updated": Wording(
        "{who}: {subject} kuponunu değiştirdi: {changes}",
        "{who} changed coupon {subject}: {changes}",
        _params(changes=_changes),
    ),
    "coupon.deactivated": Wording(
        "{who}: {subject} kuponunu devre dışı bıraktı", "{who} deactivated coupon {subject}"
    ),
    "coupon.reactivated": Wording(
        "{who}: {subject} kuponunu yeniden etkinleştirdi", "{who} reactivated coupon {subject}"
    ),
    "coupon.used_past_limit": Wording(
        "{who}: çevrimdışı bir satış {subject} kuponunu kullanım sınırının ({limit}) ötesinde"
        " kullandı",
        "{who}: an offline sale used coupon {subject} past its usage limit ({limit})",
        _params(limit=_detail("usage_limit")),
    ),
    "coupon.deleted": Wording("{who}: {subject} kuponunu sildi", "{who} deleted coupon {subject}"),
    "shop.settings_changed": Wording(
        "{who}: mağaza ayarlarını değiştirdi: {changes}",
        "{who} changed the shop's settings: {changes}",
        _params(changes=_changes),
    ),
    "product.create": Wording(
        "{who}: {subject} ürününü ekledi ({fields})",
        "{who} added the product {subject} ({fields})",
        _params(fields=_fields),
    ),
    "product.update": Wording(
        "{who}: {subject} ürününü değiştirdi: {changes}",
        "{who} changed the product {subject}: {changes}",
        _params(changes=_changes),
    ),
    "product.deactivate": Wording(
        "{who}: {subject} ürününü satıştan kaldırdı", "{who} took {subject} off sale"
    ),
    "product.reactivate": Wording(
        "{who}: {subject} ürününü yeniden satışa açtı", "{who} put {subject} back on sale"
    ),
    "product.import": Wording(
        "{who}: ürün listesini içe aktardı ({created} yeni, {updated} güncellenen)",
        "{who} imported the product list ({created} new, {updated} updated)",
        _params(created=_detail("created"), updated=_detail("updated")),
    ),
    "stock.receive": Wording(
        "{who}: {subject} ürününden {quantity} adet teslim aldı (stok {before} → {after})",
        "{who} received {quantity} of {subject} (stock {before} → {after})",
        _params(
            quantity=_detail("quantity"),
            before=_side("before", "available"),
            after=_side("after", "available"),
        ),
    ),
    "stock.adjust": Wording(
        "{who}: {subject} ürününün stoğunu düzeltti: {before} → {after}{reason}",
        "{who} adjusted the stock of {subject}: {before} → {after}{reason}",
        _params(
            before=_side("before", "available"),
            after=_side("after", "available"),
            reason=_reason,
        ),
    ),
    "stock.set_minimum": Wording(
        "{who}: {subject} ürününün en az stoğunu {before} yerine {after} yaptı",
        "{who} set the minimum stock of {subject} from {before} to {after}",
        _params(before=_side("before", "min_stock"), after=_side("after", "min_stock")),
    ),
    "stock.release_expired": Wording(
        "{who}: süresi dolan {count} stok ayırmasını serbest bıraktı",
        "{who} released {count} expired stock holds",
        _params(count=_released),
    ),
    "stock.release_reservation": Wording(
        "{who}: {product} ürünü için {quantity} adetlik stok ayırmasını serbest bıraktı",
        "{who} released a hold of {quantity} on {product}",
        _params(quantity=_detail("quantity")),
    ),
    "sync.retried": Wording(
        "{who}: {conflict} merkez kasaya yeniden gönderdi: {outcome}",
        "{who} sent {conflict} to the central store again: {outcome}",
        _params(conflict=_offline_sale, outcome=_retry_outcome),
    ),
    "sync.accepted": Wording(
        "{who}: {conflict} olduğu gibi kabul etti ({total}; para sayılır, stok hareketi yok){note}",
        "{who} accepted {conflict} as it is ({total}; the money counts, no stock move){note}",
        _params(conflict=_offline_sale, total=_detail("total_minor", "money"), note=_note),
    ),
    "sync.written_off": Wording(
        "{who}: {conflict} yalnızca kayıt olarak tuttu ({total} sayılmaz){note}",
        "{who} wrote off {conflict}, kept only as a record ({total} not counted){note}",
        _params(conflict=_offline_sale, total=_detail("total_minor", "money"), note=_note),
    ),
    "stock.resolve_oversell": Wording(
        "{who}: {sale} satışında {product} ürününün {quantity} adetlik eksiğini kapattı{note}",
        "{who} resolved the shortfall of {quantity} {product} in {sale}{note}",
        _params(quantity=_detail("quantity"), note=_note),
    ),
    "cash_session.opened": Wording(
        "{who}: kasayı {amount} açılış tutarıyla açtı",
        "{who} opened the till with a float of {amount}",
        _params(amount=_detail("float_minor", "money")),
    ),
    "cash_session.closed": Wording(
        "{who}: günü kapattı, Z {number} ({total})",
        "{who} closed the day, Z {number} ({total})",
        _params(number=_detail("z_number"), total=_detail("total_minor", "money")),
    ),
    "cash.paid_in": Wording(
        "{who}: kasaya {amount} koydu{why}",
        "{who} paid {amount} into the drawer{why}",
        _params(amount=_detail("amount_minor", "money"), why=_why),
    ),
    "cash.paid_out": Wording(
        "{who}: kasadan {amount} aldı{why}",
        "{who} paid {amount} out of the drawer{why}",
        _params(amount=_detail("amount_minor", "money"), why=_why),
    ),
}
