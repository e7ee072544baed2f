"""Refunds of settled tenders, and voiding a sale that has some (DESIGN.md §4).

A sale with a tender settled cannot simply be voided: the money goes back first.
``void_tendered_sale`` asks for a refund of every settled tender: cash is paid back
from the drawer at once and recorded; a card's refund is a row (``initiated``, with
its idempotency key) committed before the terminal hears of it, then sent with
``start_refund`` and confirmed by the terminal's webhook or the poller through the
one reconciler, like a payment. When the last settled tender is back, the sale ends
``cancelled``: its holds go back to the shelf, its coupon use is given back and its
cart is closed, in the transaction of the refund that completes it.

Never more goes back than was settled: each refund takes the tender's row lock and
checks what is left (its amount less every refund not failed) before it is written.
A refund's state moves by conditional UPDATE, so a webhook and the poller that race
for the same refund apply it once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, insert, select, update

from pos.domain.approvals import void_needs_approval
from pos.domain.money import Money
from pos.domain.payments import (
    UNRESOLVED,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
    Settler,
    TerminalEvent,
    refund_sources_of,
)
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn
from pos.payments.events import EventFormatError, event_from_refund
from pos.payments.terminal import (
    PaymentTerminal,
    TerminalError,
    TerminalRefund,
    TerminalRejected,
    TerminalUnavailable,
)
from pos.services import journal
from pos.services._offline import refuse_offline
from pos.services._support import audit, is_id, use_case
from pos.services.cash_sessions import hold_session, session_of_sale
from pos.services.payments import lock_order, release_coupon
from pos.services.receipts import order_key
from pos.services.reservations import release_holds
from pos.services.users import acting_user
from pos.store.models import (
    CartStatus,
    EventOutcome,
    OrderStatus,
    Role,
)
from pos.store.tables import carts, orders, payments, refunds, reservations
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

REASON_VOID = "void"
VOID_ACTION = "sale.voided"
_LIVE = (RefundStatus.INITIATED, RefundStatus.PENDING, RefundStatus.SUCCEEDED)
"""Refunds that count against what is left to refund: all but the failed ones."""


@dataclass(frozen=True)
class RefundView:
    refund_id: int
    payment_id: int
    order_id: UUID
    till_id: int
    method: PaymentMethod
    status: RefundStatus
    amount_minor: int
    currency: str
    idempotency_key: str
    provider: str | None
    terminal_payment_id: str | None
    """The card payment it returns, as the terminal names it."""
    terminal_refund_id: str | None
    failure_code: str | None = None

    @property
    def unresolved(self) -> bool:
        return self.status in (RefundStatus.INITIATED, RefundStatus.PENDING)


@dataclass(frozen=True)
class VoidOutcome:
    """Where a void stands: ended, or waiting for its card refunds."""

    order_id: UUID
    voided: bool
    """The sale is cancelled: every settled tender is back."""
    cash_back_minor: int
    """What the drawer paid back by this call."""
    card_refunds: tuple[RefundView, ...]
    """Card refunds still to go through the terminal (``start_refund`` each)."""


@use_case
def void_tendered_sale(
    uow: UnitOfWork,
    order_id: UUID | str,
    *,
    user_id: int | None = None,
    approved_by: int | None = None,
) -> Result[VoidOutcome]:
    """Void a sale open at the till: pay back its settled tenders, then end it.

    Refused while a tender is in flight (its outcome is unknown), and for a sale that is
    paid or already ended. Over the shop's limit (``policy.void_approval_minor``) it needs
    a manager, as voiding a cart does. Calling it again after a card refund failed asks
    the terminal again with a new refund. Offline only the sale the till made offline and
    is taking now can be voided: any other is the central store's.
    """
    oid = order_key(order_id)
    with uow:
        connection, now = uow.connection, uow.now()
        refuse_offline(uow, oid)
        order = lock_order(connection, oid)
        if order is None:
            raise Refused(Code.ORDER_NOT_FOUND)
        if OrderStatus(order.status) is not OrderStatus.PENDING:
            raise Refused(Code.SALE_NOT_OPEN)
        hold_session(connection, order.till_id)  # before the cash back names it, and the till
        if _has_unresolved_tender(connection, oid):
            raise Refused(Code.PAYMENT_IN_PROGRESS)
        role = acting_user(uow.session, user_id).role if user_id is not None else None
        manager = (
            acting_user(uow.session, approved_by, role=Role.MANAGER)
            if approved_by is not None
            else None
        )
        if manager is None and void_needs_approval(
            order.total_minor, uow.policy.void_approval_minor, by_manager=role is Role.MANAGER
        ):
            raise Refused(Code.APPROVAL_REQUIRED)
        first_request = order.void_requested_at is None
        if first_request:
            connection.execute(
                update(orders)
                .where(orders.c.id == oid)
                .values(void_requested_at=now, void_requested_by=user_id)
            )
        cash_back, cash_refunds = 0, []
        for tender in _settled_tenders(connection, oid):
            left = tender.amount_minor - refunded_minor(connection, tender.id)
            if left <= 0:
                continue
            refund_id = request_refund(
                connection,
                now,
                payment_id=tender.id,
                amount_minor=left,
                reason=REASON_VOID,
                user_id=user_id,
            )
            if tender.method == PaymentMethod.CASH:
                cash_back += left
                cash_refunds.append(refund_id)
        # What the void gives back to the shelf, now or once the card refunds are done.
        held = connection.execute(
            select(func.coalesce(func.sum(reservations.c.quantity), 0)).where(
                reservations.c.order_id == oid, reservations.c.status == "active"
            )
        ).scalar_one()
        voided = _finish_void(connection, oid, now)
        for refund_id in cash_refunds:  # after the shelf's rows: the journal locks the till's
            journal.record_refund(connection, refund_id, now)
        if first_request:
            audit(
                uow.session,
                at=now,
                user_id=user_id,
                approved_by=manager.id if manager else None,
                action=VOID_ACTION,
                entity="order",
                entity_id=oid,
                total_minor=order.total_minor,
                currency=order.currency,
                cash_back_minor=cash_back,
                units_released=int(held),
            )
        waiting = tuple(
            refund_view(connection, refund_id)
            for refund_id in _unresolved_card_refunds(connection, oid)
        )
        uow.commit()
    changed = Changed.ORDERS
    if voided:
        changed |= Changed.CART | Changed.STOCK | Changed.COUPONS
    outcome = VoidOutcome(oid, voided, cash_back, waiting)
    if not voided:
        return Warn(outcome, Code.REFUNDS_UNDER_WAY, changed=changed)
    return Ok(outcome, changed)


def request_refund(
    connection: Connection,
    now: datetime,
    *,
    payment_id: int,
    amount_minor: object,
    reason: str,
    user_id: int | None,
    return_id: UUID | None = None,
    in_cash: bool = False,
) -> int:
    """Write a refund of a settled tender inside the caller's transaction; its id.

    Refused ``REFUND_TOO_LARGE`` above what is left of the tender. Cash goes back from
    the drawer at once (``succeeded``); a card's refund waits for the terminal, unless a
    manager chose cash instead (``in_cash``: the card cannot take it back).
    """
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise Refused(Code.INVALID_AMOUNT)
    tender = connection.execute(
        select(
            payments.c.id,
            payments.c.order_id,
            payments.c.method,
            payments.c.provider,
            payments.c.status,
            payments.c.amount_minor,
            payments.c.currency,
        )
        .where(payments.c.id == payment_id)
        .with_for_update()
    ).first()
    if tender is None:
        raise Refused(Code.PAYMENT_NOT_FOUND)
    left = 0
    if PaymentStatus(tender.status) is PaymentStatus.PAID:
        left = tender.amount_minor - refunded_minor(connection, tender.id)
    if amount_minor > left:
        raise Refused(Code.REFUND_TOO_LARGE, left=Money(left, tender.currency))
    attempt = connection.execute(
        select(func.count()).select_from(refunds).where(refunds.c.payment_id == tender.id)
    ).scalar_one()
    cash = in_cash or PaymentMethod(tender.method) is PaymentMethod.CASH
    refund_id: int = connection.execute(
        insert(refunds)
        .values(
            payment_id=tender.id,
            order_id=tender.order_id,
            return_id=return_id,
            method=PaymentMethod.CASH if cash else tender.method,
            provider=None if cash else tender.provider,
            idempotency_key=f"refund-{tender.id}-{attempt + 1}",
            status=RefundStatus.SUCCEEDED if cash else RefundStatus.INITIATED,
            amount_minor=amount_minor,
            currency=tender.currency,
            reason=reason,
            requested_by=user_id,
            settled_by=Settler.CASH if cash else None,
            created_at=now,
            updated_at=now,
            cash_session_id=session_of_sale(tender.order_id) if cash else None,
        )
        .returning(refunds.c.id)
    ).scalar_one()
    if cash:
        _tender_back(connection, tender.id, now)
    return refund_id


def finalise_refund(
    connection: Connection,
    refund_id: int,
    target: RefundStatus,
    now: datetime,
    settler: Settler,
    failure_code: str | None = None,
) -> bool:
    """Move the refund to ``target`` if its state machine allows; True if this call did.

    A refund that succeeded returns its tender (``refunded`` once all of it is back) and
    ends a voided sale whose last tender it was.
    """
    sources = sorted(state.value for state in refund_sources_of(target))
    if target is RefundStatus.SUCCEEDED:  # the session before the refund names it, the till last
        till = connection.execute(
            select(orders.c.till_id)
            .join(refunds, refunds.c.order_id == orders.c.id)
            .where(refunds.c.id == refund_id)
        ).scalar()
        if till is not None:
            hold_session(connection, till)
    moved = connection.execute(
        update(refunds)
        .where(refunds.c.id == refund_id, refunds.c.status.in_(sources))
        .values(
            status=target,
            updated_at=now,
            settled_by=settler,
            failure_code=failure_code,
            # The money went back now: it belongs to the session open at the sale's till.
            cash_session_id=(
                session_of_sale(refunds.c.order_id, within=refunds)
                if target is RefundStatus.SUCCEEDED
                else refunds.c.cash_session_id
            ),
        )
        .returning(refunds.c.payment_id, refunds.c.order_id)
    ).first()
    if moved is None:
        return False
    if target is RefundStatus.SUCCEEDED:
        lock_order(connection, moved.order_id)
        _tender_back(connection, moved.payment_id, now)
        _finish_void(connection, moved.order_id, now)
        journal.record_refund(connection, refund_id, now)
    return True


@use_case
def refund(uow: UnitOfWork, refund_id: int) -> Result[RefundView]:
    """Where a refund stands, as the store knows it."""
    with uow.reading():
        return Ok(refund_view(uow.connection, refund_id))


@use_case
def unresolved_refunds(
    uow: UnitOfWork, till_id: int | None = None
) -> Result[tuple[RefundView, ...]]:
    """Card refunds still waiting for the terminal's word, oldest first; at one till if given."""
    query = (
        select(refunds.c.id)
        .join(orders, orders.c.id == refunds.c.order_id)
        .where(
            refunds.c.method == PaymentMethod.CARD,
            refunds.c.status.in_([RefundStatus.INITIATED.value, RefundStatus.PENDING.value]),
        )
        .order_by(refunds.c.id)
    )
    if till_id is not None:
        query = query.where(orders.c.till_id == till_id)
    with uow.reading():
        ids = uow.connection.execute(query).scalars().all()
        return Ok(tuple(refund_view(uow.connection, refund_id) for refund_id in ids))


