"""Card payments end to end: checkout, the terminal simulator, its webhooks, the poller.

Every scenario runs over real HTTP on loopback on both databases, from the card
checkout to a paid or failed order, and checks the stock and coupon books.
"""

from __future__ import annotations

import threading
import time

import pytest

from pos.domain.payments import PaymentStatus, Settler
from pos.domain.results import Code, Err, Warn
from pos.payments.http import HttpTerminal
from pos.runtime.poller import Poller
from pos.services.card_payments import (
    cancel_card_payment,
    check_card_payment,
    force_resolve,
    start_card_payment,
    unresolved_card_payments,
)
from pos.services.cart import add_to_cart, cart_summary
from pos.services.payment_events import apply_payment_event, match_unmatched_events
from pos.services.payments import mark_pending
from pos.store.models import (
    AuditEntry,
    CartStatus,
    CouponRedemption,
    EventOutcome,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    Receipt,
    RedemptionState,
    Reservation,
    ReservationStatus,
)
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.invariants import assert_invariants, stock_books
from tests.payments import API_KEY, card_sale, fixed_coupon, terminal_event, terminal_rig
from tests.sales import new_cart, pay_cash, rows

pytestmark = pytest.mark.usefixtures("manager")


def started(rig_uow: UnitOfWork, terminal: HttpTerminal, payment_id: int) -> PaymentStatus:
    result = start_card_payment(rig_uow, terminal, payment_id)
    assert not isinstance(result, Err), result
    return result.value.status


def order_status(store: Store, order_id: object) -> OrderStatus:
    (order,) = rows(store, Order.status, Order.id == order_id)
    return OrderStatus(order.status)


def active_holds(store: Store, product: int) -> int:
    return sum(
        row.quantity
        for row in rows(
            store,
            Reservation.quantity,
            Reservation.product_id == product,
            Reservation.status == ReservationStatus.ACTIVE,
        )
    )


def test_an_approved_card_sale_is_paid_by_the_webhook(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, manager: object
) -> None:
    code = fixed_coupon(uow, manager.id, "ON", 1000)  # type: ignore[attr-defined]
    with terminal_rig(store, clock) as rig:
        sale, cart, product = card_sale(uow, shelf, 5000, quantity=2, coupon=code)
        assert sale.total_minor == 9000
        assert started(uow, rig.terminal, sale.payment_id) is PaymentStatus.PENDING
        view = rig.wait_settled(sale.payment_id)
    assert view.status is PaymentStatus.PAID
    assert view.settled_by == Settler.WEBHOOK
    assert view.receipt == "T01-000001"
    assert order_status(store, sale.order_id) is OrderStatus.PAID
    assert stock_books(store.engine)[product][:2] == (3, 0)
    (redemption,) = rows(store, CouponRedemption.state)
    assert redemption.state == RedemptionState.CONFIRMED
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    assert_invariants(store.engine)


def test_a_decline_reopens_the_sale_with_its_goods_held_and_its_coupon_given_back(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, manager: object
) -> None:
    code = fixed_coupon(uow, manager.id, "ON", 1000)  # type: ignore[attr-defined]
    with terminal_rig(store, clock) as rig:
        sale, cart, product = card_sale(uow, shelf, 2291, coupon=code)  # ..91: declined
        started(uow, rig.terminal, sale.payment_id)
        view = rig.wait_settled(sale.payment_id)
    assert view.status is PaymentStatus.FAILED
    assert order_status(store, sale.order_id) is OrderStatus.FAILED
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert active_holds(store, product) == 1
    (redemption,) = rows(store, CouponRedemption.state)
    assert redemption.state == RedemptionState.RELEASED
    assert rows(store, Receipt.number) == []
    assert_invariants(store.engine)


