"""Cyclic garbage is collected on the GUI thread, never by a worker."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ui.collector import GuiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_collector_switches_automatic_collection_off_and_collects_from_its_timer(
    qtbot: QtBot,
) -> None:
    gc.enable()
    collector = GuiThreadCollector(interval_ms=10)
    collector.thresholds = (1, 1, 1)
    collector.start()
    try:
        assert not gc.isenabled()
        freed_on: list[int] = []
        garbage = Cycle()
        weakref.finalize(garbage, lambda: freed_on.append(threading.get_ident()))
        del garbage
        qtbot.waitUntil(lambda: bool(freed_on), timeout=2000)
        assert freed_on == [threading.get_ident()]  # this test runs on the GUI thread
    finally:
        collector.stop()
    assert gc.isenabled()
    gc.disable()  # as the suite's fixture left it


def test_a_worker_allocating_a_lot_frees_no_widget_while_the_collector_runs(
    qtbot: QtBot,
) -> None:
    collector = GuiThreadCollector(interval_ms=10).start()
    try:
        widget = QWidget()
        widget.cycle = widget  # type: ignore[attr-defined]
        destroyed_on: list[int] = []
        widget.destroyed.connect(lambda: destroyed_on.append(threading.get_ident()))
        del widget

        def allocate() -> None:
            for _ in range(200_000):
                Cycle()

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert destroyed_on == []  # the worker crossed every threshold and collected nothing
        qtbot.waitUntil(lambda: bool(destroyed_on), timeout=5000)
        assert destroyed_on == [threading.get_ident()]
    finally:
        collector.stop()
        gc.disable()
