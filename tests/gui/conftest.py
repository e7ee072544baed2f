"""The till's window over a small shop in a real, migrated store (SQLite, and PostgreSQL
when ``POS_TEST_DATABASE_URL`` is set), driven with key presses through pytest-qt."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pos.bootstrap import Till
from pos.domain.catalogue import gtin_check_digit_ok
from pos.domain.coupons import CouponKind
from pos.runtime.payments import PaymentRuntime, payment_runtime
from pos.services.catalogue import ProductDraft, create_product
from pos.services.coupons import CouponDraft, create_coupon
from pos.services.stock import receive_stock
from pos.services.users import UserView, create_user
from pos.settings import Settings
from pos.store.models import Role
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from ui.i18n import set_language
from ui.screen import stylesheet
from ui.till import TillWindow


def ean13(first_twelve: str) -> str:
    return next(
        code
        for code in (first_twelve + str(digit) for digit in range(10))
        if gtin_check_digit_ok(code)
    )


AYRAN = ean13("869000000001")
PEYNIR = ean13("869000000002")
SUT = ean13("869000000003")
DECLINED = ean13("869000000004")
"""Priced to end in 91 kuruş: the terminal simulator declines it."""
NO_ANSWER = ean13("869000000005")
"""Priced to end in 92 kuruş: the simulator waits for the card until cancelled."""


@dataclass(frozen=True)
class Shop:
    """Two users, three products with barcodes, a coupon: enough for a day at the till."""

    till: Till
    cashier: UserView
    manager: UserView
    products: dict[str, int]  # barcode -> product id


@pytest.fixture
def shop(store: Store, clock: FakeClock) -> Shop:
    uow = UnitOfWork(store.engine, clock)
    manager = value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "9999"))
    cashier = value(create_user(uow, "kasiyer", "Mehmet Demir", Role.CASHIER, "1111"))
    products: dict[str, int] = {}
    for sku, barcode, name, price, stock in (
        ("AYRAN-300", AYRAN, "Sütaş Ayran 300 ml", 12_50, 10),
        ("PEYNIR-500", PEYNIR, "Beyaz Peynir 500 g", 150_00, 2),
        ("SUT-1L", SUT, "Pınar Tam Yağlı Süt 1 L", 32_50, 40),
        ("CAY-1KG", DECLINED, "Çaykur Rize Çayı 1 kg", 219_91, 5),
        ("KAHVE-100", NO_ANSWER, "Kurukahveci Türk Kahvesi 100 g", 64_92, 5),
    ):
        draft = ProductDraft(sku=sku, name=name, price_minor=price, barcode=barcode)
        product_id = value(create_product(uow, draft)).id
        value(receive_stock(uow, product_id, stock, user_id=manager.id))
        products[barcode] = product_id
    value(
        create_coupon(
            uow,
            CouponDraft("HOSGELDIN10", CouponKind.PERCENT, 1000, min_cart_minor=100_00),
            user_id=manager.id,
        )
    )
    settings = Settings(database_url=store.url.render_as_string(hide_password=False))
    # The till runs on the real clock, like the terminal, listener and poller beside it.
    return Shop(Till(settings, store.engine), cashier, manager, products)


@pytest.fixture(autouse=True)
def collect_on_gui_thread() -> Iterator[None]:
    """No cyclic collection on a worker while a test runs (a widget freed there crashes
    Qt): the till's ``GuiThreadCollector`` does the same with a timer."""
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


@pytest.fixture(autouse=True)
def turkish(qapp: QApplication) -> Iterator[None]:
    qapp.setStyleSheet(stylesheet())
    set_language("tr")
    yield
    set_language("tr")


@pytest.fixture
def decision_delay() -> float:
    """Seconds the simulated terminal takes to decide."""
    return 0.05


@pytest.fixture
def runtime(shop: Shop, decision_delay: float) -> Iterator[PaymentRuntime]:
    """The demo's card payments with a quick simulator: terminal and listener on loopback."""
    payments = payment_runtime(shop.till, demo=True, decision_delay=decision_delay)
    payments.start()
    yield payments
    payments.stop()


def make_window(qtbot: QtBot, shop: Shop, runtime: PaymentRuntime | None) -> TillWindow:
    till_window = TillWindow(
        shop.till,
        runtime=runtime,
        search_delay_ms=20,
        card_poll_ms=20,
        status_interval_ms=60_000,
    )
    qtbot.addWidget(till_window)
    till_window.show()
    qtbot.waitExposed(till_window)
    return till_window


@pytest.fixture
def card_window(qtbot: QtBot, shop: Shop, runtime: PaymentRuntime) -> Iterator[TillWindow]:
    till_window = make_window(qtbot, shop, runtime)
    yield till_window
    till_window.close()


@pytest.fixture
def window(qtbot: QtBot, shop: Shop) -> Iterator[TillWindow]:
    till_window = make_window(qtbot, shop, None)
    yield till_window
    till_window.close()
    # A call still on its way would meet the next test's emptying of the store.
    qtbot.waitUntil(lambda: till_window.ops.idle, timeout=10_000)


def settle(qtbot: QtBot, window: TillWindow) -> None:
    """Wait until every operation asked for so far has answered."""
    qtbot.waitUntil(lambda: window.ops.idle, timeout=10_000)


def sign_in(qtbot: QtBot, window: TillWindow, user: UserView, pin: str) -> None:
    qtbot.waitUntil(lambda: window.login.user_group.button(user.id) is not None)
    window.login.select_user(user.id)
    qtbot.keyClicks(window.login.pin, pin)
    qtbot.keyClick(window.login.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.cart is not None and window.user is not None)
    settle(qtbot, window)


def scan(qtbot: QtBot, window: TillWindow, text: str) -> None:
    """Type ``text`` into the focused scan field like a keyboard-wedge scanner, then Enter."""
    assert window.scan.hasFocus()
    qtbot.keyClicks(window.scan, text)
    qtbot.keyClick(window.scan, Qt.Key.Key_Return)
    settle(qtbot, window)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform cannot resize native windows to fit a dialog; a real one can.
    for item in items:
        item.add_marker(
            pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
        )
