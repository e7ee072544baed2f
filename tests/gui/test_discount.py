"""A line discount at the till, driven with keys: given within the cashier's limit, refused
with the dialog left open, and over the limit with a manager's PIN on top."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.messages import render
from pos.domain.results import Code, Err
from tests.gui.conftest import AYRAN, SUT, Shop, scan, settle, sign_in
from tests.gui.test_approval import approval_dialog, audit_rows, type_pin
from tests.gui.test_screenshots import shoot
from tests.gui.test_till import back_at_scan
from ui.discount import LineDiscountDialog
from ui.till import TillWindow


def discount_dialog(qtbot: QtBot, window: TillWindow) -> LineDiscountDialog:
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.discount_dialog is not None)
    dialog = window.discount_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.value.hasFocus)
    return dialog


def give(qtbot: QtBot, window: TillWindow, dialog: Any, kind: int, typed: str, reason: str) -> None:
    dialog.kind.setCurrentIndex(kind)
    dialog.value.clear()
    qtbot.keyClicks(dialog.value, typed)
    dialog.reason.setEditText(reason)
    qtbot.keyClick(dialog.value, Qt.Key.Key_Return)
    settle(qtbot, window)


def test_a_cashier_gives_a_percentage_off_the_selected_line(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, SUT)
    scan(qtbot, window, f"2*{AYRAN}")  # the selected line: 2 x 12,50
    dialog = discount_dialog(qtbot, window)
    assert "Sütaş Ayran 300 ml" in dialog.question.text()
    assert "Hasarlı ürün" in [dialog.reason.itemText(i) for i in range(dialog.reason.count())]

    give(qtbot, window, dialog, 0, "101", "Hasarlı ürün")
    assert dialog.problem.text() == render(Err(Code.DISCOUNT_OVER_100), "tr")
    assert dialog.isVisible()  # refused: nothing changed, the figures stay to correct
    assert window.cart_model.lines[1].discount is None
    give(qtbot, window, dialog, 0, "10", "Hasarlı ürün")

    back_at_scan(qtbot, window)
    ayran = window.cart_model.lines[1]
    assert (ayran.discount_minor, ayran.discount.reason) == (2_50, "Hasarlı ürün")
    assert window.total_value.text() == "₺55,00"  # 32,50 + 25,00 - 2,50
    assert "-₺2,50 Hasarlı ürün" in window.cart_model.data(window.cart_model.index(1, 0))
    (entry,) = audit_rows(shop, "cart.line_discount")
    assert (entry.user_id, entry.approved_by) == (shop.cashier.id, None)


def test_over_the_cashiers_limit_a_manager_types_their_pin(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{AYRAN}")
    dialog = discount_dialog(qtbot, window)

    give(qtbot, window, dialog, 1, "10", "Son kullanma tarihi yakın")  # 40 % of 25,00

    approval = approval_dialog(qtbot, window)
    assert "%10" in approval.question.text()
    assert window.cart_model.lines[0].discount is None
    shoot(dialog, "till-discount")
    type_pin(qtbot, window, approval, "9999")

    qtbot.waitUntil(lambda: window.discount_dialog is None)
    settle(qtbot, window)
    assert window.cart_model.lines[0].discount_minor == 10_00
    assert window.total_value.text() == "₺15,00"
    (entry,) = audit_rows(shop, "cart.line_discount")
    assert (entry.user_id, entry.approved_by) == (shop.cashier.id, shop.manager.id)
