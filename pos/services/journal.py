"""The till's journal: every sale, refund, void, drawer opening, cash movement and Z report,
chained and signed as it happens (DESIGN.md §9), and the check of the chains.

``append`` runs inside the transaction of the event it records, so the event and its
entry are kept or rolled back together. It takes the till's head under the till's row
lock (``UPDATE tills ... RETURNING``, as receipt numbers are taken), so appends of one
till queue on that row; a sale's finalise already holds it by then, having numbered its
receipt, and every caller appends last, after the rows it locks itself, so appending adds
no new lock order. ``verify`` reads each chain in one snapshot and names the first entry
that does not hold (``pos.domain.journal.check_chain``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, bindparam, insert, literal_column, select, text, update

from pos.domain.journal import (
    Fault,
    Kind,
    Link,
    Problem,
    SaleLine,
    SaleTender,
    canonical,
    check_chain,
    check_field,
    content_digest,
    entry_hash,
    sale_content,
    signature_holds,
    signatures_hold,
    utc_text,
)
from pos.domain.results import Code, Ok, Refused, Result
from pos.journal_keys import fingerprint, public_bytes, till_key
from pos.services._support import use_case
from pos.store.engine import REPLICA
from pos.store.prepared import Prepared
from pos.store.tables import (
    cash_sessions,
    journal,
    order_items,
    orders,
    payments,
    refunds,
    sale_returns,
    till_keys,
    tills,
)
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

PAGE = 5_000
"""Entries read per statement while verifying."""
PARALLEL_FROM = 20_000
"""Signatures checked in a pool of processes, one per core, from this many on."""

_TAKE_HEAD = Prepared(
    update(tills)
    .where(tills.c.id == bindparam("b_till"))
    .values(journal_seq=tills.c.journal_seq + 1)
    .returning(tills.c.journal_seq, tills.c.journal_hash, tills.c.code)
)
_MOVE_HEAD = Prepared(
    update(tills).where(tills.c.id == bindparam("b_till")).values(journal_hash=bindparam("b_hash"))
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
    return write(connection, take_head(connection, till_id, now)(), entry, now)


def take_head(
    connection: Connection, till_id: int, now: datetime, *, till_code: str | None = None
) -> Callable[[], Head]:
    """Take ``till_id``'s head under its row lock (its number moved on by one) and send,
    right behind it, the look for the id of the key of ``till_code`` (the till's code as
    the caller knows it): in a psycopg pipeline both go in the caller's round trip. The
    call returned fetches them; a till whose code is another, or whose key the store
    does not know yet, has its key looked up or recorded then (still under the lock)."""
    taking = _TAKE_HEAD.send(connection, {"b_till": till_id})
    expected = till_key(till_code) if till_code is not None else None
    looking = (
        _KEY.send(connection, {"b_till": till_id, "b_key": public_bytes(expected)})
        if expected is not None
        else None
    )

    def fetch() -> Head:
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
    at = utc_text(now)
    digest = entry_hash(
        head.prev,
        head.code,
        head.seq,
        entry.kind.value,
        entry.event,
        at,
        content_digest(entry.body),
    )
    _WRITE.execute(
        connection,
        {
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
        },
    )
    _MOVE_HEAD.execute(connection, {"b_till": head.till_id, "b_hash": digest})
    return Appended(head.till_id, head.seq, digest)


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


def record_sale(connection: Connection, order_id: UUID, now: datetime) -> Appended | None:
    """The entry of a sale that has just become paid: its lines, totals and tenders."""
    till_id, content = sale_as_stored(connection, order_id)
    return append(connection, till_id, Kind.SALE, order_id, content, now)


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


# -- verifying -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """One till's chain as checked: how many entries, and the first that does not hold."""

    till_id: int
    till_code: str
    entries: int
    fault: Fault | None
    keys: tuple[str, ...]
    """The fingerprints of the keys its entries are signed with, to compare by eye."""

    @property
    def holds(self) -> bool:
        return self.fault is None


