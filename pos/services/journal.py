"""The till's journal: every sale, refund, void, drawer opening, cash movement and Z report,
chained and signed as it happens (DESIGN.md §9); their check is
``pos.services.journal_verify``.

``append`` runs inside the transaction of the event it records, so the event and its
entry are kept or rolled back together. It takes the till's head under the till's row
lock (``UPDATE tills ... RETURNING``, as receipt numbers are taken), so appends of one
till queue on that row; a sale's finalise already holds it by then, having numbered its
receipt, and every caller appends last, after the rows it locks itself, so appending adds
no new lock order.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    BigInteger,
    Connection,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)

from pos.domain.journal import (
    Kind,
    SaleLine,
    SaleTender,
    canonical,
    check_field,
    content_digest,
    entry_hash,
    sale_content,
    utc_text,
)
from pos.journal_keys import public_bytes, till_key
from pos.store.burst import Burst
from pos.store.engine import REPLICA
from pos.store.prepared import Prepared
from pos.store.tables import (
    journal,
    order_items,
    orders,
    payments,
    refunds,
    sale_returns,
    till_keys,
    tills,
)

log = logging.getLogger(__name__)

_TAKE_HEAD = Prepared(
    update(tills)
    .where(tills.c.id == bindparam("b_till"))
    .values(journal_seq=tills.c.journal_seq + 1)
    .returning(tills.c.journal_seq, tills.c.journal_hash, tills.c.code)
)
# A sale that arrives from its till: its number raises the till's counter in the same
# statement (one update of the till's row, not two), which only ever goes up.
_TAKE_HEAD_COUNTING = Prepared(
    _TAKE_HEAD.statement.values(  # type: ignore[attr-defined]
        last_receipt_number=case(
            (tills.c.last_receipt_number < bindparam("b_number"), bindparam("b_number")),
            else_=tills.c.last_receipt_number,
        )
    )
)
_MOVE_HEAD = Prepared(
    update(tills).where(tills.c.id == bindparam("b_till")).values(journal_hash=bindparam("b_hash"))
)
_HEAD = Prepared(
    select(tills.c.journal_seq, tills.c.journal_hash, tills.c.code).where(
        tills.c.id == bindparam("b_till")
    )
)
# The head moved from the entry it is at to the next, only if it is still there: the
# statement divides by the rows it moved, so a head moved meanwhile (another push, an
# entry made centrally) fails it, and the transaction with it. A sale that arrives
# from its till raises the till's receipt counter in the same update.
_MOVED = (
    update(tills)
    .where(
        tills.c.id == bindparam("b_till"),
        tills.c.journal_seq == bindparam("b_seq", type_=BigInteger) - 1,
        tills.c.journal_hash == bindparam("b_prev", type_=tills.c.journal_hash.type),
    )
    .values(
        journal_seq=bindparam("b_seq", type_=BigInteger),
        journal_hash=bindparam("b_hash", type_=tills.c.journal_hash.type),
        last_receipt_number=func.greatest(
            tills.c.last_receipt_number, bindparam("b_number", type_=BigInteger)
        ),
    )
    .returning(tills.c.id)
    .cte("moved")
)
_MOVE_HEAD_FROM = Prepared(
    select((literal(1, BigInteger) // func.count()).label("moved")).select_from(_MOVED)
)
_KEY = Prepared(
    select(till_keys.c.id).where(
        till_keys.c.till_id == bindparam("b_till"), till_keys.c.public_key == bindparam("b_key")
    )
)
_NEW_KEY = Prepared(
    insert(till_keys)
    .values(
        till_id=bindparam("b_till"), public_key=bindparam("b_key"), created_at=bindparam("b_now")
    )
    .returning(till_keys.c.id)
)
_WRITE = Prepared(
    insert(journal).values(
        till_id=bindparam("b_till"),
        seq=bindparam("b_seq"),
        kind=bindparam("b_kind"),
        event_id=bindparam("b_event"),
        at=bindparam("b_at"),
        content=bindparam("b_content"),
        prev_hash=bindparam("b_prev"),
        hash=bindparam("b_hash"),
        key_id=bindparam("b_key_id"),
        signature=bindparam("b_signature"),
    )
)


@dataclass(frozen=True)
class Appended:
    """The entry just written: its till, its number in the till's chain and its hash."""

    till_id: int
    seq: int
    hash: str


@dataclass(frozen=True)
class Entry:
    """An event as the journal writes it: its kind, its name and its canonical content."""

    kind: Kind
    event: str
    body: str

    @classmethod
    def of(cls, kind: Kind, event_id: object, content: Mapping[str, object]) -> Entry:
        """The entry of an event; ValueError (or TypeError, for a float) for one the
        journal cannot hold, before anything is written."""
        return cls(Kind(kind), check_field(str(event_id)), canonical(content))


