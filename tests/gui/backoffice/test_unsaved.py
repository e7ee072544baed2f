"""Closing the back office with typed work in a form: the manager is asked first, No
keeps the window and what was typed, Yes closes; with nothing unsaved it closes at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.backoffice.conftest import settle
from tests.gui.backoffice.test_products import choose_row, fill, type_text
from ui.backoffice.common import Context
from ui.backoffice.coupons import CouponsPage
from ui.backoffice.products import ProductsPage
from ui.backoffice.shop import ShopPage
from ui.backoffice.stock import StockPage
from ui.backoffice.window import BackOfficeWindow
from ui.i18n import _

Button = QMessageBox.StandardButton


class Questions:
    """Answers each message box the window asks, as the manager would click, and keeps
    what it said; a question nobody expected is answered No (and the test sees it)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answers: list[Button] = []
        self.buttons: list[tuple[str, str]] = []
        self.timer = QTimer(interval=20)
        self.timer.timeout.connect(self._answer)
        self.timer.start()

    def _answer(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            return
        self.asked.append(box.text())
        self.buttons.append((box.button(Button.Yes).text(), box.button(Button.No).text()))
        assert box.defaultButton() is box.button(Button.No)
        answer = self.answers.pop(0) if self.answers else Button.No
        box.button(answer).click()


@pytest.fixture
def questions() -> Iterator[Questions]:
    answering = Questions()
    yield answering
    answering.timer.stop()


@pytest.fixture
def back_office(qtbot: QtBot, context: Context, questions: Questions) -> BackOfficeWindow:
    def leave_without_saving(_window: QWidget) -> None:
        questions.answers[:] = [Button.Yes]  # whatever a test left typed goes with it

    window = BackOfficeWindow(context)
    qtbot.addWidget(window, before_close_func=leave_without_saving)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, context)
    return window


def press_escape(window: BackOfficeWindow, field: QWidget) -> None:
    QTest.keyClick(field, Qt.Key.Key_Escape)
    QApplication.processEvents()


def shop_page(qtbot: QtBot, context: Context, window: BackOfficeWindow) -> ShopPage:
    page = window.show_page(ShopPage)
    settle(qtbot, context)
    assert isinstance(page, ShopPage)
    assert page.kept is not None
    return page


def test_esc_with_nothing_typed_closes_at_once(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = shop_page(qtbot, context, back_office)
    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        press_escape(back_office, page.header)
    assert questions.asked == []
    assert not back_office.isVisible()


def test_a_typed_receipt_header_is_asked_about_and_no_keeps_it(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = shop_page(qtbot, context, back_office)
    page.header.setFocus()
    type_text(qtbot, page.header, "Köşe Bakkal")
    typed = page.header.toPlainText()

    press_escape(back_office, page.header)  # No, by default

    assert questions.asked == ["Kaydedilmemiş değişiklikler var: Fiş başlığı. Kapatılsın mı?"]
    assert questions.buttons == [("&Evet", "&Hayır")]  # Qt's own words, in Turkish
    assert back_office.isVisible()
    assert page.header.toPlainText() == typed

    questions.answers.append(Button.Yes)
    back_office.activateWindow()
    qtbot.waitUntil(back_office.isActiveWindow)
    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        QTest.keySequence(page.header, QKeySequence("Ctrl+W"))
    assert len(questions.asked) == 2
    assert not back_office.isVisible()


def test_typing_back_what_was_there_leaves_nothing_to_ask(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = shop_page(qtbot, context, back_office)
    kept = page.header.toPlainText()
    type_text(qtbot, page.header, "x")
    assert page.unsaved() is not None
    QTest.keyClick(page.header, Qt.Key.Key_Backspace)
    assert page.header.toPlainText() == kept
    assert page.unsaved() is None

    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        press_escape(back_office, page.header)
    assert questions.asked == []


def test_after_save_the_window_closes_at_once(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = shop_page(qtbot, context, back_office)
    page.header.setPlainText("Köşe Bakkal")
    page.time_zone.setCurrentText("Europe/Berlin")
    assert page.unsaved() == "Fiş başlığı, Saat dilimi"
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert page.message.kind == "info", page.message.text()

    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        press_escape(back_office, page.header)
    assert questions.asked == []


def test_the_close_button_asks_too(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = shop_page(qtbot, context, back_office)
    page.prices_include_tax.toggle()
    assert not back_office.close()  # what the title bar's button does; No by default
    shelf_prices = page.tax_box.title()
    assert questions.asked == [f"Kaydedilmemiş değişiklikler var: {shelf_prices}. Kapatılsın mı?"]
    assert back_office.isVisible()


# -- the product form ---------------------------------------------------------------------


def products_page(qtbot: QtBot, context: Context, window: BackOfficeWindow) -> ProductsPage:
    page = window.show_page(ProductsPage)
    settle(qtbot, context)
    assert isinstance(page, ProductsPage)
    return page


def test_a_new_product_half_typed_is_asked_about_until_it_is_saved(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = products_page(qtbot, context, back_office)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.unsaved() is None
    fill(qtbot, page, sku="ELMA-1", name="Amasya Elması 1 kg")

    press_escape(back_office, page.name)

    assert questions.asked == ["Kaydedilmemiş değişiklikler var: Yeni ürün. Kapatılsın mı?"]
    assert back_office.isVisible()
    assert (page.sku.text(), page.name.text()) == ("ELMA-1", "Amasya Elması 1 kg")

    fill(qtbot, page, price="42,90")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert page.editing is not None, page.message.text()

    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        press_escape(back_office, page.name)
    assert len(questions.asked) == 1


def test_an_edited_product_is_named_and_yes_closes(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    page = products_page(qtbot, context, back_office)
    choose_row(qtbot, page, "AYRAN-300")
    assert page.unsaved() is None
    fill(qtbot, page, name="Sütaş Ayran 250 ml")
    assert page.unsaved() == "Ürün AYRAN-300"

    questions.answers.append(Button.Yes)
    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        press_escape(back_office, page.name)
    assert questions.asked == ["Kaydedilmemiş değişiklikler var: Ürün AYRAN-300. Kapatılsın mı?"]
    assert not back_office.isVisible()


# -- the other forms ----------------------------------------------------------------------


def test_a_half_typed_coupon_delivery_and_adjustment_are_named_in_the_question(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, questions: Questions
) -> None:
    coupons = back_office.show_page(CouponsPage)
    settle(qtbot, context)
    assert isinstance(coupons, CouponsPage)
    qtbot.mouseClick(coupons.new_button, Qt.MouseButton.LeftButton)
    assert coupons.unsaved() is None
    type_text(qtbot, coupons.code, "YAZ20")
    assert coupons.unsaved() == "Yeni kupon"

    stock = back_office.show_page(StockPage)
    settle(qtbot, context)
    assert isinstance(stock, StockPage)
    assert stock.unsaved() is None
    type_text(qtbot, stock.receive.note, "İrsaliye 42")
    type_text(qtbot, stock.adjust.note, "kırık şişe")
    receive, adjust = _(stock.receive.title), _(stock.adjust.title)
    assert stock.unsaved() == f"{_(stock.title)}: {receive}, {adjust}"

    press_escape(back_office, stock.receive.note)
    assert questions.asked == [  # in the order of the tabs
        f"Kaydedilmemiş değişiklikler var: {_(stock.title)}: {receive}, {adjust}; Yeni kupon."
        " Kapatılsın mı?"
    ]
    assert back_office.isVisible()
