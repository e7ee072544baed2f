"""Card payments a manager has to look at, and what a manager can do about them.

Five lists, each newest first and bounded:

- conflicts: a terminal said the customer's money was taken where the sale cannot
  follow (a success after the payment failed or was cancelled, or for another amount
  or currency), until a manager marks each handled with a note;
- payments still waiting for an outcome past the payment window (the poller has given
  up on them or cannot reach the terminal), and at once those a till found still in
  flight when it started again (left by a restart);
- events a terminal reported that matched no payment here;
- payments flagged because an event disagreed with them (amount, currency, the
  terminal's own id) or because the terminal knows their key for another request,
  shown beside the event that disagreed;
- payments a manager resolved by hand, with the note and who.

A flagged payment is listed among the mismatches, not among the waiting ones, while
its outcome is open. Its ``review_reason`` is never cleared: it stays as the record
of what disagreed. Once the payment is settled, by the terminal or by a manager's
``force_resolve``, nothing is left to act on and it leaves the mismatches; a manual
resolution shows under "resolved by hand", with the reason beside it.

"Check again" asks the terminal through ``check_card_payment``, as the poller
would, and audits what the manager saw. Resolving by hand is ``force_resolve``.

A manager's note is typed ``object`` and checked at run time: it comes as typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Connection, func, or_, select, update

from pos.domain.payments import UNRESOLVED, PaymentMethod, PaymentStatus, Settler
from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn, unwrap
from pos.payments.terminal import PaymentTerminal
from pos.services._support import audit, is_id, use_case
from pos.services.card_payments import (
    CardPaymentView,
    card_payment,
    check_card_payment,
    clean_note,
)
from pos.services.users import acting_user
from pos.store.models import AuditEntry, EventOutcome, Role, table_of
from pos.store.tables import orders, payment_conflicts, payment_events, payments, tills, users
from pos.store.uow import UnitOfWork

T = TypeVar("T")

ATTENTION_LIMIT = 50
"""Rows per list unless asked otherwise."""
MAX_ATTENTION_LIMIT = 500
MAX_WINDOW = timedelta(days=365)
FORCE_RESOLVE_ACTION = "payment.force_resolve"
CONFLICT_HANDLED_ACTION = "payment.conflict_handled"
_OPEN = [state.value for state in UNRESOLVED]


@dataclass(frozen=True)
class Section(Generic[T]):
    """One list: its newest rows, and how many there are in all."""

    rows: tuple[T, ...]
    total: int


@dataclass(frozen=True)
class WaitingPayment:
    """A card payment with no outcome yet, older than the payment window."""

    payment_id: int
    order_id: UUID
    till_code: str
    cashier: str | None
    status: PaymentStatus
    amount_minor: int
    currency: str
    terminal_payment_id: str | None
    created_at: datetime
    cancel_requested_at: datetime | None
    left_over_at: datetime | None = None
    """Set when its till started again and found it still in flight: left by a restart."""

    @property
    def left_by_restart(self) -> bool:
        return self.left_over_at is not None


@dataclass(frozen=True)
class PaymentConflictRow:
    """What a terminal said about a payment that the payment cannot follow."""

    conflict_id: int
    payment_id: int
    order_id: UUID
    till_code: str
    kind: str
    """``paid_after_failed``, ``paid_after_cancelled``, ``amount_mismatch``, ..."""
    status: PaymentStatus
    """The payment's status now."""
    amount_minor: int
    currency: str
    event_amount_minor: int
    event_currency: str
    """What the terminal says it took."""
    terminal_payment_id: str | None
    event_id: str
    detected_at: datetime


@dataclass(frozen=True)
class HandledConflict:
    """A conflict a manager has marked handled."""

    conflict_id: int
    payment_id: int
    handled_at: datetime
    handled_by: str
    note: str