@dataclass(frozen=True)
class Head:
    """A till's chain head, taken under the till's row lock: the number the next entry
    gets, the hash it follows, and the key that signs it with the store's id for it."""

    till_id: int
    seq: int
    prev: str
    code: str
    key: Ed25519PrivateKey
    key_id: int


def append(
    connection: Connection,
    till_id: int,
    kind: Kind,
    event_id: object,
    content: Mapping[str, object],
    now: datetime,
) -> Appended | None:
    """Write the entry of an event into ``till_id``'s journal, inside the caller's
    transaction (the one that makes the event), signed with the till's key.

    Nothing on the till's replica (None): its copy of the chain's head is only as fresh
    as its last pull, so a chain continued there while offline could fork from the
    central one. A sale made offline gets its entry from the central store as it
    arrives, in the till's order.

    ``event_id`` names the event (the order, the refund, the Z report...): one entry per
    kind and event, ever. ``content`` is what the event was, as plain values: text,
    integers (money in minor units), booleans, None, instants, UUIDs, lists and
    mappings of them; no floats. Call it last in the transaction, after the rows the
    event locks itself: it locks the till's row."""
    kind = Kind(kind)  # a kind the journal knows, or ValueError before anything is written
    if connection.get_execution_options().get(REPLICA, False):
        return None
    entry = Entry.of(kind, event_id, content)  # one the journal can hold, or nothing written
    return write(connection, take_head(connection, till_id)(now), entry, now)


def take_head(
    connection: Connection,
    till_id: int,
    *,
    till_code: str | None = None,
    receipt: int | None = None,
) -> Callable[[datetime], Head]:
    """Take ``till_id``'s head under its row lock (its number moved on by one) and send,
    right behind it, the look for the id of the key of ``till_code`` (the till's code as
    the caller knows it): in a psycopg pipeline both go in the caller's round trip. With
    ``receipt``, the same statement raises the till's receipt counter to that number if
    it is below it (a sale that arrives from the till with its own number).

    The call returned fetches them, given the time of the event: a till whose code is
    another, or whose key the store does not know yet, has its key looked up or recorded
    then (still under the lock)."""
    if receipt is None:
        taking = _TAKE_HEAD.send(connection, {"b_till": till_id})
    else:
        taking = _TAKE_HEAD_COUNTING.send(connection, {"b_till": till_id, "b_number": receipt})
    expected = till_key(till_code) if till_code is not None else None
    looking = (
        _KEY.send(connection, {"b_till": till_id, "b_key": public_bytes(expected)})
        if expected is not None
        else None
    )

    def fetch(now: datetime) -> Head:
        (head,) = taking()
        known = looking() if looking is not None else []
        code = str(head.code)
        key = expected if expected is not None and code == till_code else till_key(code)
        key_id = (
            int(known[0].id)
            if known and key is expected
            else _key_id(connection, till_id, public_bytes(key), now)
        )
        return Head(till_id, int(head.journal_seq), str(head.journal_hash), code, key, key_id)

    return fetch


def write(connection: Connection, head: Head, entry: Entry, now: datetime) -> Appended:
    """Write ``entry`` at ``head`` (taken in the same transaction, and only once), signed,
    and move the till's head to it. In a psycopg pipeline the two statements go
    together, answered at the pipeline's end."""
    row = _sealed(head, entry, now)
    _WRITE.execute(connection, row)
    _MOVE_HEAD.execute(connection, {"b_till": head.till_id, "b_hash": row["b_hash"]})
    return Appended(head.till_id, head.seq, str(row["b_hash"]))


def _sealed(head: Head, entry: Entry, now: datetime) -> dict[str, object]:
    """The journal's row for ``entry`` at ``head``: hashed on the entry it follows, signed."""
    digest = entry_hash(
        head.prev,
        head.code,
        head.seq,
        entry.kind.value,
        entry.event,
        utc_text(now),
        content_digest(entry.body),
    )
    return {
        "b_till": head.till_id,
        "b_seq": head.seq,
        "b_kind": entry.kind.value,
        "b_event": entry.event,
        "b_at": now,
        "b_content": entry.body,
        "b_prev": head.prev,
        "b_hash": digest,
        "b_key_id": head.key_id,
        "b_signature": head.key.sign(bytes.fromhex(digest)),
    }


def look_head(connection: Connection, till_id: int, *, till_code: str) -> Callable[[], Head | None]:
    """Send the look for ``till_id``'s head as it stands, without a lock (for ``chain``,
    which moves it only if it is still there), and for the id of ``till_code``'s key: in
    a psycopg pipeline both go in the caller's round trip. The call returned fetches
    them: the head, or None for a till that is not there, whose code is another, or
    whose key the store does not know yet (its first entry records it: ``take_head``)."""
    looking = _HEAD.send(connection, {"b_till": till_id})
    key = till_key(till_code)
    keying = _KEY.send(connection, {"b_till": till_id, "b_key": public_bytes(key)})

    def fetch() -> Head | None:
        rows, known = looking(), keying()
        if not rows or not known or rows[0].code != till_code:
            return None
        (row,) = rows
        return Head(
            till_id, int(row.journal_seq) + 1, str(row.journal_hash), till_code, key, known[0].id
        )

    return fetch


