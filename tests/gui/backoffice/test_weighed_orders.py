"""An order's weighed line in the back office reads "1,250 kg", not 1250."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from pos.services.cart import add_to_cart, open_cart
from tests.conftest import value
from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_orders import open_page
from tests.gui.conftest import AYRAN, Shop
from tests.gui.test_weights import tomatoes  # noqa: F401 (a fixture)
from tests.sales import pay_cash
from ui.backoffice.common import Context

QTY = 2


def test_an_orders_weighed_line_reads_in_kilos_beside_pieces(
    qtbot: QtBot,
    shop: Shop,
    context: Context,
    tomatoes: int,  # noqa: F811
) -> None:
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=shop.cashier.id)).cart_id
    value(add_to_cart(uow, cart, tomatoes, "1,250"))
    value(add_to_cart(uow, cart, shop.products[AYRAN], 2))
    value(pay_cash(uow, cart))

    page = open_page(qtbot, context)
    page.orders_view.selectRow(0)
    settle(qtbot, context)

    lines = page.lines
    assert [lines.data(lines.index(row, QTY)) for row in range(2)] == ["1,250 kg", "2"]