@dataclass(frozen=True)
class UnmatchedEvent:
    """An event a terminal reported for a payment the store does not know."""

    id: int
    provider: str
    event_id: str
    type: str
    terminal_payment_id: str | None
    claimed_payment_id: int | None
    """The till's payment id the event names, if it names one."""
    amount_minor: int | None
    currency: str | None
    source: str
    received_at: datetime


@dataclass(frozen=True)
class Mismatch:
    """A payment flagged for review, beside the event that disagreed with it."""

    payment_id: int
    order_id: UUID
    till_code: str
    status: PaymentStatus
    review_reason: str
    amount_minor: int
    currency: str
    terminal_payment_id: str | None
    event_id: str | None
    """None when no event disagreed: the terminal knew the key for another request."""
    event_type: str | None
    event_amount_minor: int | None
    event_currency: str | None
    event_terminal_payment_id: str | None
    received_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ManualResolution:
    """A payment a manager settled by hand."""

    payment_id: int
    order_id: UUID
    till_code: str
    receipt: str | None
    status: PaymentStatus
    before: str | None
    """Its status when the manager resolved it."""
    amount_minor: int
    currency: str
    review_reason: str | None
    note: str
    resolved_by: str | None
    """The manager: the one signed in, or the one whose PIN approved it at the till."""
    requested_by: str | None
    """The cashier at the till, when a manager's PIN approved it there."""
    resolved_at: datetime


@dataclass(frozen=True)
class Attention:
    waiting: Section[WaitingPayment]
    unmatched: Section[UnmatchedEvent]
    mismatches: Section[Mismatch]
    resolved: Section[ManualResolution]
    conflicts: Section[PaymentConflictRow]
    window: timedelta
    as_of: datetime


@use_case
def payments_needing_attention(
    uow: UnitOfWork,
    *,
    manager_id: int,
    window: timedelta | None = None,
    limit: int = ATTENTION_LIMIT,
) -> Result[Attention]:
    """The five lists, each at most ``limit`` rows, newest first.

    A card payment waits for a manager once it is older than ``window``; left out, the
    shop's card answer window (``policy.card_answer_window``).
    """
    if window is None:
        window = uow.policy.card_answer_window
    if not isinstance(window, timedelta) or not timedelta(0) < window <= MAX_WINDOW:
        raise Refused(Code.INVALID_FILTER)
    if type(limit) is not int or not 0 < limit <= MAX_ATTENTION_LIMIT:
        raise Refused(Code.INVALID_FILTER)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        connection, now = uow.connection, uow.now()
        return Ok(
            Attention(
                waiting=_waiting(connection, now - window, limit),
                unmatched=_unmatched(connection, limit),
                mismatches=_mismatches(connection, limit),
                resolved=_resolved(connection, limit),
                conflicts=_conflicts(connection, limit),
                window=window,
                as_of=now,
            )
        )


@use_case
def open_conflicts(uow: UnitOfWork) -> Result[int]:
    """How many conflicts wait for a manager, in the whole store (the till's status bar)."""
    with uow.reading():
        total: int = uow.connection.execute(
            select(func.count())
            .select_from(payment_conflicts)
            .where(payment_conflicts.c.handled_at.is_(None))
        ).scalar_one()
    return Ok(total)


