"""The orders page lists the day's returns beside its sales, and a sale's detail its own
returns: refund receipt, time, the sale's receipt, total, cashier, the approving manager."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from pos.services.returns import ReturnRequest, return_items
from tests.conftest import value
from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_orders import open_page, sale
from tests.gui.conftest import AYRAN, PEYNIR, SUT, Shop
from ui.backoffice.common import Context
from ui.backoffice.orders import RETURNS_TAB


def test_the_days_returns_are_listed_and_one_opens_its_sale_with_its_returns(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    first = sale(shop, shop.cashier, (AYRAN, 3), (PEYNIR, 1))  # the coupon wants ₺100
    second = sale(shop, shop.cashier, (SUT, 4))
    uow = shop.till.uow()
    value(
        return_items(
            uow, first.receipt, [ReturnRequest(1, 1)], reason="Bozuk", user_id=shop.cashier.id
        )
    )
    value(
        return_items(
            uow,
            second.receipt,
            [ReturnRequest(1, 2, restock=False)],
            reason="Kart iptal",
            user_id=shop.cashier.id,
            approved_by=shop.manager.id,
            cash_instead=True,
        )
    )

    page = open_page(qtbot, context)
    assert page.list_tabs.tabText(1) == "İade fişleri (2)"
    table = page.day_returns
    texts = [
        [table.data(table.index(row, column)) for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]
    assert [row[0] for row in texts] == ["T01-I-000002", "T01-I-000001"]
    assert texts[0][2] == second.receipt
    assert texts[0][4:] == ["Mehmet Demir", "Ayşe Yılmaz", "Kart iptal"]
    assert texts[1][5] == ""  # no manager had to allow it

    page.list_tabs.setCurrentIndex(1)
    page.day_returns_view.selectRow(1)
    settle(qtbot, context)
    assert page.detail is not None
    assert page.detail.order_id == first.order_id
    assert page.detail_tabs.currentIndex() == RETURNS_TAB
    assert page.detail_tabs.tabText(RETURNS_TAB) == "İade fişleri (1)"
    assert [row.number_label for row in page.returns.rows] == ["T01-I-000001"]
    assert page.returns.rows[0].sale_receipt == first.receipt
