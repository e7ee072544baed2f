"""The orders page: today's sales, one opened in full, its receipt reprinted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.clock import DEFAULT_TIME_ZONE
from pos.domain.payments import PaymentMethod
from pos.services.cart import add_to_cart, open_cart
from pos.services.checkout import Sale
from pos.services.coupons import apply_coupon
from pos.services.payment_events import apply_payment_event
from pos.services.receipts import receipt_text
from pos.services.shop import update_shop_settings
from pos.services.users import UserView
from pos.store.models import AuditEntry, EventOutcome, OrderStatus
from tests.conftest import Store, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import AYRAN, NO_ANSWER, PEYNIR, SUT, Shop
from tests.payments import terminal_event
from tests.sales import pay_by_card, pay_cash, rows
from ui import shop_time
from ui.backoffice.common import Context
from ui.backoffice.orders import OrdersPage
from ui.backoffice.window import BackOfficeWindow
from ui.i18n import _


def sale(shop: Shop, who: UserView, *lines: tuple[str, int], card: bool = False) -> Sale:
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=who.id)).cart_id
    for barcode, quantity in lines:
        value(add_to_cart(uow, cart, shop.products[barcode], quantity))
    if not card:
        value(apply_coupon(uow, cart, "HOSGELDIN10"))
    return value(pay_by_card(uow, cart) if card else pay_cash(uow, cart))


def open_page(qtbot: QtBot, context: Context) -> OrdersPage:
    page = OrdersPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def test_todays_order_opens_in_full_and_its_receipt_is_reprinted(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    paid = sale(shop, shop.cashier, (AYRAN, 2), (PEYNIR, 1))
    waiting = sale(shop, shop.manager, (NO_ANSWER, 1), card=True)

    page = open_page(qtbot, context)

    assert [row.order_id for row in page.orders.rows] == [waiting.order_id, paid.order_id]
    assert page.count.text() == _("{count} orders").format(count=2)
    assert not page.more_button.isEnabled()
    assert not page.reprint_button.isEnabled()  # nothing chosen yet

    page.orders_view.selectRow(1)
    settle(qtbot, context)
    detail = page.detail
    assert detail is not None
    assert (detail.order_id, detail.receipt) == (paid.order_id, "T01-000001")
    assert [line.line.sku for line in page.lines.rows] == ["AYRAN-300", "PEYNIR-500"]
    assert page.payments.rowCount() == 1
    assert page.payments.rows[0].method is PaymentMethod.CASH
    assert "HOSGELDIN10" in page.summary.text()
    assert page.reprint_button.isEnabled()
    qtbot.wait(20)  # let the layout take the new texts in before the picture
    shoot(page, "orders")

    qtbot.mouseClick(page.reprint_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    dialog = page.reprint_dialog
    assert dialog is not None
    assert dialog.isVisible()
    text = dialog.text.toPlainText()
    assert text.splitlines()[0].strip() == "*** KOPYA ***"
    assert "T01-000001" in text
    shoot(dialog, "orders-reprint")
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "receipt.reprint")
    assert (entry.user_id, entry.entity_id) == (shop.manager.id, str(paid.order_id))
    assert json.loads(entry.details) == {"receipt": "T01-000001"}
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert page.reprint_dialog is None

    pending = terminal_event(
        "evt_5e21", "pay_8c1f0b", payment_id=waiting.payment_id, amount_minor=6492
    )
    value(apply_payment_event(shop.till.uow(), replace(pending, type="payment.pending")))
    page.orders_view.selectRow(0)
    settle(qtbot, context)
    assert page.detail is not None
    assert page.detail.order_id == waiting.order_id
    assert not page.reprint_button.isEnabled()  # a sale waiting for its card has no receipt
    assert [(e.event_id, e.outcome) for e in page.events.rows] == [
        ("evt_5e21", EventOutcome.APPLIED)
    ]
    assert page.payments.rows[0].provider_payment_id == "pay_8c1f0b"
    for tab, name in ((1, "orders-payments"), (2, "orders-events")):
        page.detail_tabs.setCurrentIndex(tab)
        qtbot.wait(20)
        shoot(page, name)


def test_the_filters_narrow_the_list(qtbot: QtBot, shop: Shop, context: Context) -> None:
    by_cashier = sale(shop, shop.cashier, (SUT, 4))
    waiting = sale(shop, shop.manager, (NO_ANSWER, 1), card=True)
    by_manager = sale(shop, shop.manager, (AYRAN, 9))
    page = open_page(qtbot, context)
    assert len(page.orders.rows) == 3

    page.status.setCurrentIndex(page.status.findData(OrderStatus.PENDING))
    settle(qtbot, context)
    assert [row.order_id for row in page.orders.rows] == [waiting.order_id]
    page.status.setCurrentIndex(0)
    page.cashier.setCurrentIndex(page.cashier.findData(shop.cashier.id))
    settle(qtbot, context)
    assert [row.order_id for row in page.orders.rows] == [by_cashier.order_id]
    page.cashier.setCurrentIndex(0)
    page.method.setCurrentIndex(page.method.findData(PaymentMethod.CASH))
    settle(qtbot, context)
    assert [row.order_id for row in page.orders.rows] == [by_manager.order_id, by_cashier.order_id]
    page.method.setCurrentIndex(0)

    qtbot.keyClicks(page.receipt_number, "T01-000002")
    qtbot.keyClick(page.receipt_number, Qt.Key.Key_Return)
    settle(qtbot, context)
    assert [row.order_id for row in page.orders.rows] == [by_manager.order_id]
    page.receipt_number.clear()
    qtbot.keyClicks(page.receipt_number, "T09-1")
    qtbot.keyClick(page.receipt_number, Qt.Key.Key_Return)
    settle(qtbot, context)
    assert page.message.kind == "error"
    assert page.message.text() == "Geçersiz filtre"

    page.receipt_number.clear()
    page.day.setDate(page.day.date().addDays(-1))
    settle(qtbot, context)
    assert page.orders.rows == ()
    assert page.count.text() == _("{count} orders").format(count=0)


@pytest.fixture
def shop_in_tokyo(shop: Shop) -> Iterator[ZoneInfo]:
    """The shop keeps Tokyo time (nine hours from the machine's UTC, so no hour agrees)."""
    value(update_shop_settings(shop.till.uow(), user_id=shop.manager.id, time_zone="Asia/Tokyo"))
    yield ZoneInfo("Asia/Tokyo")
    shop_time.set_zone(DEFAULT_TIME_ZONE)


@pytest.mark.usefixtures("machine_in_utc")
def test_the_orders_page_and_the_receipt_tell_the_same_time_the_shops(
    qtbot: QtBot, shop: Shop, context: Context, shop_in_tokyo: ZoneInfo
) -> None:
    paid = sale(shop, shop.cashier, (AYRAN, 2), (PEYNIR, 1))
    window = BackOfficeWindow(context)
    qtbot.addWidget(window)
    page = window.show_page(OrdersPage)
    assert isinstance(page, OrdersPage)
    settle(qtbot, context)

    assert page.day.date().toPython() == datetime.now(shop_in_tokyo).date()
    [row] = page.orders.rows
    shown = page.orders.data(page.orders.index(0, 0))
    in_tokyo = row.created_at.astimezone(shop_in_tokyo)
    assert shown == in_tokyo.strftime("%H:%M")
    receipt = value(receipt_text(shop.till.uow(), paid.order_id))
    [dated] = [line for line in receipt.splitlines() if line.startswith("Tarih")]
    assert dated.endswith(in_tokyo.strftime("%H:%M:%S"))
    window.close()