@dataclass(frozen=True)
class VerifyReport:
    chains: tuple[ChainReport, ...]

    @property
    def holds(self) -> bool:
        return all(chain.holds for chain in self.chains)


@use_case
def verify(
    uow: UnitOfWork, till: str | None = None, *, every_signature: bool = False
) -> Result[VerifyReport]:
    """Check each till's chain end to end (``till``'s alone if given, by its code):
    hashes, order, gaps, the key each entry names, and signatures against the stored
    public keys.

    Every hash is recomputed, which is cheap. Of the signatures, by default only the last
    of the run of entries whose hashes hold, and if it fails a binary search for the
    first that does: O(log n) Ed25519 checks, each about 115 µs, instead of n. A
    signature that holds on entry i proves entries 1..i are what the till signed, given
    SHA-256's collision resistance and that the store's keys for the till are the
    till's (``pos.domain.journal.first_unsigned`` says why); so the entry named is the
    same as a check of every signature names, unless an intact entry's signature alone
    was garbled. ``every_signature`` checks each one (in a pool of processes, one per
    core, for a long journal), for an auditor who wants that too.

    Each Z report kept with its session is held against its entry, for the entries the
    check proved: one that differs is named ``Z_EDITED`` at its entry.
    """
    with uow.reading():
        connection = uow.connection
        if connection.dialect.name == "postgresql":
            # The heads and every page of entries from one snapshot.
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        query = select(tills.c.id, tills.c.code, tills.c.journal_seq, tills.c.journal_hash)
        if till is not None:
            query = query.where(tills.c.code == till)
        heads = connection.execute(query.order_by(tills.c.code)).all()
        if till is not None and not heads:
            raise Refused(Code.TILL_NOT_FOUND, till=till)
        keys = {
            row.id: (row.till_id, bytes(row.public_key))
            for row in connection.execute(
                select(till_keys.c.id, till_keys.c.till_id, till_keys.c.public_key)
            )
        }
        pool = (
            _Signatures(sum(int(head.journal_seq) for head in heads)) if every_signature else None
        )
        try:
            reads = [(head, _read_chain(connection, head.id, keys, pool)) for head in heads]
            kept = _kept_z_reports(connection, reads)
        except BaseException:
            if pool is not None:
                pool.close()
            raise
    held: list[bool] = []
    if pool is not None:
        try:  # the store is done with; the signatures may take a while yet
            held = pool.held()
        finally:
            pool.close()
    chains, done = [], 0
    for head, chain in reads:
        count = len(chain.links)
        signed: Callable[[int], bool]
        if pool is not None:
            signed = held[done : done + count].__getitem__
            done += count
        else:
            signed = chain.signature_holds
        fault = check_chain(
            head.code,
            chain.links,
            (int(head.journal_seq), str(head.journal_hash)),
            signed,
            keyed=chain.keyed,
            search=not every_signature,
        )
        fault = _kept_z_differs(chain, kept, fault) or fault
        prints = tuple(fingerprint(keys[key_id][1]) for key_id in chain.key_ids if key_id in keys)
        chains.append(ChainReport(head.id, head.code, count, fault, prints))
    return Ok(VerifyReport(tuple(chains)))


@dataclass(frozen=True)
class _Chain:
    """A till's entries as read for the check."""

    links: list[Link]
    signatures: list[tuple[bytes, bytes, str]]
    """Each entry's (public key it names, signature, hash)."""
    keyed: list[bool]
    """Whether the key each entry names is one the store holds for this till."""
    key_ids: list[int]
    """The keys the entries name, in the order of first use."""
    z_reports: list[tuple[int, str, str]] = field(default_factory=list)
    """Each Z's entry: its number, its event (the session) and its content."""

    def signature_holds(self, index: int) -> bool:
        return signature_holds(*self.signatures[index])