@use_case
def start_refund(uow: UnitOfWork, terminal: PaymentTerminal, refund_id: int) -> Result[RefundView]:
    """Send a card refund to the terminal, or find where it got to; safe to repeat.

    The terminal sees the same idempotency key every time, so a refund whose answer was
    lost is asked again, never made twice. No transaction stays open across the call.
    """
    with uow.reading():
        view = refund_view(uow.connection, refund_id)
    if not view.unresolved:
        return _answer(view)
    try:
        if view.terminal_refund_id is None:
            if view.terminal_payment_id is None:
                raise Refused(Code.PAYMENT_NOT_CARD)
            answer = terminal.refund_payment(
                view.terminal_payment_id,
                amount_minor=view.amount_minor,
                currency=view.currency,
                idempotency_key=view.idempotency_key,
                refund_id=view.refund_id,
                payment_id=view.payment_id,
            )
        else:
            answer = terminal.get_refund(view.terminal_refund_id)
    except TerminalUnavailable:
        return Warn(view, Code.TERMINAL_UNREACHABLE)
    except TerminalRejected as refusal:
        # The terminal will not refund it (a 4xx): failed for certain; the void waits.
        with uow:
            finalise_refund(
                uow.connection,
                view.refund_id,
                RefundStatus.FAILED,
                uow.now(),
                Settler.POLL,
                refusal.reason[:64],
            )
            uow.commit()
        return Warn(_fresh(uow, view), Code.TERMINAL_REFUSED, {"reason": refusal.reason})
    except TerminalError:
        return Warn(view, Code.TERMINAL_UNREACHABLE)
    return _reconcile(uow, terminal, view, answer)


