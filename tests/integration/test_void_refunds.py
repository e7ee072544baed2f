"""Voiding a sale with tenders settled: the money goes back first (DESIGN.md §4).

Cash comes back from the drawer at once; a card's refund goes through the terminal
simulator, a real HTTP server, and is confirmed by its signed webhook or by the
poller, through the one reconciler. The sale ends cancelled, its goods back on the
shelf, only once every settled tender is back. Both stores.
"""

from __future__ import annotations

from typing import Any

import pytest

from pos.domain.messages import render
from pos.domain.payments import PaymentStatus, RefundStatus
from pos.domain.results import Code
from pos.services.card_payments import start_card_payment
from pos.services.cart import cart_summary
from pos.services.payments import mark_paid
from pos.services.refunds import refund, request_refund, void_tendered_sale
from pos.services.tenders import Card, Cash, add_tender, sale_tenders
from pos.store.models import AuditEntry, CartStatus, Order, OrderStatus, Payment, Refund
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.invariants import assert_invariants, stock_books
from tests.payments import terminal_rig
from tests.sales import key, new_cart, rows, shown_total

pytestmark = pytest.mark.usefixtures("manager")


def ring_up(uow: UnitOfWork, shelf: Shelf, price_minor: int) -> tuple[int, int]:
    from pos.services.cart import add_to_cart

    product = shelf.product(stock=5, price_minor=price_minor)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    return cart, product


def first(uow: UnitOfWork, cart: int, tender: Cash | Card) -> Any:
    from pos.services.checkout import checkout

    return value(
        checkout(
            uow,
            cart,
            shown_total_minor=shown_total(uow, cart),
            tender=tender,
            idempotency_key=key(),
        )
    )


def order_status(store: Store, order_id: object) -> OrderStatus:
    (row,) = rows(store, Order.status, Order.id == order_id)
    return OrderStatus(row.status)


