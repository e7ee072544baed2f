"""The one reconciler: every result a terminal reports ends here (DESIGN.md §4).

A webhook pushed to the listener and a status pulled by the poller both become a
``TerminalEvent`` and go through ``apply_payment_event``. In one transaction the event
is stored under its unique (provider, event id) and then applied through the payment
state machine (``finalise_paid`` / ``finalise_failed``), whose conditional UPDATEs make
each effect happen once however many deliveries race. A re-delivery hits the unique
key and changes nothing; an event for a payment the store does not know is kept as
unmatched and applied when the payment appears; one whose amount or currency differs
from the payment's is kept, not applied, and the payment is flagged for a manager.

A success the state machine cannot follow (after the payment failed or was
cancelled) or one for another amount or currency says the customer's money was
taken where the sale does not show it: the move stays refused, and the event is
kept as a conflict on the payment (``payment_conflicts``) until a manager marks it
handled. It is never only logged.

The event is typed ``object`` and checked at run time: it comes from the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pos.domain.money import is_currency
from pos.domain.payments import (
    EVENT_OUTCOMES,
    MAX_EVENT_AMOUNT_MINOR,
    MAX_EVENT_ID_LENGTH,
    MAX_PROVIDER_LENGTH,
    MAX_TERMINAL_ID_LENGTH,
    REFUND_EVENT_OUTCOMES,
    PaymentMethod,
    PaymentStatus,
    Settler,
    TerminalEvent,
    is_identifier,
)
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.services._support import use_case
from pos.services.payments import Settlement, finalise_failed, finalise_paid
from pos.services.refunds import apply_refund_event
from pos.store.models import EventOutcome
from pos.store.prepared import Prepared
from pos.store.tables import payment_conflicts, payment_events, payments
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_PAYLOAD = 64 * 1024

REVIEW_AMOUNT = "amount_mismatch"
REVIEW_CURRENCY = "currency_mismatch"
REVIEW_TERMINAL_ID = "terminal_id_mismatch"
CONFLICT_PAID_AFTER = "paid_after_"
"""A conflict's kind: ``paid_after_failed``, ``paid_after_cancelled``, or a review reason."""


# Built once: the reconciler is on the path of every webhook.
_STORE_EVENT = Prepared(
    insert(payment_events)
    .values(
        provider=bindparam("b_provider"),
        event_id=bindparam("b_event_id"),
        type=bindparam("b_type"),
        terminal_payment_id=bindparam("b_terminal_payment_id"),
        payment_id=None,
        claimed_payment_id=bindparam("b_claimed_payment_id"),
        refund_id=bindparam("b_refund_id"),
        terminal_refund_id=bindparam("b_terminal_refund_id"),
        amount_minor=bindparam("b_amount_minor"),
        currency=bindparam("b_currency"),
        source=bindparam("b_source"),
        outcome=EventOutcome.UNMATCHED,
        payload=bindparam("b_payload"),
        received_at=bindparam("b_now"),
    )
    .returning(payment_events.c.id)
)
_MARK_EVENT = Prepared(
    update(payment_events)
    .where(payment_events.c.id == bindparam("b_event"))
    .values(
        outcome=bindparam("b_outcome"),
        payment_id=bindparam("b_payment"),
        applied_at=bindparam("b_applied_at"),
    )
)
_PAYMENT_COLUMNS = (
    payments.c.id,
    payments.c.status,
    payments.c.method,
    payments.c.amount_minor,
    payments.c.currency,
    payments.c.provider_payment_id,
)
_PAYMENT_BY_ID = Prepared(
    select(*_PAYMENT_COLUMNS).where(
        payments.c.id == bindparam("b_payment"), payments.c.provider == bindparam("b_provider")
    )
)
_PAYMENT_BY_TERMINAL_ID = Prepared(
    select(*_PAYMENT_COLUMNS).where(
        payments.c.provider == bindparam("b_provider"),
        payments.c.provider_payment_id == bindparam("b_terminal_id"),
    )
)


