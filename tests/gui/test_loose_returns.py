"""Goods back without a receipt at the till, keys only (F8, then F7): the manager's PIN
first, two items scanned (one damaged, one at the manager's price), the refund receipt
saying "Fişsiz iade" and the cash to give back; a cashier without the PIN refused; an
unknown barcode refused in Turkish, with nothing changed; the receipt printed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.printing.simulator import PrinterSimulator
from pos.store.models import SaleReturn
from tests.gui.conftest import AYRAN, PEYNIR, Shop, settle, sign_in
from tests.gui.test_approval import approval_dialog, audit_rows, shop_store, type_pin
from tests.gui.test_printing import printing_done, printing_window
from tests.gui.test_till import back_at_scan, press, stock
from tests.sales import rows
from ui.loose_return import LooseReturnDialog
from ui.return_dialog import ReturnDialog
from ui.till import TillWindow


def return_dialog(qtbot: QtBot, window: TillWindow) -> ReturnDialog:
    press(qtbot, window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: window.return_dialog is not None)
    dialog = window.return_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.receipt.hasFocus)
    return dialog


def loose_dialog(qtbot: QtBot, window: TillWindow) -> LooseReturnDialog:
    qtbot.waitUntil(lambda: isinstance(window.return_dialog, LooseReturnDialog))
    dialog = window.return_dialog
    assert isinstance(dialog, LooseReturnDialog)
    qtbot.waitUntil(dialog.receipt.hasFocus)
    return dialog


def enter_code(qtbot: QtBot, window: TillWindow, dialog: LooseReturnDialog, code: str) -> None:
    qtbot.keyClicks(dialog.receipt, code)
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_Return)
    settle(qtbot, window)


def test_a_manager_approves_two_items_without_a_receipt_one_damaged_one_at_her_price(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    first = return_dialog(qtbot, window)
    assert first.no_receipt_button.text() == "Fişsiz iade (F7)"
    qtbot.keyClick(first.receipt, Qt.Key.Key_F7)
    approval = approval_dialog(qtbot, window)
    assert approval.question.text() == "Fişsiz iade almak için yönetici onayı gerekli."
    type_pin(qtbot, window, approval, "9999")

    dialog = loose_dialog(qtbot, window)
    assert window.return_dialog is not first
    assert dialog.sale_label.text() == (
        "Fişsiz iade, onaylayan Ayşe Yılmaz: raf fiyatından nakit iade"
    )
    enter_code(qtbot, window, dialog, AYRAN)
    enter_code(qtbot, window, dialog, AYRAN)  # the same again: one more of it
    enter_code(qtbot, window, dialog, "PEYNIR-500")  # its SKU typed
    assert dialog.model.back == [2, 1]
    assert dialog.total_label.text() == "Nakit geri verilecek: ₺175,00"
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_Return)  # nothing typed: on to the lines
    assert dialog.lines.hasFocus()
    assert dialog.lines.currentIndex().row() == 1  # the cheese, added last
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Space)  # damaged
    qtbot.keyClick(dialog.lines, Qt.Key.Key_F6)
    assert dialog.price.hasFocus()
    qtbot.keyClicks(dialog.price, "120,00")
    qtbot.keyClick(dialog.price, Qt.Key.Key_Return)
    assert dialog.lines.hasFocus()
    assert dialog.total_label.text() == "Nakit geri verilecek: ₺145,00"
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.reason, "Fisi kaybolmus")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)

    qtbot.waitUntil(lambda: window.return_dialog is None and window.receipt_dialog is not None)
    receipt = window.receipt_dialog
    assert receipt is not None
    text = receipt.text.toPlainText()
    assert "İADE FİŞİ" in text
    assert "T01-I-000001" in text
    assert "Fişsiz iade" in text
    assert "Satış fişi" not in text
    assert "Ayşe Yılmaz" in text  # Onaylayan
    assert "1 x (hasarlı)" in text
    assert "Nakit iade" in text
    assert "Neden: Fisi kaybolmus" in text
    assert receipt.change_label.text() == "Çekmeceden ₺145,00 nakit geri verin"
    assert stock(shop, AYRAN) == (12, 0)  # two back on the shelf
    assert stock(shop, PEYNIR) == (2, 0)  # damaged: not
    (made,) = rows(shop_store(shop), SaleReturn)
    assert (made.order_id, made.total_minor, made.cash_back_minor) == (None, 145_00, 145_00)
    assert (made.cashier_id, made.approved_by) == (shop.cashier.id, shop.manager.id)
    (granted,) = audit_rows(shop, "approval.granted")
    assert granted.entity_id == "sale.return_without_receipt"
    qtbot.keyClick(receipt, Qt.Key.Key_Return)
    back_at_scan(qtbot, window)


def test_a_cashier_without_the_managers_pin_is_refused(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    dialog = return_dialog(qtbot, window)
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_F7)
    approval = approval_dialog(qtbot, window)
    qtbot.keyClick(approval.pin, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.approval_dialog is None)
    assert window.return_dialog is dialog  # still the receipt's dialog
    assert not isinstance(dialog, LooseReturnDialog)
    assert dialog.problem.text() == "Bu işlem için yönetici onayı gerekli"
    assert rows(shop_store(shop), SaleReturn) == []


def test_an_unknown_barcode_is_refused_in_turkish_and_nothing_changes(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.manager, "9999")
    first = return_dialog(qtbot, window)
    qtbot.keyClick(first.receipt, Qt.Key.Key_F7)
    dialog = loose_dialog(qtbot, window)  # a manager at the till: no PIN asked
    assert window.approval_dialog is None
    enter_code(qtbot, window, dialog, "8690000099999")
    assert dialog.problem.text() == "Barkod bulunamadı: 8690000099999"
    assert dialog.model.rowCount() == 0
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_Return)  # still typed: looked up again
    settle(qtbot, window)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    back_at_scan(qtbot, window)
    assert rows(shop_store(shop), SaleReturn) == []
    assert stock(shop, AYRAN) == (10, 0)


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as printer:
        yield printer


def test_the_refund_receipt_without_a_sale_prints_and_opens_the_drawer(
    qtbot: QtBot, shop: Shop, simulator: PrinterSimulator
) -> None:
    window = printing_window(qtbot, shop, simulator.url, simulator=simulator)
    try:
        sign_in(qtbot, window, shop.manager, "9999")
        first = return_dialog(qtbot, window)
        qtbot.keyClick(first.receipt, Qt.Key.Key_F7)
        dialog = loose_dialog(qtbot, window)
        enter_code(qtbot, window, dialog, AYRAN)
        qtbot.keyClick(dialog.receipt, Qt.Key.Key_Tab)
        qtbot.keyClick(dialog.lines, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.reason, "Hediye")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.receipt_dialog is not None)
        printing_done(qtbot, window)
        paper = simulator.printed[-1]
        assert "T01-I-000001" in paper.text
        assert "Fişsiz iade" in paper.text
        assert "Nakit iade" in paper.text
        assert "12,50 TL" in paper.text
        assert len(paper.drawer_kicks) == 1
    finally:
        window.close()