def wait_for_refund(uow: UnitOfWork, refund_id: int, timeout: float = 10.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        view = refund(uow, refund_id).value  # type: ignore[union-attr]
        if not view.unresolved or time.monotonic() > deadline:
            return view
        time.sleep(0.02)


def test_voiding_a_sale_part_paid_in_cash_pays_it_back_and_puts_the_goods_back(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    cart, product = ring_up(uow, shelf, 5000)
    sale = first(uow, cart, Cash(2000, amount_minor=2000))
    assert stock_books(store.engine)[product][:2] == (4, 1)
    voided = value(void_tendered_sale(uow, sale.order_id, user_id=cashier.id))
    assert voided.voided
    assert voided.cash_back_minor == 2000
    assert voided.card_refunds == ()
    assert order_status(store, sale.order_id) is OrderStatus.CANCELLED
    assert stock_books(store.engine)[product][:2] == (5, 0)
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    (payment,) = rows(store, Payment.status)
    assert payment.status == PaymentStatus.REFUNDED
    (back,) = rows(store, Refund)
    assert (back.amount_minor, back.status, back.payment_id) == (
        2000,
        RefundStatus.SUCCEEDED,
        sale.payment_id,
    )
    audit = rows(store, AuditEntry.action, AuditEntry.action == "sale.voided")
    assert len(audit) == 1
    assert_invariants(store.engine)


def test_a_sale_is_not_voided_while_a_tender_is_in_flight_nor_after_it_is_paid(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    cart, _product = ring_up(uow, shelf, 5000)
    sale = first(uow, cart, Card(amount_minor=1000))
    busy = error(void_tendered_sale(uow, sale.order_id, user_id=cashier.id))
    assert busy.code is Code.PAYMENT_IN_PROGRESS
    value(mark_paid(uow, sale.payment_id))
    value(add_tender(uow, sale.order_id, Cash(4000), idempotency_key=key()))
    paid = error(void_tendered_sale(uow, sale.order_id, user_id=cashier.id))
    assert paid.code is Code.SALE_NOT_OPEN
    assert rows(store, Refund.id) == []


def test_a_refund_for_more_than_was_settled_is_refused_and_changes_nothing(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, _product = ring_up(uow, shelf, 5000)
    sale = first(uow, cart, Cash(2000, amount_minor=2000))
    for amount in (2001, 0, -5, 1.5, True):
        with uow:
            try:
                request_refund(
                    uow.connection,
                    uow.now(),
                    payment_id=sale.payment_id,
                    amount_minor=amount,
                    reason="void",
                    user_id=None,
                )
            except Exception as refused:  # Refused carries the typed error
                problem = refused.error  # type: ignore[attr-defined]
            else:
                pytest.fail(f"{amount!r} was refunded")
        assert problem.code in (Code.REFUND_TOO_LARGE, Code.INVALID_AMOUNT)
        if problem.code is Code.REFUND_TOO_LARGE:
            assert "20,00" in render(problem, "tr")
    assert rows(store, Refund.id) == []


def test_voiding_a_sale_with_a_card_settled_refunds_it_through_the_terminal(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    with terminal_rig(store, clock) as rig:
        cart, product = ring_up(uow, shelf, 5000)
        sale = first(uow, cart, Card(amount_minor=3000))
        start_card_payment(uow, rig.terminal, sale.payment_id)
        assert rig.wait_settled(sale.payment_id).status is PaymentStatus.PAID
        value(add_tender(uow, sale.order_id, Cash(1000, amount_minor=1000), idempotency_key=key()))

        outcome = void_tendered_sale(uow, sale.order_id, user_id=cashier.id)
        assert outcome.code is Code.REFUNDS_UNDER_WAY
        assert outcome.value.cash_back_minor == 1000  # type: ignore[union-attr]
        (waiting,) = outcome.value.card_refunds  # type: ignore[union-attr]
        assert order_status(store, sale.order_id) is OrderStatus.PENDING
        assert value(sale_tenders(uow, sale.order_id)).voiding
        refused = error(add_tender(uow, sale.order_id, Cash(100), idempotency_key=key()))
        assert refused.code is Code.SALE_BEING_VOIDED

        from pos.services.refunds import start_refund

        start_refund(uow, rig.terminal, waiting.refund_id)
        done = wait_for_refund(uow, waiting.refund_id)
        # Asking again with the same key answers the same refund: never a second one.
        start_refund(uow, rig.terminal, waiting.refund_id)
        assert rig.simulator.refund_count == 1
    assert done.status is RefundStatus.SUCCEEDED
    assert done.terminal_refund_id is not None
    assert order_status(store, sale.order_id) is OrderStatus.CANCELLED
    assert stock_books(store.engine)[product][:2] == (5, 0)
    assert {row.status for row in rows(store, Payment.status)} == {PaymentStatus.REFUNDED}
    assert_invariants(store.engine)


def test_a_declined_card_refund_moves_nothing_and_counts_for_nothing(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    from pos.services.refunds import start_refund

    with terminal_rig(store, clock) as rig:
        cart, product = ring_up(uow, shelf, 5000)
        sale = first(uow, cart, Card(amount_minor=3000))
        start_card_payment(uow, rig.terminal, sale.payment_id)
        assert rig.wait_settled(sale.payment_id).status is PaymentStatus.PAID
        with uow:  # a part of the tender, as a return asks (a refund of ..91 is declined)
            declined = request_refund(
                uow.connection,
                uow.now(),
                payment_id=sale.payment_id,
                amount_minor=1091,
                reason="return",
                user_id=cashier.id,
            )
            uow.commit()
        assert start_refund(uow, rig.terminal, declined).code in (
            Code.REFUND_PENDING,
            Code.REFUND_FAILED,
        )
        failed = wait_for_refund(uow, declined)
        assert failed.status is RefundStatus.FAILED
        (payment,) = rows(store, Payment.status)
        assert payment.status == PaymentStatus.PAID
        assert stock_books(store.engine)[product][:2] == (4, 1)  # still held for the sale

        # The declined refund gave nothing back, so the void asks for all of the tender.
        outcome = void_tendered_sale(uow, sale.order_id, user_id=cashier.id)
        (retry,) = outcome.value.card_refunds  # type: ignore[union-attr]
        assert retry.amount_minor == 3000
        assert retry.idempotency_key != failed.idempotency_key
        start_refund(uow, rig.terminal, retry.refund_id)
        assert wait_for_refund(uow, retry.refund_id).status is RefundStatus.SUCCEEDED
    assert order_status(store, sale.order_id) is OrderStatus.CANCELLED
    assert_invariants(store.engine)


def test_the_poller_sends_a_card_refund_and_finds_its_outcome_without_a_webhook(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    with terminal_rig(store, clock, webhooks=False) as rig:
        cart, _product = ring_up(uow, shelf, 5000)
        sale = first(uow, cart, Card(amount_minor=5000))
        start_card_payment(uow, rig.terminal, sale.payment_id)
        poller = rig.poller()
        for _ in range(200):
            poller.run_once()
            if rig.view(sale.payment_id).status is PaymentStatus.PAID:
                break
        # Paid in full by the card: nothing to void. A part card sale is voidable instead.
        assert order_status(store, sale.order_id) is OrderStatus.PAID

        cart, _product = ring_up(uow, shelf, 5000)
        sale = first(uow, cart, Card(amount_minor=1000))
        start_card_payment(uow, rig.terminal, sale.payment_id)
        for _ in range(200):
            poller.run_once()
            if rig.view(sale.payment_id).status is PaymentStatus.PAID:
                break
        outcome = void_tendered_sale(uow, sale.order_id, user_id=cashier.id)
        (waiting,) = outcome.value.card_refunds  # type: ignore[union-attr]
        for _ in range(200):
            poller.run_once()
            if not value(refund(uow, waiting.refund_id)).unresolved:
                break
            import time

            time.sleep(0.02)
    assert value(refund(uow, waiting.refund_id)).status is RefundStatus.SUCCEEDED
    assert order_status(store, sale.order_id) is OrderStatus.CANCELLED
    assert_invariants(store.engine)


def test_the_audit_log_says_what_a_void_gave_back(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    from pos.domain.audit_wording import describe
    from pos.services.audit_log import audit_entries

    cart, _product = ring_up(uow, shelf, 5000)
    sale = first(uow, cart, Cash(2000, amount_minor=2000))
    value(void_tendered_sale(uow, sale.order_id, user_id=cashier.id))
    page = value(audit_entries(uow, manager_id=manager.id))
    (said,) = [row for row in page.rows if row.action == "sale.voided"]
    assert "1 adet stoğa döndü" in describe(said.facts, "tr")
