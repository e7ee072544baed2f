"""Operation factories for card payments (run on the worker, never on the GUI thread)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pos.bootstrap import Till
from pos.domain.payments import PaymentStatus
from pos.domain.results import Err, Result
from pos.services.card_payments import (
    cancel_card_payment,
    card_payment,
    force_resolve,
    start_card_payment,
)
from pos.services.checkout import Card, checkout

if TYPE_CHECKING:
    from pos.payments.runtime import PaymentRuntime


@dataclass(frozen=True)
class CardStart:
    """What pressing Card answered: the checkout's refusal, or the payment as started."""

    result: Result[Any]
    payment_id: int | None = None


def start_card(
    till: Till,
    runtime: PaymentRuntime,
    cart_id: int,
    *,
    shown_total_minor: int,
    key: str,
    cashier_id: int | None = None,
) -> CardStart:
    sale = checkout(
        till.uow(),
        cart_id,
        shown_total_minor=shown_total_minor,
        tender=Card(provider=runtime.terminal.provider),
        idempotency_key=key,
        cashier_id=cashier_id,
    )
    if isinstance(sale, Err):
        return CardStart(sale)
    started = start_card_payment(till.uow(), runtime.terminal, sale.value.payment_id)
    runtime.wake()
    return CardStart(started, sale.value.payment_id)


def card_state(till: Till, payment_id: int) -> Result[Any]:
    return card_payment(till.uow(), payment_id)


def cancel_card(till: Till, runtime: PaymentRuntime, payment_id: int) -> Result[Any]:
    return cancel_card_payment(till.uow(), runtime.terminal, payment_id)


def resolve_by_hand(
    till: Till,
    payment_id: int,
    outcome: PaymentStatus,
    *,
    manager_id: int,
    cashier_id: int,
    note: str,
) -> Result[Any]:
    return force_resolve(
        till.uow(), payment_id, outcome, manager_id=manager_id, cashier_id=cashier_id, note=note
    )


def payments_status(runtime: PaymentRuntime) -> Any:
    return runtime.status()