@dataclass(frozen=True)
class EventReceipt:
    """What became of one reported event."""

    event_id: str
    outcome: EventOutcome
    duplicate: bool
    """True when this event was stored before: nothing was done this time."""
    payment_id: int | None
    status: PaymentStatus | None
    """The payment's status after the event, if the payment is known."""
    conflict: bool = False
    """The terminal says money moved where the payment cannot follow: kept for a manager."""


@use_case
def apply_payment_event(uow: UnitOfWork, event: object) -> Result[EventReceipt]:
    """Store a terminal's event once and apply it to its payment, exactly once."""
    checked = _checked(event)
    try:
        with uow:
            connection, now = uow.connection, uow.now()
            event_row = _STORE_EVENT.one(
                connection,
                {
                    "b_provider": checked.provider,
                    "b_event_id": checked.event_id,
                    "b_type": checked.type,
                    "b_terminal_payment_id": checked.terminal_payment_id,
                    "b_claimed_payment_id": checked.payment_id,
                    "b_refund_id": checked.refund_id,
                    "b_terminal_refund_id": checked.terminal_refund_id,
                    "b_amount_minor": checked.amount_minor,
                    "b_currency": checked.currency,
                    "b_source": checked.source,
                    "b_payload": checked.payload,
                    "b_now": now,
                },
            ).id
            receipt, changed = _apply(connection, event_row, checked, now, uow.policy.cart_hold)
            uow.commit()
    except IntegrityError:
        # Stored before (a re-delivery, or the same event racing in on another thread):
        # the first one did whatever it does.
        stored = _already_stored(uow, checked)
        if stored is None:
            raise
        return Ok(stored)
    return Ok(receipt, changed)


@use_case
def match_unmatched_events(uow: UnitOfWork) -> Result[int]:
    """Apply the kept events whose payment has appeared since; how many were matched."""
    with uow.reading():
        waiting = uow.connection.execute(
            select(payment_events.c.id)
            .join(payments, _event_payment_join())
            .where(payment_events.c.outcome == EventOutcome.UNMATCHED)
            .order_by(payment_events.c.id)
        ).scalars()
        event_ids = list(waiting)
    matched = 0
    for event_row in event_ids:
        with uow:
            connection, now = uow.connection, uow.now()
            row = connection.execute(
                select(payment_events)
                .where(
                    payment_events.c.id == event_row,
                    payment_events.c.outcome == EventOutcome.UNMATCHED,
                )
                .with_for_update()
            ).first()
            if row is None:  # another reconciler got there first
                continue
            _apply(connection, event_row, _stored_event(row), now, uow.policy.cart_hold)
            uow.commit()
            matched += 1
    return Ok(matched, Changed.ORDERS if matched else Changed.NOTHING)


def _event_payment_join() -> Any:
    return and_(
        payments.c.provider == payment_events.c.provider,
        or_(
            payments.c.id == payment_events.c.claimed_payment_id,
            payments.c.provider_payment_id == payment_events.c.terminal_payment_id,
        ),
    )


def _apply(
    connection: Connection, event_row: int, event: TerminalEvent, now: datetime, hold: timedelta
) -> tuple[EventReceipt, Changed]:
    if event.is_refund:
        return _apply_refund(connection, event_row, event, now)
    payment = _find_payment(connection, event)
    outcome, status, changed = EventOutcome.UNMATCHED, None, Changed.NOTHING
    conflict = None
    if payment is not None:
        outcome, status, changed, conflict = _settle(connection, payment, event, now, hold)
        if conflict is not None:
            _record_conflict(connection, payment, event_row, event, conflict, now)
            changed |= Changed.ORDERS
    _mark(connection, event_row, outcome, payment.id if payment is not None else None, now)
    if outcome is EventOutcome.UNMATCHED:
        log.warning("event %s: no payment %s here; kept", event.event_id, event.payment_id)
    receipt = EventReceipt(
        event.event_id,
        outcome,
        False,
        payment.id if payment is not None else None,
        status,
        conflict is not None,
    )
    return receipt, changed