def _reconcile(
    uow: UnitOfWork, terminal: PaymentTerminal, view: RefundView, answer: TerminalRefund
) -> Result[RefundView]:
    from pos.services.payment_events import apply_payment_event  # it applies refunds too

    try:
        event = event_from_refund(answer, provider=terminal.provider)
    except EventFormatError as problem:
        log.warning("refund %s: unusable answer from the terminal: %s", view.refund_id, problem)
        return Warn(view, Code.TERMINAL_UNREACHABLE)
    applied = apply_payment_event(uow, event)
    if isinstance(applied, Err):
        return applied
    return _answer(_fresh(uow, view), applied.changed)


def apply_refund_event(
    connection: Connection, event: TerminalEvent, now: datetime
) -> tuple[EventOutcome, int | None, Changed]:
    """A terminal's refund event, applied to its refund: the outcome, the refund's
    payment, and what changed. An event for a refund not known here is kept unmatched."""
    row = _find_refund(connection, event)
    if row is None:
        return EventOutcome.UNMATCHED, None, Changed.NOTHING
    if event.amount_minor != row.amount_minor or event.currency != row.currency:
        log.warning("refund %s: event %s for another amount", row.id, event.event_id)
        return EventOutcome.MISMATCH, row.payment_id, Changed.NOTHING
    if row.provider_refund_id is None and event.terminal_refund_id is not None:
        connection.execute(
            update(refunds)
            .where(refunds.c.id == row.id)
            .values(provider_refund_id=event.terminal_refund_id)
        )
    target = event.refund_target
    if target is RefundStatus.PENDING:
        moved = finalise_refund(connection, row.id, target, now, event.source)
        return (
            (EventOutcome.APPLIED if moved else EventOutcome.PENDING),
            row.payment_id,
            (Changed.ORDERS if moved else Changed.NOTHING),
        )
    failure = _failure_code(event.payload) if target is RefundStatus.FAILED else None
    if not finalise_refund(connection, row.id, target, now, event.source, failure):
        return EventOutcome.IGNORED, row.payment_id, Changed.NOTHING
    return EventOutcome.APPLIED, row.payment_id, Changed.ORDERS | Changed.CART | Changed.STOCK


