"""The till when its store cannot take a request: a SQLite file another process keeps
write-locked (a second till, a backup tool) makes every write answer ``STORE_BUSY``, and a
PostgreSQL store behind a cut connection answers ``STORE_UNREACHABLE``. The cashier is
told in plain words, the status bar says so, and the till recovers by itself once the
store answers again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from pos.store.engine import StoreTimeouts, make_engine
from tests.conftest import Store
from tests.faultproxy import FaultProxy
from tests.gui.conftest import AYRAN, SUT, Shop, make_window, scan, settle, sign_in
from tests.gui.test_till import stock
from tests.lockholder import write_locked
from ui.i18n import _
from ui.till import TillWindow

BUSY_TEXT = "Mağaza veritabanı şu an meşgul, biraz sonra tekrar deneyin"
UNREACHABLE_TEXT = "Merkezi mağazaya ulaşılamıyor, tekrar deneyin"


def till_on(qtbot: QtBot, shop: Shop, engine: object) -> TillWindow:
    return make_window(
        qtbot, dataclasses.replace(shop, till=dataclasses.replace(shop.till, engine=engine)), None
    )


@pytest.fixture
def impatient(qtbot: QtBot, store: Store, shop: Shop) -> Iterator[TillWindow]:
    """A till on the shop's SQLite file that waits only a moment for another writer."""
    engine = make_engine(store.url, timeouts=StoreTimeouts(busy=0.2))
    window = till_on(qtbot, shop, engine)
    yield window
    window.close()
    engine.dispose()


def store_state(window: TillWindow) -> str:
    return window.store_status.text().rsplit("(", 1)[-1].rstrip(")")


def recovers(qtbot: QtBot, window: TillWindow) -> None:
    """The store answers again: the next scan goes through and the bar says so."""
    scan(qtbot, window, AYRAN)
    assert [line.quantity for line in window.cart_model.lines] == [2]
    assert store_state(window) == _("reachable")
    assert window.store_status.property("kind") == ""
    assert window.banner.isHidden()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_write_locked_store_is_shown_busy_and_the_till_recovers(
    qtbot: QtBot, impatient: TillWindow, shop: Shop, store: Store
) -> None:
    window = impatient
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    assert store_state(window) == _("reachable")

    with write_locked(store.url.database or ""):
        scan(qtbot, window, AYRAN)

        assert window.banner.text() == BUSY_TEXT
        assert store_state(window) == _("busy")
        assert window.store_status.property("kind") == "warning"
        assert [line.quantity for line in window.cart_model.lines] == [1]
        assert window.scan.hasFocus()

    assert stock(shop, AYRAN) == (9, 1)
    recovers(qtbot, window)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_store_cut_off_is_shown_unreachable_and_the_till_recovers(
    qtbot: QtBot, shop: Shop, store: Store
) -> None:
    with FaultProxy(store.url.host or "127.0.0.1", store.url.port or 5432) as proxy:
        engine = make_engine(
            store.url.set(host=proxy.host, port=proxy.port),
            timeouts=StoreTimeouts(connect=1, statement=1, lock=1, keepalive=1),
        )
        window = till_on(qtbot, shop, engine)
        try:
            sign_in(qtbot, window, shop.cashier, "1111")
            scan(qtbot, window, AYRAN)

            proxy.cut()
            proxy.blackhole()
            scan(qtbot, window, SUT)

            assert window.banner.text() == UNREACHABLE_TEXT
            assert store_state(window) == _("unreachable")
            assert window.store_status.property("kind") == "error"
            assert [line.quantity for line in window.cart_model.lines] == [1]

            proxy.heal()
            recovers(qtbot, window)
        finally:
            window.close()
            engine.dispose()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_status_check_brings_the_bar_back_without_a_sale(
    qtbot: QtBot, impatient: TillWindow, shop: Shop, store: Store
) -> None:
    """Nobody rings anything up: the till's own check of the store clears the warning."""
    window = impatient
    sign_in(qtbot, window, shop.cashier, "1111")
    with write_locked(store.url.database or ""):
        scan(qtbot, window, AYRAN)
        assert store_state(window) == _("busy")
    window.refresh_status()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: store_state(window) == _("reachable"))
    assert window.banner.isHidden()
