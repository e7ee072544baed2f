"""What one view changes reaches the others (the operations' broadcast): stock received
in the back office refreshes the till, a card paid by the terminal's webhook refreshes the
orders page, and a page that shows none of it does not read again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.results import Changed, Code, Err
from pos.runtime.payments import PaymentRuntime
from pos.store.models import OrderStatus
from tests.gui.conftest import PEYNIR, Shop, make_window, scan, settle, sign_in
from ui.backoffice.common import Context
from ui.backoffice.orders import OrdersPage
from ui.backoffice.stock import StockPage
from ui.backoffice.users import UsersPage
from ui.backoffice.window import BackOfficeWindow
from ui.operations import Operations
from ui.till import TillWindow


def back_office(qtbot: QtBot, window: TillWindow, shop: Shop) -> BackOfficeWindow:
    """The back office beside the till, on the till's workers (as F11 opens it)."""
    office = BackOfficeWindow(Context(shop.till, window.ops, shop.manager, window.runtime))
    qtbot.addWidget(office)
    office.show()
    return office


def receive_peynir(qtbot: QtBot, window: TillWindow, page: StockPage) -> None:
    page.receive.add_line(PEYNIR, "5")
    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, window)


def test_stock_received_in_the_back_office_refreshes_the_sale_at_the_till(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, PEYNIR)
    office = back_office(qtbot, window, shop)
    page = office.show_page(StockPage)
    settle(qtbot, window)
    assert isinstance(page, StockPage)

    with qtbot.waitSignal(window.cart_changed, timeout=5_000):
        receive_peynir(qtbot, window, page)
    assert page.message.kind == "info", page.message.text()
    office.close()


def test_a_page_that_shows_no_stock_does_not_read_again_when_stock_arrives(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.manager, "9999")
    office = back_office(qtbot, window, shop)
    stock = office.page(StockPage)
    assert isinstance(stock, StockPage)
    users = office.show_page(UsersPage)
    settle(qtbot, window)
    reads: list[int] = []
    users.refresh = lambda: reads.append(1)  # type: ignore[method-assign]

    with qtbot.waitSignal(window.ops.operation_did_execute, timeout=5_000):
        receive_peynir(qtbot, window, stock)
    assert reads == []
    office.close()


def test_a_card_paid_by_the_terminals_webhook_refreshes_the_orders_page(
    qtbot: QtBot, shop: Shop, runtime: PaymentRuntime
) -> None:
    window = make_window(qtbot, shop, runtime)
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, PEYNIR)
    office = back_office(qtbot, window, shop)
    page = office.show_page(OrdersPage)
    assert isinstance(page, OrdersPage)
    settle(qtbot, window)
    assert not page.orders.rows

    window.act("card")
    qtbot.waitUntil(
        lambda: [row.status for row in page.orders.rows] == [OrderStatus.PAID], timeout=10_000
    )
    office.close()
    qtbot.waitUntil(lambda: window.card_dialog is None, timeout=5_000)
    window.close()


def test_a_refusal_that_changed_the_store_is_broadcast_and_one_that_changed_nothing_is_not(
    qtbot: QtBot,
) -> None:
    """Checkout's price check takes the new prices onto the cart before it refuses: the
    views that show the cart read it again, as after any change."""
    ops = Operations()
    answers: list[object] = []
    price_changed = Err(Code.PRICE_CHANGED, changed=Changed.CART)

    with qtbot.waitSignal(ops.operation_did_execute, timeout=5_000) as heard:
        ops.run(lambda: price_changed, answers.append, originator="till")
    assert heard.args == [Changed.CART, "till"]

    with qtbot.assertNotEmitted(ops.operation_did_execute, wait=100):
        ops.run(lambda: Err(Code.CART_EMPTY), answers.append)
        qtbot.waitUntil(lambda: ops.idle, timeout=5_000)
    assert [answer.code for answer in answers] == [Code.PRICE_CHANGED, Code.CART_EMPTY]
    ops.close()
