"""Switching cashier at the till: the next one picks their own name, and takes the sale."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.services.users import list_all_users
from tests.conftest import value
from tests.gui.conftest import AYRAN, Shop, scan, settle, sign_in
from ui.till import TillWindow


def failed_tries(shop: Shop, user_id: int) -> int:
    records = value(list_all_users(shop.till.uow(), manager_id=shop.manager.id))
    return next(record.failed_pin_attempts for record in records if record.id == user_id)


def switch_cashier(qtbot: QtBot, window: TillWindow) -> None:
    qtbot.keyClick(
        window.focusWidget() or window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.login)
    settle(qtbot, window)


def test_after_switching_cashier_no_one_is_chosen_so_a_pin_spends_no_ones_try(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    qtbot.waitUntil(lambda: len(window.login.user_group.buttons()) == 2)
    assert window.login.selected_user_id() is None  # a fresh till chooses no one either
    sign_in(qtbot, window, shop.manager, "9999")
    switch_cashier(qtbot, window)

    assert window.login.selected_user_id() is None
    qtbot.keyClicks(window.login.pin, "1111")
    qtbot.keyClick(window.login.pin, Qt.Key.Key_Return)
    settle(qtbot, window)

    assert window.login.problem.text() == "Giriş yapacak kişiyi seçin"
    assert window.user is None
    assert failed_tries(shop, shop.manager.id) == 0


def test_the_cashier_who_takes_the_cash_after_a_switch_is_on_the_receipt(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.manager, "9999")
    scan(qtbot, window, f"2*{AYRAN}")
    switch_cashier(qtbot, window)
    sign_in(qtbot, window, shop.cashier, "1111")
    assert [line.quantity for line in window.cart_model.lines] == [2]  # the sale goes on

    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None and window.cash_dialog.isVisible())
    assert window.cash_dialog is not None
    qtbot.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.receipt_dialog is not None)

    assert window.receipt_dialog is not None
    receipt = window.receipt_dialog.text.toPlainText()
    assert "Mehmet Demir" in receipt
    assert "Ayşe Yılmaz" not in receipt
