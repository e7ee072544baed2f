"""A card terminal rig for the tests: the simulator, the listener and the poller, on loopback.

Everything runs for real: the simulator is an HTTP server deciding payments and
posting signed webhooks, the listener is the till's HTTP server receiving them, and
the adapter talks HTTP to the simulator. Only the delays are short.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pos.domain.coupons import CouponKind
from pos.domain.payments import PaymentStatus, Settler, TerminalEvent
from pos.payments.http import HttpTerminal
from pos.payments.simulator import TerminalSimulator
from pos.runtime.listener import WebhookListener
from pos.runtime.poller import Poller
from pos.services.card_payments import CardPaymentView, card_payment
from pos.services.cart import add_to_cart
from pos.services.checkout import Sale
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.sales import new_cart, pay_by_card

SECRET = "whsec_test_0123456789abcdef"
API_KEY = "sk_test_till"


@dataclass
class Rig:
    store: Store
    clock: FakeClock
    simulator: TerminalSimulator
    listener: WebhookListener
    terminal: HttpTerminal

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.store.engine, self.clock)

    def poller(self, **kwargs: object) -> Poller:
        return Poller(self.uow, self.terminal, clock=self.clock, **kwargs)  # type: ignore[arg-type]

    def view(self, payment_id: int) -> CardPaymentView:
        return value(card_payment(self.uow(), payment_id))

    def wait_for(
        self, payment_id: int, done: Callable[[CardPaymentView], bool], timeout: float = 10.0
    ) -> CardPaymentView:
        deadline = time.monotonic() + timeout
        while True:
            view = self.view(payment_id)
            if done(view) or time.monotonic() > deadline:
                return view
            time.sleep(0.02)

    def wait_settled(self, payment_id: int, timeout: float = 10.0) -> CardPaymentView:
        return self.wait_for(payment_id, lambda view: not view.unresolved, timeout)


@contextmanager
def terminal_rig(
    store: Store, clock: FakeClock, *, webhooks: bool = True, **simulator: float
) -> Iterator[Rig]:
    def uow() -> UnitOfWork:
        return UnitOfWork(store.engine, clock)

    listener = WebhookListener(uow, lambda: [SECRET]).start()
    options: dict[str, float] = {
        "decision_delay": 0.05,
        "late_delay": 0.4,
        "webhook_retry_base": 0.02,
        "webhook_retry_cap": 0.2,
    }
    options.update(simulator)
    sim = TerminalSimulator(
        api_key=API_KEY,
        webhook_url=listener.url if webhooks else None,
        webhook_secret=SECRET,
        **options,  # type: ignore[arg-type]
    ).start()
    terminal = HttpTerminal(sim.url, API_KEY, retries=1, backoff=0.01)
    try:
        yield Rig(store, clock, sim, listener, terminal)
    finally:
        terminal.close()
        sim.stop()
        listener.stop()


def card_sale(
    uow: UnitOfWork,
    shelf: Shelf,
    price_minor: int,
    *,
    quantity: int = 1,
    stock: int = 5,
    coupon: str | None = None,
) -> tuple[Sale, int, int]:
    """Ring up one product and check out by card: (the sale, its cart, the product)."""
    product = shelf.product(stock=stock, price_minor=price_minor)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, quantity))
    if coupon is not None:
        value(apply_coupon(uow, cart, coupon))
    sale = value(pay_by_card(uow, cart))
    assert sale.status is PaymentStatus.INITIATED
    return sale, cart, product


def terminal_event(event_id: str, terminal_payment_id: str, **fields: object) -> TerminalEvent:
    """A terminal's report that a payment of ₺10,00 succeeded; ``fields`` change it."""
    reported: dict[str, object] = {
        "provider": "terminal",
        "type": "payment.succeeded",
        "payment_id": None,
        "amount_minor": 1000,
        "currency": "TRY",
        "source": Settler.WEBHOOK,
        "payload": "{}",
        **fields,
    }
    return TerminalEvent(
        event_id=event_id,
        terminal_payment_id=terminal_payment_id,
        **reported,  # type: ignore[arg-type]
    )


def fixed_coupon(uow: UnitOfWork, manager_id: int, code: str, off_minor: int) -> str:
    value(create_coupon(uow, CouponDraft(code, CouponKind.FIXED, off_minor), user_id=manager_id))
    return code
