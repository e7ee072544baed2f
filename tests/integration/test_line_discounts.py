"""A line discount at the till: given up to the giver's limit or with a manager's PIN,
kept on the cart line, charged at checkout, printed with its reason, paid back in
proportion on a return, carried offline and ingested at what the customer paid."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from pos.domain.coupons import CouponKind
from pos.domain.day_layout import day_report_document
from pos.domain.discounts import DiscountKind, LineDiscount
from pos.domain.document import document_text
from pos.domain.journal import Kind
from pos.domain.messages import render
from pos.domain.results import Changed, Code
from pos.services.cart import add_to_cart, cart_summary, set_quantity
from pos.services.cash_sessions import open_session
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.day_reports import x_report
from pos.services.discounts import discount_line, remove_discount
from pos.services.ingest import ingest_sale
from pos.services.offline import carry_over, went_offline
from pos.services.receipts import receipt_text
from pos.services.returns import ReturnRequest, return_items
from pos.services.shop import update_shop_settings
from pos.store.models import AuditEntry, CartItem, Order, OrderItem
from pos.store.tables import journal, order_items, orders, outbox
from pos.store.uow import UnitOfWork
from tests.conftest import Store, error, value
from tests.invariants import assert_invariants
from tests.offline import offline_uow, pull, replica_engine
from tests.sales import new_cart, pay_cash, rows, two_line_cart


def line_of(summary: Any, product: int) -> Any:
    return next(line for line in summary.lines if line.product_id == product)


def cart_rows(store: Store) -> list[tuple[object, ...]]:
    return [tuple(row) for row in rows(store, CartItem, order_by=CartItem.id)]


def test_a_percentage_off_a_line_is_shown_kept_and_audited(store, uow, shelf, cashier):
    cart, first, second = two_line_cart(uow, shelf)  # 2 x 12,50 + 1 x 30,00

    summary = value(
        discount_line(uow, cart, first, "percent", "10", "Hasarlı ürün", user_id=cashier.id)
    )

    assert line_of(summary, first).discount_minor == 2_50
    assert line_of(summary, second).discount_minor == 0
    assert (summary.quote.line_discount_minor, summary.total_minor) == (2_50, 52_50)
    # Held in the store: the till reads it back after a restart.
    again = value(cart_summary(UnitOfWork(store.engine, uow.clock), cart))
    assert line_of(again, first).discount.reason == "Hasarlı ürün"
    assert again.total_minor == 52_50
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "cart.line_discount")
    assert (entry.user_id, entry.approved_by) == (cashier.id, None)
    assert json.loads(entry.details)["discount_minor"] == 2_50


def test_over_the_cashiers_limit_a_managers_pin_is_needed_and_both_are_audited(
    store, uow, shelf, cashier, manager
):
    cart, first, _ = two_line_cart(uow, shelf)
    before = cart_rows(store)

    refused = error(discount_line(uow, cart, first, "amount", "5", "Son gün", user_id=cashier.id))

    assert refused.code is Code.DISCOUNT_OVER_LIMIT  # 5,00 of 25,00 is 20 %, over 10 %
    assert "%10" in render(refused)
    assert "10 %" in render(refused, "en")
    assert cart_rows(store) == before
    summary = value(
        discount_line(
            uow, cart, first, "amount", "5", "Son gün", user_id=cashier.id, approved_by=manager.id
        )
    )
    assert summary.total_minor == 50_00
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "cart.line_discount")
    assert (entry.user_id, entry.approved_by) == (cashier.id, manager.id)
    # A cashier is no manager: naming one as the approver approves nothing.
    other = error(
        discount_line(
            uow, cart, first, "amount", "6", "Son gün", user_id=cashier.id, approved_by=cashier.id
        )
    )
    assert other.code is Code.NOT_PERMITTED
    assert line_of(value(cart_summary(uow, cart)), first).discount.value == 500


def test_the_limit_per_role_is_the_shops_setting(store, uow, shelf, cashier, manager):
    cart, first, _ = two_line_cart(uow, shelf)
    value(update_shop_settings(uow, user_id=manager.id, discount_limit_cashier_bp=2500))

    value(discount_line(uow, cart, first, "percent", "25", "Personel", user_id=cashier.id))
    refused = error(
        discount_line(uow, cart, first, "percent", "25,01", "Personel", user_id=cashier.id)
    )

    assert refused.code is Code.DISCOUNT_OVER_LIMIT
    assert (
        error(update_shop_settings(uow, user_id=manager.id, discount_limit_cashier_bp=10_001)).code
        is Code.INVALID_DISCOUNT_LIMIT
    )


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "code"),
    [
        ("percent", "100,5", "Hasarlı", Code.DISCOUNT_OVER_100),
        ("percent", "101", "Hasarlı", Code.DISCOUNT_OVER_100),
        ("amount", "25,01", "Hasarlı", Code.DISCOUNT_OVER_LINE),
        ("amount", "0", "Hasarlı", Code.DISCOUNT_NOT_POSITIVE),
        ("percent", "0,00", "Hasarlı", Code.DISCOUNT_NOT_POSITIVE),
        ("amount", "-1", "Hasarlı", Code.DISCOUNT_NOT_POSITIVE),
        ("amount", "abc", "Hasarlı", Code.DISCOUNT_NOT_POSITIVE),
        ("amount", "1,005", "Hasarlı", Code.DISCOUNT_FRACTIONAL),
        ("percent", "10,125", "Hasarlı", Code.DISCOUNT_FRACTIONAL),
        ("amount", "1", "", Code.DISCOUNT_NEEDS_REASON),
        ("amount", "1", None, Code.DISCOUNT_NEEDS_REASON),
        ("amount", "1", "Hasar\x1bp", Code.DISCOUNT_REASON_UNPRINTABLE),
        ("amount", "1", "Hasar\nlı", Code.DISCOUNT_REASON_UNPRINTABLE),
        ("amount", "1", "x" * 41, Code.DISCOUNT_REASON_UNPRINTABLE),
        ("half", "1", "Hasarlı", Code.DISCOUNT_KIND_UNKNOWN),
    ],
)
def test_bad_discounts_are_refused_in_both_languages_and_change_nothing(
    store, uow, shelf, manager, kind, amount, reason, code
):
    cart, first, _ = two_line_cart(uow, shelf)
    before = cart_rows(store)

    refused = error(discount_line(uow, cart, first, kind, amount, reason, user_id=manager.id))

    assert refused.code is code
    assert render(refused, "tr") != render(refused, "en")
    assert cart_rows(store) == before
    assert not rows(store, AuditEntry, AuditEntry.action == "cart.line_discount")


def test_a_new_quantity_keeps_a_percentage_and_drops_an_amount(uow, shelf, manager):
    cart, first, second = two_line_cart(uow, shelf)
    value(discount_line(uow, cart, first, "percent", "10", "Hasarlı", user_id=manager.id))
    value(discount_line(uow, cart, second, "amount", "3", "Hasarlı", user_id=manager.id))

    summary = value(set_quantity(uow, cart, first, 4))
    summary = value(set_quantity(uow, cart, second, 2))

    assert line_of(summary, first).discount_minor == 5_00  # 10 % of 50,00
    assert line_of(summary, second).discount is None
    summary = value(remove_discount(uow, cart, first, user_id=manager.id))
    assert summary.quote.discount_minor == 0


def test_checkout_charges_the_discount_and_the_coupon_on_what_is_left_then_the_tax(
    store, uow, shelf, manager
):
    cart, _, second = two_line_cart(uow, shelf)
    value(create_coupon(uow, CouponDraft("ON", CouponKind.PERCENT, 1000), user_id=manager.id))
    value(apply_coupon(uow, cart, "ON"))
    value(discount_line(uow, cart, second, "amount", "10", "Hasarlı", user_id=manager.id))

    summary = value(cart_summary(uow, cart))
    # 55,00 less 10,00 on the cheese is 45,00; the coupon's 10 % of that is 4,50.
    assert (summary.quote.line_discount_minor, summary.quote.coupon_discount_minor) == (
        10_00,
        4_50,
    )
    assert summary.total_minor == 40_50
    sale = value(pay_cash(uow, cart))

    (order,) = rows(store, Order)
    assert (order.total_minor, order.discount_minor, order.line_discount_minor) == (
        40_50,
        14_50,
        10_00,
    )
    items = rows(store, OrderItem, order_by=OrderItem.line_no)
    assert [(i.line_discount_minor, i.line_discount_reason) for i in items] == [
        (0, None),
        (10_00, "Hasarlı"),
    ]
    assert sum(i.total_minor for i in items) == order.total_minor
    assert all(i.total_minor == i.unit_price_minor * i.quantity - i.discount_minor for i in items)
    text = value(receipt_text(uow, sale.order_id))
    for printed in ("İndirim: Hasarlı", "-₺10,00", "Satır indirimleri", "İndirim (ON)", "-₺4,50"):
        assert printed in text
    english = value(receipt_text(uow, sale.order_id, locale="en"))
    assert "Discount: Hasarlı" in english
    assert "Line discounts" in english
    assert_invariants(store.engine)


def test_a_return_of_a_discounted_line_pays_back_what_was_paid_for_it(
    store, uow, shelf, manager, cashier
):
    cart, first, _ = two_line_cart(uow, shelf)
    value(discount_line(uow, cart, first, "percent", "50", "Son gün", user_id=manager.id))
    sale = value(pay_cash(uow, cart))

    made = value(
        return_items(
            uow, sale.receipt, [ReturnRequest(1, 2)], reason="Vazgeçti", user_id=cashier.id
        )
    )

    assert made.total_minor == 12_50  # two at 12,50 less half: not the shelf's 25,00
    assert_invariants(store.engine)


def test_the_day_report_counts_line_discounts_by_reason(store, uow, shelf, manager, cashier):
    value(open_session(uow, user_id=cashier.id, float_minor=100_00))
    for reason, percent in (("Hasarlı", "10"), ("Hasarlı", "20"), ("Personel", "5")):
        cart = new_cart(uow)
        product = shelf.product(stock=5, price_minor=100_00)
        value(add_to_cart(uow, cart, product, 1))
        value(discount_line(uow, cart, product, "percent", percent, reason, user_id=manager.id))
        value(pay_cash(uow, cart))

    report = value(x_report(uow))

    assert report.discounts_minor == 35_00
    assert [(d.reason, d.lines, d.amount_minor) for d in report.line_discounts] == [
        ("Hasarlı", 2, 30_00),
        ("Personel", 1, 5_00),
    ]
    text = document_text(day_report_document(report, "tr"))
    assert "Satır indirimleri" in text
    assert "Hasarlı (2)" in text


def test_an_offline_sale_with_a_discounted_line_goes_in_at_what_was_paid(
    store, uow, shelf, clock, cashier, sqlite_template, tmp_path
):
    product = shelf.product(stock=10, price_minor=40_00)
    replica = replica_engine(sqlite_template, tmp_path)
    try:
        pull(store.engine, replica)
        off = offline_uow(replica, clock)
        value(went_offline(off, 1))
        cart = new_cart(off)
        value(add_to_cart(off, cart, product, 2))
        value(discount_line(off, cart, product, "amount", "7,5", "Hasarlı", user_id=cashier.id))
        value(pay_cash(off, cart))
        with replica.connect() as connection:
            (payload,) = [
                json.loads(p) for p in connection.execute(select(outbox.c.payload)).scalars()
            ]
    finally:
        replica.dispose()
    assert payload["lines"][0]["line_discount_minor"] == 7_50

    value(ingest_sale(uow, payload))

    with store.engine.connect() as connection:
        order = connection.execute(select(orders)).one()
        item = connection.execute(select(order_items)).one()
        (content,) = connection.execute(
            select(journal.c.content).where(journal.c.kind == Kind.SALE)
        ).scalars()
    assert (order.total_minor, order.line_discount_minor) == (72_50, 7_50)
    assert (item.total_minor, item.line_discount_reason) == (72_50, "Hasarlı")
    (line,) = json.loads(content)["lines"]
    assert (line["line_discount"], line["reason"]) == (7_50, "Hasarlı")
    assert UUID(payload["order_id"]) == order.id


def test_a_sale_carried_to_the_replica_keeps_its_lines_discounts(
    store, uow, shelf, clock, manager, sqlite_template, tmp_path
):
    cart, first, second = two_line_cart(uow, shelf)
    value(discount_line(uow, cart, first, "percent", "12,5", "Hasarlı", user_id=manager.id))
    shown = value(cart_summary(uow, cart))
    replica = replica_engine(sqlite_template, tmp_path)
    try:
        pull(store.engine, replica)
        carried = carry_over(offline_uow(replica, clock), shown, cashier_id=None, till_id=1)
        forged = replace(
            shown,
            lines=(
                replace(shown.lines[0], discount=LineDiscount(DiscountKind.PERCENT, 10_001, "x")),
            ),
        )
        refused = carry_over(offline_uow(replica, clock), forged, cashier_id=None, till_id=1)
    finally:
        replica.dispose()

    summary = carried.value
    assert line_of(summary, first).discount == LineDiscount(DiscountKind.PERCENT, 1250, "Hasarlı")
    assert line_of(summary, second).discount is None
    assert summary.total_minor == shown.total_minor == 51_87  # 12,5 % of 25,00 is 3,125: 3,13 off
    assert error(refused).code is Code.DISCOUNT_KIND_UNKNOWN


def test_a_discount_needs_an_open_cart_and_a_line_of_it(uow, shelf, manager, cashier):
    cart, first, _ = two_line_cart(uow, shelf)
    other = shelf.product(stock=1)

    assert (
        error(discount_line(uow, cart, other, "percent", "5", "Hasarlı", user_id=cashier.id)).code
        is Code.LINE_NOT_FOUND
    )
    value(pay_cash(uow, cart))
    assert (
        error(discount_line(uow, cart, first, "percent", "5", "Hasarlı", user_id=cashier.id)).code
        is Code.CART_NOT_OPEN
    )
    assert Changed.CART  # the changed flag the till refreshes on
