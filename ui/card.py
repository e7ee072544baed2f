"""Operation factories for card payments (run on the worker, never on the GUI thread).

A function that calls one use case has that use case's name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pos.bootstrap import Till
from pos.domain.payments import PaymentStatus
from pos.domain.results import Err, Result
from pos.services import card_payments, refunds, tenders
from pos.services.card_payments import CardPaymentView
from pos.services.checkout import Card, Sale, checkout
from pos.services.refunds import RefundView

if TYPE_CHECKING:
    from pos.runtime.payments import PaymentRuntime


@dataclass(frozen=True)
class CardStart:
    """What pressing Card answered: the checkout's refusal, or the payment as started."""

    result: Result[Any]
    payment_id: int | None = None


def checkout_card(
    till: Till,
    runtime: PaymentRuntime,
    cart_id: int,
    *,
    shown_total_minor: int,
    key: str,
    cashier_id: int | None = None,
    amount_minor: int | None = None,
) -> CardStart:
    sale = checkout(
        till.uow(),
        cart_id,
        shown_total_minor=shown_total_minor,
        tender=Card(provider=runtime.terminal.provider, amount_minor=amount_minor),
        idempotency_key=key,
        cashier_id=cashier_id,
    )
    return _start(till, runtime, sale)


def add_card(
    till: Till, runtime: PaymentRuntime, order_id: UUID, *, amount_minor: int | None, key: str
) -> CardStart:
    """A card for a sale already part paid: the tender is written, then the terminal asked."""
    sale = tenders.add_tender(
        till.uow(),
        order_id,
        Card(provider=runtime.terminal.provider, amount_minor=amount_minor),
        idempotency_key=key,
    )
    return _start(till, runtime, sale)


def _start(till: Till, runtime: PaymentRuntime, sale: Result[Sale]) -> CardStart:
    if isinstance(sale, Err):
        return CardStart(sale)
    started = card_payments.start_card_payment(till.uow(), runtime.terminal, sale.value.payment_id)
    runtime.wake()
    return CardStart(started, sale.value.payment_id)


def start_refunds(
    till: Till, runtime: PaymentRuntime, refund_ids: tuple[int, ...]
) -> tuple[Result[RefundView], ...]:
    """Send a voided sale's card refunds to the terminal; the poller confirms them."""
    started = tuple(refunds.start_refund(till.uow(), runtime.terminal, rid) for rid in refund_ids)
    runtime.wake()
    return started


def card_payment(till: Till, payment_id: int) -> Result[Any]:
    return card_payments.card_payment(till.uow(), payment_id)


def check_card_payment(till: Till, runtime: PaymentRuntime, payment_id: int) -> Result[Any]:
    return card_payments.check_card_payment(till.uow(), runtime.terminal, payment_id)


def leftover_payments(
    till: Till, runtime: PaymentRuntime, found: tuple[int, ...]
) -> tuple[CardPaymentView, ...]:
    """The payments found at start-up as they stand now, then any other still open here."""
    views = [card_payments.card_payment(till.uow(), payment_id) for payment_id in found]
    shown = [result.value for result in views if not isinstance(result, Err)]
    still = card_payments.unresolved_card_payments(till.uow(), runtime.till_id)
    if not isinstance(still, Err):
        known = {view.payment_id for view in shown}
        shown += [view for view in still.value if view.payment_id not in known]
    return tuple(shown)


def cancel_card_payment(till: Till, runtime: PaymentRuntime, payment_id: int) -> Result[Any]:
    return card_payments.cancel_card_payment(till.uow(), runtime.terminal, payment_id)


def force_resolve(
    till: Till,
    payment_id: int,
    outcome: PaymentStatus,
    *,
    manager_id: int,
    cashier_id: int,
    note: str,
) -> Result[Any]:
    return card_payments.force_resolve(
        till.uow(), payment_id, outcome, manager_id=manager_id, cashier_id=cashier_id, note=note
    )


def payments_status(runtime: PaymentRuntime) -> Any:
    return runtime.status()
