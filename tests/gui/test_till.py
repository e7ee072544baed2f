"""The till driven the way a cashier drives it: keys into the focused field, results in the
store checked through the services."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentStatus
from pos.services.receipts import receipt_text
from pos.services.stock import stock_levels
from tests.conftest import value
from tests.gui.conftest import AYRAN, PEYNIR, SUT, Shop, scan, settle, sign_in
from ui import sale as sale_ops
from ui.dialogs import CashDialog, ReceiptDialog
from ui.till import TillWindow
from ui.till import window as till_module


def stock(shop: Shop, barcode: str) -> tuple[int, int]:
    level = value(stock_levels(shop.till.uow(), [shop.products[barcode]]))[0]
    return level.available, level.reserved


def press(qtbot: QtBot, window: TillWindow, key: Qt.Key) -> None:
    """A function key, sent to whatever has the keyboard (shortcuts fire from there)."""
    qtbot.keyClick(window.focusWidget() or window, key)


def back_at_scan(qtbot: QtBot, window: TillWindow) -> None:
    """The dialog closed and the scan field has the keyboard again."""
    qtbot.waitUntil(lambda: window.isActiveWindow() and window.focusWidget() is window.scan)


def test_a_cash_sale_made_with_keys_only_is_paid_in_the_store(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"3*{AYRAN}")
    qtbot.keyClicks(window.scan, "2")
    press(qtbot, window, Qt.Key.Key_F2)
    assert window.quantity_label.text() == "x 2"
    scan(qtbot, window, SUT)
    assert [(line.name, line.quantity) for line in window.cart_model.lines] == [
        ("Sütaş Ayran 300 ml", 3),
        ("Pınar Tam Yağlı Süt 1 L", 2),
    ]
    assert window.total_value.text() == "₺102,50"
    paid: list[Any] = []
    window.sale_paid.connect(paid.append)

    press(qtbot, window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None and window.cash_dialog.isVisible())
    dialog = window.cash_dialog
    assert isinstance(dialog, CashDialog)
    qtbot.keyClicks(dialog.given, "150")
    assert dialog.change_label.text() == "Para üstü: ₺47,50"
    qtbot.keyClick(dialog.given, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.receipt_dialog is not None)
    receipt = window.receipt_dialog
    assert isinstance(receipt, ReceiptDialog)
    assert receipt.change_label.text() == "Para üstü: ₺47,50"
    assert "Sütaş Ayran 300 ml" in receipt.text.toPlainText()

    (order_id,) = paid
    assert value(receipt_text(shop.till.uow(), order_id)) == receipt.text.toPlainText()
    assert stock(shop, AYRAN) == (7, 0)
    assert stock(shop, SUT) == (38, 0)

    qtbot.keyClick(receipt, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.receipt_dialog is None)
    settle(qtbot, window)
    assert window.cart is not None
    assert not window.cart.lines
    assert window.cart_model.rowCount() == 0
    back_at_scan(qtbot, window)


def test_a_second_press_of_pay_retries_with_the_same_key_and_a_new_sale_gets_a_new_one(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    first = window._key_for("cash", 2000)
    assert window._key_for("cash", 2000) == first  # a retry of the same attempt
    assert window._key_for("cash", 5000) != first  # another amount is another attempt
    scan(qtbot, window, AYRAN)
    assert window._key_for("cash", 5000) != first


def test_an_unknown_barcode_is_said_inline_with_the_code(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, "8690000000999")
    assert window.banner.isVisible()
    assert window.banner.text() == "Barkod bulunamadı: 8690000000999"
    assert window.cart_model.rowCount() == 0
    back_at_scan(qtbot, window)


def test_out_of_stock_shows_the_seeds_message_and_keeps_the_line(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"3*{PEYNIR}")
    assert window.banner.text() == "Yeyterli stok yok - mevcut: 2".replace("Yey", "Ye")
    assert window.cart_model.rowCount() == 0
    scan(qtbot, window, f"2*{PEYNIR}")
    assert not window.banner.isVisible()
    qtbot.keyClick(window.scan, Qt.Key.Key_Plus)
    settle(qtbot, window)
    assert window.banner.text() == "Yeterli stok yok - mevcut: 0"
    assert window.cart_model.lines[0].quantity == 2
    assert stock(shop, PEYNIR) == (0, 2)


def test_plus_minus_delete_and_the_quantity_cell_change_the_line_through_the_store(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    scan(qtbot, window, SUT)
    qtbot.keyClick(window.scan, Qt.Key.Key_Up)  # select the first line
    qtbot.keyClick(window.scan, Qt.Key.Key_Plus)
    settle(qtbot, window)
    assert window.cart_model.lines[0].quantity == 2
    assert stock(shop, AYRAN) == (8, 2)
    qtbot.keyClick(window.scan, Qt.Key.Key_Minus)
    settle(qtbot, window)
    assert window.cart_model.lines[0].quantity == 1
    model = window.cart_model
    assert model.setData(model.index(1, model.QUANTITY), "5")
    settle(qtbot, window)
    assert model.lines[1].quantity == 5
    assert stock(shop, SUT) == (35, 5)
    qtbot.keyClick(window.scan, Qt.Key.Key_Down)
    qtbot.keyClick(window.scan, Qt.Key.Key_Delete)
    settle(qtbot, window)
    assert [line.name for line in model.lines] == ["Sütaş Ayran 300 ml"]
    assert stock(shop, SUT) == (40, 0)


def test_search_as_you_type_then_enter_adds_the_highlighted_product(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    press(qtbot, window, Qt.Key.Key_F3)
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, "pinar sut")
    qtbot.waitUntil(lambda: window.search_model.rowCount() == 1)
    assert window.results.isVisible()
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.cart_model.rowCount() == 1)
    assert window.cart_model.lines[0].name == "Pınar Tam Yağlı Süt 1 L"
    assert window.scan.hasFocus()
    assert not window.results.isVisible()


def test_a_stale_search_answer_is_dropped(qtbot: QtBot, window: TillWindow, shop: Shop) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    window.search.setText("ayran")
    window._search_now()
    window.search.setText("peynir")
    window._search_now()
    settle(qtbot, window)
    assert [window.search_model.product(0).name] == ["Beyaz Peynir 500 g"]  # type: ignore[union-attr]


def test_a_valid_coupon_discounts_and_an_unknown_one_is_refused_in_turkish(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, PEYNIR)
    press(qtbot, window, Qt.Key.Key_F4)
    assert window.coupon.hasFocus()
    qtbot.keyClicks(window.coupon, "YOKBOYLE")
    qtbot.keyClick(window.coupon, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.coupon_note.text() == "Kupon geçersiz"
    assert window.total_value.text() == "₺150,00"
    window.coupon.clear()
    qtbot.keyClicks(window.coupon, "hosgeldin10")
    qtbot.keyClick(window.coupon, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.coupon_note.text() == "HOSGELDIN10 kuponu uygulandı"
    assert window.total_value.text() == "₺135,00"
    shown = [label.text() for label in window._total_rows if label.isVisible()]
    assert shown[:6] == ["Ara toplam", "₺150,00", "İndirim", "-₺15,00", "KDV %20", "₺22,50"]
    assert window.scan.hasFocus()


def test_a_coupon_below_its_minimum_shows_the_seeds_text(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F4)
    qtbot.keyClicks(window.coupon, "HOSGELDIN10")
    qtbot.keyClick(window.coupon, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.coupon_note.text() == "Sepet tutarı kupon için yetersiz"


def test_voiding_asks_first_then_releases_the_stock(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"4*{AYRAN}")
    assert stock(shop, AYRAN) == (6, 4)
    press(qtbot, window, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: window.confirm_dialog is not None)
    assert window.confirm_dialog is not None
    qtbot.keyClick(window.confirm_dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.confirm_dialog is None)
    back_at_scan(qtbot, window)
    assert stock(shop, AYRAN) == (6, 4)
    press(qtbot, window, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: window.confirm_dialog is not None)
    qtbot.keyClick(window.confirm_dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.cart is not None and not window.cart.lines)
    settle(qtbot, window)
    assert stock(shop, AYRAN) == (10, 0)
    assert window.banner.isVisible()
    assert window.banner.text() == "Satış iptal edildi; stok serbest bırakıldı"


def test_paying_an_empty_sale_says_so(qtbot: QtBot, window: TillWindow, shop: Shop) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    press(qtbot, window, Qt.Key.Key_F9)
    settle(qtbot, window)
    assert window.cash_dialog is None
    assert window.banner.text() == "Sepet boş"


def test_wrong_pins_count_down_then_lock_the_user(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    qtbot.waitUntil(lambda: window.login.user_group.button(shop.cashier.id) is not None)
    window.login.select_user(shop.cashier.id)
    for _attempt in range(4):
        qtbot.keyClicks(window.login.pin, "0000")
        qtbot.keyClick(window.login.pin, Qt.Key.Key_Return)
        settle(qtbot, window)
    assert window.login.problem.text() == "Yanlış PIN. Kalan deneme: 1"
    qtbot.keyClicks(window.login.pin, "0000")
    qtbot.keyClick(window.login.pin, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.keyClicks(window.login.pin, "1111")  # the right PIN no longer opens the till
    qtbot.keyClick(window.login.pin, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.login.problem.text().startswith("Kullanıcı kilitli:")
    assert window.user is None
    assert window.stack.currentWidget() is window.login


def test_the_pin_pad_signs_in_and_switching_cashier_returns_to_login(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    qtbot.waitUntil(lambda: window.login.user_group.button(shop.manager.id) is not None)
    window.login.select_user(shop.manager.id)
    pad = {button.text(): button for button in window.login.pad_buttons}
    for digit in "9999":
        qtbot.mouseClick(pad[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.login.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.user is not None)
    assert window.cashier_label.text() == "Kasiyer: Ayşe Yılmaz"
    settle(qtbot, window)
    qtbot.keyClick(window.scan, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.login
    assert window.user is None


def test_switching_language_retranslates_what_is_on_screen(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, "8690000000999")
    header = window.cart_model.headerData(0, Qt.Orientation.Horizontal)
    assert (window.buttons["cash"].text(), header) == ("Nakit (F9)", "Ürün")
    press(qtbot, window, Qt.Key.Key_F7)
    assert window.buttons["cash"].text() == "Cash (F9)"
    assert window.cart_model.headerData(0, Qt.Orientation.Horizontal) == "Product"
    assert window.banner.text() == "Barcode not found: 8690000000999"
    assert window.total_caption.text() == "Total"
    press(qtbot, window, Qt.Key.Key_F7)
    assert window.buttons["cash"].text() == "Nakit (F9)"


def test_service_calls_run_off_the_gui_thread(
    qtbot: QtBot, window: TillWindow, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: dict[str, int] = {}

    def recorded(name: str, service: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            threads[name] = threading.get_ident()
            return service(*args, **kwargs)

        return call

    monkeypatch.setattr(till_module, "sign_in", recorded("sign_in", till_module.sign_in))
    for name in ("add_scanned", "checkout", "receipt_text", "open_cart"):
        monkeypatch.setattr(sale_ops, name, recorded(name, getattr(sale_ops, name)))
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None)
    assert window.cash_dialog is not None
    qtbot.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)  # empty: the exact amount
    qtbot.waitUntil(lambda: window.receipt_dialog is not None)
    settle(qtbot, window)

    gui = threading.get_ident()
    assert set(threads) == {
        "sign_in",
        "add_scanned",
        "checkout",
        "receipt_text",
        "open_cart",
    }
    assert all(ident != gui for ident in threads.values()), threads


def test_every_model_passes_the_model_tester(
    qtmodeltester: Any, qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    scan(qtbot, window, SUT)
    qtmodeltester.check(window.cart_model)
    window.search.setText("s")
    window._search_now()
    settle(qtbot, window)
    assert window.search_model.rowCount() >= 2
    qtmodeltester.check(window.search_model)


def test_the_status_bar_names_the_store_and_says_it_answers(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    window.refresh_status()
    settle(qtbot, window)
    assert window.store_status.text() == "Veritabanı: store.sqlite3 (erişilebilir)" or (
        shop.till.engine.dialect.name == "postgresql"
    )
    assert window.terminal_status.text() == "Terminal: yok"


def test_the_card_key_without_a_terminal_says_so(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F10)
    settle(qtbot, window)
    assert window.card_dialog is None
    assert window.banner.text() == "Bu kasada kart terminali tanımlı değil"
    assert PaymentStatus.PAID  # the card flows are in test_card.py
