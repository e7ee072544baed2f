"""The receipt of a paid sale, read back from the store on both databases."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.domain.receipt import RECEIPT_WIDTH
from pos.domain.results import Code
from pos.services.cart import add_to_cart, cart_summary, open_cart
from pos.services.catalogue import ProductDraft, create_product, update_product
from pos.services.checkout import Card, Cash, checkout
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.payments import mark_failed, mark_paid
from pos.services.receipts import receipt_data, receipt_text
from pos.services.shop import update_shop_settings
from pos.services.stock import receive_stock
from pos.store.models import Order
from pos.store.uow import UnitOfWork
from tests.conftest import error, value
from tests.invariants import assert_invariants

HEADER = "Kasa Market\nAtatürk Cd. 1\nVKN 1234567890"


class Counter:
    """Puts the products of a small grocery sale on the shelf."""

    def __init__(self, uow: UnitOfWork, manager_id: int) -> None:
        self.uow = uow
        self.manager_id = manager_id

    def product(self, sku: str, name: str, price_minor: int, tax_rate_bp: int) -> int:
        draft = ProductDraft(sku=sku, name=name, price_minor=price_minor, tax_rate_bp=tax_rate_bp)
        product_id = value(create_product(self.uow, draft)).id
        value(receive_stock(self.uow, product_id, 50, user_id=self.manager_id))
        return product_id


@pytest.fixture
def grocery(uow, manager):
    counter = Counter(uow, manager.id)
    return {
        "milk": counter.product("SUT-1L", "Süt 1 L", 2450, 100),
        "bread": counter.product("EKMEK", "Ekmek", 995, 100),
        "detergent": counter.product("DET-3KG", "Çamaşır deterjanı 3 kg", 3863, 2000),
    }


@pytest.fixture
def coupon(uow, manager):
    draft = CouponDraft(code="YAZ10", kind=CouponKind.PERCENT, value=1000)
    return value(create_coupon(uow, draft, user_id=manager.id))


def ring_up(uow, grocery, *, cashier_id=None, with_coupon=True):
    """Milk twice, bread three times, one detergent; the 10 % coupon if asked."""
    cart = value(open_cart(uow, cashier_id=cashier_id)).cart_id
    value(add_to_cart(uow, cart, grocery["milk"], 2))
    value(add_to_cart(uow, cart, grocery["bread"], 3))
    value(add_to_cart(uow, cart, grocery["detergent"], 1))
    if with_coupon:
        total = value(apply_coupon(uow, cart, "yaz10")).new_total_minor
    else:
        total = value(cart_summary(uow, cart)).total_minor
    return cart, total


def pay_cash(uow, grocery, *, given=20000, key="sale-1", **kwargs):
    cart, total = ring_up(uow, grocery, **kwargs)
    sale = value(
        checkout(
            uow, cart, shown_total_minor=total, tender=Cash(given_minor=given), idempotency_key=key
        )
    )
    assert sale.status is PaymentStatus.PAID
    return sale


def line_starting(text, label):
    """The one line of the receipt that starts with ``label`` as a whole word."""
    found = [line for line in text.splitlines() if line.startswith(f"{label} ")]
    assert len(found) == 1, f"expected one line starting {label!r}, got {found}"
    return found[0]


def stored_order(store, order_id):
    with store.engine.connect() as connection:
        return connection.execute(
            select(
                Order.subtotal_minor,
                Order.discount_minor,
                Order.tax_minor,
                Order.total_minor,
                Order.receipt_number,
                Order.coupon_code,
            ).where(Order.id == order_id)
        ).one()


def test_a_paid_cash_sale_has_a_receipt_with_the_orders_own_figures(
    uow, store, grocery, coupon, cashier
):
    sale = pay_cash(uow, grocery, cashier_id=cashier.id)
    order = stored_order(store, sale.order_id)

    data = value(receipt_data(uow, sale.order_id))

    assert data.number_label == sale.receipt == "T01-000001"
    assert data.receipt_number == order.receipt_number == 1
    assert (data.subtotal_minor, data.discount_minor, data.tax_minor, data.total_minor) == (
        order.subtotal_minor,
        order.discount_minor,
        order.tax_minor,
        order.total_minor,
    )
    assert data.total_minor == sale.total_minor == 10573
    assert data.coupon_code == order.coupon_code == "YAZ10"
    assert sum(tax.tax_minor for tax in data.taxes) == order.tax_minor
    assert [tax.rate_bp for tax in data.taxes] == [100, 2000]
    (tender,) = data.tenders
    assert tender.method is PaymentMethod.CASH
    assert (tender.tendered_minor, data.change_minor) == (20000, sale.change_minor)
    assert sale.change_minor == 20000 - 10573
    assert data.cashier == "Mehmet Demir"
    assert [(line.name, line.quantity) for line in data.lines] == [
        ("Süt 1 L", 2),
        ("Ekmek", 3),
        ("Çamaşır deterjanı 3 kg", 1),
    ]
    assert_invariants(store.engine)


def test_the_printed_receipt_shows_the_sales_total_change_and_number(uow, grocery, coupon):
    sale = pay_cash(uow, grocery)

    text = value(receipt_text(uow, sale.order_id))
    lines = text.splitlines()

    assert "T01-000001" in text
    assert line_starting(text, "TOPLAM") == "TOPLAM" + "₺105,73".rjust(RECEIPT_WIDTH - 6)
    assert line_starting(text, "Para üstü").endswith(" ₺94,27")
    assert line_starting(text, "İndirim").endswith(" -₺11,75")
    assert line_starting(text, "TOPKDV").endswith(" ₺6,50")
    # 09:00 UTC by the test's clock is noon in Istanbul.
    assert "2 Mar 2026 12:00:00" in text
    assert all(len(line) <= RECEIPT_WIDTH for line in lines)


def test_an_english_receipt_of_the_same_sale_speaks_english(uow, grocery, coupon, manager):
    value(update_shop_settings(uow, user_id=manager.id, time_zone="UTC"))
    sale = pay_cash(uow, grocery)

    text = value(receipt_text(uow, sale.order_id, locale="en"))

    assert line_starting(text, "TOTAL").endswith(" ₺105.73")
    assert "Mar 2, 2026, 9:00:00 AM" in text
    assert "Thank you" in text
    assert "TOPLAM" not in text


def test_the_order_id_may_be_given_as_text(uow, grocery, coupon):
    sale = pay_cash(uow, grocery)

    assert value(receipt_text(uow, str(sale.order_id))) == value(receipt_text(uow, sale.order_id))


def test_the_shops_header_is_printed_centred_at_the_top(uow, grocery, coupon, manager):
    value(update_shop_settings(uow, user_id=manager.id, receipt_header=HEADER))
    sale = pay_cash(uow, grocery)

    lines = value(receipt_text(uow, sale.order_id)).splitlines()

    assert lines[:3] == [line.center(RECEIPT_WIDTH).rstrip() for line in HEADER.splitlines()]
    assert lines[0] == " " * 15 + "Kasa Market"
    assert lines[3] == "-" * RECEIPT_WIDTH


def test_a_card_sale_not_yet_paid_has_no_receipt(uow, grocery, coupon):
    cart, total = ring_up(uow, grocery)
    sale = value(checkout(uow, cart, shown_total_minor=total, tender=Card(), idempotency_key="c-1"))
    assert sale.status is PaymentStatus.INITIATED

    refused = error(receipt_text(uow, sale.order_id))

    assert refused.code is Code.ORDER_NOT_PAID
    assert render(refused, "tr") == "Satış ödenmedi: fiş yok"
    assert error(receipt_data(uow, sale.order_id)).code is Code.ORDER_NOT_PAID


def test_a_failed_card_sale_has_no_receipt(uow, grocery, coupon):
    cart, total = ring_up(uow, grocery)
    sale = value(checkout(uow, cart, shown_total_minor=total, tender=Card(), idempotency_key="c-1"))
    value(mark_failed(uow, sale.payment_id))

    assert error(receipt_text(uow, sale.order_id)).code is Code.ORDER_NOT_PAID


def test_a_card_sale_once_paid_prints_the_card_and_no_change(uow, grocery, coupon):
    cart, total = ring_up(uow, grocery)
    sale = value(checkout(uow, cart, shown_total_minor=total, tender=Card(), idempotency_key="c-1"))
    value(mark_paid(uow, sale.payment_id))

    text = value(receipt_text(uow, sale.order_id))

    assert line_starting(text, "Kart").endswith(" ₺105,73")
    assert "Nakit" not in text
    assert "Para üstü" not in text
    assert "T01-000001" in text


def test_each_paid_sale_prints_its_own_receipt_number(uow, grocery, coupon):
    first = pay_cash(uow, grocery, key="sale-1")
    second = pay_cash(uow, grocery, key="sale-2", with_coupon=False)

    second_text = value(receipt_text(uow, second.order_id))

    assert "T01-000002" in second_text
    assert "T01-000001" not in second_text
    assert "T01-000001" in value(receipt_text(uow, first.order_id))
    assert "İndirim" not in second_text
    assert line_starting(second_text, "TOPLAM").endswith(" ₺117,48")


@pytest.mark.parametrize(
    "order_id",
    [
        uuid.UUID("00000000-0000-4000-8000-000000000000"),
        "00000000-0000-4000-8000-000000000000",
        "not-a-uuid",
        "",
        "1; DROP TABLE orders",
        "0" * 100_000,
        None,
        1,
        True,
        b"\x00" * 16,
        ["00000000-0000-4000-8000-000000000000"],
    ],
)
def test_an_unknown_or_garbled_order_id_finds_no_sale(uow, grocery, coupon, order_id):
    pay_cash(uow, grocery)

    refused = error(receipt_text(uow, order_id))

    assert refused.code is Code.ORDER_NOT_FOUND
    assert render(refused, "tr") == "Satış bulunamadı"
    assert error(receipt_data(uow, order_id)).code is Code.ORDER_NOT_FOUND


def test_renaming_or_repricing_a_product_later_does_not_change_its_receipt(
    uow, grocery, coupon, manager
):
    sale = pay_cash(uow, grocery)
    before = value(receipt_text(uow, sale.order_id))

    renamed = ProductDraft(
        sku="DET-3KG", name="Yeni Deterjan Süper", price_minor=9999, tax_rate_bp=1000
    )
    value(update_product(uow, grocery["detergent"], renamed, user_id=manager.id))

    after = value(receipt_text(uow, sale.order_id))
    assert after == before
    assert "Çamaşır deterjanı 3 kg" in after
    assert "Yeni Deterjan" not in after


def test_a_tax_exclusive_shop_prints_the_tax_added_to_the_net_total(
    uow, store, grocery, coupon, manager
):
    value(update_shop_settings(uow, user_id=manager.id, prices_include_tax=False))
    sale = pay_cash(uow, grocery)
    order = stored_order(store, sale.order_id)

    text = value(receipt_text(uow, sale.order_id))

    assert order.total_minor == order.subtotal_minor - order.discount_minor + order.tax_minor
    assert line_starting(text, "KDV hariç toplam").endswith(" ₺105,73")
    assert line_starting(text, "TOPKDV").endswith(" +₺7,66")
    assert line_starting(text, "TOPLAM").endswith(" ₺113,39")
    assert sale.total_minor == order.total_minor == 11339
