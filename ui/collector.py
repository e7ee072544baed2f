"""Python's garbage collection on the GUI thread only.

The cyclic collector runs on whichever thread happens to allocate when a threshold is
crossed. If that is a worker running a service and the garbage holds a widget (a closed
dialog still referenced by a lambda), Qt destroys the widget off the GUI thread and the
process crashes. So the automatic collector is switched off and a timer on the GUI thread
collects instead, as Anki and calibre do.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """Collects when the counts pass the thresholds the automatic collector would use."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> GuiThreadCollector:
        gc.disable()
        self.timer.start()
        return self

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        gc.enable()

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return
