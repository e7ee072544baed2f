"""A sale parked while the till sells on its replica: like a sale begun offline, it keeps
the till offline until it is recalled and ends. Real PostgreSQL behind a real proxy."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.bootstrap import Till
from tests.faultproxy import FaultProxy
from tests.gui import test_offline
from tests.gui.conftest import AYRAN, Shop, scan, settle, sign_in
from tests.gui.test_offline import MONITOR_SWITCH_MS, goes_offline, lines
from tests.gui.test_parked import open_list, press
from tests.offline_till import QUICK
from ui.till import TillWindow

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)
# The offline window's fixtures: a real proxy, a replica, the till linked to both.
proxy = test_offline.proxy
replica = test_offline.replica
linked = test_offline.linked
offline_window = test_offline.offline_window


def test_a_sale_parked_offline_keeps_the_till_offline_until_it_is_recalled_and_ends(
    qtbot: QtBot, offline_window: TillWindow, shop: Shop, proxy: FaultProxy, linked: Till
) -> None:
    window = offline_window
    sign_in(qtbot, window, shop.cashier, "1111")
    goes_offline(qtbot, window, proxy)
    settle(qtbot, window)
    window.act("remove")  # the line the black hole swallowed, carried over: off again
    settle(qtbot, window)
    scan(qtbot, window, AYRAN)
    press(qtbot, window, Qt.Key.Key_F1)
    settle(qtbot, window)
    assert lines(window) == []

    proxy.heal()
    qtbot.wait(int((QUICK.online_after_seconds + 1) * 1000))
    assert linked.offline  # the parked sale lives on the replica

    dialog = open_list(qtbot, window)
    assert [sale.item_count for sale in dialog.sales or ()] == [1]
    qtbot.keyClick(dialog.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.parked_dialog is None)
    settle(qtbot, window)
    assert lines(window) == [(shop.products[AYRAN], 1)]
    window.act("remove")  # the sale ends (here: its one line taken off)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: not linked.offline, timeout=MONITOR_SWITCH_MS)
