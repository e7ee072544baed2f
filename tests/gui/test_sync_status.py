"""The till's window while its offline sales go home (issue 17): the status bar counts
them ("1 / 1 satış gönderildi") as the till rejoins its central store, and the sale is
there once. Real PostgreSQL behind a real proxy; the monitor runs on its own thread."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from pos.bootstrap import Till
from pos.store.tables import orders
from tests.conftest import Store
from tests.faultproxy import FaultProxy
from tests.gui.conftest import AYRAN, Shop, scan, settle, sign_in
from tests.gui.test_offline import (  # noqa: F401 (the fixtures)
    MONITOR_SWITCH_MS,
    goes_offline,
    linked,
    offline_window,
    proxy,
    replica,
)
from tests.gui.test_printing import pay_cash
from ui.till import TillWindow

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)


def test_back_online_the_offline_sales_go_home_and_the_status_bar_counts_them(
    qtbot: QtBot,
    offline_window: TillWindow,  # noqa: F811
    shop: Shop,
    proxy: FaultProxy,  # noqa: F811
    linked: Till,  # noqa: F811
    store: Store,
) -> None:
    window = offline_window
    sign_in(qtbot, window, shop.cashier, "1111")
    goes_offline(qtbot, window, proxy)
    settle(qtbot, window)
    scan(qtbot, window, AYRAN)
    pay_cash(qtbot, window, "500")  # written on the replica with its outbox record
    settle(qtbot, window)

    proxy.heal()
    qtbot.waitUntil(lambda: not linked.offline, timeout=MONITOR_SWITCH_MS)
    qtbot.waitUntil(lambda: window.sync_status.text() == "1 / 1 satış gönderildi")

    with store.engine.connect() as connection:
        assert len(connection.execute(select(orders.c.id)).all()) == 1