def _apply_refund(
    connection: Connection, event_row: int, event: TerminalEvent, now: datetime
) -> tuple[EventReceipt, Changed]:
    """A refund event: applied to its refund through the refund's own state machine."""
    outcome, payment_id, changed = apply_refund_event(connection, event, now)
    _mark(connection, event_row, outcome, payment_id, now)
    status = None
    if payment_id is not None:
        status = PaymentStatus(
            connection.execute(
                select(payments.c.status).where(payments.c.id == payment_id)
            ).scalar_one()
        )
    if outcome is EventOutcome.UNMATCHED:
        log.warning("event %s: no refund %s here; kept", event.event_id, event.refund_id)
    return EventReceipt(event.event_id, outcome, False, payment_id, status), changed


def _mark(
    connection: Connection,
    event_row: int,
    outcome: EventOutcome,
    payment_id: int | None,
    now: datetime,
) -> None:
    _MARK_EVENT.execute(
        connection,
        {
            "b_event": event_row,
            "b_outcome": outcome,
            "b_payment": payment_id,
            "b_applied_at": now if outcome is EventOutcome.APPLIED else None,
        },
    )


def _find_payment(connection: Connection, event: TerminalEvent) -> Any:
    if event.payment_id is not None:
        row = _PAYMENT_BY_ID.first(
            connection, {"b_payment": event.payment_id, "b_provider": event.provider}
        )
        if row is not None:
            return row
    return _PAYMENT_BY_TERMINAL_ID.first(
        connection, {"b_provider": event.provider, "b_terminal_id": event.terminal_payment_id}
    )


def _settle(
    connection: Connection, payment: Any, event: TerminalEvent, now: datetime, hold: timedelta
) -> tuple[EventOutcome, PaymentStatus, Changed, str | None]:
    """What the event did to the payment, and the conflict it raises if it raises one.

    A failure holds the sale's goods in its cart again for ``hold``.
    """
    current = PaymentStatus(payment.status)
    review = None
    if payment.provider_payment_id not in (None, event.terminal_payment_id):
        review = REVIEW_TERMINAL_ID
    elif event.currency != payment.currency:
        review = REVIEW_CURRENCY
    elif event.amount_minor != payment.amount_minor:
        review = REVIEW_AMOUNT
    if payment.method != PaymentMethod.CARD:
        return EventOutcome.IGNORED, current, Changed.NOTHING, None
    if review is not None:
        log.warning("payment %s flagged: %s in event %s", payment.id, review, event.event_id)
        connection.execute(
            update(payments)
            .where(payments.c.id == payment.id)
            .values(review_reason=review, updated_at=now)
        )
        # A success for another sum says money was taken that the sale does not show.
        charged = event.target is PaymentStatus.PAID and review != REVIEW_TERMINAL_ID
        return EventOutcome.MISMATCH, current, Changed.ORDERS, review if charged else None
    if payment.provider_payment_id is None:
        connection.execute(
            update(payments)
            .where(payments.c.id == payment.id)
            .values(provider_payment_id=event.terminal_payment_id)
        )
    target = event.target
    settled: Settlement | Err
    if target is PaymentStatus.PENDING:
        moved = connection.execute(
            update(payments)
            .where(payments.c.id == payment.id, payments.c.status == PaymentStatus.INITIATED)
            .values(status=PaymentStatus.PENDING, updated_at=now)
        ).rowcount
        if moved:
            return EventOutcome.APPLIED, PaymentStatus.PENDING, Changed.ORDERS, None
        return EventOutcome.PENDING, current, Changed.NOTHING, None
    if target is PaymentStatus.PAID:
        settled = finalise_paid(connection, payment.id, now, event.source)
        changed = Changed.ORDERS | Changed.STOCK | Changed.CART | Changed.COUPONS
    else:
        settled = finalise_failed(connection, payment.id, now, target, event.source, hold=hold)
        changed = Changed.ORDERS | Changed.CART | Changed.COUPONS
    if isinstance(settled, Err) or not settled.applied:
        # Already there, or a move the machine forbids (a late "failed" after "paid").
        # Only a charge the sale cannot follow is a conflict: a late decline after a
        # success moved no money.
        conflict = None
        if isinstance(settled, Err) and target is PaymentStatus.PAID:
            conflict = f"{CONFLICT_PAID_AFTER}{current.value}"
        return EventOutcome.IGNORED, current, Changed.NOTHING, conflict
    return EventOutcome.APPLIED, settled.status, changed, None


