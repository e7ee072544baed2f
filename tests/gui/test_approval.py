"""A manager's PIN at the till, driven with keys: voiding a large sale, a price typed by
hand, a stuck card payment resolved, and the door to the back office."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Err
from pos.services.cart import cart_summary
from pos.store.models import AuditEntry, CartStatus, OrderItem
from tests.conftest import value
from tests.gui.conftest import AYRAN, NO_ANSWER, SUT, Shop, scan, settle, sign_in
from tests.gui.test_card import WAIT_MS, open_card_dialog
from tests.gui.test_screenshots import shoot
from tests.gui.test_till import back_at_scan, press, stock
from tests.sales import rows
from ui import card as card_ops
from ui.approval import ManagerApprovalDialog
from ui.backoffice.window import BackOfficeWindow
from ui.i18n import _
from ui.models import CartModel
from ui.till import TillWindow


def shop_store(shop: Shop) -> Any:
    """The shop's store as ``tests.sales.rows`` reads it."""
    return types.SimpleNamespace(engine=shop.till.engine)


def audit_rows(shop: Shop, action: str) -> list[Any]:
    return rows(shop_store(shop), AuditEntry, AuditEntry.action == action, order_by=AuditEntry.id)


def approval_dialog(qtbot: QtBot, window: TillWindow) -> ManagerApprovalDialog:
    """The PIN dialog, open with the shop's manager to choose."""
    qtbot.waitUntil(lambda: window.approval_dialog is not None)
    dialog = window.approval_dialog
    assert dialog is not None
    settle(qtbot, window)
    assert [dialog.manager.itemText(i) for i in range(dialog.manager.count())] == ["Ayşe Yılmaz"]
    return dialog


def type_pin(qtbot: QtBot, window: TillWindow, dialog: ManagerApprovalDialog, pin: str) -> None:
    qtbot.keyClicks(dialog.pin, pin)
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    settle(qtbot, window)


def test_voiding_a_large_sale_takes_a_managers_pin_and_a_wrong_one_is_said_inline(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"20*{SUT}")  # ₺650,00: over the till's ₺500,00
    press(qtbot, window, Qt.Key.Key_F12)
    dialog = approval_dialog(qtbot, window)
    assert window.confirm_dialog is None  # the manager first, then the question
    qtbot.waitUntil(dialog.pin.hasFocus)
    assert dialog.pin.echoMode() is dialog.pin.EchoMode.Password
    assert "₺650,00" in dialog.question.text()

    type_pin(qtbot, window, dialog, "0000")

    assert dialog.problem.text() == "Yanlış PIN. Kalan deneme: 4"
    assert dialog.isVisible()
    assert dialog.pin.text() == ""
    shoot(dialog, "till-approval")
    assert stock(shop, SUT) == (20, 20)
    assert audit_rows(shop, "approval.granted") == []

    type_pin(qtbot, window, dialog, "9999")

    qtbot.waitUntil(lambda: window.confirm_dialog is not None)
    assert window.approval_dialog is None
    assert window.confirm_dialog is not None
    qtbot.keyClick(window.confirm_dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.cart is not None and not window.cart.lines)
    settle(qtbot, window)
    assert stock(shop, SUT) == (40, 0)
    (granted,) = audit_rows(shop, "approval.granted")
    assert (granted.user_id, granted.approved_by) == (shop.cashier.id, shop.manager.id)
    (voided,) = audit_rows(shop, "sale.voided")
    assert (voided.user_id, voided.approved_by) == (shop.cashier.id, shop.manager.id)
    assert window.banner.text() == "Satış iptal edildi; stok serbest bırakıldı"
    back_at_scan(qtbot, window)


def test_five_wrong_pins_lock_the_manager_and_the_sale_stays(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"20*{SUT}")
    cart_id = window.cart.cart_id if window.cart else 0
    press(qtbot, window, Qt.Key.Key_F12)
    dialog = approval_dialog(qtbot, window)
    for _attempt in range(5):
        type_pin(qtbot, window, dialog, "1234")
    assert dialog.problem.text() == "Kullanıcı kilitli: 5 dakika sonra tekrar deneyin"
    type_pin(qtbot, window, dialog, "9999")  # locked: the right PIN no longer approves
    assert dialog.problem.text().startswith("Kullanıcı kilitli:")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: window.approval_dialog is None)
    assert window.confirm_dialog is None
    assert value(cart_summary(shop.till.uow(), cart_id)).status is CartStatus.OPEN
    assert stock(shop, SUT) == (20, 20)
    assert audit_rows(shop, "sale.voided") == []
    back_at_scan(qtbot, window)


