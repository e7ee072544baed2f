"""How far the till's push of its offline sales has come, for whoever shows it.

The push runs on the connectivity monitor's thread (``pos.bootstrap.rejoin_central``);
it tells ``SyncProgress`` after each sale, and the listeners (the till's status bar,
through a queued signal) hear ``(sent, total)`` on that thread. The last figures are
kept, so a window that starts listening mid-push shows them at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

ProgressListener = Callable[[int, int], None]


class SyncProgress:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[ProgressListener] = []
        self.last: tuple[int, int] | None = None
        """``(sent, total)`` of the push under way or last made; None before any."""

    def listen(self, listener: ProgressListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: ProgressListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def tell(self, sent: int, total: int) -> None:
        """The push's figures: every listener hears them (one that fails is logged)."""
        with self._lock:
            self.last = (sent, total)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(sent, total)
            except Exception:
                log.exception("sync progress: a listener failed")
