"""Pictures of the till as a cashier sees it, at 1024x768, in ``artifacts/screenshots/``.

They are looked at by people (and the README's picture comes from here); the test
checks only that each screen was drawn.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from pos.bootstrap import Till
from pos.domain.payments import PaymentStatus
from pos.runtime.payments import PaymentRuntime
from pos.services.demo import DEMO_CASHIER, demo_catalogue, load_demo_store
from pos.settings import Settings
from pos.store.uow import UnitOfWork
from tests.conftest import Store, value
from tests.gui.conftest import Shop, make_window, settle, sign_in
from tests.gui.test_till import press
from ui.till import TillWindow

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def decision_delay() -> float:
    return 1.0  # long enough to see the terminal wait for the card


@pytest.fixture
def shop(store: Store) -> Shop:
    """The demo shop (``pos run --demo``) instead of the tests' small one."""
    if store.dialect != "sqlite":
        pytest.skip("one set of pictures is enough")
    value(load_demo_store(UnitOfWork(store.engine)))
    till = Till(
        Settings(database_url=store.url.render_as_string(hide_password=False)), store.engine
    )
    return Shop(till, None, None, {})  # type: ignore[arg-type]


@pytest.fixture
def demo_window(qtbot: QtBot, shop: Shop, runtime: PaymentRuntime) -> Iterator[TillWindow]:
    window = make_window(qtbot, shop, runtime)
    window.resize(1024, 768)
    yield window
    window.close()


def shoot(widget: QWidget, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def barcodes(count: int) -> list[str]:
    rows = csv.DictReader(io.StringIO(demo_catalogue()))
    return [row["barcode"] for row in rows if int(row["stock"]) >= 3][:count]


def test_screenshots(qtbot: QtBot, demo_window: TillWindow) -> None:
    window = demo_window
    qtbot.waitUntil(
        lambda: (
            len(window.login.users) == 2
            and all(button.isVisible() for button in window.login.user_group.buttons())
        )
    )
    shoot(window, "login")
    cashier = next(user for user in window.login.users if user.username == DEMO_CASHIER[0])
    sign_in(qtbot, window, cashier, DEMO_CASHIER[2])
    for number, code in enumerate(barcodes(9)):
        qtbot.keyClicks(window.scan, f"{number % 3 + 1}*{code}")
        qtbot.keyClick(window.scan, Qt.Key.Key_Return)
    settle(qtbot, window)
    press(qtbot, window, Qt.Key.Key_F4)
    qtbot.keyClicks(window.coupon, "HOSGELDIN10")
    qtbot.keyClick(window.coupon, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.keyClicks(window.scan, "8690000000999")
    qtbot.keyClick(window.scan, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.cart_model.rowCount() == 9
    shoot(window, "till-cart")

    press(qtbot, window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None)
    assert window.cash_dialog is not None
    qtbot.keyClicks(window.cash_dialog.given, "2000")
    shoot(window.cash_dialog, "cash-dialog")
    qtbot.keyClick(window.cash_dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.cash_dialog is None)
    qtbot.waitUntil(lambda: window.isActiveWindow())

    press(qtbot, window, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: window.card_dialog is not None)
    card = window.card_dialog
    assert card is not None
    qtbot.waitUntil(lambda: card.status is PaymentStatus.PENDING, timeout=10_000)
    shoot(card, "card-dialog")
    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=10_000)
    assert window.receipt_dialog is not None
    shoot(window.receipt_dialog, "receipt")
