"""The Z reports' history in the back office: newest first, each opened as printed,
printed again on the till's printer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from pos.printing.printers import escpos_printer
from pos.printing.profile import printer_profile
from pos.printing.simulator import PrinterSimulator
from pos.services.cash_sessions import close_session, open_session, pay_in
from tests.conftest import value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import Shop
from ui.backoffice.common import Context
from ui.backoffice.days import DaysPage
from ui.operations import Operations


def close_days(shop: Shop, counts: list[int]) -> None:
    uow = shop.till.uow()
    for counted in counts:
        day = value(open_session(uow, user_id=shop.cashier.id, float_minor=10_000)).session_id
        value(pay_in(uow, user_id=shop.cashier.id, amount_minor=2_500, reason="Bozuk para"))
        value(close_session(uow, day, user_id=shop.cashier.id, counted={"cash": counted}))


@pytest.fixture
def printing(shop: Shop) -> Iterator[tuple[Context, PrinterSimulator]]:
    with PrinterSimulator() as simulator:
        ops, print_ops = Operations(), Operations()
        printer = escpos_printer(printer_profile(simulator.url, width=32))
        yield Context(shop.till, ops, shop.manager, printer=printer, print_ops=print_ops), simulator
        ops.close()
        print_ops.close()


def test_the_z_reports_are_listed_newest_first_and_open_as_printed(
    qtbot: QtBot, shop: Shop, printing: tuple[Context, PrinterSimulator]
) -> None:
    context, simulator = printing
    close_days(shop, [12_500, 12_000])
    page = DaysPage(context)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    page.refresh()
    settle(qtbot, context)

    rows = page.reports.rows
    assert [(row.z_number, row.cash_difference_minor) for row in rows] == [(2, -500), (1, 0)]
    shoot(page, "z-reports")

    page.open_report(0)
    settle(qtbot, context)
    assert page.dialog is not None
    text = page.dialog.text.toPlainText()
    assert "Z RAPORU" in text
    assert "0002" in text
    assert "Eksik" in text

    page.dialog.print_button.click()
    (paper,) = simulator.wait_for(1)
    assert "Bozuk para" in paper.text
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.print_state.text() != "")
    assert page.dialog.print_state.text() == "Yazdırıldı"
