"""The till's window when its central store goes away: it says so at once, in a banner
that stays, sells on its replica, and says when the store is back; a till whose clock is
off the store's says so in the status bar. The store is a real PostgreSQL behind a real
proxy the test black-holes; the monitor probes it for real on its own thread."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from pos.bootstrap import Till, probe_engine
from pos.domain.payments import PaymentStatus
from pos.runtime.connectivity import ConnectivityMonitor, Mode, central_probe
from pos.runtime.payments import payment_runtime
from tests.conftest import Store
from tests.faultproxy import FaultProxy
from tests.gui.conftest import (
    AYRAN,
    NO_ANSWER,
    SUT,
    Shop,
    make_window,
    scan,
    settle,
    sign_in,
)
from tests.gui.test_card import WAIT_MS, open_card_dialog
from tests.gui.test_printing import pay_cash
from tests.offline_till import (
    QUICK,
    make_till,
    mirror_catalogue,
    needs_offline_services,
    replica_file,
)
from ui.till import TillWindow

OFFLINE_TEXT = "Merkez kasaya ulaşılamıyor: satışlar bu kasada saklanıyor"
BACK_TEXT = "Yeniden bağlandı: satışlar yine merkez kasaya gidiyor"
MONITOR_SWITCH_MS = 15_000
"""A scan into the black hole answers within seconds; the probes confirm it."""

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)


@pytest.fixture
def proxy(store: Store) -> Iterator[FaultProxy]:
    with FaultProxy(store.url.host or "127.0.0.1", store.url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def replica(tmp_path: Path, sqlite_template: Path, store: Store, shop: Shop) -> Iterator[Engine]:
    engine = replica_file(tmp_path, sqlite_template)
    mirror_catalogue(store.engine, engine)
    yield engine
    engine.dispose()


@pytest.fixture
def linked(store: Store, proxy: FaultProxy, replica: Engine) -> Iterator[Till]:
    till = make_till(store, proxy, replica, QUICK)
    yield till
    till.close()


@pytest.fixture
def offline_window(qtbot: QtBot, shop: Shop, linked: Till) -> Iterator[TillWindow]:
    window = make_window(qtbot, dataclasses.replace(shop, till=linked), None)
    assert linked.monitor is not None
    linked.monitor.start()
    yield window
    window.close()
    linked.monitor.stop()


def lines(window: TillWindow) -> list[tuple[int, int]]:
    return [(line.product_id, line.quantity) for line in window.cart_model.lines]


def goes_offline(qtbot: QtBot, window: TillWindow, proxy: FaultProxy) -> None:
    proxy.cut()
    proxy.blackhole()
    scan(qtbot, window, SUT)  # into the black hole: answers "unreachable" in seconds
    qtbot.waitUntil(window.offline_banner.isVisible, timeout=MONITOR_SWITCH_MS)


def test_the_till_says_at_once_and_keeps_saying_that_it_sells_offline(
    qtbot: QtBot, offline_window: TillWindow, shop: Shop, proxy: FaultProxy, linked: Till
) -> None:
    window = offline_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)

    goes_offline(qtbot, window, proxy)

    assert window.offline_banner.text().startswith(OFFLINE_TEXT)
    assert window.offline_banner.property("kind") == "error"
    assert linked.offline
    settle(qtbot, window)
    assert window.store_status.text() == "Veritabanı: bu kasa (çevrim dışı)"
    # The next answers do not take it off: it stays while the till is offline.
    window.refresh_status()
    settle(qtbot, window)
    assert window.offline_banner.isVisible()
    assert window.cart is not None  # a sale is open on the replica


def test_back_online_the_banner_goes_and_the_status_bar_says_so(
    qtbot: QtBot, offline_window: TillWindow, shop: Shop, proxy: FaultProxy, linked: Till
) -> None:
    window = offline_window
    sign_in(qtbot, window, shop.cashier, "1111")
    goes_offline(qtbot, window, proxy)
    settle(qtbot, window)
    offline_cart = window.cart

    proxy.heal()
    qtbot.waitUntil(lambda: not window.offline_banner.isVisible(), timeout=MONITOR_SWITCH_MS)
    settle(qtbot, window)

    assert window.connectivity_status.text() == BACK_TEXT
    assert not linked.offline
    assert window.cart is not None
    assert window.cart is not offline_cart  # the next sale is the central store's
    scan(qtbot, window, AYRAN)
    assert lines(window) == [(shop.products[AYRAN], 1)]


def test_a_sale_begun_offline_keeps_the_till_offline_until_it_ends(
    qtbot: QtBot, offline_window: TillWindow, shop: Shop, proxy: FaultProxy, linked: Till
) -> None:
    window = offline_window
    sign_in(qtbot, window, shop.cashier, "1111")
    goes_offline(qtbot, window, proxy)
    settle(qtbot, window)
    scan(qtbot, window, AYRAN)  # rung up on the replica
    assert lines(window) == [(shop.products[AYRAN], 1)]

    proxy.heal()
    qtbot.wait(int((QUICK.online_after_seconds + 1) * 1000))

    assert linked.offline
    assert window.offline_banner.isVisible()
    window.act("remove")  # the sale ends (here: its one line taken off)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: not linked.offline, timeout=MONITOR_SWITCH_MS)


@needs_offline_services
def test_the_sale_in_progress_carries_over_with_its_lines_and_the_unsent_count_shows(
    qtbot: QtBot, offline_window: TillWindow, shop: Shop, proxy: FaultProxy, linked: Till
) -> None:
    window = offline_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, AYRAN)
    scan(qtbot, window, AYRAN)
    before = lines(window)

    goes_offline(qtbot, window, proxy)
    settle(qtbot, window)

    assert lines(window) == before
    scan(qtbot, window, SUT)
    assert len(lines(window)) == 2
    pay_cash(qtbot, window, "500")  # written on the replica with its outbox record
    settle(qtbot, window)
    qtbot.waitUntil(lambda: "Gönderilmeyi bekleyen satış: 1" in window.offline_banner.text())
    assert "saatinden beri çevrim dışı" in window.offline_banner.text()


def test_a_till_clock_off_the_stores_is_shown_in_the_status_bar(
    qtbot: QtBot, shop: Shop, store: Store, proxy: FaultProxy, replica: Engine
) -> None:
    url = store.url.set(host=proxy.host, port=proxy.port)
    monitor = ConnectivityMonitor(
        central_probe(probe_engine(url, QUICK.probe_timeout)),
        QUICK,
        wall_clock=lambda: datetime.now(UTC) + timedelta(minutes=5),
    )
    till = make_till(store, proxy, replica, QUICK, monitor=monitor)
    window = make_window(qtbot, dataclasses.replace(shop, till=till), None)
    try:
        assert monitor.check().mode is Mode.ONLINE
        qtbot.waitUntil(lambda: window.clock_status.text() != "")
        assert window.clock_status.text() == (
            "Bu kasanın saati mağazanınkinden 5 dk farklı: düzeltin"
        )
        assert window.clock_status.property("kind") == "warning"
    finally:
        window.close()
        till.close()


def test_a_card_payment_in_flight_keeps_the_till_on_the_central_store_until_it_ends(
    qtbot: QtBot, shop: Shop, linked: Till, proxy: FaultProxy
) -> None:
    """Its outcome lives on the central store: the banner says at once that the store is
    gone, but the sale moves to the replica only once the payment has ended."""
    runtime = payment_runtime(linked, demo=True, decision_delay=0.05)
    runtime.start()
    window = make_window(qtbot, dataclasses.replace(shop, till=linked), runtime)
    assert linked.monitor is not None
    linked.monitor.start()
    try:
        sign_in(qtbot, window, shop.cashier, "1111")
        scan(qtbot, window, NO_ANSWER)  # the simulated terminal waits for the card
        dialog = open_card_dialog(qtbot, window)
        qtbot.waitUntil(lambda: dialog.status is PaymentStatus.PENDING, timeout=WAIT_MS)

        proxy.cut()
        proxy.blackhole()
        qtbot.waitUntil(window.offline_banner.isVisible, timeout=MONITOR_SWITCH_MS)

        assert linked.monitor.mode is Mode.OFFLINE
        assert not linked.offline  # the card's sale stays where its payment is
        assert window.card_dialog is dialog
        proxy.heal()
        qtbot.waitUntil(lambda: linked.monitor.mode is Mode.ONLINE, timeout=MONITOR_SWITCH_MS)
        qtbot.waitUntil(lambda: not window.offline_banner.isVisible())
        assert window.card_dialog is dialog
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # the cashier cancels it, on the store
        qtbot.waitUntil(lambda: dialog.status is PaymentStatus.CANCELLED, timeout=WAIT_MS)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.card_dialog is None)
        settle(qtbot, window)
    finally:
        window.close()
        linked.monitor.stop()
        runtime.stop()


def test_at_the_login_the_cashiers_sign_in_on_the_replica_once_the_store_is_gone(
    qtbot: QtBot, offline_window: TillWindow, shop: Shop, proxy: FaultProxy, linked: Till
) -> None:
    """Nobody rings anything up: the probes alone take the till offline, and the login
    lists the cashiers from the replica."""
    window = offline_window
    qtbot.waitUntil(lambda: window.login.user_group.button(shop.cashier.id) is not None)

    proxy.cut()
    proxy.blackhole()
    qtbot.waitUntil(window.offline_banner.isVisible, timeout=MONITOR_SWITCH_MS)
    settle(qtbot, window)
    sign_in(qtbot, window, shop.cashier, "1111")

    assert linked.offline
    assert window.cart is not None
    scan(qtbot, window, AYRAN)
    assert lines(window) == [(shop.products[AYRAN], 1)]
