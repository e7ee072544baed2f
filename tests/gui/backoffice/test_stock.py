"""The stock page driven as a manager would: find a product, receive a delivery, adjust
and count, release expired holds, set a minimum, resolve an oversell."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTableView, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from pos.services.cart import add_to_cart, open_cart
from pos.services.payments import mark_paid
from pos.services.stock import stock_levels
from pos.store.models import AuditEntry, MoveKind, Oversell, StockMove
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.conftest import shoot as grab
from tests.gui.conftest import AYRAN, PEYNIR, SUT, Shop
from tests.integration.test_payments import lapse
from tests.sales import pay_by_card
from ui.backoffice.common import Context
from ui.backoffice.stock import StockPage

LONG_AGO = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
"""When the lapsed carts were rung up: their holds are long past their time."""


def open_page(qtbot: QtBot, context: Context) -> StockPage:
    page = StockPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    settle(qtbot, context)
    return page


def shoot(qtbot: QtBot, page: StockPage, name: str) -> None:
    qtbot.wait(20)  # let the layout take in the last message before the picture
    grab(page, name)


def pick(qtbot: QtBot, context: Context, page: StockPage, text: str) -> None:
    page.search.clear()
    qtbot.keyClicks(page.search, text)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    settle(qtbot, context)
    if page.product is None or page.hits.rows[0].id != page.product.product_id:
        click_row(qtbot, page.results, 0)
        settle(qtbot, context)
    assert page.product is not None


def click_row(qtbot: QtBot, view: QTableView, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def type_cell(qtbot: QtBot, table: QTableWidget, row: int, column: int, text: str) -> None:
    editing = table.state() == QAbstractItemView.State.EditingState
    if not (editing and (table.currentRow(), table.currentColumn()) == (row, column)):
        table.setCurrentCell(row, column)  # Enter on a code went on to its quantity already
        table.editItem(table.item(row, column))
    # A closed editor lingers until deleted later: type into the one that is open.
    [editor] = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible()]
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits an Enter through a queued call.
    qtbot.waitUntil(lambda: table.item(row, column).text() == text)


def show_tab(qtbot: QtBot, context: Context, page: StockPage, section: object) -> None:
    page.tabs.setCurrentWidget(section)
    settle(qtbot, context)


def level(shop: Shop, barcode: str) -> tuple[int, int]:
    [found] = value(stock_levels(shop.till.uow(), [shop.products[barcode]]))
    return found.available, found.reserved


def moves(store: Store, product_id: int) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(StockMove.kind, StockMove.quantity, StockMove.reason_code, StockMove.reason)
            .where(StockMove.product_id == product_id)
            .order_by(StockMove.id)
        )
        return [tuple(row) for row in rows]


def audit_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return len(connection.execute(select(AuditEntry.id)).all())


# -- finding a product ------------------------------------------------------------------


def test_a_product_found_by_name_shows_its_stock(qtbot: QtBot, context: Context, shop: Shop):
    page = open_page(qtbot, context)

    pick(qtbot, context, page, "ayran")

    assert page.product is not None
    assert page.product.product_id == shop.products[AYRAN]
    assert "Sütaş Ayran 300 ml" in page.card.text()
    assert "10" in page.card.text()
    shoot(qtbot, page, "stock")


def test_a_scanned_barcode_picks_its_product(qtbot: QtBot, context: Context, shop: Shop):
    page = open_page(qtbot, context)

    pick(qtbot, context, page, PEYNIR)

    assert page.product is not None
    assert page.product.product_id == shop.products[PEYNIR]


# -- receiving --------------------------------------------------------------------------


def test_a_delivery_typed_into_the_grid_is_received(
    qtbot: QtBot, context: Context, shop: Shop, store: Store
):
    page = open_page(qtbot, context)
    grid = page.receive.lines

    type_cell(qtbot, grid, 0, grid.CODE, "AYRAN-300")
    type_cell(qtbot, grid, 0, grid.QUANTITY, "12")
    qtbot.mouseClick(page.receive.add, Qt.MouseButton.LeftButton)
    type_cell(qtbot, grid, 1, grid.CODE, PEYNIR)
    type_cell(qtbot, grid, 1, grid.QUANTITY, "3")
    page.receive.note.insert("İrsaliye 4711")  # QTest types ASCII only
    shoot(qtbot, page, "stock-receive")
    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert level(shop, AYRAN) == (22, 0)
    assert level(shop, PEYNIR) == (5, 0)
    assert moves(store, shop.products[AYRAN])[-1] == (MoveKind.RECEIVE, 12, None, "İrsaliye 4711")
    assert page.message.kind == "info"
    assert grid.rowCount() == 1  # a fresh, empty delivery


def test_a_delivery_with_a_wrong_line_is_refused_in_turkish(
    qtbot: QtBot, context: Context, shop: Shop, store: Store
):
    page = open_page(qtbot, context)
    grid = page.receive.lines
    type_cell(qtbot, grid, 0, grid.CODE, "AYRAN-300")
    type_cell(qtbot, grid, 0, grid.QUANTITY, "5")
    qtbot.mouseClick(page.receive.add, Qt.MouseButton.LeftButton)
    type_cell(qtbot, grid, 1, grid.CODE, "YOK-1")
    type_cell(qtbot, grid, 1, grid.QUANTITY, "2")
    audit_before = audit_count(store)

    qtbot.mouseClick(page.receive.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.kind == "error"
    assert page.message.text() == "Teslimat alınmadı: 1 satır hatalı\nSatır 2: Ürün mevcut değil"
    assert level(shop, AYRAN) == (10, 0)
    assert audit_count(store) == audit_before
    assert grid.rowCount() == 2  # kept for the manager to fix
    shoot(qtbot, page, "stock-receive-refused")


# -- adjusting and counting -------------------------------------------------------------


def test_an_adjustment_with_a_reason_is_applied_and_shows_in_the_history(
    qtbot: QtBot, context: Context, shop: Shop, store: Store
):
    page = open_page(qtbot, context)
    pick(qtbot, context, page, "ayran")
    show_tab(qtbot, context, page, page.adjust)
    adjust = page.adjust

    qtbot.keyClicks(adjust.quantity, "-2")
    adjust.reason.setCurrentIndex(adjust.reason.findData("theft"))
    qtbot.keyClicks(adjust.note, "Raf 3")
    qtbot.mouseClick(adjust.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert level(shop, AYRAN) == (8, 0)
    assert moves(store, shop.products[AYRAN])[-1] == (MoveKind.ADJUST, -2, "theft", "Raf 3")
    assert "8" in page.card.text()
    show_tab(qtbot, context, page, page.history)
    history = page.history.model
    assert [(m.kind, m.quantity) for m in history.rows] == [
        (MoveKind.ADJUST, -2),
        (MoveKind.RECEIVE, 10),
    ]
    assert history.data(history.index(0, 4)) == "Ayşe Yılmaz"
    shoot(qtbot, page, "stock-history")


def test_a_refused_adjustment_says_why_in_turkish_and_changes_nothing(
    qtbot: QtBot, context: Context, shop: Shop, store: Store
):
    page = open_page(qtbot, context)
    pick(qtbot, context, page, "ayran")
    show_tab(qtbot, context, page, page.adjust)
    audit_before = audit_count(store)

    qtbot.keyClicks(page.adjust.quantity, "-100")
    qtbot.keyClick(page.adjust.quantity, Qt.Key.Key_Return)
    settle(qtbot, context)

    assert page.message.kind == "error"
    assert page.message.text() == "Düzeltme stoku sıfırın altına düşürür - mevcut: 10"
    assert level(shop, AYRAN) == (10, 0)
    assert audit_count(store) == audit_before
    shoot(qtbot, page, "stock-adjust")


def test_a_count_sets_the_free_units(qtbot: QtBot, context: Context, shop: Shop, store: Store):
    page = open_page(qtbot, context)
    pick(qtbot, context, page, "sut")
    show_tab(qtbot, context, page, page.adjust)

    qtbot.mouseClick(page.adjust.to, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.adjust.quantity, "37")
    qtbot.mouseClick(page.adjust.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.adjust.reason.currentData() == "count"
    assert level(shop, SUT) == (37, 0)
    assert moves(store, shop.products[SUT])[-1][:3] == (MoveKind.ADJUST, -3, "count")


# -- reservations -----------------------------------------------------------------------


def test_a_manager_releases_an_expired_hold_and_a_live_one_is_refused(
    qtbot: QtBot, context: Context, shop: Shop, store: Store
):
    ayran = shop.products[AYRAN]
    lapsed_uow = UnitOfWork(store.engine, FakeClock(LONG_AGO))
    value(add_to_cart(lapsed_uow, value(open_cart(lapsed_uow)).cart_id, ayran, 3))
    live_uow = shop.till.uow()
    value(add_to_cart(live_uow, value(open_cart(live_uow)).cart_id, ayran, 2))
    page = open_page(qtbot, context)
    pick(qtbot, context, page, "ayran")
    show_tab(qtbot, context, page, page.holds)
    holds = page.holds.model
    assert [(h.quantity, h.expired) for h in holds.rows] == [(3, True), (2, False)]
    assert holds.data(holds.index(0, 4)) == "Süresi doldu"
    shoot(qtbot, page, "stock-reservations")

    click_row(qtbot, page.holds.view, 1)
    qtbot.mouseClick(page.holds.release_one, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.text() == "Rezervasyonun süresi dolmadı: sepet hâlâ kullanımda olabilir"
    assert level(shop, AYRAN) == (5, 5)

    qtbot.mouseClick(page.holds.release_product, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert level(shop, AYRAN) == (8, 2)
    assert [(h.quantity, h.expired) for h in holds.rows] == [(2, False)]
    assert page.message.kind == "info"

    qtbot.mouseClick(page.holds.release_shop, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert level(shop, AYRAN) == (8, 2)  # nothing more had expired


# -- low stock --------------------------------------------------------------------------


def test_a_minimum_set_on_the_page_puts_the_product_on_the_low_stock_list(
    qtbot: QtBot, context: Context, shop: Shop
):
    page = open_page(qtbot, context)
    show_tab(qtbot, context, page, page.low)
    assert page.low.model.rows == ()
    pick(qtbot, context, page, "peynir")
    low = page.low

    low.minimum.selectAll()
    qtbot.keyClicks(low.minimum, "5")
    qtbot.mouseClick(low.set_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert [(p.product_id, p.available, p.min_stock) for p in low.model.rows] == [
        (shop.products[PEYNIR], 2, 5)
    ]
    assert "5" in page.card.text()
    shoot(qtbot, page, "stock-low")

    low.minimum.selectAll()
    qtbot.keyClicks(low.minimum, "-1")
    qtbot.keyClick(low.minimum, Qt.Key.Key_Return)
    settle(qtbot, context)

    assert page.message.text() == "Geçersiz asgari stok: 0 veya daha büyük bir tam sayı girin"


# -- oversells --------------------------------------------------------------------------


def test_an_oversell_is_resolved_with_a_note(
    qtbot: QtBot, context: Context, shop: Shop, store: Store
):
    peynir = shop.products[PEYNIR]
    uow = shop.till.uow()
    cart = value(open_cart(uow)).cart_id
    value(add_to_cart(uow, cart, peynir, 2))
    sale = value(pay_by_card(uow, cart))
    lapse(uow, cart)
    value(add_to_cart(uow, value(open_cart(uow)).cart_id, peynir, 1))
    assert value(mark_paid(uow, sale.payment_id)).oversold == 1
    page = open_page(qtbot, context)
    show_tab(qtbot, context, page, page.oversells)
    oversells = page.oversells
    assert [(o.product_id, o.quantity, o.receipt) for o in oversells.model.rows] == [
        (peynir, 1, "T01-000001")
    ]

    qtbot.mouseClick(oversells.resolve_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert page.message.kind == "warning"  # nothing selected yet

    click_row(qtbot, oversells.view, 0)
    qtbot.mouseClick(oversells.resolve_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert page.message.text() == "Bir açıklama yazın (en çok 500 karakter)"

    oversells.note.insert("Raf sayıldı, tedarikçi arandı")
    qtbot.mouseClick(oversells.resolve_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    with store.engine.connect() as connection:
        [row] = connection.execute(select(Oversell.resolved_by, Oversell.resolution_note)).all()
    assert tuple(row) == (shop.manager.id, "Raf sayıldı, tedarikçi arandı")
    assert oversells.model.rows == ()
    qtbot.mouseClick(oversells.show_resolved, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert [o.note for o in oversells.model.rows] == ["Raf sayıldı, tedarikçi arandı"]
    shoot(qtbot, page, "stock-oversells")


# -- who may ----------------------------------------------------------------------------


def test_a_cashier_given_the_page_is_refused(qtbot: QtBot, context: Context, shop: Shop):
    cashier = Context(shop.till, context.ops, shop.cashier)
    page = open_page(qtbot, cashier)
    show_tab(qtbot, cashier, page, page.low)

    assert page.message.text() == "Bu işlem için yetkiniz yok"
    assert page.low.model.rows == ()
