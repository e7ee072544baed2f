"""Sync conflicts: offline sales the central store could not take, and what a manager
does with each (DESIGN.md §5, "Pushing back").

``ingest_sale`` keeps such a sale whole in ``sync_conflicts``, with the reason, and
the sales behind it go on. A manager lists them, reads the sale as the till made it,
and settles each open conflict one way:

- **retry** (``retry_conflict``): after a fix (the product made known centrally, a
  newer Kasa), the stored sale goes through ``ingest_sale`` again; if the central
  store takes it now (or already had it) the conflict is *resolved*, otherwise it
  stays open with one more attempt counted.
- **accept** (``accept_conflict``): the sale stands as it is without going into the
  books: its money is taken as real (the drawer had it; the audit entry keeps the
  amount, which explains a cash count over by it), it makes no order centrally, and
  the stock books get no move for it; a shelf that is wrong is counted again with a
  stock adjustment. The note says why.
- **write off** (``write_off_conflict``): the sale is kept only as a record (a test
  sale, a sale known twice); neither its money nor its goods are counted.

Only an open conflict moves, each move by an active manager and audited. Of two
managers acting at once on the same conflict exactly one wins: the move is a
conditional ``UPDATE … WHERE status = 'open'``, as ``end_reservation`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, or_, select, update

from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.sync import ConflictStatus
from pos.domain.text import clean_text
from pos.services._support import LIST_PAGE, audit, is_id, page_size, use_case
from pos.services.ingest import ingest_sale
from pos.services.users import acting_user
from pos.store.models import Role, SyncConflict, User
from pos.store.uow import UnitOfWork

MAX_NOTE_LENGTH = 500
"""Where ``ingest_sale`` lives; imported when a retry runs (it is built beside this)."""
TAKEN = frozenset({"ingested", "already_here"})
"""What ``ingest_sale`` answers when the central store has the sale."""


@dataclass(frozen=True)
class ConflictRow:
    """One conflict as the manager's list shows it."""

    id: int
    order_id: UUID
    till_id: int | None
    till_code: str
    receipt: str | None
    """``T01-000042`` as the till printed it; None if the sale had no number."""
    reason: str
    """A result code (``Code``), or ``error`` for a fault in the code."""
    status: ConflictStatus
    attempts: int
    received_at: datetime
    last_attempt_at: datetime
    till_time: datetime | None
    """When the till says the sale was paid, by its own clock (from the stored sale)."""
    total_minor: int | None
    currency: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None


@dataclass(frozen=True)
class ConflictPage:
    rows: tuple[ConflictRow, ...]
    next_before: int | None
    """Pass as ``before`` for the next page; None on the last one."""


@dataclass(frozen=True)
class SaleLine:
    line_no: int | None
    sku: str
    name: str
    quantity: int | None
    unit_price_minor: int | None
    discount_minor: int | None
    total_minor: int | None


@dataclass(frozen=True)
class SaleTender:
    method: str
    status: str
    amount_minor: int | None
    tendered_minor: int | None
    change_minor: int | None


@dataclass(frozen=True)
class ConflictSale:
    """The sale as the till sent it, decoded for reading; a field the payload lacks or
    holds in another shape is None (the shape may be why the store could not take it)."""

    version: int | None
    cashier_id: int | None
    cashier: str | None
    created_at: datetime | None
    paid_at: datetime | None
    currency: str | None
    subtotal_minor: int | None
    discount_minor: int | None
    tax_minor: int | None
    total_minor: int | None
    coupon_code: str | None
    lines: tuple[SaleLine, ...]
    tenders: tuple[SaleTender, ...]


@dataclass(frozen=True)
class ConflictDetail:
    conflict: ConflictRow
    detail: str
    """What went wrong, in the store's words (for whoever fixes it)."""
    sale: ConflictSale | None
    """None when the stored sale is not readable JSON at all."""


# -- reading -----------------------------------------------------------------------------