def chain(burst: Burst, head: Head, entry: Entry, now: datetime, *, receipt: int | None) -> Head:
    """Queue in ``burst``'s transaction the till's head moved on to ``entry`` from
    ``head`` (a compare-and-set: a head moved meanwhile fails the statement, and with it
    the transaction), its receipt counter raised to ``receipt``, and the entry written,
    signed. The head after it: the next entry of the same burst follows this one."""
    row = _sealed(head, entry, now)
    burst.send(
        _MOVE_HEAD_FROM,
        {
            "b_till": head.till_id,
            "b_seq": head.seq,
            "b_prev": head.prev,
            "b_hash": row["b_hash"],
            "b_number": receipt,
        },
    )
    burst.send(_WRITE, row)
    return Head(head.till_id, head.seq + 1, str(row["b_hash"]), head.code, head.key, head.key_id)


def _key_id(connection: Connection, till_id: int, public: bytes, now: datetime) -> int:
    """The store's id of this machine's key for the till, recorded on its first entry
    (under the till's row lock, so two appends never record it twice)."""
    row = _KEY.first(connection, {"b_till": till_id, "b_key": public})
    if row is not None:
        return int(row.id)
    params = {"b_till": till_id, "b_key": public, "b_now": now}
    return int(_NEW_KEY.one(connection, params).id)


# -- the events of today's till ------------------------------------------------------


# The sale with its lines, one row per line (the order's columns repeat).
_SALE = Prepared(
    select(
        orders.c.till_id,
        orders.c.cashier_id,
        orders.c.receipt_number,
        orders.c.currency,
        orders.c.prices_include_tax,
        orders.c.subtotal_minor,
        orders.c.discount_minor,
        orders.c.tax_minor,
        orders.c.total_minor,
        orders.c.coupon_code,
        order_items.c.line_no,
        order_items.c.sku,
        order_items.c.name,
        order_items.c.quantity,
        order_items.c.unit_price_minor,
        order_items.c.tax_rate_bp,
        order_items.c.discount_minor.label("line_discount_minor"),
        order_items.c.total_minor.label("line_total_minor"),
        order_items.c.line_discount_minor.label("own_discount_minor"),
        order_items.c.line_discount_reason,
        order_items.c.sale_unit,
    )
    .join(order_items, order_items.c.order_id == orders.c.id)
    .where(orders.c.id == bindparam("b_order"))
    .order_by(order_items.c.line_no)
)
_TENDERS = Prepared(
    select(
        payments.c.id,
        payments.c.method,
        payments.c.amount_minor,
        payments.c.tendered_minor,
        payments.c.change_minor,
    )
    .where(
        payments.c.order_id == bindparam("b_order"),
        payments.c.status == literal_column("'paid'"),
    )
    .order_by(payments.c.id)
)


@dataclass(frozen=True)
class UnnumberedSale:
    """A sale becoming paid, read before its till's row is taken: all its entry will say
    but the receipt number, which is taken with the till's head."""

    order_id: UUID
    till_id: int
    content: dict[str, object]


class SaleFacts(NamedTuple):
    """What a sale's entry says of it but its receipt and tenders, as the transaction that
    writes the sale knows it (``sale_content``'s arguments of the same names)."""

    cashier: int | None
    currency: str
    prices_include_tax: bool
    subtotal: int
    discount: int
    tax: int
    total: int
    coupon: str | None
    lines: tuple[SaleLine, ...]


def fresh_sale(
    connection: Connection,
    order_id: UUID,
    till_id: int,
    facts: SaleFacts,
    tenders: Iterable[SaleTender],
) -> UnnumberedSale | None:
    """The sale ``order_id`` that the caller's transaction has just written and paid by
    ``tenders``, as its entry will hold it: what ``read_sale`` would read back, from what
    was written. None on a till's replica, where the journal is not kept."""
    if connection.get_execution_options().get(REPLICA, False):
        return None
    content = sale_content(order_id, receipt=None, tenders=tenders, **facts._asdict())
    return UnnumberedSale(order_id, till_id, content)


def read_sale(connection: Connection, order_id: UUID) -> UnnumberedSale | None:
    """The sale ``order_id`` as its entry will hold it, read before its receipt number is
    taken, so the till's row is held no longer than writing the rows takes; None on a
    till's replica, where the journal is not kept."""
    if connection.get_execution_options().get(REPLICA, False):
        return None
    till_id, content = sale_as_stored(connection, order_id)
    return UnnumberedSale(order_id, till_id, content)


