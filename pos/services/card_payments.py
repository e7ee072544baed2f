"""Card payments at the till: the rules around the terminal (DESIGN.md §4).

The payment row and its idempotency key are committed by checkout before the
terminal hears of it, so every step here can be repeated: starting again with
the same key is how a payment whose terminal call was lost (a crash, a network
error) is recovered. No database transaction stays open across a call to the
terminal. Whatever the terminal answers goes through the one reconciler,
``apply_payment_event``, as the listener's webhooks and the poller's answers do.

- While a card payment is unresolved, the till's terminal takes no other.
- Cancelling asks the terminal and waits for its final word; while the outcome is
  unknown nothing is released.
- A manager can resolve a stuck payment by hand; it is audited.

The manager's note is typed ``object`` and checked at run time: it comes as typed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select, update

from pos.domain.payments import UNRESOLVED, PaymentMethod, PaymentStatus, Settler
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn, unwrap
from pos.domain.text import clean_text
from pos.payments.events import EventFormatError, event_from_terminal
from pos.payments.terminal import (
    PaymentTerminal,
    TerminalConflict,
    TerminalError,
    TerminalPayment,
    TerminalRejected,
    TerminalStatus,
    TerminalUnavailable,
)
from pos.services._support import audit, is_id, use_case
from pos.services.payment_events import apply_payment_event
from pos.services.payments import Settlement, finalise_failed, finalise_paid, receipt_of
from pos.services.users import acting_user
from pos.store.models import Role
from pos.store.tables import orders, payments
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

CANCEL_WAIT_SECONDS = 5.0
MAX_NOTE_LENGTH = 500
REVIEW_KEY_CONFLICT = "terminal_key_conflict"


@dataclass(frozen=True)
class CardPaymentView:
    payment_id: int
    order_id: UUID
    cart_id: int
    till_id: int
    status: PaymentStatus
    amount_minor: int
    currency: str
    idempotency_key: str
    terminal_payment_id: str | None
    settled_by: str | None
    """webhook, poll or manager once settled; None while unresolved."""
    receipt: str | None
    review_reason: str | None
    created_at: datetime
    cancel_requested_at: datetime | None
    left_over_at: datetime | None = None
    """When its till started again and found it still in flight: left by a restart."""

    @property
    def unresolved(self) -> bool:
        return self.status in UNRESOLVED


_VIEW_COLUMNS = (
    payments.c.id,
    payments.c.order_id,
    orders.c.cart_id,
    orders.c.till_id,
    payments.c.status,
    payments.c.method,
    payments.c.amount_minor,
    payments.c.currency,
    payments.c.idempotency_key,
    payments.c.provider_payment_id,
    payments.c.settled_by,
    payments.c.review_reason,
    payments.c.created_at,
    payments.c.cancel_requested_at,
    payments.c.left_over_at,
)


@use_case
def card_payment(uow: UnitOfWork, payment_id: int) -> Result[CardPaymentView]:
    """Where a card payment stands, as the store knows it (no call to the terminal)."""
    with uow.reading():
        return Ok(_card_view(uow.connection, payment_id))


@use_case
def unresolved_card_payments(
    uow: UnitOfWork, till_id: int | None = None
) -> Result[tuple[CardPaymentView, ...]]:
    """Card payments still waiting for an outcome, oldest first; at one till if given."""
    query = (
        select(payments.c.id)
        .join(orders, orders.c.id == payments.c.order_id)
        .where(
            payments.c.method == PaymentMethod.CARD,
            payments.c.status.in_([state.value for state in UNRESOLVED]),
        )
        .order_by(payments.c.id)
    )
    if till_id is not None:
        query = query.where(orders.c.till_id == till_id)
    with uow.reading():
        ids = uow.connection.execute(query).scalars().all()
        return Ok(tuple(_card_view(uow.connection, payment_id) for payment_id in ids))


@use_case
def claim_leftover_payments(uow: UnitOfWork, till_id: int) -> Result[tuple[CardPaymentView, ...]]:
    """At a till's start-up: its card payments still in flight, marked as left by a restart.

    The till started none of them yet, so each was left by the till that stopped: the
    cashier is shown them at once, and the back office lists them without waiting for
    the payment window. A mark already there is kept (the first restart found it).
    """
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    mine = select(orders.c.id).where(orders.c.till_id == till_id).scalar_subquery()
    with uow:
        uow.connection.execute(
            update(payments)
            .where(
                payments.c.order_id.in_(mine),
                payments.c.method == PaymentMethod.CARD,
                payments.c.status.in_([state.value for state in UNRESOLVED]),
                payments.c.left_over_at.is_(None),
            )
            .values(left_over_at=uow.now())
        )
        uow.commit()
    assert isinstance(till_id, int)
    return unresolved_card_payments(uow, till_id)


@use_case
def start_card_payment(
    uow: UnitOfWork, terminal: PaymentTerminal, payment_id: int
) -> Result[CardPaymentView]:
    """Hand a checked-out card payment to the terminal, or find where it got to.

    Repeating it is safe: the terminal sees the same idempotency key and answers with
    the same payment. A terminal that does not answer leaves the payment as it was,
    for the poller to start again with that key.
    """
    view = unwrap(card_payment(uow, payment_id))
    if not view.unresolved or view.terminal_payment_id is not None:
        return _answer(view)
    return _start_unless_busy(uow, terminal, view)


@use_case
def check_card_payment(
    uow: UnitOfWork, terminal: PaymentTerminal, payment_id: int
) -> Result[CardPaymentView]:
    """Ask the terminal how the payment stands now, and reconcile its answer."""
    view = unwrap(card_payment(uow, payment_id))
    if not view.unresolved:
        return Ok(view)
    if view.terminal_payment_id is None:
        if view.review_reason is not None:
            return Warn(view, Code.PAYMENT_UNDER_REVIEW)
        return _start_unless_busy(uow, terminal, view)
    try:
        answer = terminal.get_payment(view.terminal_payment_id)
    except TerminalUnavailable:
        return Warn(view, Code.TERMINAL_UNREACHABLE)
    except TerminalRejected as refusal:
        if _never_had(refusal):
            return _never_started(uow, view)
        return Warn(view, Code.TERMINAL_REFUSED, {"reason": refusal.reason})
    return _reconcile(uow, terminal, view, answer)


@use_case
def cancel_card_payment(
    uow: UnitOfWork,
    terminal: PaymentTerminal,
    payment_id: int,
    *,
    wait_seconds: float = CANCEL_WAIT_SECONDS,
    poll_every: float = 0.2,
) -> Result[CardPaymentView]:
    """Ask the terminal to cancel and wait for its final word.

    A payment whose outcome stays unknown is refused ``PAYMENT_STATE_UNKNOWN`` and
    keeps its goods held. If the card went through before the cancel did, the sale
    comes back paid.
    """
    view = unwrap(card_payment(uow, payment_id))
    if not view.unresolved:
        return _answer(view)
    try:
        if view.terminal_payment_id is None:
            # The terminal may or may not have it: asking with the same key finds out,
            # and makes it if it never arrived, so that it can be cancelled for certain.
            started = _ask_to_start(terminal, view)
            terminal_id = started.id
        else:
            terminal_id = view.terminal_payment_id
        _note_cancel_request(uow, view.payment_id)
        answer = terminal.cancel_payment(terminal_id)
        deadline = time.monotonic() + wait_seconds
        while answer.status is TerminalStatus.PENDING and time.monotonic() < deadline:
            time.sleep(poll_every)
            answer = terminal.get_payment(terminal_id)
    except TerminalRejected as refusal:
        if _never_had(refusal) and view.terminal_payment_id is not None:
            return _never_started(uow, view)
        log.warning("payment %s: cancel not confirmed: %s", view.payment_id, refusal)
        raise Refused(Code.PAYMENT_STATE_UNKNOWN) from None
    except TerminalError as problem:
        log.warning("payment %s: cancel not confirmed: %s", view.payment_id, problem)
        raise Refused(Code.PAYMENT_STATE_UNKNOWN) from None
    reconciled = _reconcile(uow, terminal, view, answer)
    if isinstance(reconciled, Err):
        return reconciled
    if reconciled.value.unresolved:
        raise Refused(Code.PAYMENT_STATE_UNKNOWN)
    return _answer(reconciled.value)


@use_case
def force_resolve(
    uow: UnitOfWork,
    payment_id: int,
    outcome: PaymentStatus,
    *,
    manager_id: int,
    note: object,
    cashier_id: int | None = None,
) -> Result[CardPaymentView]:
    """A manager settles a stuck payment by hand: paid, failed or cancelled. Audited.

    From the back office the manager acts; from the till (``cashier_id``) the cashier
    acts with the manager's approval, and the audit row names both.
    """
    if not isinstance(outcome, PaymentStatus) or outcome not in (
        PaymentStatus.PAID,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
    ):
        raise Refused(Code.INVALID_OUTCOME)
    text = clean_note(note)
    with uow:
        connection, now = uow.connection, uow.now()
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        cashier = acting_user(uow.session, cashier_id) if cashier_id is not None else None
        before = _card_view(connection, payment_id)
        settled = _finalise(uow, before.payment_id, outcome, Settler.MANAGER)
        if isinstance(settled, Err):
            return settled
        if settled.applied:
            audit(
                uow.session,
                at=now,
                user_id=cashier.id if cashier else manager.id,
                approved_by=manager.id if cashier else None,
                action="payment.force_resolve",
                entity="payment",
                entity_id=before.payment_id,
                before=before.status.value,
                after=outcome.value,
                note=text,
                terminal_payment_id=before.terminal_payment_id,
            )
        after = _card_view(connection, before.payment_id)
        uow.commit()
    return Ok(after, Changed.ORDERS | Changed.STOCK | Changed.CART | Changed.COUPONS)


def clean_note(note: object) -> str:
    """A manager's note as kept: trimmed, 1 to 500 printable characters; refused otherwise."""
    text = clean_text(note, MAX_NOTE_LENGTH, min_length=1, keep_breaks=True)
    if text is None:
        raise Refused(Code.INVALID_NOTE)
    return text


