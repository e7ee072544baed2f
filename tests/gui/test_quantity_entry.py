"""A quantity typed at the till is whole units or refused with why: never misread."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit
from pytestqt.qtbot import QtBot

from pos.services.stock import stock_levels
from tests.conftest import value
from tests.gui.conftest import AYRAN, Shop, scan, settle, sign_in
from ui.models import CartModel
from ui.till import TillWindow


def books(shop: Shop) -> tuple[int, int]:
    level = value(stock_levels(shop.till.uow(), [shop.products[AYRAN]]))[0]
    return level.available, level.reserved


def edit_quantity(qtbot: QtBot, window: TillWindow, typed: str) -> None:
    """Double-click the first line's quantity, type over it, Enter: as a cashier does."""
    table = window.table
    cell = table.visualRect(window.cart_model.index(0, CartModel.QUANTITY)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.waitUntil(lambda: isinstance(window.focusWidget(), QLineEdit))
    editor = window.focusWidget()
    assert isinstance(editor, QLineEdit)
    assert editor is not window.scan
    editor.selectAll()
    qtbot.keyClicks(editor, typed)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The view commits and closes its editor on the next turn of the event loop.
    qtbot.waitUntil(lambda: table.state() is not QAbstractItemView.State.EditingState)
    settle(qtbot, window)


def test_a_decimal_quantity_typed_in_the_cell_is_refused_not_read_ten_times_larger(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    before = books(shop)

    edit_quantity(qtbot, window, "1,5")

    assert window.cart is not None
    assert [line.quantity for line in window.cart.lines] == [1]
    assert window.cart_model.index(0, CartModel.QUANTITY).data() == "1"
    assert window.banner.isVisible()
    assert window.banner.text() == "Adet tam sayı olmalı"
    assert books(shop) == before


def test_a_whole_quantity_typed_in_the_cell_changes_the_line(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)

    edit_quantity(qtbot, window, "4")

    assert window.cart is not None
    assert [line.quantity for line in window.cart.lines] == [4]
    assert books(shop) == (6, 4)


def test_a_wrong_quantity_before_the_star_says_what_is_wrong_with_the_quantity(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")

    scan(qtbot, window, f"2,5*{AYRAN}")
    assert window.banner.text() == "Adet tam sayı olmalı"
    scan(qtbot, window, f"0*{AYRAN}")
    assert window.banner.text() == "Adet 1 ile 1.000.000 arasında olmalı"

    assert window.cart_model.rowCount() == 0
    assert books(shop) == (10, 0)
    scan(qtbot, window, f"2*{AYRAN}")
    assert [line.quantity for line in window.cart_model.lines] == [2]