@use_case
def list_conflicts(
    uow: UnitOfWork,
    *,
    manager_id: int,
    status: ConflictStatus | None = ConflictStatus.OPEN,
    till_id: int | None = None,
    before: int | None = None,
    limit: int = LIST_PAGE,
) -> Result[ConflictPage]:
    """Conflicts newest first: open ones unless ``status`` says otherwise (None: all),
    of one till if ``till_id``; ``before`` is the last id of the page before."""
    size = page_size(limit)
    if status is not None and not isinstance(status, ConflictStatus):
        raise Refused(Code.INVALID_FILTER)
    if any(value is not None and not is_id(value) for value in (till_id, before)):
        raise Refused(Code.INVALID_FILTER)
    query = _CONFLICTS.order_by(SyncConflict.id.desc()).limit(size + 1)
    if status is not None:
        query = query.where(SyncConflict.status == status)
    if till_id is not None:
        query = query.where(SyncConflict.till_id == till_id)
    if before is not None:
        query = query.where(SyncConflict.id < before)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        found = uow.session.execute(query).all()
    rows = tuple(_row(row, _decoded(row.payload)) for row in found[:size])
    more = len(found) > size
    return Ok(ConflictPage(rows, rows[-1].id if more and rows else None))


@use_case
def conflict_detail(
    uow: UnitOfWork, conflict_id: int, *, manager_id: int
) -> Result[ConflictDetail]:
    """One conflict with its whole sale, decoded from what the till sent."""
    if not is_id(conflict_id):
        raise Refused(Code.SYNC_CONFLICT_NOT_FOUND)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        row = uow.session.execute(_CONFLICTS.where(SyncConflict.id == conflict_id)).first()
        if row is None:
            raise Refused(Code.SYNC_CONFLICT_NOT_FOUND)
        payload = _decoded(row.payload)
        cashier_id = _int(payload, "cashier_id") if payload is not None else None
        cashier = (
            uow.session.execute(select(User.display_name).where(User.id == cashier_id)).scalar()
            if cashier_id is not None and is_id(cashier_id)
            else None
        )
    sale = _sale(payload, cashier) if payload is not None else None
    return Ok(ConflictDetail(_row(row, payload), row.detail, sale))


# -- the manager's moves -----------------------------------------------------------------


@use_case
def accept_conflict(
    uow: UnitOfWork, conflict_id: int, note: object, *, manager_id: int
) -> Result[ConflictRow]:
    """Take the sale as it is: its money counts as taken, the stock books get no move
    (a shelf that is wrong is counted again with an adjustment). ``note`` says why."""
    return Ok(_settle(uow, conflict_id, note, manager_id, ConflictStatus.ACCEPTED, "sync.accepted"))


@use_case
def write_off_conflict(
    uow: UnitOfWork, conflict_id: int, note: object, *, manager_id: int
) -> Result[ConflictRow]:
    """Keep the sale only as a record: neither its money nor its goods are counted.
    ``note`` says why (a test sale, a sale the store has under another number)."""
    return Ok(
        _settle(uow, conflict_id, note, manager_id, ConflictStatus.WRITTEN_OFF, "sync.written_off")
    )


