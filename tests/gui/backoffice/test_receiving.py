"""Receiving a delivery typed like the delivery note in hand: Tab runs on to a new line,
a code shows what it names, blank lines are left out."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit
from pytestqt.qtbot import QtBot

from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_stock import level, open_page
from tests.gui.conftest import AYRAN, PEYNIR, SUT, Shop
from ui.backoffice.common import Context
from ui.backoffice.receiving import DeliveryGrid


def editor(qtbot: QtBot, grid: DeliveryGrid) -> QLineEdit:
    """The cell editor open now (a closed one lingers until deleted later)."""
    qtbot.waitUntil(lambda: grid.state() == QAbstractItemView.State.EditingState)
    [open_editor] = [e for e in grid.viewport().findChildren(QLineEdit) if e.isVisible()]
    return open_editor


def type_in(qtbot: QtBot, grid: DeliveryGrid, text: str, key: Qt.Key) -> None:
    """Type into the cell being edited, then leave it with ``key``."""
    field = editor(qtbot, grid)
    cell = grid.currentItem()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, key)
    # The delegate commits an Enter through a queued call.
    qtbot.waitUntil(lambda: cell.text() == text)


def cells(grid: DeliveryGrid) -> list[tuple[str, str]]:
    return [(grid.code(row), grid.quantity(row)) for row in range(grid.rowCount())]


def test_tab_from_the_last_quantity_adds_a_line_and_enters_its_code(
    qtbot: QtBot, context: Context, shop: Shop
):
    page = open_page(qtbot, context)
    grid = page.receive.lines
    grid.enter(0, grid.CODE)

    type_in(qtbot, grid, "AYRAN-300", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "12", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "SUT-1L", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "3", Qt.Key.Key_Tab)

    assert cells(grid) == [("AYRAN-300", "12"), ("SUT-1L", "3"), ("", "")]
    assert (grid.currentRow(), grid.currentColumn()) == (2, grid.CODE)
    assert grid.state() == QAbstractItemView.State.EditingState


def test_enter_on_a_code_shows_its_product_and_stock_and_moves_to_the_quantity(
    qtbot: QtBot, context: Context, shop: Shop
):
    page = open_page(qtbot, context)
    grid = page.receive.lines
    grid.enter(0, grid.CODE)

    type_in(qtbot, grid, PEYNIR, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: grid.product_text(0) != "")

    assert grid.product_text(0) == "Beyaz Peynir 500 g — stokta: 2"
    assert (grid.currentRow(), grid.currentColumn()) == (0, grid.QUANTITY)
    type_in(qtbot, grid, "4", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "YOK-1", Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: grid.product_text(1) != "")

    assert grid.product_text(1) == "Ürün mevcut değil"
    assert page.message.text() == ""  # the line says it; the page has nothing to refuse yet


def test_add_line_enters_the_new_lines_code(qtbot: QtBot, context: Context, shop: Shop):
    page = open_page(qtbot, context)
    grid = page.receive.lines
    grid.enter(0, grid.CODE)
    type_in(qtbot, grid, "AYRAN-300", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "5", Qt.Key.Key_Return)

    qtbot.mouseClick(page.receive.add, Qt.MouseButton.LeftButton)
    type_in(qtbot, grid, "SUT-1L", Qt.Key.Key_Return)

    assert cells(grid)[:2] == [("AYRAN-300", "5"), ("SUT-1L", "")]


def test_blank_lines_are_left_out_of_the_delivery(qtbot: QtBot, context: Context, shop: Shop):
    page = open_page(qtbot, context)
    grid = page.receive.lines
    grid.enter(0, grid.CODE)
    type_in(qtbot, grid, "AYRAN-300", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "2", Qt.Key.Key_Tab)
    type_in(qtbot, grid, "", Qt.Key.Key_Tab)  # a line left blank in the middle
    type_in(qtbot, grid, "", Qt.Key.Key_Tab)
    type_in(qtbot, grid, SUT, Qt.Key.Key_Tab)
    type_in(qtbot, grid, "6", Qt.Key.Key_Tab)  # and the fresh one Tab made at the end
    settle(qtbot, context)

    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.kind == "info", page.message.text()
    assert level(shop, AYRAN) == (12, 0)
    assert level(shop, SUT) == (46, 0)
    assert cells(grid) == [("", "")]


def test_a_delivery_of_only_blank_lines_says_it_has_none(
    qtbot: QtBot, context: Context, shop: Shop
):
    page = open_page(qtbot, context)

    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.text() == "Teslimatta hiç satır yok"
    assert page.receive.lines.rowCount() == 1
