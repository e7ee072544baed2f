"""Returns at the till with keys only (F8): part of a cash sale back on the shelf with
the refund receipt shown, a quantity above what is left refused in Turkish, a card sale
paid back through the terminal simulator, and cash instead of the card with a manager's
PIN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentMethod, RefundStatus
from pos.printing.simulator import PrinterSimulator
from pos.services.returns import ReturnRequest, return_items
from pos.store.models import Refund, SaleReturn
from tests.conftest import value
from tests.gui.conftest import AYRAN, PEYNIR, Shop, scan, settle, sign_in
from tests.gui.test_approval import approval_dialog, audit_rows, shop_store, type_pin
from tests.gui.test_card import WAIT_MS
from tests.gui.test_printing import printing_done, printing_window
from tests.gui.test_split_payment import cash
from tests.gui.test_till import back_at_scan, press, stock
from tests.sales import rows
from ui.return_dialog import ReturnDialog
from ui.till import TillWindow


def sell_for_cash(qtbot: QtBot, window: TillWindow, *codes: str) -> Any:
    """A sale paid in cash with the keys; the till back at the scan field. Its order id."""
    paid: list[Any] = []
    window.sale_paid.connect(paid.append)
    for code in codes:
        scan(qtbot, window, code)
    press(qtbot, window, Qt.Key.Key_F9)
    cash(qtbot, window, "")
    close_receipt(qtbot, window)
    return paid[-1]


def sell_by_card(qtbot: QtBot, window: TillWindow, code: str) -> None:
    scan(qtbot, window, code)
    press(qtbot, window, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: window.card_dialog is not None)
    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    close_receipt(qtbot, window)


def close_receipt(qtbot: QtBot, window: TillWindow) -> None:
    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    assert window.receipt_dialog is not None
    qtbot.keyClick(window.receipt_dialog, Qt.Key.Key_Return)
    back_at_scan(qtbot, window)
    settle(qtbot, window)


def open_sale(qtbot: QtBot, window: TillWindow, receipt: str) -> ReturnDialog:
    """F8, the receipt's number and Enter: the sale's lines, the first one chosen."""
    press(qtbot, window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: window.return_dialog is not None)
    dialog = window.return_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.receipt.hasFocus)
    qtbot.keyClicks(dialog.receipt, receipt)
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.waitUntil(dialog.lines.hasFocus)
    return dialog


def give_reason(qtbot: QtBot, dialog: ReturnDialog, reason: str) -> None:
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Tab)
    assert dialog.reason.hasFocus()
    qtbot.keyClicks(dialog.reason, reason)


def test_part_of_a_cash_sale_comes_back_on_the_shelf_and_its_refund_receipt_is_shown(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    sell_for_cash(qtbot, window, f"3*{AYRAN}", PEYNIR)  # ₺37,50 + ₺150,00
    assert stock(shop, AYRAN) == (7, 0)
    assert stock(shop, PEYNIR) == (1, 0)

    dialog = open_sale(qtbot, window, "T01-000001")
    assert dialog.sale_label.text() == "Satış T01-000001: iade edilenleri seçin"
    assert dialog.model.rowCount() == 2
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Plus)
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Plus)  # two ayran, back on the shelf
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Down)
    qtbot.keyClicks(dialog.lines, "1")  # the cheese, damaged
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Space)
    assert dialog.total_label.text() == "Geri verilecek: ₺175,00"
    give_reason(qtbot, dialog, "Ambalaj yirtik")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)

    qtbot.waitUntil(lambda: window.return_dialog is None and window.receipt_dialog is not None)
    receipt = window.receipt_dialog
    assert receipt is not None
    text = receipt.text.toPlainText()
    assert "İADE FİŞİ" in text
    assert "T01-I-000001" in text
    assert "T01-000001" in text.replace("T01-I-000001", "")  # the sale's own number too
    assert "Neden: Ambalaj yirtik" in text
    assert receipt.change_label.text() == "Çekmeceden ₺175,00 nakit geri verin"
    assert receipt.next_button.text() == "Tamam (Enter)"
    assert stock(shop, AYRAN) == (9, 0)
    assert stock(shop, PEYNIR) == (1, 0)  # damaged: not back on the shelf
    (made,) = rows(shop_store(shop), SaleReturn)
    assert (made.total_minor, made.reason, made.cashier_id) == (
        175_00,
        "Ambalaj yirtik",
        shop.cashier.id,
    )
    qtbot.keyClick(receipt, Qt.Key.Key_Return)
    back_at_scan(qtbot, window)


def test_more_than_is_left_is_refused_in_turkish_and_nothing_changes(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    order_id = sell_for_cash(qtbot, window, f"3*{AYRAN}")

    dialog = open_sale(qtbot, window, str(order_id))  # as the receipt's QR code reads
    assert dialog.receipt.text() == "T01-000001"
    qtbot.keyClicks(dialog.lines, "5")
    assert dialog.problem.isVisible()
    assert dialog.problem.text() == (
        "İade adedi satılandan fazla: Sütaş Ayran 300 ml için en çok 3 adet iade edilebilir"
    )
    assert dialog.model.back == [0]
    qtbot.keyClicks(dialog.lines, "2")
    assert not dialog.problem.isVisible()
    # Meanwhile another till takes two of them back: the store refuses this one.
    value(
        return_items(
            shop.till.uow(),
            order_id,
            [ReturnRequest(1, 2)],
            reason="Başka kasa",
            user_id=shop.cashier.id,
        )
    )
    give_reason(qtbot, dialog, "Bozuk")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.return_dialog is dialog
    assert dialog.problem.text() == (
        "İade adedi satılandan fazla: Sütaş Ayran 300 ml için en çok 1 adet iade edilebilir"
    )
    assert len(rows(shop_store(shop), SaleReturn)) == 1  # only the other till's
    assert stock(shop, AYRAN) == (9, 0)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    back_at_scan(qtbot, window)


def test_a_card_sale_is_paid_back_through_the_terminal(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    sell_by_card(qtbot, window, f"2*{AYRAN}")  # ₺25,00

    dialog = open_sale(qtbot, window, "T01-000001")
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Plus)
    give_reason(qtbot, dialog, "Bozuk")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)

    qtbot.waitUntil(lambda: window.receipt_dialog is not None)
    assert window.receipt_dialog is not None
    assert window.receipt_dialog.change_label.text() == (
        "₺12,50 terminal üzerinden karta iade ediliyor"
    )
    # The simulator hears the refund and its webhook (or the poller) settles it.
    store = shop_store(shop)
    qtbot.waitUntil(
        lambda: [r.status for r in rows(store, Refund)] == [RefundStatus.SUCCEEDED],
        timeout=WAIT_MS,
    )
    (refund,) = rows(store, Refund)
    assert (refund.method, refund.amount_minor) == (PaymentMethod.CARD, 12_50)
    assert refund.provider_refund_id is not None  # the terminal's own id for it
    assert not window.banner.isVisible()  # no problem to tell


def test_cash_instead_of_the_card_takes_the_managers_pin(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    sell_by_card(qtbot, window, f"2*{AYRAN}")  # ₺25,00

    dialog = open_sale(qtbot, window, "T01-000001")
    qtbot.keyClicks(dialog.lines, "2")
    give_reason(qtbot, dialog, "Kart iptal")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_F6)
    assert dialog.cash_instead.isChecked()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)

    approval = approval_dialog(qtbot, window)
    assert approval.question.text() == (
        "₺25,00 tutarını karta değil nakit olarak geri vermek için yönetici onayı gerekli."
    )
    type_pin(qtbot, window, approval, "9999")
    qtbot.waitUntil(lambda: window.receipt_dialog is not None)
    assert window.receipt_dialog is not None
    text = window.receipt_dialog.text.toPlainText()
    assert "Onaylayan" in text
    assert "Ayşe Yılmaz" in text
    assert "Nakit iade" in text
    assert window.receipt_dialog.change_label.text() == "Çekmeceden ₺25,00 nakit geri verin"
    (refund,) = rows(shop_store(shop), Refund)
    assert (refund.method, refund.status) == (PaymentMethod.CASH, RefundStatus.SUCCEEDED)
    (made,) = rows(shop_store(shop), SaleReturn)
    assert made.approved_by == shop.manager.id
    (granted,) = audit_rows(shop, "approval.granted")
    assert (granted.user_id, granted.approved_by) == (shop.cashier.id, shop.manager.id)
    assert granted.entity_id == "sale.return_in_cash"


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as printer:
        yield printer


def test_the_refund_receipt_prints_opens_the_drawer_and_a_fault_never_undoes_the_return(
    qtbot: QtBot, shop: Shop, simulator: PrinterSimulator
) -> None:
    window = printing_window(qtbot, shop, simulator.url, simulator=simulator)
    try:
        sign_in(qtbot, window, shop.cashier, "1111")
        sell_for_cash(qtbot, window, f"3*{AYRAN}")
        printing_done(qtbot, window)
        sold = len(simulator.printed)

        def take_one_back() -> Any:
            dialog = open_sale(qtbot, window, "T01-000001")
            qtbot.keyClick(dialog.lines, Qt.Key.Key_Plus)
            give_reason(qtbot, dialog, "Bozuk")
            qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: window.receipt_dialog is not None)
            printing_done(qtbot, window)
            return window.receipt_dialog

        receipt = take_one_back()
        paper = simulator.printed[-1]
        assert len(simulator.printed) == sold + 1
        assert "İADE FİŞİ" in [line.text.strip() for line in paper.lines]  # twice the size
        assert "T01-I-000001" in paper.text
        assert "12,50 TL" in paper.text  # the code page has no "₺"
        assert len(paper.drawer_kicks) == 1  # the cash comes out of the drawer
        assert receipt.print_label.text() == "Fiş yazdırıldı"
        qtbot.keyClick(receipt, Qt.Key.Key_Return)
        back_at_scan(qtbot, window)

        simulator.paper_out = True
        receipt = take_one_back()
        assert len(rows(shop_store(shop), SaleReturn)) == 2  # made, printed or not
        assert receipt.print_label.property("kind") == "error"
        assert receipt.print_button.isVisible()
        assert window.paid_order in window.unprinted
        simulator.paper_out = False
        qtbot.mouseClick(receipt.print_button, Qt.MouseButton.LeftButton)
        printing_done(qtbot, window)
        assert "T01-I-000002" in simulator.printed[-1].text
        assert simulator.printed[-1].drawer_kicks == []  # printed again: no second opening
    finally:
        window.close()


def test_a_number_typed_by_mistake_keeps_the_sale_and_what_was_chosen(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    sell_for_cash(qtbot, window, f"3*{AYRAN}")
    dialog = open_sale(qtbot, window, "T01-000001")
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Plus)
    give_reason(qtbot, dialog, "Bozuk")
    # Tab on from the reason goes back to the lines, not round to the receipt's number.
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
    assert dialog.lines.hasFocus()

    dialog.receipt.setFocus()
    dialog.receipt.selectAll()
    qtbot.keyClicks(dialog.receipt, "Bozuk")
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: dialog.problem.text() == "Satış bulunamadı")

    assert dialog.receipt.text() == "T01-000001"
    assert dialog.receipt.hasFocus()
    assert dialog.model.back == [1]
    assert dialog.total_label.text() == "Geri verilecek: ₺12,50"