def _failure_code(payload: str) -> str | None:
    """The terminal's reason for a failed refund, from the event as received."""
    try:
        document = json.loads(payload)
        obj = document.get("data", {}).get("object", document)
        code = obj.get("failure_code")
    except (ValueError, AttributeError):
        return None
    return code[:64] if isinstance(code, str) else None


def _find_refund(connection: Connection, event: TerminalEvent) -> Any:
    columns = (
        refunds.c.id,
        refunds.c.payment_id,
        refunds.c.amount_minor,
        refunds.c.currency,
        refunds.c.provider_refund_id,
    )
    if event.refund_id is not None:
        row = connection.execute(
            select(*columns).where(
                refunds.c.id == event.refund_id, refunds.c.provider == event.provider
            )
        ).first()
        if row is not None:
            return row
    if event.terminal_refund_id is None:
        return None
    return connection.execute(
        select(*columns).where(
            refunds.c.provider == event.provider,
            refunds.c.provider_refund_id == event.terminal_refund_id,
        )
    ).first()


# -- the steps ----------------------------------------------------------------------


def _tender_back(connection: Connection, payment_id: int, now: datetime) -> None:
    """The tender is ``refunded`` once refunds that succeeded cover all of it."""
    back = connection.execute(
        select(func.coalesce(func.sum(refunds.c.amount_minor), 0)).where(
            refunds.c.payment_id == payment_id, refunds.c.status == RefundStatus.SUCCEEDED
        )
    ).scalar_one()
    connection.execute(
        update(payments)
        .where(
            payments.c.id == payment_id,
            payments.c.status == PaymentStatus.PAID,
            payments.c.amount_minor <= int(back),
        )
        .values(status=PaymentStatus.REFUNDED, updated_at=now)
    )