def test_a_terminal_that_never_answers_is_cancelled_and_nothing_is_released_before(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, cart, product = card_sale(uow, shelf, 1292)  # ..92: no answer
        started(uow, rig.terminal, sale.payment_id)
        waiting = rig.wait_for(sale.payment_id, lambda view: False, timeout=0.3)
        assert waiting.status is PaymentStatus.PENDING
        assert value(cart_summary(uow, cart)).status is CartStatus.CHECKING_OUT
        cancelled = cancel_card_payment(uow, rig.terminal, sale.payment_id)
    assert isinstance(cancelled, Warn)
    assert cancelled.code is Code.PAYMENT_FAILED
    assert cancelled.value.status is PaymentStatus.CANCELLED
    assert cancelled.value.cancel_requested_at is not None
    assert order_status(store, sale.order_id) is OrderStatus.CANCELLED
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert active_holds(store, product) == 1
    assert_invariants(store.engine)


def test_cancelling_when_the_terminal_cannot_say_keeps_everything_held(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, cart, product = card_sale(uow, shelf, 1292)
        started(uow, rig.terminal, sale.payment_id)
    # The rig is gone: the terminal does not answer any more.
    gone = HttpTerminal(rig.simulator.url, API_KEY, retries=0, connect_timeout=0.2)
    refused = error(cancel_card_payment(uow, gone, sale.payment_id))
    assert refused.code is Code.PAYMENT_STATE_UNKNOWN
    assert value(cart_summary(uow, cart)).status is CartStatus.CHECKING_OUT
    assert active_holds(store, product) == 1
    assert_invariants(store.engine)


def test_a_webhook_delivered_twice_is_applied_once(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _cart, product = card_sale(uow, shelf, 1293)  # ..93: delivered twice
        started(uow, rig.terminal, sale.payment_id)
        rig.wait_settled(sale.payment_id)
        deadline_view = rig.wait_for(sale.payment_id, lambda view: False, timeout=0.3)
    assert deadline_view.status is PaymentStatus.PAID
    webhook_events = rows(store, PaymentEvent.event_id, PaymentEvent.source == "webhook")
    assert len(webhook_events) == 1
    assert rig.simulator.webhook_attempts >= 2
    assert len(rows(store, Receipt.number)) == 1
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_a_late_webhook_changes_nothing_after_the_poller_found_the_outcome(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock, late_delay=1.0) as rig:
        sale, _cart, product = card_sale(uow, shelf, 1294)  # ..94: webhook late
        started(uow, rig.terminal, sale.payment_id)
        poller = rig.poller()
        rig.wait_for(sale.payment_id, lambda view: poller.run_once() == 0)
        found = rig.view(sale.payment_id)
        assert found.status is PaymentStatus.PAID
        assert found.settled_by == Settler.POLL
        rig.wait_for(
            sale.payment_id,
            lambda view: len(rows(store, PaymentEvent.id, PaymentEvent.source == "webhook")) > 0,
        )
    (late,) = rows(store, PaymentEvent.outcome, PaymentEvent.source == "webhook")
    assert late.outcome == EventOutcome.IGNORED
    assert len(rows(store, Receipt.number)) == 1
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_failed_after_succeeded_leaves_the_sale_paid(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, cart, product = card_sale(uow, shelf, 1295)  # ..95: failed after succeeded
        started(uow, rig.terminal, sale.payment_id)
        rig.wait_settled(sale.payment_id)
        rig.wait_for(
            sale.payment_id,
            lambda view: len(rows(store, PaymentEvent.id, PaymentEvent.source == "webhook")) == 2,
        )
    outcomes = sorted(
        (row.type, row.outcome)
        for row in rows(store, PaymentEvent)
        if row.type != "payment.pending"
    )
    assert ("payment.failed", EventOutcome.IGNORED) in outcomes
    assert rig.view(sale.payment_id).status is PaymentStatus.PAID
    assert order_status(store, sale.order_id) is OrderStatus.PAID
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_without_a_webhook_only_the_poller_finds_the_outcome(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _cart, product = card_sale(uow, shelf, 1296)  # ..96: webhook never sent
        started(uow, rig.terminal, sale.payment_id)
        still = rig.wait_for(sale.payment_id, lambda view: False, timeout=0.3)
        assert still.status is PaymentStatus.PENDING
        poller = rig.poller()
        rig.wait_for(sale.payment_id, lambda view: poller.run_once() == 0)
        found = rig.view(sale.payment_id)
    assert found.status is PaymentStatus.PAID
    assert found.settled_by == Settler.POLL
    assert rows(store, PaymentEvent.id, PaymentEvent.source == "webhook") == []
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_the_terminal_takes_no_second_payment_while_one_is_unresolved(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        first, _cart, _product = card_sale(uow, shelf, 1292)
        started(uow, rig.terminal, first.payment_id)
        second, second_cart, second_product = card_sale(uow, shelf, 1000)
        refused = error(start_card_payment(uow, rig.terminal, second.payment_id))
        seen = rig.simulator.requests_seen
    assert refused.code is Code.TERMINAL_BUSY
    assert seen == 1  # only the first payment ever reached the terminal
    assert rig.view(second.payment_id).status is PaymentStatus.CANCELLED
    assert value(cart_summary(uow, second_cart)).status is CartStatus.OPEN
    assert active_holds(store, second_product) == 1
    assert [view.payment_id for view in value(unresolved_card_payments(uow))] == [first.payment_id]
    assert_invariants(store.engine)


def test_an_unreachable_terminal_leaves_the_payment_for_the_poller_to_start_with_its_key(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _cart, product = card_sale(uow, shelf, 1296)
        dead = HttpTerminal("http://127.0.0.1:9", API_KEY, retries=1, backoff=0.01)
        answer = start_card_payment(uow, dead, sale.payment_id)
        assert isinstance(answer, Warn)
        assert answer.code is Code.TERMINAL_UNREACHABLE
        assert answer.value.status is PaymentStatus.INITIATED
        poller = rig.poller()
        rig.wait_for(sale.payment_id, lambda view: poller.run_once() == 0)
        found = rig.view(sale.payment_id)
        again = value(start_card_payment(uow, rig.terminal, sale.payment_id))
        charged = rig.simulator.payment_count
    assert found.status is PaymentStatus.PAID
    assert again.status is PaymentStatus.PAID
    assert charged == 1
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_past_the_payment_window_the_poller_asks_once_more_then_cancels(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, cart, _product = card_sale(uow, shelf, 1292)
        started(uow, rig.terminal, sale.payment_id)
        poller = rig.poller()  # the default card answer window: 5 minutes
        assert poller.run_once() == 1
        assert rig.view(sale.payment_id).status is PaymentStatus.PENDING
        clock.advance(minutes=6)
        poller.run_once()
        rig.wait_for(sale.payment_id, lambda view: poller.run_once() == 0)
        view = rig.view(sale.payment_id)
    assert view.status is PaymentStatus.CANCELLED
    assert view.cancel_requested_at is not None
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert_invariants(store.engine)


def test_the_webhook_and_the_poller_racing_apply_the_sale_once(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _cart, product = card_sale(uow, shelf, 1293, quantity=3)  # webhook twice, too
        started(uow, rig.terminal, sale.payment_id)
        stop = threading.Event()
        problems: list[BaseException] = []

        def poll() -> None:
            try:
                while not stop.is_set():
                    check_card_payment(rig.uow(), rig.terminal, sale.payment_id)
            except BaseException as exc:  # pragma: no cover - reported below
                problems.append(exc)

        pollers = [threading.Thread(target=poll) for _ in range(4)]
        for thread in pollers:
            thread.start()
        view = rig.wait_settled(sale.payment_id)
        rig.wait_for(sale.payment_id, lambda view: False, timeout=0.3)
        stop.set()
        for thread in pollers:
            thread.join()
    assert problems == []
    assert view.status is PaymentStatus.PAID
    applied = rows(store, PaymentEvent.id, PaymentEvent.outcome == EventOutcome.APPLIED)
    assert len(applied) == 2  # pending, then paid: each applied by exactly one of them
    assert len(rows(store, Receipt.number)) == 1
    assert stock_books(store.engine)[product][:2] == (2, 0)
    assert_invariants(store.engine)


def test_an_event_for_a_payment_not_known_yet_is_kept_and_matched_when_it_appears(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    sale, _cart, product = card_sale(uow, shelf, 1000)
    early = terminal_event("evt_early", "pay_later")
    kept = value(apply_payment_event(uow, early))
    assert kept.outcome is EventOutcome.UNMATCHED
    assert value(match_unmatched_events(uow)) == 0
    value(mark_pending(uow, sale.payment_id, provider_payment_id="pay_later"))
    assert value(match_unmatched_events(uow)) == 1
    (event,) = rows(store, PaymentEvent)
    assert (event.outcome, event.payment_id) == (EventOutcome.APPLIED, sale.payment_id)
    assert order_status(store, sale.order_id) is OrderStatus.PAID
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_an_event_whose_amount_differs_is_not_applied_and_flags_the_payment(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    sale, _cart, product = card_sale(uow, shelf, 1000)
    wrong = terminal_event("evt_wrong", "pay_x", payment_id=sale.payment_id, amount_minor=1)
    assert value(apply_payment_event(uow, wrong)).outcome is EventOutcome.MISMATCH
    (payment,) = rows(store, Order.status, Order.id == sale.order_id)
    assert payment.status == OrderStatus.PENDING
    assert active_holds(store, product) == 1
    checked = check_card_payment(uow, HttpTerminal("http://127.0.0.1:9", API_KEY), sale.payment_id)
    assert isinstance(checked, Warn)
    assert checked.code is Code.PAYMENT_UNDER_REVIEW
    assert_invariants(store.engine)


def test_a_manager_resolves_a_stuck_payment_by_hand_and_it_is_audited(
    store: Store, uow: UnitOfWork, shelf: Shelf, manager: object, cashier: object
) -> None:
    sale, cart, _product = card_sale(uow, shelf, 1000)
    refused = error(
        force_resolve(
            uow,
            sale.payment_id,
            PaymentStatus.PAID,
            manager_id=cashier.id,  # type: ignore[attr-defined]
            note="müşteri fişi gösterdi",
        )
    )
    assert refused.code is Code.NOT_PERMITTED
    for note in ("", "   ", "x" * 501, None, 42):
        bad = force_resolve(
            uow,
            sale.payment_id,
            PaymentStatus.PAID,
            manager_id=manager.id,  # type: ignore[attr-defined]
            note=note,
        )
        assert error(bad).code is Code.INVALID_NOTE
    assert (
        error(
            force_resolve(
                uow,
                sale.payment_id,
                "paid",
                manager_id=manager.id,  # type: ignore[attr-defined]
                note="x",
            )
        ).code
        is Code.INVALID_OUTCOME
    )
    assert rows(store, AuditEntry.id, AuditEntry.action == "payment.force_resolve") == []
    view = value(
        force_resolve(
            uow,
            sale.payment_id,
            PaymentStatus.CANCELLED,
            manager_id=manager.id,  # type: ignore[attr-defined]
            note="Terminal kapandı, müşteri nakit ödeyecek",
        )
    )
    assert view.status is PaymentStatus.CANCELLED
    assert view.settled_by == Settler.MANAGER
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "payment.force_resolve")
    assert entry.user_id == manager.id  # type: ignore[attr-defined]
    assert '"before": "initiated"' in entry.details
    assert "nakit" in entry.details
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert_invariants(store.engine)


def test_a_cash_sale_says_it_was_settled_in_cash(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    product = shelf.product(stock=3)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_cash(uow, cart))
    (payment,) = rows(store, Payment.settled_by, Payment.id == sale.payment_id)
    assert payment.settled_by == Settler.CASH


def test_the_poller_asks_often_while_a_payment_is_in_flight_and_rarely_otherwise(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    looked: list[float] = []

    def counted() -> UnitOfWork:  # the poller opens one to list the unresolved payments
        looked.append(time.monotonic())
        return rig.uow()

    with terminal_rig(store, clock) as rig:
        poller = Poller(counted, rig.terminal, fast=0.05, slow=30.0, clock=clock).start()
        try:
            time.sleep(0.5)  # nothing in flight: one round at start, then the slow pace
            idle = len(looked)
            sale, _cart, _product = card_sale(uow, shelf, 1292)  # waits until cancelled
            started(uow, rig.terminal, sale.payment_id)
            poller.wake()
            time.sleep(0.5)
            busy = len(looked) - idle
        finally:
            poller.stop()
    assert idle <= 3  # the first round's reads, then nothing for 30 s
    assert busy >= 8  # a round every 0.05 s while the payment is in flight
