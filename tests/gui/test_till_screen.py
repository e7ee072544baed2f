"""The till owns its screen: on 1024x768 its own sizes, on a large screen larger text,
keys and columns instead of the same small ones in the middle of it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.gui.conftest import Shop, sign_in
from ui.cart_table import FIXED_WIDTHS
from ui.models import CartModel
from ui.screen import scaled_sizes
from ui.till import TillWindow
from ui.till.window import SIDE_PANEL_WIDTH


def grown(qtbot: QtBot, window: TillWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: not window._restyle.isActive())


def test_on_a_1024_by_768_screen_the_till_keeps_its_own_sizes(
    qtbot: QtBot, shop: Shop, window: TillWindow
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    grown(qtbot, window, 1024, 768)

    assert window.text_scale == 1.0
    assert window.styleSheet() == ""
    assert window.total_value.font().pixelSize() == 40
    assert window.side_panel.width() == SIDE_PANEL_WIDTH


def test_on_a_1920_by_1080_screen_text_keys_and_columns_grow_together(
    qtbot: QtBot, shop: Shop, window: TillWindow
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    grown(qtbot, window, 1920, 1080)

    assert window.text_scale == 1.4  # as far as the shorter side allows
    qtbot.waitUntil(lambda: window.total_value.font().pixelSize() == 56)
    assert window.side_panel.width() == round(SIDE_PANEL_WIDTH * 1.4)
    widths = dict(FIXED_WIDTHS)
    assert window.table.columnWidth(CartModel.UNIT_PRICE) == round(
        widths[CartModel.UNIT_PRICE] * 1.4
    )

    grown(qtbot, window, 1024, 768)  # back on a small screen: back to its own sizes
    qtbot.waitUntil(lambda: window.total_value.font().pixelSize() == 40)
    assert window.styleSheet() == ""


def test_scaling_a_stylesheet_grows_sizes_and_keeps_colours_and_paddings() -> None:
    qss = "QLabel#X { font-size: 40px; padding: 4px; min-height: 30px; color: #0b3d91; }"

    assert scaled_sizes(qss, 1.5) == (
        "QLabel#X { font-size: 60px; padding: 4px; min-height: 45px; color: #0b3d91; }"
    )
