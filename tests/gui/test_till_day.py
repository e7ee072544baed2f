"""The till's day at the window: the float asked at sign-in once the till keeps cash
sessions, cash in and out, the X report, and closing the day with a blind count whose
Z report is shown, printed and kept as PDF."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.printing.printers import escpos_printer
from pos.printing.profile import printer_profile
from pos.printing.simulator import PrinterSimulator
from pos.runtime.printing import TillPrinter
from pos.services.cash_sessions import close_session, current_session, open_session
from pos.services.day_reports import z_reports
from tests.conftest import value
from tests.gui.conftest import AYRAN, Shop, scan, settle, sign_in
from ui.day import BlindCountDialog, CashMovementDialog, DayReportDialog, FloatDialog
from ui.till.window import TillWindow


def closed_once(shop: Shop) -> None:
    """A till that kept a day already: it must open again before it sells."""
    uow = shop.till.uow()
    day = value(open_session(uow, user_id=shop.cashier.id, float_minor=0)).session_id
    value(close_session(uow, day, user_id=shop.cashier.id, counted={"cash": 0}))


def test_a_till_that_keeps_sessions_asks_for_the_float_at_sign_in(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    closed_once(shop)
    sign_in(qtbot, window, shop.cashier, "1111")
    qtbot.waitUntil(lambda: isinstance(window.day_dialog, FloatDialog))
    dialog = window.day_dialog
    assert dialog.windowTitle() == "Kasayı aç"

    dialog.pieces[20_000].setValue(2)
    dialog.pieces[500].setValue(3)
    assert dialog.total.text() == "Açılış tutarı: ₺415,00"
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)

    qtbot.waitUntil(lambda: window.day_dialog is None)
    session = value(current_session(shop.till.uow()))
    assert session is not None
    assert session.float_counts == ((20_000, 2), (500, 3))
    assert window.banner.text() == "Kasa açık: bol kazançlar"


def test_a_float_that_is_no_amount_is_refused_in_the_dialog(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    closed_once(shop)
    sign_in(qtbot, window, shop.cashier, "1111")
    qtbot.waitUntil(lambda: isinstance(window.day_dialog, FloatDialog))
    dialog = window.day_dialog

    qtbot.keyClicks(dialog.one_sum, "-5")
    qtbot.keyClick(dialog.one_sum, Qt.Key.Key_Return)

    assert dialog.problem.text() == "Tutarı yazın, ör. 500 ya da 500,50"
    assert value(current_session(shop.till.uow())) is None


def test_a_pay_out_above_the_drawer_is_told_in_the_dialog(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    assert window.day_dialog is None  # a till that never kept a day is not stopped
    value(open_session(shop.till.uow(), user_id=shop.cashier.id, float_minor=10_000))
    window.check_day()
    settle(qtbot, window)

    window.ask_movement()
    dialog = window.day_dialog
    assert isinstance(dialog, CashMovementDialog)
    qtbot.keyClicks(dialog.amount, "150")
    dialog.reason.setText("Su faturası")  # typed: QTest types ASCII only
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)

    assert dialog.problem.text() == "Çekmecede bu kadar nakit yok - olması gereken: ₺100,00"


def test_closing_the_day_counts_blind_then_shows_prints_and_saves_the_z(
    qtbot: QtBot, shop: Shop, tmp_path: Path, monkeypatch
) -> None:
    with PrinterSimulator() as simulator:
        printer = TillPrinter(escpos_printer(printer_profile(simulator.url, width=42)))
        window = TillWindow(shop.till, printer=printer, status_interval_ms=60_000)
        qtbot.addWidget(window)
        window.show()
        value(open_session(shop.till.uow(), user_id=shop.cashier.id, float_minor=10_000))
        sign_in(qtbot, window, shop.cashier, "1111")
        scan(qtbot, window, AYRAN)
        window.pay_cash()
        qtbot.waitUntil(lambda: window.cash_dialog is not None)
        qtbot.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.receipt_dialog is not None)
        qtbot.keyClick(window.receipt_dialog, Qt.Key.Key_Return)
        settle(qtbot, window)

        window.ask_count()
        dialog = window.day_dialog
        assert isinstance(dialog, BlindCountDialog)
        shown = " ".join(label.text() for label in dialog.findChildren(type(dialog.note)))
        assert "112,50" not in shown  # blind: what should be there is not shown
        qtbot.keyClicks(dialog.fields["cash"], "112")
        qtbot.keyClick(dialog.fields["cash"], Qt.Key.Key_Return)
        settle(qtbot, window)

        qtbot.waitUntil(lambda: isinstance(window.day_dialog, DayReportDialog))
        report = window.day_dialog
        text = report.text.toPlainText()
        assert "Z RAPORU" in text
        assert "₺112,50" in text
        assert "Eksik" in text

        def z_printed() -> list:
            # Every job the printer saw so far: the till's status checks, the sale's
            # receipt and the Z, each on its own.
            return [doc for doc in simulator.wait_for(0) if "Z   R A P O R U" in doc.text]

        qtbot.waitUntil(lambda: bool(z_printed()))
        (paper,) = z_printed()
        assert "-0,50 TL" in paper.text

        target = tmp_path / "z.pdf"
        monkeypatch.setattr("ui.day.QFileDialog.getSaveFileName", lambda *_args: (str(target), ""))
        report.pdf_button.click()
        assert target.read_bytes().startswith(b"%PDF")
        assert str(target) in report.print_state.text()
        (summary,) = value(z_reports(shop.till.uow()))
        assert summary.cash_difference_minor == -50
        window.close()


def test_the_x_report_shows_the_day_so_far_and_the_day_stays_open(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    value(open_session(shop.till.uow(), user_id=shop.cashier.id, float_counts={5_000: 4}))
    sign_in(qtbot, window, shop.cashier, "1111")

    window.show_x_report()
    settle(qtbot, window)

    qtbot.waitUntil(lambda: isinstance(window.day_dialog, DayReportDialog))
    dialog = window.day_dialog
    assert dialog.windowTitle() == "X raporu"
    text = dialog.text.toPlainText()
    assert "X RAPORU" in text
    assert "Ara rapor: gün kapanmadı" in text
    assert "4 x ₺50,00" in text
    dialog.accept()
    qtbot.waitUntil(lambda: window.day_dialog is None)
    assert value(current_session(shop.till.uow())) is not None
