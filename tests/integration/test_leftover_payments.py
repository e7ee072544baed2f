"""A till restarted during a card payment, with the terminal simulator as a real server:
the payment left in flight is found at start-up, listed for a manager at once, and a
terminal that never had it gives the sale back instead of blocking the till."""

from __future__ import annotations

import pytest

from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Warn
from pos.payments.http import HttpTerminal
from pos.payments.simulator import TerminalSimulator
from pos.services.attention import payments_needing_attention
from pos.services.card_payments import (
    cancel_card_payment,
    check_card_payment,
    claim_leftover_payments,
    start_card_payment,
)
from pos.services.users import UserView
from pos.store.models import Cart, CartStatus, Reservation, ReservationStatus
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.invariants import assert_invariants
from tests.payments import API_KEY, SECRET, card_sale, terminal_rig
from tests.sales import rows


def fresh_terminal() -> tuple[TerminalSimulator, HttpTerminal]:
    """The terminal after the till's restart: a simulator that never heard of the payment
    (the demo's runs in the till's own process, so a restart starts a new one)."""
    sim = TerminalSimulator(
        api_key=API_KEY, webhook_url=None, webhook_secret=SECRET, decision_delay=0.05
    ).start()
    return sim, HttpTerminal(sim.url, API_KEY, retries=0, backoff=0.01)


def held(store: Store, cart_id: int) -> list[int]:
    return [
        row.quantity
        for row in rows(store, Reservation, Reservation.cart_id == cart_id)
        if row.status == ReservationStatus.ACTIVE
    ]


@pytest.mark.parametrize("ask", ["check", "cancel"])
def test_a_terminal_that_never_had_the_payment_fails_it_and_gives_the_cart_back(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, ask: str
) -> None:
    with terminal_rig(store, clock) as rig:
        left, cart, _product = card_sale(uow, shelf, 20646, quantity=2)  # ₺412,92: no answer
        started = value(start_card_payment(uow, rig.terminal, left.payment_id))
        assert started.status is PaymentStatus.PENDING
        assert started.terminal_payment_id is not None
    sim, terminal = fresh_terminal()
    try:
        if ask == "check":
            answer = check_card_payment(uow, terminal, left.payment_id)
        else:
            answer = cancel_card_payment(uow, terminal, left.payment_id, wait_seconds=0)
        # Today: "Terminal isteği reddetti: no payment pay_…", and the payment stays stuck.
        assert isinstance(answer, Warn)
        assert answer.code is Code.TERMINAL_NEVER_HAD_PAYMENT
        assert answer.value.status is PaymentStatus.FAILED
        assert rows(store, Cart, Cart.id == cart)[0].status == CartStatus.OPEN
        assert held(store, cart) == [2]  # the goods are still held for another tender

        # The next sale at this till takes a card at once: no "busy with another payment".
        second, _cart, _product = card_sale(uow, shelf, 1000)
        view = value(start_card_payment(uow, terminal, second.payment_id))
        assert view.status in (PaymentStatus.PENDING, PaymentStatus.PAID)
    finally:
        terminal.close()
        sim.stop()
    assert_invariants(store.engine)


def test_a_payment_left_by_a_restart_is_found_at_start_up_and_listed_at_once(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    with terminal_rig(store, clock) as rig:
        left, _cart, _product = card_sale(uow, shelf, 1292)
        value(start_card_payment(uow, rig.terminal, left.payment_id))
        never_sent, _cart, _product = card_sale(uow, shelf, 2292)
    # Within the payment window nothing was listed: a cashier was waiting on them.
    assert value(payments_needing_attention(uow, manager_id=manager.id)).waiting.rows == ()

    found = value(claim_leftover_payments(uow, till_id=1))

    assert [view.payment_id for view in found] == [left.payment_id, never_sent.payment_id]
    assert all(view.left_over_at is not None for view in found)
    waiting = value(payments_needing_attention(uow, manager_id=manager.id)).waiting.rows
    assert sorted(row.payment_id for row in waiting) == [left.payment_id, never_sent.payment_id]
    assert all(row.left_by_restart for row in waiting)
    # Claimed once: a second start-up finds them again, marked as before.
    again = value(claim_leftover_payments(uow, till_id=1))
    assert [view.left_over_at for view in again] == [view.left_over_at for view in found]