@use_case
def mark_conflict_handled(
    uow: UnitOfWork, conflict_id: int, *, manager_id: int, note: object
) -> Result[HandledConflict]:
    """A manager has dealt with a conflict outside the till (until refunds through the
    terminal exist): it leaves the list, with the note kept. Moves no money, no stock.
    Audited."""
    text = clean_note(note)
    if not is_id(conflict_id):
        raise Refused(Code.CONFLICT_NOT_FOUND)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        connection, now = uow.connection, uow.now()
        # Conditional, so two managers marking it at once cannot both be the one who did.
        row = connection.execute(
            update(payment_conflicts)
            .where(payment_conflicts.c.id == conflict_id, payment_conflicts.c.handled_at.is_(None))
            .values(handled_at=now, handled_by=manager.id, note=text)
            .returning(payment_conflicts.c.payment_id, payment_conflicts.c.kind)
        ).first()
        if row is None:
            found = connection.execute(
                select(payment_conflicts.c.id).where(payment_conflicts.c.id == conflict_id)
            ).first()
            raise Refused(
                Code.CONFLICT_ALREADY_HANDLED if found is not None else Code.CONFLICT_NOT_FOUND
            )
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action=CONFLICT_HANDLED_ACTION,
            entity="payment",
            entity_id=row.payment_id,
            conflict=conflict_id,
            kind=row.kind,
            note=text,
        )
        uow.commit()
    assert isinstance(conflict_id, int)
    handled = HandledConflict(conflict_id, row.payment_id, now, manager.display_name, text)
    return Ok(handled, Changed.ORDERS)


@use_case
def check_again(
    uow: UnitOfWork, terminal: PaymentTerminal, payment_id: int, *, manager_id: int
) -> Result[CardPaymentView]:
    """A manager asks the terminal once more how an open card payment stands. Audited.

    The terminal's answer is reconciled as the poller's would be; the audit row comes
    after it and records the status before and after. A terminal that cannot be
    reached is ``TERMINAL_UNREACHABLE`` and nothing is written.
    """
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
    before = unwrap(card_payment(uow, payment_id))
    if not before.unresolved:
        raise Refused(Code.PAYMENT_NEEDS_NO_ATTENTION)
    answer = check_card_payment(uow, terminal, before.payment_id)
    after = unwrap(card_payment(uow, before.payment_id))
    moved = (after.status, after.review_reason, after.terminal_payment_id) != (
        before.status,
        before.review_reason,
        before.terminal_payment_id,
    )
    said = answer.code if isinstance(answer, Err | Warn) else None
    if not moved and (isinstance(answer, Err) or said is Code.TERMINAL_UNREACHABLE):
        return answer if isinstance(answer, Err) else Err(Code.TERMINAL_UNREACHABLE)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        audit(
            uow.session,
            at=uow.now(),
            user_id=manager.id,
            action="payment.check_again",
            entity="payment",
            entity_id=after.payment_id,
            before=before.status.value,
            after=after.status.value,
            answer=said.value if said is not None else "ok",
            terminal_payment_id=after.terminal_payment_id,
        )
        uow.commit()
    changed = answer.changed
    if moved:
        changed |= Changed.ORDERS | Changed.STOCK | Changed.CART | Changed.COUPONS
    if isinstance(answer, Err | Warn):
        # An Err says nothing changed; here the store did move (the terminal was busy with
        # another payment, so this one was ended), so the manager is told as a warning.
        return Warn(after, answer.code, answer.params, changed)
    return Ok(after, changed)


# -- the lists ----------------------------------------------------------------------


def _count(connection: Connection, query: Any) -> int:
    total: int = connection.execute(
        select(func.count()).select_from(query.order_by(None).limit(None).subquery())
    ).scalar_one()
    return total


def _waiting(connection: Connection, cutoff: datetime, limit: int) -> Section[WaitingPayment]:
    query = (
        select(
            payments.c.id,
            payments.c.order_id,
            tills.c.code,
            users.c.display_name,
            payments.c.status,
            payments.c.amount_minor,
            payments.c.currency,
            payments.c.provider_payment_id,
            payments.c.created_at,
            payments.c.cancel_requested_at,
            payments.c.left_over_at,
        )
        .join(orders, orders.c.id == payments.c.order_id)
        .join(tills, tills.c.id == orders.c.till_id)
        .outerjoin(users, users.c.id == orders.c.cashier_id)
        .where(
            payments.c.status.in_(_OPEN),
            payments.c.method == PaymentMethod.CARD,
            payments.c.review_reason.is_(None),
            # A restart's leftover is listed at once: no one is waiting on it at a till.
            or_(payments.c.created_at < cutoff, payments.c.left_over_at.is_not(None)),
        )
        .order_by(payments.c.created_at.desc(), payments.c.id.desc())
    )
    rows = tuple(
        WaitingPayment(
            payment_id=row.id,
            order_id=row.order_id,
            till_code=row.code,
            cashier=row.display_name,
            status=PaymentStatus(row.status),
            amount_minor=row.amount_minor,
            currency=row.currency,
            terminal_payment_id=row.provider_payment_id,
            created_at=row.created_at,
            cancel_requested_at=row.cancel_requested_at,
            left_over_at=row.left_over_at,
        )
        for row in connection.execute(query.limit(limit))
    )
    return Section(rows, _count(connection, query))