@use_case
def retry_conflict(uow: UnitOfWork, conflict_id: int, *, manager_id: int) -> Result[ConflictRow]:
    """Send the stored sale through ``ingest_sale`` again, after a fix.

    If the central store takes it (or finds it already there) the conflict is resolved;
    if it is still a conflict it stays open, with the attempt counted once (whether
    ``ingest_sale`` or this counted it) and the new reason; an answer that is neither
    (the store busy) changes nothing and is handed back. Audited either way it went.
    """
    if not is_id(conflict_id):
        raise Refused(Code.SYNC_CONFLICT_NOT_FOUND)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        found = uow.session.execute(
            select(SyncConflict.status, SyncConflict.payload, SyncConflict.last_attempt_at).where(
                SyncConflict.id == conflict_id
            )
        ).first()
        if found is None:
            raise Refused(Code.SYNC_CONFLICT_NOT_FOUND)
        if found.status is not ConflictStatus.OPEN:
            raise Refused(Code.SYNC_CONFLICT_CLOSED)
        started = uow.now()
    payload = _decoded(found.payload)
    if payload is None:
        # Not even JSON: no fix on the central side can take it.
        raise Refused(Code.SYNC_CONFLICT_UNREADABLE)
    answer = ingest_sale(uow, payload)
    if isinstance(answer, Err):
        return answer
    outcome = str(answer.value.answer)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        now = uow.now()
        if outcome in TAKEN:
            moved = uow.session.execute(
                update(SyncConflict)
                .where(
                    SyncConflict.id == conflict_id,
                    # ingest_sale ends the conflict of a sale it takes, with no one's name:
                    # the manager who asked for the retry signs it here.
                    or_(
                        SyncConflict.status == ConflictStatus.OPEN,
                        (SyncConflict.status == ConflictStatus.RESOLVED)
                        & SyncConflict.resolved_by.is_(None),
                    ),
                )
                .values(status=ConflictStatus.RESOLVED, resolved_by=manager.id, resolved_at=now)
                .returning(SyncConflict.id)
            ).first()
            if moved is None:
                # Another manager settled it meanwhile; the sale is in the books now
                # all the same (ingest_sale takes a sale once), and the log says so.
                _audit(uow, manager.id, now, conflict_id, "sync.retried", outcome=outcome)
                uow.commit()
                raise Refused(Code.SYNC_CONFLICT_CLOSED)
        else:
            # Counted once: unless ingest_sale already stamped this attempt on the row.
            uow.session.execute(
                update(SyncConflict)
                .where(
                    SyncConflict.id == conflict_id,
                    SyncConflict.status == ConflictStatus.OPEN,
                    SyncConflict.last_attempt_at < started,
                )
                .values(attempts=SyncConflict.attempts + 1, last_attempt_at=now)
            )
        row = uow.session.execute(_CONFLICTS.where(SyncConflict.id == conflict_id)).one()
        view = _row(row, payload)
        _audit(uow, manager.id, now, conflict_id, "sync.retried", view=view, outcome=outcome)
        uow.commit()
    return Ok(view, Changed.ORDERS | Changed.STOCK if outcome in TAKEN else Changed.NOTHING)


def _settle(
    uow: UnitOfWork,
    conflict_id: object,
    note: object,
    manager_id: int,
    to: ConflictStatus,
    action: str,
) -> ConflictRow:
    text = clean_text(note, MAX_NOTE_LENGTH, min_length=1, keep_breaks=True)
    if text is None:
        raise Refused(Code.INVALID_NOTE)
    if not is_id(conflict_id):
        raise Refused(Code.SYNC_CONFLICT_NOT_FOUND)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        now = uow.now()
        # Conditional: of two managers acting at once, one moves it, the other is told.
        moved = uow.session.execute(
            update(SyncConflict)
            .where(SyncConflict.id == conflict_id, SyncConflict.status == ConflictStatus.OPEN)
            .values(status=to, resolved_by=manager.id, resolved_at=now, note=text)
            .returning(SyncConflict.id)
        ).first()
        if moved is None:
            there = uow.session.execute(
                select(SyncConflict.id).where(SyncConflict.id == conflict_id)
            ).first()
            raise Refused(
                Code.SYNC_CONFLICT_CLOSED if there is not None else Code.SYNC_CONFLICT_NOT_FOUND
            )
        row = uow.session.execute(_CONFLICTS.where(SyncConflict.id == conflict_id)).one()
        view = _row(row, _decoded(row.payload))
        _audit(uow, manager.id, now, conflict_id, action, view=view, note=text)
        uow.commit()
    return view