def record_sale(
    connection: Connection, sale: UnnumberedSale, receipt: int, head: Head, now: datetime
) -> Appended:
    """The entry of a sale that has just become paid under ``receipt``, at ``head``
    (``take_head`` of its till, in the same transaction)."""
    entry = Entry.of(Kind.SALE, sale.order_id, {**sale.content, "receipt": receipt})
    return write(connection, head, entry, now)


def sale_as_stored(connection: Connection, order_id: UUID) -> tuple[int, dict[str, object]]:
    """The sale's till and the content of its entry, as the store holds the sale now."""
    lines = _SALE.execute(connection, {"b_order": order_id})
    order = lines[0]
    content = sale_content(
        order_id,
        receipt=order.receipt_number,
        cashier=order.cashier_id,
        currency=order.currency,
        prices_include_tax=order.prices_include_tax,
        subtotal=order.subtotal_minor,
        discount=order.discount_minor,
        tax=order.tax_minor,
        total=order.total_minor,
        coupon=order.coupon_code,
        lines=(
            SaleLine(
                line.line_no,
                line.sku,
                line.name,
                line.quantity,
                line.unit_price_minor,
                line.tax_rate_bp,
                line.line_discount_minor,
                line.line_total_minor,
                line.own_discount_minor,
                line.line_discount_reason,
                line.sale_unit,
            )
            for line in lines
        ),
        tenders=(
            SaleTender(*tender) for tender in _TENDERS.execute(connection, {"b_order": order_id})
        ),
    )
    return int(order.till_id), content


def record_refund(connection: Connection, refund_id: int, now: datetime) -> Appended | None:
    """The entry of money given back on a tender (a void's or a return's), once it is back:
    in the journal of the till that gave it back (the return's), else the sale's."""
    row = connection.execute(
        select(
            refunds.c.order_id,
            refunds.c.payment_id,
            refunds.c.return_id,
            refunds.c.method,
            refunds.c.amount_minor,
            refunds.c.currency,
            refunds.c.reason,
            refunds.c.requested_by,
            orders.c.till_id,
            sale_returns.c.till_id.label("return_till_id"),
        )
        .join(orders, orders.c.id == refunds.c.order_id)
        .outerjoin(sale_returns, sale_returns.c.id == refunds.c.return_id)
        .where(refunds.c.id == refund_id)
    ).one()
    content = {
        "refund": refund_id,
        "order": row.order_id,
        "payment": row.payment_id,
        "return": row.return_id,
        "method": row.method,
        "amount": row.amount_minor,
        "currency": row.currency,
        "reason": row.reason,
        "by": row.requested_by,
    }
    till_id = row.return_till_id if row.return_till_id is not None else row.till_id
    return append(connection, till_id, Kind.REFUND, refund_id, content, now)


def record_loose_return(connection: Connection, return_id: UUID, now: datetime) -> Appended | None:
    """The entry of goods taken back without a receipt: the drawer paid all of it in cash."""
    row = connection.execute(
        select(
            sale_returns.c.till_id,
            sale_returns.c.number,
            sale_returns.c.cashier_id,
            sale_returns.c.approved_by,
            sale_returns.c.reason,
            sale_returns.c.currency,
            sale_returns.c.total_minor,
            sale_returns.c.cash_back_minor,
        ).where(sale_returns.c.id == return_id)
    ).one()
    content = {
        "return": return_id,
        "number": row.number,
        "method": "cash",
        "amount": row.cash_back_minor,
        "total": row.total_minor,
        "currency": row.currency,
        "reason": row.reason,
        "by": row.cashier_id,
        "approved_by": row.approved_by,
    }
    return append(connection, row.till_id, Kind.REFUND, return_id, content, now)


def record_void(connection: Connection, order_id: UUID, now: datetime) -> Appended | None:
    """The entry of a sale voided at the till once its tenders were all given back."""
    order = connection.execute(
        select(
            orders.c.till_id,
            orders.c.cashier_id,
            orders.c.currency,
            orders.c.total_minor,
            orders.c.void_requested_at,
            orders.c.void_requested_by,
        ).where(orders.c.id == order_id)
    ).one()
    content = {
        "order": order_id,
        "cashier": order.cashier_id,
        "currency": order.currency,
        "total": order.total_minor,
        "requested_at": order.void_requested_at,
        "by": order.void_requested_by,
    }
    return append(connection, order.till_id, Kind.VOID, order_id, content, now)


def record_drawer(
    connection: Connection, till_id: int, user_id: int, reason: str, now: datetime
) -> Appended | None:
    """The entry of the drawer opened without a sale, with who and why."""
    content = {"cashier": user_id, "reason": reason}
    return append(connection, till_id, Kind.DRAWER, uuid.uuid4(), content, now)
