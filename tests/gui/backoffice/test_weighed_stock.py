"""A weighed product on the stock page: received as "12,5" kg typed in the delivery grid,
adjusted and counted in kilos; the card, the history and the low-stock list read kilos."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.services.stock import stock_levels
from tests.conftest import value
from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_stock import open_page, pick, show_tab, type_cell
from tests.gui.conftest import Shop
from tests.gui.test_weights import tomatoes  # noqa: F401 (a fixture)
from ui.backoffice.common import Context


def free(shop: Shop, product: int) -> int:
    return value(stock_levels(shop.till.uow(), [product]))[0].available


def test_kilos_typed_in_the_delivery_grid_are_received_in_grams(
    qtbot: QtBot,
    context: Context,
    shop: Shop,
    tomatoes: int,  # noqa: F811
):
    page = open_page(qtbot, context)
    grid = page.receive.lines

    type_cell(qtbot, grid, 0, grid.CODE, "DOMATES-KG")
    settle(qtbot, context)
    assert grid.product_text(0) == "Domates — stokta: 50,000 kg"
    type_cell(qtbot, grid, 0, grid.QUANTITY, "12,5")
    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert free(shop, tomatoes) == 62_500
    assert page.message.kind == "info"


def test_a_wrong_weight_in_the_grid_is_refused_as_at_the_till(
    qtbot: QtBot,
    context: Context,
    shop: Shop,
    tomatoes: int,  # noqa: F811
):
    page = open_page(qtbot, context)
    grid = page.receive.lines

    type_cell(qtbot, grid, 0, grid.CODE, "DOMATES-KG")
    type_cell(qtbot, grid, 0, grid.QUANTITY, "1,2345")
    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.kind == "error"
    assert "Ağırlıkta en çok üç ondalık olur" in page.message.text()
    assert free(shop, tomatoes) == 50_000


def test_a_weighed_product_is_adjusted_and_counted_in_kilos_and_read_in_kilos(
    qtbot: QtBot,
    context: Context,
    shop: Shop,
    tomatoes: int,  # noqa: F811
):
    page = open_page(qtbot, context)
    pick(qtbot, context, page, "domates")
    assert "Serbest: 50,000 kg" in page.card.text()
    show_tab(qtbot, context, page, page.adjust)
    adjust = page.adjust
    assert adjust.quantity.placeholderText() == "kg olarak: ör. -0,5 veya +12,5"

    qtbot.keyClicks(adjust.quantity, "-0,250")
    adjust.reason.setCurrentIndex(adjust.reason.findData("damage"))
    qtbot.mouseClick(adjust.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert free(shop, tomatoes) == 49_750
    assert "Serbest: 49,750 kg" in page.card.text()

    qtbot.keyClicks(adjust.quantity, "-60")  # more than is free: refused in kilos
    qtbot.mouseClick(adjust.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert page.message.text() == "Düzeltme stoku sıfırın altına düşürür - mevcut: 49,750 kg"

    adjust.quantity.clear()
    qtbot.mouseClick(adjust.to, Qt.MouseButton.LeftButton)
    assert adjust.quantity.placeholderText() == "Raftaki kg, ör. 12,5"
    qtbot.keyClicks(adjust.quantity, "48,1")
    qtbot.mouseClick(adjust.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert free(shop, tomatoes) == 48_100

    show_tab(qtbot, context, page, page.history)
    history = page.history.model
    shown = [history.data(history.index(row, 2)) for row in range(history.rowCount())]
    assert shown == ["-1,650 kg", "-0,250 kg", "+50,000 kg"]
