"""The orders page for sales paid in several tenders: each tender with what went back on
it, the refunds of a voided sale, and the "mixed" filter."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentMethod, PaymentStatus, RefundStatus
from pos.services.cart import add_to_cart, open_cart
from pos.services.checkout import Card, Cash, checkout
from pos.services.orders import MIXED
from pos.services.payment_events import apply_payment_event
from pos.services.refunds import void_tendered_sale
from pos.services.tenders import Sale, add_tender
from pos.store.models import OrderStatus
from tests.conftest import value
from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_orders import open_page, sale
from tests.gui.conftest import AYRAN, SUT, Shop
from tests.payments import terminal_event
from tests.sales import key, shown_total
from ui.backoffice.common import Context


def cash_part(shop: Shop, barcode: str, quantity: int, part: int) -> Sale:
    """A sale rung up and paid ``part`` in cash: open at the till with the rest due."""
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=shop.cashier.id)).cart_id
    value(add_to_cart(uow, cart, shop.products[barcode], quantity))
    return value(
        checkout(
            uow,
            cart,
            shown_total_minor=shown_total(uow, cart),
            tender=Cash(part, part),
            idempotency_key=key(),
        )
    )


def test_a_mixed_sale_is_found_by_its_filter_and_shows_each_tender(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    only_cash = sale(shop, shop.cashier, (AYRAN, 9))  # over the coupon's minimum
    mixed = cash_part(shop, SUT, 2, 40_00)  # ₺65,00: ₺40,00 cash, the rest by card
    card = value(add_tender(shop.till.uow(), mixed.order_id, Card(), idempotency_key=key()))
    settled = terminal_event("evt_mix1", "pay_mix1", payment_id=card.payment_id, amount_minor=2500)
    value(apply_payment_event(shop.till.uow(), settled))

    page = open_page(qtbot, context)
    assert len(page.orders.rows) == 2
    page.method.setCurrentIndex(page.method.findData(MIXED))
    settle(qtbot, context)
    assert page.method.currentText() == "Karma"
    assert [row.order_id for row in page.orders.rows] == [mixed.order_id]
    page.method.setCurrentIndex(page.method.findData(PaymentMethod.CASH))
    settle(qtbot, context)
    assert {row.order_id for row in page.orders.rows} == {mixed.order_id, only_cash.order_id}

    page.method.setCurrentIndex(page.method.findData(MIXED))
    settle(qtbot, context)
    page.orders_view.selectRow(0)
    settle(qtbot, context)
    assert page.detail is not None
    assert page.detail.status is OrderStatus.PAID
    assert [(p.method, p.status, p.amount_minor) for p in page.payments.rows] == [
        (PaymentMethod.CASH, PaymentStatus.PAID, 40_00),
        (PaymentMethod.CARD, PaymentStatus.PAID, 25_00),
    ]
    shown = [
        [page.payments.data(page.payments.index(row, column)) for column in (1, 2, 3)]
        for row in range(2)
    ]
    assert shown == [["Nakit", "Ödendi", "₺40,00"], ["Kart", "Ödendi", "₺25,00"]]
    assert page.detail_tabs.tabText(3) == "İadeler (0)"


def test_a_voided_sale_shows_the_cash_that_went_back_on_its_tender(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    part = cash_part(shop, AYRAN, 2, 10_00)
    value(void_tendered_sale(shop.till.uow(), part.order_id, user_id=shop.cashier.id))

    page = open_page(qtbot, context)
    page.orders_view.selectRow(0)
    settle(qtbot, context)
    assert page.detail is not None
    assert page.detail.status is OrderStatus.CANCELLED
    (tender,) = page.payments.rows
    assert (tender.status, tender.refunded_minor) == (PaymentStatus.REFUNDED, 10_00)
    given_back = page.payments.columnCount() - 1
    assert page.payments.data(page.payments.index(0, given_back)) == "₺10,00"
    (refund,) = page.refunds.rows
    assert (refund.payment_id, refund.method, refund.status, refund.amount_minor) == (
        tender.payment_id,
        PaymentMethod.CASH,
        RefundStatus.SUCCEEDED,
        10_00,
    )
    assert page.refunds.data(page.refunds.index(0, 3)) == "Geri verildi"
    assert page.detail_tabs.tabText(3) == "İadeler (1)"