def _read_chain(
    connection: Connection,
    till_id: int,
    keys: Mapping[int, tuple[int, bytes]],
    pool: _Signatures | None,
) -> _Chain:
    """A till's entries by sequence number, in one statement read a page at a time
    (a server-side cursor on PostgreSQL), each reduced to what the check needs (its
    content only as its digest); each page's signatures handed to ``pool`` to be
    checked, if given."""
    chain = _Chain([], [], [], [])
    key_ids: dict[int, None] = {}
    result = connection.execution_options(yield_per=PAGE).execute(
        select(
            journal.c.seq,
            journal.c.kind,
            journal.c.event_id,
            journal.c.at,
            journal.c.prev_hash,
            journal.c.hash,
            journal.c.content,
            journal.c.key_id,
            journal.c.signature,
        )
        .where(journal.c.till_id == till_id)
        .order_by(journal.c.seq)
    )
    for rows in result.partitions():
        page = []
        for seq, kind, event, at, prev, digest, content, key_id, signature in rows:
            chain.links.append(
                Link(seq, kind, event, utc_text(at), prev, digest, content_digest(content))
            )
            owner, public = keys.get(key_id, (None, b""))
            # A key of another till signs nothing of this one.
            ours = owner == till_id
            chain.keyed.append(ours)
            if kind == Kind.Z_REPORT:
                chain.z_reports.append((seq, event, content))
            page.append((public if ours else b"", bytes(signature), digest))
            key_ids.setdefault(key_id)
        chain.signatures.extend(page)
        if pool is not None:
            pool.check(page)
    chain.key_ids.extend(key_ids)
    return chain


def _kept_z_reports(connection: Connection, reads: Sequence[tuple[Any, _Chain]]) -> dict[str, Any]:
    """The Z reports kept with the sessions the chains' Z entries name, by session id."""
    sessions = [
        int(event) for _, chain in reads for _, event, _ in chain.z_reports if event.isdigit()
    ]
    kept: dict[str, Any] = {}
    for start in range(0, len(sessions), PAGE):
        for row in connection.execute(
            select(cash_sessions.c.id, cash_sessions.c.z_report).where(
                cash_sessions.c.id.in_(sessions[start : start + PAGE])
            )
        ):
            kept[str(row.id)] = json.loads(row.z_report) if row.z_report else None
    return kept


def _kept_z_differs(chain: _Chain, kept: Mapping[str, Any], fault: Fault | None) -> Fault | None:
    """The first Z entry before ``fault`` (so one the check proved the till's) whose report,
    as kept with its session, no longer says what the entry says; None if none."""
    for seq, event, content in chain.z_reports:
        if fault is not None and seq >= fault.seq:
            return None
        if json.loads(content).get("report") != kept.get(event):
            return Fault(seq, Problem.Z_EDITED, Kind.Z_REPORT.value, event)
    return None


class _Signatures:
    """Checks the signatures of the pages as they are read: a long journal's in a pool of
    processes, one per core, while the store is still being read; a short one's here.

    A frozen bundle checks them here too: its children would start the till again."""

    def __init__(self, expected: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        cores = os.cpu_count() or 1
        if expected >= PARALLEL_FROM and cores > 1 and not getattr(sys, "frozen", False):
            # Forked where that is safe (Linux, no other thread: `pos journal verify`), so
            # the workers start at once; spawned anywhere else (the window has threads).
            alone = sys.platform == "linux" and threading.active_count() == 1
            context = multiprocessing.get_context("fork" if alone else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=cores, mp_context=context)
        self._pages: list[tuple[Sequence[tuple[bytes, bytes, str]], Future[list[bool]] | None]] = []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def check(self, page: Sequence[tuple[bytes, bytes, str]]) -> None:
        future = None
        if self._pool is not None and page:
            try:
                future = self._pool.submit(signatures_hold, page)
            except (BrokenProcessPool, RuntimeError, OSError) as failure:
                log.warning("checking signatures here, not in a pool: %s", failure)
                self._pool = None
        self._pages.append((page, future))

    def held(self) -> list[bool]:
        """Whether each signature holds, in the order the pages came."""
        held: list[bool] = []
        for page, future in self._pages:
            if future is not None:
                try:
                    held += future.result()
                    continue
                except (BrokenProcessPool, OSError) as failure:
                    log.warning("checking signatures here, the pool broke: %s", failure)
            held += signatures_hold(page)
        return held