def _finish_void(connection: Connection, order_id: UUID, now: datetime) -> bool:
    """End a voided sale whose settled tenders are all back: once; True if it is ended."""
    order = lock_order(connection, order_id)
    if order is None or order.void_requested_at is None:
        return False
    if OrderStatus(order.status) is OrderStatus.CANCELLED:
        return True
    if OrderStatus(order.status) is not OrderStatus.PENDING or _settled_tenders(
        connection, order_id
    ):
        return False
    connection.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status == OrderStatus.PENDING)
        .values(status=OrderStatus.CANCELLED, ended_at=now)
    )
    release_holds(connection, reservations.c.order_id == order_id, now)
    release_coupon(connection, order_id, now)
    connection.execute(
        update(carts)
        .where(carts.c.id == order.cart_id)
        .values(status=CartStatus.CLOSED, updated_at=now)
    )
    journal.record_void(connection, order_id, now)  # last: the till's row after the shelf's
    return True


def _settled_tenders(connection: Connection, order_id: UUID) -> list[Any]:
    """The order's tenders that hold money (paid, not yet all refunded), by id."""
    return list(
        connection.execute(
            select(payments.c.id, payments.c.method, payments.c.amount_minor)
            .where(payments.c.order_id == order_id, payments.c.status == PaymentStatus.PAID)
            .order_by(payments.c.id)
        ).all()
    )


def _has_unresolved_tender(connection: Connection, order_id: UUID) -> bool:
    return (
        connection.execute(
            select(payments.c.id)
            .where(
                payments.c.order_id == order_id,
                payments.c.status.in_([state.value for state in UNRESOLVED]),
            )
            .limit(1)
        ).first()
        is not None
    )


def refunded_minor(connection: Connection, payment_id: int) -> int:
    """What is back or on its way back on a tender: every refund but the failed ones."""
    return int(
        connection.execute(
            select(func.coalesce(func.sum(refunds.c.amount_minor), 0)).where(
                refunds.c.payment_id == payment_id,
                refunds.c.status.in_([state.value for state in _LIVE]),
            )
        ).scalar_one()
    )


def _unresolved_card_refunds(connection: Connection, order_id: UUID) -> list[int]:
    return list(
        connection.execute(
            select(refunds.c.id)
            .where(
                refunds.c.order_id == order_id,
                refunds.c.method == PaymentMethod.CARD,
                refunds.c.status.in_([RefundStatus.INITIATED.value, RefundStatus.PENDING.value]),
            )
            .order_by(refunds.c.id)
        ).scalars()
    )


def _answer(view: RefundView, changed: Changed = Changed.NOTHING) -> Result[RefundView]:
    if view.status is RefundStatus.FAILED:
        return Warn(view, Code.REFUND_FAILED, changed=changed)
    if view.unresolved:
        return Warn(view, Code.REFUND_PENDING, changed=changed)
    return Ok(view, changed)


def _fresh(uow: UnitOfWork, view: RefundView) -> RefundView:
    with uow.reading():
        return refund_view(uow.connection, view.refund_id)


def refund_view(connection: Connection, refund_id: int) -> RefundView:
    """The refund as the store keeps it; ``REFUND_NOT_FOUND`` if there is none."""
    if not is_id(refund_id):
        raise Refused(Code.REFUND_NOT_FOUND)
    row = connection.execute(
        select(
            refunds.c.id,
            refunds.c.payment_id,
            refunds.c.order_id,
            orders.c.till_id,
            refunds.c.method,
            refunds.c.status,
            refunds.c.amount_minor,
            refunds.c.currency,
            refunds.c.idempotency_key,
            refunds.c.provider,
            payments.c.provider_payment_id,
            refunds.c.provider_refund_id,
            refunds.c.failure_code,
        )
        .join(orders, orders.c.id == refunds.c.order_id)
        .join(payments, payments.c.id == refunds.c.payment_id)
        .where(refunds.c.id == refund_id)
    ).first()
    if row is None:
        raise Refused(Code.REFUND_NOT_FOUND)
    return RefundView(
        refund_id=row.id,
        payment_id=row.payment_id,
        order_id=row.order_id,
        till_id=row.till_id,
        method=PaymentMethod(row.method),
        status=RefundStatus(row.status),
        amount_minor=row.amount_minor,
        currency=row.currency,
        idempotency_key=row.idempotency_key,
        provider=row.provider,
        terminal_payment_id=row.provider_payment_id,
        terminal_refund_id=row.provider_refund_id,
        failure_code=row.failure_code,
    )