# -- the steps ----------------------------------------------------------------------


def _start_unless_busy(
    uow: UnitOfWork, terminal: PaymentTerminal, view: CardPaymentView
) -> Result[CardPaymentView]:
    if _busy_with_another(uow, view):
        # It never reached the terminal, so ending it is certain: the cart reopens.
        _finish(uow, view.payment_id, PaymentStatus.CANCELLED, Settler.POLL)
        raise Refused(Code.TERMINAL_BUSY)
    return _start(uow, terminal, view)


def _start(uow: UnitOfWork, terminal: PaymentTerminal, view: CardPaymentView) -> Result[Any]:
    try:
        answer = _ask_to_start(terminal, view)
    except TerminalUnavailable:
        return Warn(view, Code.TERMINAL_UNREACHABLE)
    except TerminalConflict as conflict:
        # The key is known to the terminal for another request: its outcome cannot be
        # learnt or cancelled by the till, so a manager must look.
        _flag(uow, view.payment_id, REVIEW_KEY_CONFLICT)
        return Warn(_refreshed(uow, view), Code.TERMINAL_REFUSED, {"reason": conflict.reason})
    except TerminalRejected as refusal:
        # A 4xx: the terminal did not take the payment on, so it failed for certain.
        _finish(uow, view.payment_id, PaymentStatus.FAILED, Settler.POLL)
        return Warn(_refreshed(uow, view), Code.TERMINAL_REFUSED, {"reason": refusal.reason})
    return _reconcile(uow, terminal, view, answer)


