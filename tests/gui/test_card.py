"""Card payments at the till against the terminal simulator over real HTTP on loopback."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentStatus
from pos.services.receipts import receipt_text
from tests.conftest import value
from tests.gui.conftest import AYRAN, DECLINED, NO_ANSWER, Shop, scan, settle, sign_in
from tests.gui.test_till import back_at_scan, press, stock
from ui.dialogs import CardDialog
from ui.till import TillWindow

WAIT_MS = 15_000


def open_card_dialog(qtbot: QtBot, window: TillWindow) -> CardDialog:
    press(qtbot, window, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: window.card_dialog is not None)
    assert window.card_dialog is not None
    return window.card_dialog


def test_an_approved_card_payment_shows_the_receipt_and_how_the_result_came(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{AYRAN}")
    paid: list[Any] = []
    window.sale_paid.connect(paid.append)
    open_card_dialog(qtbot, window)
    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    assert window.card_dialog is None
    assert window.receipt_dialog is not None
    assert window.receipt_dialog.change_label.text() == "Kart: terminal onayladı"
    (order_id,) = paid
    assert value(receipt_text(shop.till.uow(), order_id)) == (
        window.receipt_dialog.text.toPlainText()
    )
    assert stock(shop, AYRAN) == (8, 0)
    qtbot.keyClick(window.receipt_dialog, Qt.Key.Key_Return)
    back_at_scan(qtbot, window)
    settle(qtbot, window)
    assert window.cart is not None
    assert not window.cart.lines


def test_a_declined_card_keeps_the_sale_so_the_cashier_takes_cash(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, DECLINED)
    dialog = open_card_dialog(qtbot, window)
    qtbot.waitUntil(lambda: dialog.status is PaymentStatus.FAILED, timeout=WAIT_MS)
    assert dialog.state_label.text() == "Reddedildi"
    assert dialog.cancel_button.text() == "Kapat (Esc)"
    settle(qtbot, window)
    assert [line.name for line in window.cart_model.lines] == ["Çaykur Rize Çayı 1 kg"]
    assert stock(shop, DECLINED) == (4, 1)  # still held for the sale
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.card_dialog is None)
    back_at_scan(qtbot, window)

    press(qtbot, window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None)
    assert window.cash_dialog is not None
    qtbot.keyClicks(window.cash_dialog.given, "250")
    qtbot.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    assert window.receipt_dialog is not None
    assert window.receipt_dialog.change_label.text() == "Para üstü: ₺30,09"
    assert stock(shop, DECLINED) == (4, 0)


def test_cancelling_while_the_terminal_waits_for_the_card(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, NO_ANSWER)
    dialog = open_card_dialog(qtbot, window)
    qtbot.waitUntil(lambda: dialog.status is PaymentStatus.PENDING, timeout=WAIT_MS)
    assert dialog.state_label.text() == "Kart bekleniyor…"
    assert dialog.cancel_button.text() == "Ödemeyi iptal et (Esc)"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert window.card_dialog is dialog  # Esc asks the terminal; the dialog waits for it
    qtbot.waitUntil(lambda: dialog.status is PaymentStatus.CANCELLED, timeout=WAIT_MS)
    assert dialog.state_label.text() == "İptal edildi"
    settle(qtbot, window)
    assert window.cart is not None
    assert [line.name for line in window.cart.lines] == ["Kurukahveci Türk Kahvesi 100 g"]
    assert stock(shop, NO_ANSWER) == (4, 1)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.card_dialog is None)


def test_the_status_bar_shows_the_terminal_and_the_listener(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    window.refresh_status()
    qtbot.waitUntil(lambda: window.terminal_status.text() == "Terminal: cevap veriyor")
    port = window.runtime.listener.url.rsplit(":", 1)[-1].split("/")[0]  # type: ignore[union-attr]
    assert window.listener_status.text() == f"Dinleyici: port {port}, henüz olay yok"
    assert window.unresolved_status.text() == "Sonuçlanmamış ödemeler: 0"