def _conflicts(connection: Connection, limit: int) -> Section[PaymentConflictRow]:
    query = (
        select(
            payment_conflicts.c.id,
            payment_conflicts.c.payment_id,
            payment_conflicts.c.kind,
            payment_conflicts.c.amount_minor.label("event_amount_minor"),
            payment_conflicts.c.currency.label("event_currency"),
            payment_conflicts.c.detected_at,
            payments.c.order_id,
            payments.c.status,
            payments.c.amount_minor,
            payments.c.currency,
            payments.c.provider_payment_id,
            payment_events.c.event_id,
            tills.c.code,
        )
        .join(payments, payments.c.id == payment_conflicts.c.payment_id)
        .join(payment_events, payment_events.c.id == payment_conflicts.c.event_id)
        .join(orders, orders.c.id == payments.c.order_id)
        .join(tills, tills.c.id == orders.c.till_id)
        .where(payment_conflicts.c.handled_at.is_(None))
        .order_by(payment_conflicts.c.detected_at.desc(), payment_conflicts.c.id.desc())
    )
    rows = tuple(
        PaymentConflictRow(
            conflict_id=row.id,
            payment_id=row.payment_id,
            order_id=row.order_id,
            till_code=row.code,
            kind=row.kind,
            status=PaymentStatus(row.status),
            amount_minor=row.amount_minor,
            currency=row.currency,
            event_amount_minor=row.event_amount_minor,
            event_currency=row.event_currency,
            terminal_payment_id=row.provider_payment_id,
            event_id=row.event_id,
            detected_at=row.detected_at,
        )
        for row in connection.execute(query.limit(limit))
    )
    return Section(rows, _count(connection, query))


def _unmatched(connection: Connection, limit: int) -> Section[UnmatchedEvent]:
    query = (
        select(payment_events)
        .where(payment_events.c.outcome == EventOutcome.UNMATCHED)
        .order_by(payment_events.c.received_at.desc(), payment_events.c.id.desc())
    )
    rows = tuple(
        UnmatchedEvent(
            id=row.id,
            provider=row.provider,
            event_id=row.event_id,
            type=row.type,
            terminal_payment_id=row.terminal_payment_id,
            claimed_payment_id=row.claimed_payment_id,
            amount_minor=row.amount_minor,
            currency=row.currency,
            source=row.source,
            received_at=row.received_at,
        )
        for row in connection.execute(query.limit(limit))
    )
    return Section(rows, _count(connection, query))