def test_a_manager_at_the_till_voids_a_large_sale_with_no_pin_dialog(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.manager, "9999")
    scan(qtbot, window, f"20*{SUT}")
    press(qtbot, window, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: window.confirm_dialog is not None)
    assert window.approval_dialog is None
    assert window.confirm_dialog is not None
    qtbot.keyClick(window.confirm_dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.cart is not None and not window.cart.lines)
    settle(qtbot, window)
    (voided,) = audit_rows(shop, "sale.voided")
    assert (voided.user_id, voided.approved_by) == (shop.manager.id, None)


def test_a_price_typed_at_the_till_is_approved_shown_and_charged(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, SUT)
    scan(qtbot, window, f"2*{AYRAN}")  # the selected line
    press(qtbot, window, Qt.Key.Key_F6)
    dialog = approval_dialog(qtbot, window)
    qtbot.waitUntil(dialog.price.hasFocus)
    assert "Sütaş Ayran 300 ml" in dialog.question.text()
    assert "₺12,50" in dialog.current_price.text()

    qtbot.keyClicks(dialog.price, "-5")
    type_pin(qtbot, window, dialog, "9999")
    assert dialog.problem.text() == _("Type the new price, e.g. 9,90")
    assert audit_rows(shop, "approval.granted") == []  # no PIN was checked
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "9,90")
    shoot(dialog, "till-approval-price")
    type_pin(qtbot, window, dialog, "9999")

    qtbot.waitUntil(lambda: window.approval_dialog is None)
    settle(qtbot, window)
    ayran = window.cart_model.lines[1]
    assert (ayran.name, ayran.unit_price_minor, ayran.price_overridden) == (
        "Sütaş Ayran 300 ml",
        9_90,
        True,
    )
    assert window.total_value.text() == "₺52,30"
    assert window.banner.text() == _("Manager's price set for {name}").format(
        name="Sütaş Ayran 300 ml"
    )
    assert stock(shop, AYRAN) == (8, 2)  # the price moved, the stock did not
    (entry,) = audit_rows(shop, "cart.price_override")
    assert (entry.user_id, entry.approved_by) == (shop.cashier.id, shop.manager.id)
    back_at_scan(qtbot, window)

    paid: list[Any] = []
    window.sale_paid.connect(paid.append)
    press(qtbot, window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None)
    assert window.cash_dialog is not None
    qtbot.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.receipt_dialog is not None)
    (order_id,) = paid
    items = rows(shop_store(shop), OrderItem, OrderItem.order_id == order_id)
    assert sorted((item.sku, item.unit_price_minor) for item in items) == [
        ("AYRAN-300", 9_90),
        ("SUT-1L", 32_50),
    ]


def test_a_managers_price_is_marked_in_the_cart(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F6)
    dialog = approval_dialog(qtbot, window)
    qtbot.keyClicks(dialog.price, "10")
    type_pin(qtbot, window, dialog, "9999")
    qtbot.waitUntil(lambda: window.approval_dialog is None)
    settle(qtbot, window)

    model = window.cart_model
    price = model.index(0, CartModel.UNIT_PRICE)
    assert model.data(price) == "* ₺10,00"
    assert model.data(price, Qt.ItemDataRole.ToolTipRole) == _("Price set by a manager")
    assert model.data(model.index(0, CartModel.LINE_TOTAL)) == "₺10,00"
    shoot(window, "till-manager-price")


def test_giving_an_item_away_asks_for_a_reason_only_at_zero(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F6)
    dialog = approval_dialog(qtbot, window)
    qtbot.keyClicks(dialog.price, "5")
    assert not dialog.reason.isVisible()
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "0,00")
    assert dialog.reason.isVisible()

    type_pin(qtbot, window, dialog, "9999")  # no reason yet

    assert dialog.problem.text() == "Ürünü ücretsiz vermek için bir neden yazın"
    assert dialog.reason.hasFocus()
    assert audit_rows(shop, "approval.granted") == []  # no PIN was checked
    dialog.reason.insert("Hasarlı ambalaj")  # QTest types Latin-1 only
    shoot(dialog, "till-approval-free-item")
    type_pin(qtbot, window, dialog, "9999")

    qtbot.waitUntil(lambda: window.approval_dialog is None)
    settle(qtbot, window)
    assert window.cart_model.lines[0].unit_price_minor == 0
    assert window.total_value.text() == "₺0,00"
    (entry,) = audit_rows(shop, "cart.price_override")
    assert json.loads(entry.details)["reason"] == "Hasarlı ambalaj"
    (granted,) = audit_rows(shop, "approval.granted")
    assert json.loads(granted.details)["reason"] == "Hasarlı ambalaj"
    back_at_scan(qtbot, window)