def _never_had(refusal: TerminalRejected) -> bool:
    return refusal.status_code == HTTPStatus.NOT_FOUND


def _never_started(uow: UnitOfWork, view: CardPaymentView) -> Result[CardPaymentView]:
    """The terminal answered the start with its id, and now says it has no such payment
    (it was restarted, or replaced): no card can be charged for it there, so it failed
    for certain and the sale goes back to the cashier with its goods held."""
    log.warning(
        "payment %s: the terminal has no payment %s; failed",
        view.payment_id,
        view.terminal_payment_id,
    )
    _finish(uow, view.payment_id, PaymentStatus.FAILED, Settler.POLL)
    changed = Changed.ORDERS | Changed.CART | Changed.COUPONS
    return Warn(_refreshed(uow, view), Code.TERMINAL_NEVER_HAD_PAYMENT, changed=changed)


def _ask_to_start(terminal: PaymentTerminal, view: CardPaymentView) -> TerminalPayment:
    return terminal.start_payment(
        amount_minor=view.amount_minor,
        currency=view.currency,
        idempotency_key=view.idempotency_key,
        payment_id=view.payment_id,
        order_id=view.order_id,
    )


def _reconcile(
    uow: UnitOfWork, terminal: PaymentTerminal, view: CardPaymentView, answer: TerminalPayment
) -> Result[CardPaymentView]:
    try:
        event = event_from_terminal(answer, provider=terminal.provider)
    except EventFormatError as problem:
        log.warning("payment %s: unusable answer from the terminal: %s", view.payment_id, problem)
        return Warn(view, Code.TERMINAL_UNREACHABLE)
    applied = apply_payment_event(uow, event)
    if isinstance(applied, Err):
        return applied
    return _answer(_refreshed(uow, view), applied.changed)


