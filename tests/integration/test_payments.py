"""The payment state machine through the services: each outcome happens once, a late
"failed" never undoes a "paid", a failed payment gives the sale back to the cashier, and
a paid sale is never lost even when its stock is gone."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.payments import PaymentStatus
from pos.domain.policy import Policy
from pos.domain.results import Code, Ok, Warn
from pos.services.cart import add_to_cart, cart_summary, set_quantity, void_sale
from pos.services.checkout import Cash, checkout
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.payments import mark_failed, mark_paid, mark_pending
from pos.services.reservations import end_reservation, release_expired
from pos.store.models import (
    AuditEntry,
    CartStatus,
    Coupon,
    CouponRedemption,
    Order,
    OrderStatus,
    OutboxMessage,
    Oversell,
    Payment,
    Receipt,
    RedemptionState,
    Reservation,
    ReservationStatus,
    TillRow,
)
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, error, value
from tests.invariants import assert_invariants, stock_books
from tests.sales import (
    count,
    new_cart,
    pay_by_card,
    pay_cash,
    rows,
    shown_total,
    two_line_cart,
)


def reservations_of(store, cart: int) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        found = connection.execute(
            select(
                Reservation.product_id,
                Reservation.quantity,
                Reservation.status,
                Reservation.expires_at,
                Reservation.order_id,
            )
            .where(Reservation.cart_id == cart)
            .order_by(Reservation.id)
        )
        return [tuple(row) for row in found]


def everything(uow: UnitOfWork, store, cart: int) -> tuple[object, ...]:
    """All that a refused or repeated outcome must leave as it was."""
    return (
        [tuple(row) for row in rows(store, Order)],
        [tuple(row) for row in rows(store, Payment)],
        [tuple(row) for row in rows(store, Receipt)],
        [tuple(row) for row in rows(store, OutboxMessage)],
        [tuple(row) for row in rows(store, CouponRedemption)],
        [tuple(row) for row in rows(store, Oversell)],
        rows(store, TillRow)[0].last_receipt_number,
        reservations_of(store, cart),
        value(cart_summary(uow, cart)),
        stock_books(store.engine),
    )


def lapse(uow: UnitOfWork, cart: int) -> None:
    """End the cart's active reservations as expired, giving their units back.

    No service lets a sale's holds lapse while its payment is in flight (the sweeper
    skips carts in checkout, by design), yet DESIGN.md §3 requires that a payment that
    succeeds after its holds were released still makes a paid sale. This puts the store
    in that state the same way the sweeper would: one reservation at a time through
    ``end_reservation``, in one unit of work.
    """
    with uow:
        ids = uow.connection.execute(
            select(Reservation.id)
            .where(Reservation.cart_id == cart, Reservation.status == ReservationStatus.ACTIVE)
            .order_by(Reservation.product_id)
        ).scalars()
        for reservation_id in list(ids):
            assert end_reservation(
                uow.connection, reservation_id, ReservationStatus.EXPIRED, uow.now()
            )
        uow.commit()


# -- paid --------------------------------------------------------------------------------


def test_a_card_payment_marked_paid_finalises_the_sale(uow, shelf, store):
    cart, first, second = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    assert (sale.status, sale.receipt) == (PaymentStatus.INITIATED, None)

    settled = value(mark_paid(uow, sale.payment_id))

    assert (settled.status, settled.applied, settled.receipt, settled.oversold) == (
        PaymentStatus.PAID,
        True,
        "T01-000001",
        0,
    )
    assert (settled.order_id, settled.change_minor) == (sale.order_id, None)
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    [order] = rows(store, Order)
    assert (order.status, order.receipt_number) == (OrderStatus.PAID, 1)
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((8, 0), (4, 0))
    assert_invariants(store.engine)


def test_a_payment_marked_paid_twice_moves_stock_and_numbers_the_receipt_once(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    first = value(mark_paid(uow, sale.payment_id))
    before = everything(uow, store, cart)

    again = mark_paid(uow, sale.payment_id)

    assert isinstance(again, Ok)
    assert (again.value.applied, again.value.status, again.value.receipt) == (
        False,
        PaymentStatus.PAID,
        first.receipt,
    )
    assert everything(uow, store, cart) == before
    assert (count(store, Receipt), count(store, OutboxMessage)) == (1, 1)
    assert_invariants(store.engine)


def test_a_cash_sale_marked_paid_again_answers_its_receipt_and_change(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(
        checkout(uow, cart, shown_total_minor=5500, tender=Cash(10_000), idempotency_key="n-1")
    )

    again = value(mark_paid(uow, sale.payment_id))

    assert (again.applied, again.receipt, again.change_minor) == (False, "T01-000001", 4500)


def test_a_late_failure_never_undoes_a_paid_sale_and_is_logged(uow, shelf, store, caplog):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    value(mark_paid(uow, sale.payment_id))
    before = everything(uow, store, cart)

    with caplog.at_level(logging.WARNING, logger="pos.services.payments"):
        refused = error(mark_failed(uow, sale.payment_id))

    assert refused.code is Code.PAYMENT_TRANSITION_FORBIDDEN
    assert render(refused, "tr") == "Ödeme durumu değiştirilemez: paid → failed"
    assert everything(uow, store, cart) == before
    [record] = [r for r in caplog.records if r.name == "pos.services.payments"]
    assert record.levelno == logging.WARNING
    assert "paid -> failed" in record.getMessage()


def test_a_cancellation_after_paid_is_refused_too(uow, shelf, store, caplog):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    value(mark_paid(uow, sale.payment_id))
    before = everything(uow, store, cart)

    with caplog.at_level(logging.WARNING, logger="pos.services.payments"):
        refused = error(mark_failed(uow, sale.payment_id, status=PaymentStatus.CANCELLED))

    assert refused.code is Code.PAYMENT_TRANSITION_FORBIDDEN
    assert everything(uow, store, cart) == before
    assert any("paid -> cancelled" in r.getMessage() for r in caplog.records)


# -- failed and cancelled ----------------------------------------------------------------


def test_a_failed_card_payment_gives_the_sale_back_to_the_cashier(
    uow, shelf, store, clock: FakeClock
):
    cart, first, second = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    books = stock_books(store.engine)
    clock.advance(minutes=3)

    result = mark_failed(uow, sale.payment_id)

    assert isinstance(result, Warn)
    assert result.code is Code.PAYMENT_FAILED
    assert render(result, "tr") == "Ödeme başarısız"
    assert (result.value.status, result.value.applied) == (PaymentStatus.FAILED, True)
    summary = value(cart_summary(uow, cart))
    assert summary.status is CartStatus.OPEN
    assert [line.reserved for line in summary.lines] == [2, 1]
    # Held again for a fresh TTL from the moment of the failure, and no longer tied to
    # the failed order.
    expires = START + timedelta(minutes=3) + Policy().cart_hold
    assert reservations_of(store, cart) == [
        (first, 2, ReservationStatus.ACTIVE, expires, None),
        (second, 1, ReservationStatus.ACTIVE, expires, None),
    ]
    assert stock_books(store.engine) == books
    [order] = rows(store, Order)
    [payment] = rows(store, Payment)
    assert (order.status, order.receipt_number, payment.status) == (
        OrderStatus.FAILED,
        None,
        PaymentStatus.FAILED,
    )
    assert count(store, OutboxMessage) == 0
    assert_invariants(store.engine)


def test_after_a_failed_payment_the_cashier_edits_the_sale_and_takes_cash(
    uow, shelf, store, manager
):
    cart, first, second = two_line_cart(uow, shelf)
    value(
        create_coupon(
            uow, CouponDraft("TEK", CouponKind.FIXED, 500, usage_limit=1), user_id=manager.id
        )
    )
    value(apply_coupon(uow, cart, "TEK"))
    failed = value(pay_by_card(uow, cart))
    value(mark_failed(uow, failed.payment_id))
    [coupon] = rows(store, Coupon)
    assert coupon.times_used == 0

    value(set_quantity(uow, cart, first, 3))
    assert shown_total(uow, cart) == 3 * 1250 + 3000 - 500
    paid = value(pay_cash(uow, cart))

    assert paid.order_id != failed.order_id
    assert (paid.status, paid.receipt, paid.total_minor) == (
        PaymentStatus.PAID,
        "T01-000001",
        6250,
    )
    statuses = {row.id: row.status for row in rows(store, Order)}
    assert statuses == {failed.order_id: OrderStatus.FAILED, paid.order_id: OrderStatus.PAID}
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((7, 0), (4, 0))
    assert [(r.order_id, r.state) for r in rows(store, CouponRedemption)] == [
        (failed.order_id, RedemptionState.RELEASED),
        (paid.order_id, RedemptionState.CONFIRMED),
    ]
    assert_invariants(store.engine)


def test_a_payment_marked_failed_twice_fails_once(uow, shelf, store, clock: FakeClock):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    value(mark_failed(uow, sale.payment_id))
    clock.advance(minutes=5)
    before = everything(uow, store, cart)

    again = mark_failed(uow, sale.payment_id)

    assert isinstance(again, Warn)
    assert again.code is Code.PAYMENT_FAILED
    assert (again.value.applied, again.value.status) == (False, PaymentStatus.FAILED)
    # The repeat did not stretch the holds again.
    assert everything(uow, store, cart) == before


def test_a_failed_payment_cannot_be_marked_paid_afterwards(uow, shelf, store, caplog):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    value(mark_failed(uow, sale.payment_id))
    before = everything(uow, store, cart)

    with caplog.at_level(logging.WARNING, logger="pos.services.payments"):
        refused = error(mark_paid(uow, sale.payment_id))

    assert refused.code is Code.PAYMENT_TRANSITION_FORBIDDEN
    assert refused.params == {"current": PaymentStatus.FAILED, "target": PaymentStatus.PAID}
    assert everything(uow, store, cart) == before
    assert count(store, Receipt) == 0
    assert any("failed -> paid" in r.getMessage() for r in caplog.records)


def test_a_cancelled_payment_behaves_like_a_failed_one(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))

    result = mark_failed(uow, sale.payment_id, status=PaymentStatus.CANCELLED)

    assert isinstance(result, Warn)
    assert (result.code, render(result, "tr")) == (Code.PAYMENT_FAILED, "Ödeme başarısız")
    assert (result.value.status, result.value.applied) == (PaymentStatus.CANCELLED, True)
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    [order] = rows(store, Order)
    [payment] = rows(store, Payment)
    assert (order.status, payment.status) == (OrderStatus.CANCELLED, PaymentStatus.CANCELLED)
    assert {r[2] for r in reservations_of(store, cart)} == {ReservationStatus.ACTIVE}
    assert {r[4] for r in reservations_of(store, cart)} == {None}
    # Cancelled is final: neither a repeat nor another outcome moves it.
    again = mark_failed(uow, sale.payment_id, status=PaymentStatus.CANCELLED)
    assert isinstance(again, Warn)
    assert again.value.applied is False
    assert error(mark_failed(uow, sale.payment_id)).code is Code.PAYMENT_TRANSITION_FORBIDDEN
    assert error(mark_paid(uow, sale.payment_id)).code is Code.PAYMENT_TRANSITION_FORBIDDEN
    assert value(pay_cash(uow, cart)).receipt == "T01-000001"
    assert_invariants(store.engine)


def test_a_failed_sale_left_alone_is_released_by_the_sweeper(uow, shelf, store, clock):
    cart, first, second = two_line_cart(uow, shelf)
    value(mark_failed(uow, value(pay_by_card(uow, cart)).payment_id))

    clock.advance(minutes=15)
    report = value(release_expired(uow))

    assert (report.expired, report.units_returned) == (2, 3)
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((10, 0), (5, 0))
    assert_invariants(store.engine)


# -- paid after the holds lapsed -----------------------------------------------------------


def test_a_payment_that_succeeds_after_its_holds_lapsed_takes_the_stock_again(uow, shelf, store):
    cart, first, second = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    lapse(uow, cart)
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((10, 0), (5, 0))

    settled = value(mark_paid(uow, sale.payment_id))

    assert (settled.applied, settled.oversold, settled.receipt) == (True, 0, "T01-000001")
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((8, 0), (4, 0))
    assert count(store, Oversell) == 0
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    assert_invariants(store.engine)


def test_a_payment_that_succeeds_when_the_stock_is_gone_is_still_a_paid_sale_with_an_oversell(
    uow, shelf, store
):
    product = shelf.product(stock=3, price_minor=1000, name="Son Simit")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    sale = value(pay_by_card(uow, cart))
    lapse(uow, cart)
    other = new_cart(uow)
    value(add_to_cart(uow, other, product, 2))  # only one unit is left on the shelf

    settled = value(mark_paid(uow, sale.payment_id))

    assert (settled.status, settled.applied, settled.oversold) == (PaymentStatus.PAID, True, 1)
    [oversell] = rows(store, Oversell)
    assert (oversell.order_id, oversell.product_id, oversell.quantity) == (
        sale.order_id,
        product,
        1,
    )
    assert oversell.resolved_at is None
    assert stock_books(store.engine)[product][:2] == (0, 2)
    [order] = rows(store, Order)
    assert order.status is OrderStatus.PAID
    assert value(cart_summary(uow, other)).lines[0].reserved == 2
    assert_invariants(store.engine)
    # A repeat of the success records nothing more.
    assert value(mark_paid(uow, sale.payment_id)).applied is False
    assert count(store, Oversell) == 1
    assert_invariants(store.engine)


def test_a_payment_that_succeeds_with_nothing_left_oversells_every_unit(uow, shelf, store):
    product = shelf.product(stock=2, price_minor=1000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    sale = value(pay_by_card(uow, cart))
    lapse(uow, cart)
    other = new_cart(uow)
    value(add_to_cart(uow, other, product, 2))

    assert value(mark_paid(uow, sale.payment_id)).oversold == 2
    assert [r.quantity for r in rows(store, Oversell)] == [2]
    assert stock_books(store.engine)[product][:2] == (0, 2)
    assert_invariants(store.engine)


# -- void_sale --------------------------------------------------------------------------


def test_voiding_a_sale_releases_what_it_holds_once_and_closes_it(uow, shelf, store, manager):
    cart, first, second = two_line_cart(uow, shelf)

    report = value(void_sale(uow, cart, user_id=manager.id))

    assert (report.cart_id, report.units_released) == (cart, 3)
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((10, 0), (5, 0))
    assert {r[2] for r in reservations_of(store, cart)} == {ReservationStatus.RELEASED}
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    [entry] = rows(store, AuditEntry, AuditEntry.action == "sale.voided")
    assert (entry.user_id, entry.entity_id) == (manager.id, str(cart))

    refused = error(void_sale(uow, cart))

    assert refused.code is Code.CART_NOT_OPEN
    assert stock_books(store.engine) == books
    assert_invariants(store.engine)


def test_voiding_does_not_give_back_a_line_the_sweeper_already_expired(
    uow, shelf, store, clock: FakeClock
):
    first = shelf.product(stock=10)
    second = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, first, 2))
    clock.advance(minutes=16)
    assert value(release_expired(uow)).units_returned == 2
    value(add_to_cart(uow, cart, second, 3))

    assert value(void_sale(uow, cart)).units_released == 3
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((10, 0), (10, 0))
    assert_invariants(store.engine)


def test_a_sale_whose_card_payment_is_in_flight_cannot_be_voided(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_by_card(uow, cart))
    before = everything(uow, store, cart)

    refused = error(void_sale(uow, cart))

    assert refused.code is Code.PAYMENT_IN_PROGRESS
    assert render(refused, "tr") == "Ödeme sürüyor: önce sonucunu bekleyin"
    assert everything(uow, store, cart) == before
    assert rows(store, AuditEntry, AuditEntry.action == "sale.voided") == []


def test_a_sale_whose_payment_failed_can_be_voided(uow, shelf, store):
    cart, first, second = two_line_cart(uow, shelf)
    value(mark_failed(uow, value(pay_by_card(uow, cart)).payment_id))

    assert value(void_sale(uow, cart)).units_released == 3
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((10, 0), (5, 0))
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    assert_invariants(store.engine)


def test_a_paid_sale_cannot_be_voided(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_cash(uow, cart))
    before = everything(uow, store, cart)

    assert error(void_sale(uow, cart)).code is Code.CART_NOT_OPEN
    assert everything(uow, store, cart) == before


@pytest.mark.parametrize("cart", [424242, 0, -1, "1", None, 2**40])
def test_voiding_an_unknown_cart_is_refused(uow, cart):
    assert error(void_sale(uow, cart)).code is Code.CART_NOT_FOUND


# -- unknown payments --------------------------------------------------------------------


@pytest.mark.parametrize("payment", [424242, 0, -1, "1", None, 2**40, 1.0, True, "1 OR 1=1"])
def test_an_unknown_payment_is_not_found(uow, shelf, store, payment):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_by_card(uow, cart))
    before = everything(uow, store, cart)

    assert error(mark_paid(uow, payment)).code is Code.PAYMENT_NOT_FOUND
    assert error(mark_failed(uow, payment)).code is Code.PAYMENT_NOT_FOUND
    cancelled = mark_failed(uow, payment, status=PaymentStatus.CANCELLED)
    assert error(cancelled).code is Code.PAYMENT_NOT_FOUND
    assert render(error(mark_paid(uow, payment)), "tr") == "Ödeme bulunamadı"
    assert everything(uow, store, cart) == before


# -- pending -----------------------------------------------------------------------------


def test_a_payment_the_terminal_took_on_is_pending_and_keeps_the_terminals_id(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    books = stock_books(store.engine)

    pending = value(mark_pending(uow, sale.payment_id, provider_payment_id="pi_3Nx81"))

    assert (pending.status, pending.applied) == (PaymentStatus.PENDING, True)
    payment = rows(store, Payment, Payment.id == sale.payment_id)[0]
    assert (payment.status, payment.provider_payment_id) == (PaymentStatus.PENDING, "pi_3Nx81")
    assert value(cart_summary(uow, cart)).status is CartStatus.CHECKING_OUT
    assert stock_books(store.engine) == books
    assert value(mark_paid(uow, sale.payment_id)).status is PaymentStatus.PAID


def test_pending_twice_is_a_no_op_and_pending_after_an_outcome_is_refused(
    uow, shelf, store, caplog
):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))
    value(mark_pending(uow, sale.payment_id))

    again = value(mark_pending(uow, sale.payment_id))
    assert (again.status, again.applied) == (PaymentStatus.PENDING, False)

    value(mark_paid(uow, sale.payment_id))
    before = everything(uow, store, cart)
    with caplog.at_level(logging.WARNING, logger="pos.services.payments"):
        refused = error(mark_pending(uow, sale.payment_id))
    assert refused.code is Code.PAYMENT_TRANSITION_FORBIDDEN
    assert "paid -> pending" in caplog.text
    assert everything(uow, store, cart) == before


@pytest.mark.parametrize("reference", ["", "x" * 129, "pi\n1", 42])
def test_a_malformed_terminal_id_is_refused_and_the_payment_stays_initiated(
    uow, shelf, store, reference
):
    cart, _, _ = two_line_cart(uow, shelf)
    sale = value(pay_by_card(uow, cart))

    refused = error(mark_pending(uow, sale.payment_id, provider_payment_id=reference))

    assert refused.code is Code.INVALID_PROVIDER_ID
    assert rows(store, Payment, Payment.id == sale.payment_id)[0].status is (
        PaymentStatus.INITIATED
    )