def test_cancelling_the_price_dialog_changes_nothing(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F6)
    dialog = approval_dialog(qtbot, window)
    qtbot.keyClicks(dialog.price, "1")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.approval_dialog is None)
    settle(qtbot, window)
    assert window.cart_model.lines[0].unit_price_minor == 12_50
    assert audit_rows(shop, "approval.granted") == []
    back_at_scan(qtbot, window)


def test_the_price_key_on_an_empty_sale_says_so(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    press(qtbot, window, Qt.Key.Key_F6)
    settle(qtbot, window)
    assert window.approval_dialog is None
    assert window.banner.text() == "Sepet boş"


# -- a stuck card payment --------------------------------------------------------------


def test_a_manager_resolves_a_stuck_card_payment_from_the_card_dialog(
    qtbot: QtBot, card_window: TillWindow, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, NO_ANSWER)
    card = open_card_dialog(qtbot, window)
    qtbot.waitUntil(lambda: card.status is PaymentStatus.PENDING, timeout=WAIT_MS)
    assert not card.manager_button.isVisible()
    # The terminal stops answering: the cancel cannot be confirmed.
    monkeypatch.setattr(
        card_ops, "cancel_card_payment", lambda *_args: Err(Code.PAYMENT_STATE_UNKNOWN)
    )
    qtbot.keyClick(card, Qt.Key.Key_Escape)
    qtbot.waitUntil(card.manager_button.isVisible)
    shoot(card, "card-dialog-stuck")
    assert card.note_label.text() == "Ödemenin durumu henüz bilinmiyor; ürünler ayrılmış kalıyor"
    assert stock(shop, NO_ANSWER) == (4, 1)

    qtbot.mouseClick(card.manager_button, Qt.MouseButton.LeftButton)
    dialog = approval_dialog(qtbot, window)
    qtbot.waitUntil(dialog.note.hasFocus)
    dialog.outcome.setCurrentIndex(dialog.outcome.findData(PaymentStatus.CANCELLED))
    type_pin(qtbot, window, dialog, "9999")
    assert dialog.problem.text() == "Bir açıklama yazın (en çok 500 karakter)"
    qtbot.keyClicks(dialog.note, "Terminal dondu, nakit alinacak")
    shoot(dialog, "till-approval-resolve")
    type_pin(qtbot, window, dialog, "9999")

    qtbot.waitUntil(lambda: card.status is PaymentStatus.CANCELLED, timeout=WAIT_MS)
    assert card.source_label.text() == _("Resolved by a manager")
    assert not card.manager_button.isVisible()
    (entry,) = audit_rows(shop, "payment.force_resolve")
    assert (entry.user_id, entry.approved_by) == (shop.cashier.id, shop.manager.id)
    assert "Terminal dondu" in entry.details
    settle(qtbot, window)
    assert window.cart is not None
    assert window.cart.status is CartStatus.OPEN  # the goods are still at the till
    assert stock(shop, NO_ANSWER) == (4, 1)
    qtbot.keyClick(card, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.card_dialog is None)


# -- the back office ------------------------------------------------------------------


def test_a_cashier_pressing_the_back_office_key_is_refused(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    press(qtbot, window, Qt.Key.Key_F11)
    settle(qtbot, window)
    assert window.banner.text() == "Bu ekran yalnızca yöneticilere açıktır"
    assert window.back_office is None


def test_a_manager_pressing_the_back_office_key_opens_it_once(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.manager, "9999")

    press(qtbot, window, Qt.Key.Key_F11)
    settle(qtbot, window)

    opened = window.back_office
    assert isinstance(opened, BackOfficeWindow)
    assert opened.isVisible()
    assert opened.tabs.tabText(0) == "Ürünler"
    context = opened.context
    assert (context.till, context.ops, context.manager.id) == (
        shop.till,
        window.ops,
        shop.manager.id,
    )
    window.activateWindow()
    press(qtbot, window, Qt.Key.Key_F11)
    settle(qtbot, window)
    assert window.back_office is opened  # raised again, not opened twice

    window.sign_out()  # the next cashier must not find the back office open
    assert not opened.isVisible()
    assert window.back_office is None
    qtbot.waitUntil(lambda: not shiboken6.isValid(opened))  # let go once the store answered
