"""A copy of a receipt from the orders page: on the till's printer, marked KOPYA, and as
a PDF page the size of the paper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from pos.printing.printers import escpos_printer
from pos.printing.profile import printer_profile
from pos.printing.simulator import PrinterSimulator
from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_orders import open_page, sale
from tests.gui.conftest import AYRAN, Shop
from tests.unit.test_receipt import sale as receipt_sale
from ui.backoffice.common import Context
from ui.operations import Operations
from ui.receipt_pdf import MM_PER_INCH, render_image, write_pdf

POINTS_PER_INCH = 72


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as printer:
        yield printer


@pytest.fixture
def printing(context: Context, simulator: PrinterSimulator) -> Iterator[Context]:
    print_ops = Operations()
    printer = escpos_printer(printer_profile(simulator.url, width=32))
    yield replace(context, printer=printer, print_ops=print_ops)
    print_ops.close()


def test_a_copy_prints_on_the_tills_printer_marked_kopya(
    qtbot: QtBot, shop: Shop, printing: Context, simulator: PrinterSimulator
) -> None:
    paid = sale(shop, shop.cashier, (AYRAN, 9))
    page = open_page(qtbot, printing)
    page.orders_view.selectRow(0)
    settle(qtbot, printing)
    qtbot.mouseClick(page.reprint_button, Qt.MouseButton.LeftButton)
    settle(qtbot, printing)
    dialog = page.reprint_dialog
    assert dialog is not None
    assert dialog.print_button.isVisible()

    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    settle(qtbot, printing)
    assert printing.print_ops is not None
    qtbot.waitUntil(lambda: printing.print_ops is not None and printing.print_ops.idle)

    qtbot.waitUntil(lambda: len(simulator.printed) == 1)
    (paper,) = simulator.printed
    texts = [line.text.strip() for line in paper.lines if line.text.strip()]
    assert texts[0] == texts[-1] == "*** KOPYA ***"
    assert paper.qr_codes == [str(paid.order_id)]
    assert paper.drawer_kicks == []  # a copy never opens the drawer
    assert all(len(line.text) <= 32 for line in paper.lines)
    assert dialog.print_state.text() == "Kopya yazdırıldı"


def test_a_copy_saves_as_a_pdf(
    qtbot: QtBot,
    shop: Shop,
    printing: Context,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sale(shop, shop.cashier, (AYRAN, 9))
    target = tmp_path / "copy.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), "PDF (*.pdf)")
    )
    page = open_page(qtbot, printing)
    page.orders_view.selectRow(0)
    settle(qtbot, printing)
    qtbot.mouseClick(page.reprint_button, Qt.MouseButton.LeftButton)
    settle(qtbot, printing)
    assert page.reprint_dialog is not None

    qtbot.mouseClick(page.reprint_dialog.pdf_button, Qt.MouseButton.LeftButton)
    settle(qtbot, printing)

    assert target.read_bytes().startswith(b"%PDF")
    assert page_width_mm(target) == pytest.approx(56, abs=0.5)  # 58 mm paper for 32 columns


def page_width_mm(path: Path) -> float:
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", path.read_bytes())
    assert box is not None
    return float(box.group(1)) / POINTS_PER_INCH * MM_PER_INCH


@pytest.mark.parametrize(("width", "paper_mm"), [(32, 56), (42, 80), (48, 80)])
def test_the_pdf_page_is_as_wide_as_the_paper_roll(
    tmp_path: Path, width: int, paper_mm: float
) -> None:
    from pos.domain.receipt import receipt_document

    target = tmp_path / "receipt.pdf"
    write_pdf(receipt_document(receipt_sale(), "tr", width), target)

    assert page_width_mm(target) == pytest.approx(paper_mm, abs=0.5)


def test_the_pictured_receipt_carries_the_qr_code() -> None:
    from pos.domain.receipt import receipt_document

    data = replace(receipt_sale(), order_id="0b9c6a52-5d3e-4c55-9d0e-2f7f3c1f4a10")
    with_code = render_image(receipt_document(data, "tr", 42), dpi=100)
    without = render_image(receipt_document(receipt_sale(), "tr", 42), dpi=100)

    assert with_code.height() - without.height() >= 28 / MM_PER_INCH * 100
    middle = with_code.width() // 2
    column = [with_code.pixelColor(middle, y).lightness() for y in range(with_code.height())]
    assert column.count(0) > 28 / MM_PER_INCH * 100 / 4  # dark modules down its middle
