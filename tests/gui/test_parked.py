"""Parking a sale at the till with F1 and recalling it from the Shift+F1 list, by keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.services.stock import stock_levels
from tests.conftest import value
from tests.gui.conftest import AYRAN, PEYNIR, SUT, Shop, scan, settle, sign_in
from ui.till import TillWindow
from ui.till.parked import ParkedSalesDialog


def press(qtbot: QtBot, window: TillWindow, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.focusWidget() or window, key, modifier)


def reserved(shop: Shop, barcode: str) -> int:
    return value(stock_levels(shop.till.uow(), [shop.products[barcode]]))[0].reserved


def open_list(qtbot: QtBot, window: TillWindow) -> ParkedSalesDialog:
    press(qtbot, window, Qt.Key.Key_F1, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.parked_dialog is not None)
    dialog = window.parked_dialog
    assert isinstance(dialog, ParkedSalesDialog)
    qtbot.waitUntil(lambda: dialog.sales is not None)
    return dialog


def test_a_sale_parked_with_f1_waits_held_and_comes_back_with_enter(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    assert window.buttons["park"].text() == "Satışı park et\n(F1)"
    assert window.buttons["parked"].text() == "Park edilenler\n(Shift+F1)"
    scan(qtbot, window, f"2*{AYRAN}")
    parked_cart = window.cart.cart_id if window.cart else None

    press(qtbot, window, Qt.Key.Key_F1)
    settle(qtbot, window)

    assert window.cart is not None
    assert window.cart.cart_id != parked_cart
    assert window.cart_model.rowCount() == 0
    assert window.banner.text().startswith("Satış park edildi (₺25,00)")
    assert reserved(shop, AYRAN) == 2  # its holds stay
    scan(qtbot, window, SUT)

    # With a sale on the screen the recall is refused, said in the list, nothing moves.
    dialog = open_list(qtbot, window)
    assert [(sale.parked_by, sale.total_minor) for sale in dialog.sales or ()] == [
        ("Mehmet Demir", 25_00)
    ]
    qtbot.keyClick(dialog.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Ekranda bir satış var"))
    qtbot.keyClick(dialog.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.parked_dialog is None)
    qtbot.waitUntil(lambda: window.isActiveWindow() and window.focusWidget() is window.scan)
    assert [line.name for line in window.cart_model.lines] == ["Pınar Tam Yağlı Süt 1 L"]

    # Parked too, the screen is empty: Enter brings the first one back.
    press(qtbot, window, Qt.Key.Key_F1)
    settle(qtbot, window)
    dialog = open_list(qtbot, window)
    assert len(dialog.sales or ()) == 2
    qtbot.keyClick(dialog.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.parked_dialog is None)
    settle(qtbot, window)

    assert window.cart is not None
    assert window.cart.cart_id == parked_cart
    assert [(line.name, line.quantity) for line in window.cart_model.lines] == [
        ("Sütaş Ayran 300 ml", 2)
    ]
    assert window.banner.text() == "Park edilmiş satış geri çağrıldı"


def test_parking_an_empty_sale_says_so(qtbot: QtBot, window: TillWindow, shop: Shop) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")

    press(qtbot, window, Qt.Key.Key_F1)
    settle(qtbot, window)

    assert window.banner.text() == "Boş satış park edilemez: önce ürün okutun"
    scan(qtbot, window, PEYNIR)  # the sale on the screen is still the one in use
    assert window.cart_model.rowCount() == 1


def test_a_sale_parked_by_one_cashier_waits_for_the_next(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, SUT)
    press(qtbot, window, Qt.Key.Key_F1)
    settle(qtbot, window)
    window.act("sign_out")

    sign_in(qtbot, window, shop.manager, "9999")
    dialog = open_list(qtbot, window)

    assert [(sale.parked_by, sale.item_count) for sale in dialog.sales or ()] == [
        ("Mehmet Demir", 1)
    ]
    assert reserved(shop, SUT) == 1
