"""Checkout as the seed has it, corrected: priced again by the store, idempotent, all
lines or none, and a cash sale paid at once through the same finalisation as a card."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.money import Money
from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.domain.policy import Policy
from pos.domain.results import Changed, Code, Ok
from pos.services.cart import add_to_cart, cart_summary, void_sale
from pos.services.catalogue import ProductDraft, update_product
from pos.services.checkout import Card, Cash, SaleDetails, checkout
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.payments import mark_failed
from pos.services.reservations import release_expired
from pos.services.shop import update_shop_settings
from pos.store.models import (
    CartStatus,
    Order,
    OrderItem,
    OrderStatus,
    OutboxMessage,
    Payment,
    Product,
    Receipt,
    Reservation,
    ReservationStatus,
    TillRow,
)
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, error, value
from tests.invariants import assert_invariants, assert_stock_invariant, stock_books
from tests.sales import (
    count,
    new_cart,
    pay_by_card,
    pay_cash,
    rows,
    two_line_cart,
)

# 2 x 12,50 + 1 x 30,00 at the default 20 % KDV, tax included: 55,00, of which 9,17 is tax.
SUBTOTAL = 5500


def edit_product(uow: UnitOfWork, store, product_id: int, **changes) -> None:
    """Change a product through the catalogue service, keeping what is not named."""
    [product] = rows(store, Product, Product.id == product_id)
    draft = ProductDraft(
        sku=product.sku,
        name=product.name,
        price_minor=product.price_minor,
        barcode=product.barcode,
        tax_rate_bp=product.tax_rate_bp,
    )
    value(update_product(uow, product_id, replace(draft, **changes)))


def snapshot_of_items(store) -> list[tuple[object, ...]]:
    return [
        (
            r.line_no,
            r.product_id,
            r.sku,
            r.name,
            r.unit_price_minor,
            r.quantity,
            r.tax_rate_bp,
            r.discount_minor,
            r.total_minor,
        )
        for r in rows(store, OrderItem, order_by=OrderItem.line_no)
    ]


# -- a cash sale, end to end -------------------------------------------------------


def test_a_cash_sale_is_paid_at_once_with_its_change_and_first_receipt(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)

    result = pay_cash(uow, cart, given=6000)

    assert isinstance(result, Ok)
    assert Changed.ORDERS | Changed.STOCK | Changed.CART in result.changed
    sale = result.value
    assert (sale.status, sale.total_minor, sale.currency) == (PaymentStatus.PAID, 5500, "TRY")
    assert (sale.change_minor, sale.receipt) == (500, "T01-000001")
    [order] = rows(store, Order)
    assert order.id == sale.order_id
    assert (order.status, order.receipt_number, order.cart_id) == (OrderStatus.PAID, 1, cart)
    assert (order.subtotal_minor, order.discount_minor, order.tax_minor, order.total_minor) == (
        5500,
        0,
        917,
        5500,
    )
    assert order.paid_at == START
    [payment] = rows(store, Payment)
    assert (payment.id, payment.method, payment.status) == (
        sale.payment_id,
        PaymentMethod.CASH,
        PaymentStatus.PAID,
    )
    assert (payment.amount_minor, payment.tendered_minor, payment.change_minor) == (
        5500,
        6000,
        500,
    )
    [receipt] = rows(store, Receipt)
    assert (receipt.till_id, receipt.number, receipt.order_id) == (1, 1, sale.order_id)


def test_a_paid_sale_closes_the_cart_and_turns_its_holds_into_sold_stock(uow, shelf, store):
    cart, first, second = two_line_cart(uow, shelf)

    value(pay_cash(uow, cart))

    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    held = rows(store, Reservation, Reservation.cart_id == cart)
    assert {(r.product_id, r.status, r.quantity) for r in held} == {
        (first, ReservationStatus.CONSUMED, 2),
        (second, ReservationStatus.CONSUMED, 1),
    }
    books = stock_books(store.engine)
    assert books[first][:2] == (8, 0)
    assert books[second][:2] == (4, 0)
    assert_invariants(store.engine)


def test_a_paid_sale_publishes_one_order_paid_message(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)

    sale = value(pay_cash(uow, cart))

    [message] = rows(store, OutboxMessage)
    assert (message.topic, message.key, message.sent_at) == ("order.paid", str(sale.order_id), None)
    payload = json.loads(message.payload)
    assert payload == {"order_id": str(sale.order_id), "receipt": "T01-000001", "total": 5500}


def test_a_sale_to_deliver_also_asks_for_fulfilment(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    details = SaleDetails(
        customer="Zeynep Kaya",
        shipping_address="Atatürk Cd. No: 5\nKadıköy / İstanbul",
        shipping_method="kargo",
    )

    sale = value(pay_cash(uow, cart, details=details))

    messages = rows(store, OutboxMessage, order_by=OutboxMessage.id)
    assert [m.topic for m in messages] == ["order.paid", "fulfilment.requested"]
    assert json.loads(messages[1].payload) == {
        "order_id": str(sale.order_id),
        "address": "Atatürk Cd. No: 5\nKadıköy / İstanbul",
        "method": "kargo",
    }
    [order] = rows(store, Order)
    assert (order.customer, order.shipping_method) == ("Zeynep Kaya", "kargo")


def test_receipt_numbers_have_no_gaps_even_when_a_card_sale_fails_between(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    assert value(pay_cash(uow, cart)).receipt == "T01-000001"
    failing, _, _ = two_line_cart(uow, shelf)
    card = value(pay_by_card(uow, failing))
    assert card.receipt is None
    value(mark_failed(uow, card.payment_id))
    value(void_sale(uow, failing))
    last, _, _ = two_line_cart(uow, shelf)

    assert value(pay_cash(uow, last)).receipt == "T01-000002"
    assert [(r.till_id, r.number) for r in rows(store, Receipt, order_by=Receipt.number)] == [
        (1, 1),
        (1, 2),
    ]
    assert rows(store, TillRow, TillRow.id == 1)[0].last_receipt_number == 2
    [failed] = rows(store, Order, Order.id == card.order_id)
    assert (failed.status, failed.receipt_number) == (OrderStatus.FAILED, None)
    assert_invariants(store.engine)


def test_the_order_lines_keep_what_was_sold_when_the_catalogue_changes(uow, shelf, store):
    cart, first, second = two_line_cart(uow, shelf)
    value(pay_cash(uow, cart))
    expected = [
        (1, first, "SKU-0001", "Ayran 300 ml", 1250, 2, 2000, 0, 2500),
        (2, second, "SKU-0002", "Beyaz Peynir 500 g", 3000, 1, 2000, 0, 3000),
    ]
    assert snapshot_of_items(store) == expected

    edit_product(uow, store, first, name="Ayran 1 L", price_minor=4000, tax_rate_bp=1000)
    edit_product(uow, store, second, sku="PEYNIR-1", price_minor=1)

    assert snapshot_of_items(store) == expected


def test_order_lines_carry_their_share_of_the_discount(uow, shelf, manager, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(create_coupon(uow, CouponDraft("ON", CouponKind.FIXED, 1000), user_id=manager.id))
    value(apply_coupon(uow, cart, "ON"))

    value(pay_cash(uow, cart))

    items = snapshot_of_items(store)
    assert [(i[7], i[8]) for i in items] == [(455, 2045), (545, 2455)]
    [order] = rows(store, Order)
    assert (order.discount_minor, order.total_minor) == (1000, 4500)
    assert sum(i[8] for i in items) == order.total_minor


# -- the store prices the sale again ---------------------------------------------------


def test_a_price_changed_after_ringing_up_is_caught_and_the_cart_takes_the_new_price(
    uow, shelf, store
):
    product = shelf.product(stock=10, price_minor=1000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    edit_product(uow, store, product, price_minor=1200)
    books = stock_books(store.engine)

    refused = error(
        checkout(uow, cart, shown_total_minor=2000, tender=Cash(2000), idempotency_key="k-1")
    )

    assert refused.code is Code.PRICE_CHANGED
    assert refused.changed == Changed.CART  # the new prices are on the cart already
    assert render(refused, "tr") == "Fiyat veya stok değişti, lütfen tekrar kontrol et"
    assert (count(store, Order), count(store, Payment)) == (0, 0)
    summary = value(cart_summary(uow, cart))
    assert summary.status is CartStatus.OPEN
    assert (summary.lines[0].unit_price_minor, summary.total_minor) == (1200, 2400)
    assert stock_books(store.engine) == books

    sale = value(
        checkout(uow, cart, shown_total_minor=2400, tender=Cash(2400), idempotency_key="k-2")
    )
    assert (sale.status, sale.total_minor) == (PaymentStatus.PAID, 2400)
    assert_invariants(store.engine)


def test_a_tax_rate_changed_after_ringing_up_is_caught_too(uow, shelf, store):
    product = shelf.product(stock=10, price_minor=1000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    edit_product(uow, store, product, tax_rate_bp=1000)

    refused = error(
        checkout(uow, cart, shown_total_minor=1000, tender=Cash(1000), idempotency_key="k-1")
    )

    assert refused.code is Code.PRICE_CHANGED
    assert value(cart_summary(uow, cart)).lines[0].tax_rate_bp == 1000
    assert value(pay_cash(uow, cart)).status is PaymentStatus.PAID


@pytest.mark.parametrize("wrong", [0, 5499, 5501, 550])
def test_a_shown_total_that_is_simply_wrong_is_refused_and_changes_nothing(
    uow, shelf, store, wrong
):
    cart, _, _ = two_line_cart(uow, shelf)
    before = (value(cart_summary(uow, cart)), stock_books(store.engine))

    refused = error(
        checkout(uow, cart, shown_total_minor=wrong, tender=Cash(10_000), idempotency_key="k-1")
    )

    assert render(refused, "tr") == "Fiyat veya stok değişti, lütfen tekrar kontrol et"
    assert refused.changed == Changed.NOTHING
    assert (value(cart_summary(uow, cart)), stock_books(store.engine)) == before
    assert (count(store, Order), count(store, Payment)) == (0, 0)


# -- the payment window ---------------------------------------------------------------


def test_the_sweeper_leaves_a_sale_whose_card_payment_is_in_flight_alone(
    uow, shelf, store, clock: FakeClock
):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_by_card(uow, cart))
    books = stock_books(store.engine)

    clock.advance(hours=6)
    report = value(release_expired(uow))

    assert (report.expired, report.units_returned) == (0, 0)
    summary = value(cart_summary(uow, cart))
    assert summary.status is CartStatus.CHECKING_OUT
    assert [line.reserved for line in summary.lines] == [2, 1]
    assert stock_books(store.engine) == books
    assert_stock_invariant(store.engine)


def test_checkout_stretches_the_holds_over_the_payment_window_and_ties_them_to_the_order(
    uow, shelf, store, clock: FakeClock
):
    cart, _, _ = two_line_cart(uow, shelf)
    clock.advance(minutes=10)

    sale = value(pay_by_card(uow, cart))

    held = rows(store, Reservation, Reservation.cart_id == cart)
    assert {(r.status, r.expires_at, r.order_id) for r in held} == {
        (ReservationStatus.ACTIVE, clock() + Policy().checkout_hold, sale.order_id)
    }


def test_lines_that_lapsed_are_reserved_again_at_checkout(uow, shelf, store, clock: FakeClock):
    cart, first, second = two_line_cart(uow, shelf)
    clock.advance(minutes=16)
    assert value(release_expired(uow)).expired == 2
    assert stock_books(store.engine)[first][:2] == (10, 0)

    sale = value(pay_cash(uow, cart))

    assert sale.status is PaymentStatus.PAID
    books = stock_books(store.engine)
    assert (books[first][:2], books[second][:2]) == ((8, 0), (4, 0))
    held = rows(store, Reservation, Reservation.cart_id == cart, order_by=Reservation.id)
    assert [(r.product_id, r.status) for r in held] == [
        (first, ReservationStatus.EXPIRED),
        (second, ReservationStatus.EXPIRED),
        (first, ReservationStatus.CONSUMED),
        (second, ReservationStatus.CONSUMED),
    ]
    assert_invariants(store.engine)


def test_a_lapsed_line_whose_stock_was_taken_refuses_the_whole_checkout(
    uow, shelf, store, clock: FakeClock
):
    cola = shelf.product(stock=5, name="Kola 1 L")
    simit = shelf.product(stock=2, name="Simit")
    cay = shelf.product(stock=5, name="Çay 500 g")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, cola, 1))
    value(add_to_cart(uow, cart, simit, 2))
    clock.advance(minutes=16)
    assert value(release_expired(uow)).expired == 2
    value(add_to_cart(uow, cart, cay, 1))  # held afresh
    other = new_cart(uow)
    value(add_to_cart(uow, other, simit, 1))
    before_rows = [tuple(r) for r in rows(store, Reservation, order_by=Reservation.id)]
    before = (value(cart_summary(uow, cart)), stock_books(store.engine))

    refused = error(pay_cash(uow, cart))

    assert refused.code is Code.OUT_OF_STOCK_AT_CHECKOUT
    assert render(refused, "tr") == "Stok yetersiz: Simit"
    assert render(refused, "en") == "Out of stock: Simit"
    # All lines or none: the kola line re-reserved before the simit failed is undone too.
    assert (value(cart_summary(uow, cart)), stock_books(store.engine)) == before
    assert [tuple(r) for r in rows(store, Reservation, order_by=Reservation.id)] == before_rows
    assert before[0].status is CartStatus.OPEN
    assert (count(store, Order), count(store, Payment)) == (0, 0)
    assert_invariants(store.engine)


# -- idempotency -----------------------------------------------------------------------


def test_the_same_key_and_request_give_back_the_same_order_and_payment(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)

    first = value(pay_by_card(uow, cart, idempotency_key="odeme-1"))
    books = stock_books(store.engine)
    again = value(pay_by_card(uow, cart, idempotency_key="odeme-1"))

    assert again == first
    assert (count(store, Order), count(store, Payment)) == (1, 1)
    assert stock_books(store.engine) == books


def test_a_cash_retry_after_success_answers_the_paid_sale_with_its_receipt(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    request = dict(shown_total_minor=5500, tender=Cash(6000), idempotency_key="nakit-1")

    first = value(checkout(uow, cart, **request))
    books = stock_books(store.engine)
    again = value(checkout(uow, cart, **request))

    assert again == first
    assert (again.status, again.receipt, again.change_minor) == (
        PaymentStatus.PAID,
        "T01-000001",
        500,
    )
    assert (count(store, Order), count(store, Receipt), count(store, OutboxMessage)) == (1, 1, 1)
    assert stock_books(store.engine) == books


def test_a_key_reused_with_another_amount_is_refused(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(checkout(uow, cart, shown_total_minor=5500, tender=Cash(6000), idempotency_key="k-1"))
    books = stock_books(store.engine)

    for tender in (Cash(7000), Card()):
        refused = error(
            checkout(uow, cart, shown_total_minor=5500, tender=tender, idempotency_key="k-1")
        )
        assert refused.code is Code.IDEMPOTENCY_KEY_REUSED
        assert render(refused, "tr") == "Bu işlem anahtarı başka bir satışta kullanıldı"
    refused = error(
        checkout(uow, cart, shown_total_minor=5000, tender=Cash(6000), idempotency_key="k-1")
    )
    assert refused.code is Code.IDEMPOTENCY_KEY_REUSED
    assert (count(store, Order), count(store, Payment), count(store, Receipt)) == (1, 1, 1)
    assert stock_books(store.engine) == books


def test_a_key_reused_for_another_cart_is_refused_and_that_cart_stays_open(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_by_card(uow, cart, idempotency_key="k-1"))
    other, _, _ = two_line_cart(uow, shelf)
    before = (value(cart_summary(uow, other)), stock_books(store.engine))

    refused = error(pay_by_card(uow, other, idempotency_key="k-1"))

    assert refused.code is Code.IDEMPOTENCY_KEY_REUSED
    assert (value(cart_summary(uow, other)), stock_books(store.engine)) == before
    assert before[0].status is CartStatus.OPEN
    assert (count(store, Order), count(store, Payment)) == (1, 1)


# -- tax modes -------------------------------------------------------------------------


def test_a_store_switched_to_tax_exclusive_prices_new_sales_with_tax_on_top(
    uow, shelf, manager, store
):
    product = shelf.product(stock=10, price_minor=10_000)
    earlier = new_cart(uow)
    value(add_to_cart(uow, earlier, product, 1))
    value(update_shop_settings(uow, user_id=manager.id, prices_include_tax=False))
    later = new_cart(uow)
    value(add_to_cart(uow, later, product, 1))

    after = value(cart_summary(uow, later)).quote
    assert (after.prices_include_tax, after.subtotal_minor, after.tax_minor, after.total_minor) == (
        False,
        10_000,
        2_000,
        12_000,
    )
    before = value(cart_summary(uow, earlier)).quote
    assert (before.prices_include_tax, before.tax_minor, before.total_minor) == (True, 1667, 10_000)

    assert value(pay_cash(uow, later)).total_minor == 12_000
    assert value(pay_cash(uow, earlier)).total_minor == 10_000
    orders = {o.cart_id: o for o in rows(store, Order)}
    assert (orders[later].prices_include_tax, orders[later].tax_minor) == (False, 2000)
    assert (orders[earlier].prices_include_tax, orders[earlier].tax_minor) == (True, 1667)
    assert_invariants(store.engine)


@pytest.mark.parametrize(
    ("include_tax", "taxes", "tax", "total"),
    [
        # 100,00 at 20 % and 3 x 16,67 at 1 %, KDV included: 20 % of 100,00 is 16,67 of
        # it; 1 % of 50,01 is 0,50 (0,4951… rounded half up).
        (True, [(100, 4951, 50), (2000, 8333, 1667)], 1717, 15_001),
        (False, [(100, 5001, 50), (2000, 10_000, 2000)], 2050, 17_051),
    ],
)
def test_each_tax_rate_is_summed_and_rounded_once_and_the_figures_add_up(
    uow, shelf, manager, store, include_tax, taxes, tax, total
):
    value(update_shop_settings(uow, user_id=manager.id, prices_include_tax=include_tax))
    full = shelf.product(stock=10, price_minor=10_000, name="Deterjan")
    reduced = shelf.product(stock=10, price_minor=1667, name="Ekmek")
    edit_product(uow, store, reduced, tax_rate_bp=100)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, full, 1))
    value(add_to_cart(uow, cart, reduced, 3))

    quote = value(cart_summary(uow, cart)).quote

    assert [(t.rate_bp, t.base_minor, t.tax_minor) for t in quote.taxes] == taxes
    assert (quote.tax_minor, quote.total_minor) == (tax, total)
    assert quote.tax_minor == sum(t.tax_minor for t in quote.taxes)
    assert quote.total_minor == sum(t.base_minor + t.tax_minor for t in quote.taxes)
    sale = value(pay_cash(uow, cart))
    [order] = rows(store, Order)
    assert (sale.total_minor, order.tax_minor, order.total_minor) == (total, tax, total)
    assert [(i[1], i[6]) for i in snapshot_of_items(store)] == [(full, 2000), (reduced, 100)]


# -- refusals: each typed, each changing nothing ------------------------------------------


def records(uow: UnitOfWork, store, cart: int | None) -> tuple[object, ...]:
    summary = value(cart_summary(uow, cart)) if cart is not None else None
    return (
        count(store, Order),
        count(store, Payment),
        count(store, Receipt),
        count(store, OutboxMessage),
        summary,
        stock_books(store.engine),
    )


@pytest.mark.parametrize("cart_id", [424242, "1", None, -1, 0, 2**40, 1.0])
def test_checkout_of_an_unknown_cart_is_refused(uow, shelf, store, cart_id):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(
        checkout(uow, cart_id, shown_total_minor=5500, tender=Cash(5500), idempotency_key="k-1")
    )

    assert refused.code is Code.CART_NOT_FOUND
    assert records(uow, store, cart) == before


def test_checkout_of_an_empty_cart_is_refused(uow, store):
    cart = new_cart(uow)
    before = records(uow, store, cart)

    refused = error(checkout(uow, cart, shown_total_minor=0, tender=Cash(0), idempotency_key="k"))

    assert refused.code is Code.CART_EMPTY
    assert render(refused, "tr") == "Sepet boş"
    assert records(uow, store, cart) == before


def test_checkout_of_a_paid_sale_with_a_new_key_is_refused(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_cash(uow, cart))
    before = records(uow, store, cart)

    refused = error(pay_cash(uow, cart))

    assert refused.code is Code.CART_NOT_OPEN
    assert records(uow, store, cart) == before


def test_checkout_of_a_sale_whose_card_payment_is_in_flight_is_refused(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    value(pay_by_card(uow, cart))
    before = records(uow, store, cart)

    refused = error(pay_cash(uow, cart))

    assert refused.code is Code.CART_NOT_OPEN
    assert records(uow, store, cart) == before


BAD_AMOUNTS = [-1, 10**30, 1.5, "100", True, None, 5500.0]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_shown_total_that_is_not_an_amount_is_refused(uow, shelf, store, amount):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(
        checkout(uow, cart, shown_total_minor=amount, tender=Cash(5500), idempotency_key="k-1")
    )

    assert refused.code is Code.INVALID_AMOUNT
    assert render(refused, "tr") == "Geçersiz tutar"
    assert records(uow, store, cart) == before


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_cash_given_that_is_not_an_amount_is_refused(uow, shelf, store, amount):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(
        checkout(uow, cart, shown_total_minor=5500, tender=Cash(amount), idempotency_key="k-1")
    )

    assert refused.code is Code.INVALID_AMOUNT
    assert records(uow, store, cart) == before


def test_cash_short_of_the_total_is_refused_with_the_total_in_money(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(pay_cash(uow, cart, given=5499))

    assert refused.code is Code.CASH_SHORT
    assert refused.params["total"] == Money(5500, "TRY")
    assert render(refused, "tr") == "Verilen tutar yetersiz - toplam: ₺55,00"
    assert records(uow, store, cart) == before
    assert value(pay_cash(uow, cart, given=5500)).change_minor == 0


@pytest.mark.parametrize(
    "bad_key",
    ["", "k" * 256, "abc\x00", "abc\ndef", "\x1b[31m", " padded", "padded ", None, 42, b"k-1"],
)
def test_an_idempotency_key_that_is_not_printable_text_up_to_255_is_refused(
    uow, shelf, store, bad_key
):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(
        checkout(uow, cart, shown_total_minor=5500, tender=Cash(5500), idempotency_key=bad_key)
    )

    assert refused.code is Code.INVALID_IDEMPOTENCY_KEY
    assert records(uow, store, cart) == before


def test_an_idempotency_key_of_255_characters_is_accepted(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)

    sale = value(pay_cash(uow, cart, idempotency_key="ğ" * 255))

    assert sale.status is PaymentStatus.PAID
    [order] = rows(store, Order)
    assert order.idempotency_key == "ğ" * 255


@pytest.mark.parametrize(
    "tender",
    ["cash", None, 5500, PaymentMethod.CARD, Cash, Card(""), Card("x" * 33), Card("pos\n")],
)
def test_a_tender_that_is_neither_cash_nor_card_is_refused(uow, shelf, store, tender):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(
        checkout(uow, cart, shown_total_minor=5500, tender=tender, idempotency_key="k-1")
    )

    assert refused.code is Code.INVALID_TENDER
    assert records(uow, store, cart) == before


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (SaleDetails(customer="Zeynep\x00Kaya"), "customer"),
        (SaleDetails(customer="\x1b[31mZeynep"), "customer"),
        (SaleDetails(billing_address="Atatürk Cd.\r\nNo: 5"), "billing_address"),
        (SaleDetails(billing_address="x" * 10_240), "billing_address"),
        (SaleDetails(shipping_address="a\tb"), "shipping_address"),
        (SaleDetails(shipping_address="y" * 1001), "shipping_address"),
        (SaleDetails(shipping_method="m" * 65), "shipping_method"),
        (SaleDetails(customer=42), "customer"),  # type: ignore[arg-type]
        ({"customer": "Zeynep"}, "details"),
    ],
)
def test_sale_details_with_control_characters_or_too_long_are_refused(
    uow, shelf, store, details, field
):
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    refused = error(pay_cash(uow, cart, details=details))

    assert refused.code is Code.INVALID_DETAILS
    assert refused.params == {"field": field}
    assert records(uow, store, cart) == before


def test_addresses_may_span_lines_and_details_are_trimmed(uow, shelf, store):
    cart, _, _ = two_line_cart(uow, shelf)
    address = "Atatürk Cd. No: 5\n" + "x" * (1000 - 18)
    details = SaleDetails(billing_address=address, shipping_method=" kargo\n", customer="  ")

    value(pay_cash(uow, cart, details=details))

    [order] = rows(store, Order)
    assert (order.billing_address, order.shipping_method, order.customer) == (
        address,
        "kargo",
        None,
    )


def test_a_cash_sale_that_cannot_be_finished_leaves_the_cart_as_it_was(uow, shelf, store):
    """Cash is paid in checkout's own transaction: if finalising fails, nothing of the
    sale stays behind, neither an order in checkout nor a half-paid one.

    The failure is a real one: the till's receipt counter is put back to 0 after a
    first sale, so the next receipt number clashes with the one already issued."""
    first, _, _ = two_line_cart(uow, shelf)
    value(pay_cash(uow, first))
    with store.engine.begin() as connection:
        connection.execute(update(TillRow).values(last_receipt_number=0))
    cart, _, _ = two_line_cart(uow, shelf)
    before = records(uow, store, cart)

    with pytest.raises(IntegrityError):
        pay_cash(uow, cart)

    assert records(uow, store, cart) == before
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert_invariants(store.engine)