def _record_conflict(
    connection: Connection,
    payment: Any,
    event_row: int,
    event: TerminalEvent,
    kind: str,
    now: datetime,
) -> None:
    log.warning("payment %s: conflict %s from event %s", payment.id, kind, event.event_id)
    connection.execute(
        insert(payment_conflicts).values(
            payment_id=payment.id,
            event_id=event_row,
            kind=kind,
            payment_status=payment.status,
            amount_minor=event.amount_minor,
            currency=event.currency,
            detected_at=now,
        )
    )


def _already_stored(uow: UnitOfWork, event: TerminalEvent) -> EventReceipt | None:
    with uow.reading():
        row = uow.connection.execute(
            select(
                payment_events.c.outcome,
                payment_events.c.payment_id,
                payments.c.status,
                payment_conflicts.c.id.label("conflict_id"),
            )
            .outerjoin(payments, payments.c.id == payment_events.c.payment_id)
            .outerjoin(payment_conflicts, payment_conflicts.c.event_id == payment_events.c.id)
            .where(
                payment_events.c.provider == event.provider,
                payment_events.c.event_id == event.event_id,
            )
        ).first()
    if row is None:
        return None
    status = PaymentStatus(row.status) if row.status is not None else None
    return EventReceipt(
        event.event_id,
        EventOutcome(row.outcome),
        True,
        row.payment_id,
        status,
        row.conflict_id is not None,
    )


def _stored_event(row: Any) -> TerminalEvent:
    return TerminalEvent(
        provider=row.provider,
        event_id=row.event_id,
        type=row.type,
        terminal_payment_id=row.terminal_payment_id,
        payment_id=row.claimed_payment_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        source=Settler(row.source),
        payload=row.payload,
        refund_id=row.refund_id,
        terminal_refund_id=row.terminal_refund_id,
    )


def _checked(event: object) -> TerminalEvent:
    """The event if every field is one the store can hold; refused otherwise."""
    if not isinstance(event, TerminalEvent):
        raise Refused(Code.INVALID_DETAILS)
    fine = (
        is_identifier(event.provider, MAX_PROVIDER_LENGTH)
        and is_identifier(event.event_id, MAX_EVENT_ID_LENGTH)
        and is_identifier(event.terminal_payment_id, MAX_TERMINAL_ID_LENGTH)
        and (event.type in EVENT_OUTCOMES or event.type in REFUND_EVENT_OUTCOMES)
        and (
            event.refund_id is None
            or (type(event.refund_id) is int and 0 < event.refund_id < 2**63)
        )
        and (
            event.terminal_refund_id is None
            or is_identifier(event.terminal_refund_id, MAX_TERMINAL_ID_LENGTH)
        )
        and (
            event.payment_id is None
            or (type(event.payment_id) is int and 0 < event.payment_id < 2**63)
        )
        and type(event.amount_minor) is int
        and 0 <= event.amount_minor <= MAX_EVENT_AMOUNT_MINOR
        and isinstance(event.currency, str)
        and is_currency(event.currency)
        and isinstance(event.payload, str)
        and len(event.payload) <= MAX_PAYLOAD
    )
    if not fine:
        raise Refused(Code.INVALID_DETAILS)
    return event