def _answer(view: CardPaymentView, changed: Changed = Changed.NOTHING) -> Result[CardPaymentView]:
    if view.review_reason is not None and view.unresolved:
        return Warn(view, Code.PAYMENT_UNDER_REVIEW, changed=changed)
    if view.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        return Warn(view, Code.PAYMENT_FAILED, changed=changed)
    if view.status is PaymentStatus.PENDING:
        return Warn(view, Code.PAYMENT_PENDING, changed=changed)
    return Ok(view, changed)


def _busy_with_another(uow: UnitOfWork, view: CardPaymentView) -> bool:
    with uow.reading():
        other = uow.connection.execute(
            select(payments.c.id)
            .join(orders, orders.c.id == payments.c.order_id)
            .where(
                orders.c.till_id == view.till_id,
                payments.c.method == PaymentMethod.CARD,
                payments.c.status.in_([state.value for state in UNRESOLVED]),
                payments.c.id < view.payment_id,
            )
            .limit(1)
        ).first()
    return other is not None


def _finalise(
    uow: UnitOfWork, payment_id: int, outcome: PaymentStatus, settler: Settler
) -> Settlement | Err:
    """Settle the payment inside ``uow``'s open transaction."""
    connection, now = uow.connection, uow.now()
    if outcome is PaymentStatus.PAID:
        return finalise_paid(connection, payment_id, now, settler)
    return finalise_failed(connection, payment_id, now, outcome, settler, hold=uow.policy.cart_hold)


def _finish(uow: UnitOfWork, payment_id: int, outcome: PaymentStatus, settler: Settler) -> None:
    with uow:
        _finalise(uow, payment_id, outcome, settler)
        uow.commit()


def _flag(uow: UnitOfWork, payment_id: int, reason: str) -> None:
    with uow:
        uow.connection.execute(
            update(payments).where(payments.c.id == payment_id).values(review_reason=reason)
        )
        uow.commit()


def _note_cancel_request(uow: UnitOfWork, payment_id: int) -> None:
    if not is_id(payment_id):
        raise Refused(Code.PAYMENT_NOT_FOUND)
    with uow:
        uow.connection.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.cancel_requested_at.is_(None))
            .values(cancel_requested_at=uow.now())
        )
        uow.commit()


def _refreshed(uow: UnitOfWork, view: CardPaymentView) -> CardPaymentView:
    with uow.reading():
        return _card_view(uow.connection, view.payment_id)


def _card_view(connection: Connection, payment_id: int) -> CardPaymentView:
    if not is_id(payment_id):
        raise Refused(Code.PAYMENT_NOT_FOUND)
    row = connection.execute(
        select(*_VIEW_COLUMNS)
        .join(orders, orders.c.id == payments.c.order_id)
        .where(payments.c.id == payment_id)
    ).first()
    if row is None:
        raise Refused(Code.PAYMENT_NOT_FOUND)
    if row.method != PaymentMethod.CARD:
        raise Refused(Code.PAYMENT_NOT_CARD)
    status = PaymentStatus(row.status)
    receipt = receipt_of(connection, row.order_id) if status is PaymentStatus.PAID else None
    return CardPaymentView(
        payment_id=row.id,
        order_id=row.order_id,
        cart_id=row.cart_id,
        till_id=row.till_id,
        status=status,
        amount_minor=row.amount_minor,
        currency=row.currency,
        idempotency_key=row.idempotency_key,
        terminal_payment_id=row.provider_payment_id,
        settled_by=row.settled_by,
        receipt=receipt,
        review_reason=row.review_reason,
        created_at=row.created_at,
        cancel_requested_at=row.cancel_requested_at,
        left_over_at=row.left_over_at,
    )