def _mismatches(connection: Connection, limit: int) -> Section[Mismatch]:
    # The latest event that disagreed with each payment, if one did.
    latest = (
        select(func.max(payment_events.c.id))
        .where(
            payment_events.c.payment_id == payments.c.id,
            payment_events.c.outcome == EventOutcome.MISMATCH,
        )
        .correlate(payments)
        .scalar_subquery()
    )
    query = (
        select(
            payments.c.id,
            payments.c.order_id,
            tills.c.code,
            payments.c.status,
            payments.c.review_reason,
            payments.c.amount_minor,
            payments.c.currency,
            payments.c.provider_payment_id,
            payments.c.created_at,
            payment_events.c.event_id,
            payment_events.c.type,
            payment_events.c.amount_minor.label("event_amount_minor"),
            payment_events.c.currency.label("event_currency"),
            payment_events.c.terminal_payment_id.label("event_terminal_payment_id"),
            payment_events.c.received_at,
        )
        .join(orders, orders.c.id == payments.c.order_id)
        .join(tills, tills.c.id == orders.c.till_id)
        .outerjoin(payment_events, payment_events.c.id == latest)
        .where(
            payments.c.status.in_(_OPEN),
            payments.c.method == PaymentMethod.CARD,
            payments.c.review_reason.is_not(None),
        )
        .order_by(payments.c.created_at.desc(), payments.c.id.desc())
    )
    rows = tuple(
        Mismatch(
            payment_id=row.id,
            order_id=row.order_id,
            till_code=row.code,
            status=PaymentStatus(row.status),
            review_reason=row.review_reason,
            amount_minor=row.amount_minor,
            currency=row.currency,
            terminal_payment_id=row.provider_payment_id,
            event_id=row.event_id,
            event_type=row.type,
            event_amount_minor=row.event_amount_minor,
            event_currency=row.event_currency,
            event_terminal_payment_id=row.event_terminal_payment_id,
            received_at=row.received_at,
            created_at=row.created_at,
        )
        for row in connection.execute(query.limit(limit))
    )
    return Section(rows, _count(connection, query))


def _resolved(connection: Connection, limit: int) -> Section[ManualResolution]:
    # Read from the audit log's (action, at) index: every resolution by hand wrote one row.
    audit_table = table_of(AuditEntry)
    query = (
        select(
            audit_table.c.entity_id,
            audit_table.c.at,
            audit_table.c.user_id,
            audit_table.c.approved_by,
            audit_table.c.details,
        )
        .where(audit_table.c.action == FORCE_RESOLVE_ACTION, audit_table.c.entity == "payment")
        .order_by(audit_table.c.at.desc(), audit_table.c.id.desc())
    )
    entries = [row for row in connection.execute(query.limit(limit)) if row.entity_id.isdigit()]
    payment_ids = {int(row.entity_id) for row in entries}
    people = {row.user_id for row in entries} | {row.approved_by for row in entries}
    names = dict(
        connection.execute(
            select(users.c.id, users.c.display_name).where(
                users.c.id.in_([person for person in people if person is not None])
            )
        ).all()
    )
    found = {
        row.id: row
        for row in connection.execute(
            select(
                payments.c.id,
                payments.c.order_id,
                payments.c.status,
                payments.c.amount_minor,
                payments.c.currency,
                payments.c.review_reason,
                tills.c.code,
                orders.c.receipt_number,
            )
            .join(orders, orders.c.id == payments.c.order_id)
            .join(tills, tills.c.id == orders.c.till_id)
            .where(payments.c.id.in_(payment_ids), payments.c.settled_by == Settler.MANAGER)
        )
    }
    rows = []
    for entry in entries:
        payment = found.get(int(entry.entity_id))
        if payment is None:
            continue
        details = _details(entry.details)
        approved = entry.approved_by is not None
        rows.append(
            ManualResolution(
                payment_id=payment.id,
                order_id=payment.order_id,
                till_code=payment.code,
                receipt=(
                    receipt_label(payment.code, payment.receipt_number)
                    if payment.receipt_number is not None
                    else None
                ),
                status=PaymentStatus(payment.status),
                before=_text(details.get("before")),
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                review_reason=payment.review_reason,
                note=_text(details.get("note")) or "",
                resolved_by=names.get(entry.approved_by if approved else entry.user_id),
                requested_by=names.get(entry.user_id) if approved else None,
                resolved_at=entry.at,
            )
        )
    return Section(tuple(rows), _count(connection, query))


def _details(text: str) -> dict[str, Any]:
    try:
        details = json.loads(text)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