def _audit(
    uow: UnitOfWork,
    manager_id: int,
    at: datetime,
    conflict_id: object,
    action: str,
    *,
    view: ConflictRow | None = None,
    **details: object,
) -> None:
    facts: dict[str, Any] = dict(details)
    if view is not None:
        facts = {
            "order_id": view.order_id,
            "receipt": view.receipt,
            "till": view.till_code,
            "total_minor": view.total_minor,
            "currency": view.currency,
            "reason": view.reason,
            "before": {"status": ConflictStatus.OPEN.value},
            "after": {"status": view.status.value},
            **details,
        }
    audit(
        uow.session,
        at=at,
        user_id=manager_id,
        action=action,
        entity="sync_conflict",
        entity_id=conflict_id,
        **facts,
    )


# -- rows and the stored sale ------------------------------------------------------------

_RESOLVER = select(User.display_name).where(User.id == SyncConflict.resolved_by)
_CONFLICTS = select(
    SyncConflict.id,
    SyncConflict.order_id,
    SyncConflict.till_id,
    SyncConflict.till_code,
    SyncConflict.receipt_number,
    SyncConflict.reason,
    SyncConflict.detail,
    SyncConflict.payload,
    SyncConflict.status,
    SyncConflict.attempts,
    SyncConflict.received_at,
    SyncConflict.last_attempt_at,
    _RESOLVER.scalar_subquery().label("resolved_by_name"),
    SyncConflict.resolved_at,
    SyncConflict.note,
)


def _row(row: Row[*tuple[Any, ...]], payload: Mapping[str, Any] | None) -> ConflictRow:
    clock = payload.get("till_clock") if payload is not None else None
    return ConflictRow(
        id=row.id,
        order_id=row.order_id,
        till_id=row.till_id,
        till_code=row.till_code,
        receipt=(
            receipt_label(row.till_code, row.receipt_number)
            if row.receipt_number is not None
            else None
        ),
        reason=row.reason,
        status=ConflictStatus(row.status),
        attempts=row.attempts,
        received_at=row.received_at,
        last_attempt_at=row.last_attempt_at,
        till_time=_time(clock, "paid_at") or _time(clock, "created_at"),
        total_minor=_int(payload, "total_minor"),
        currency=_str(payload, "currency"),
        resolved_by=row.resolved_by_name,
        resolved_at=row.resolved_at,
        note=row.note,
    )


def _decoded(payload: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(payload)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _sale(payload: Mapping[str, Any], cashier: str | None) -> ConflictSale:
    clock = payload.get("till_clock")
    coupon = payload.get("coupon")
    return ConflictSale(
        version=_int(payload, "version"),
        cashier_id=_int(payload, "cashier_id"),
        cashier=cashier,
        created_at=_time(clock, "created_at"),
        paid_at=_time(clock, "paid_at"),
        currency=_str(payload, "currency"),
        subtotal_minor=_int(payload, "subtotal_minor"),
        discount_minor=_int(payload, "discount_minor"),
        tax_minor=_int(payload, "tax_minor"),
        total_minor=_int(payload, "total_minor"),
        coupon_code=_str(coupon, "code"),
        lines=tuple(
            SaleLine(
                line_no=_int(line, "line_no"),
                sku=_str(line, "sku") or "",
                name=_str(line, "name") or "",
                quantity=_int(line, "quantity"),
                unit_price_minor=_int(line, "unit_price_minor"),
                discount_minor=_int(line, "discount_minor"),
                total_minor=_int(line, "total_minor"),
            )
            for line in _list(payload, "lines")
        ),
        tenders=tuple(
            SaleTender(
                method=_str(tender, "method") or "",
                status=_str(tender, "status") or "",
                amount_minor=_int(tender, "amount_minor"),
                tendered_minor=_int(tender, "tendered_minor"),
                change_minor=_int(tender, "change_minor"),
            )
            for tender in _list(payload, "tenders")
        ),
    )


def _int(source: object, key: str) -> int | None:
    value = source.get(key) if isinstance(source, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(source: object, key: str) -> str | None:
    value = source.get(key) if isinstance(source, Mapping) else None
    return value if isinstance(value, str) else None


def _time(source: object, key: str) -> datetime | None:
    text = _str(source, key)
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _list(source: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = source.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]
