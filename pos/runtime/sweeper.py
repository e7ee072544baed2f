"""The reservation sweeper as a background loop beside the till's window.

Every ``every`` seconds it runs ``release_expired``, which expires the holds of carts
left open past their time, each exactly once, and never those of a sale whose payment
is in flight. ``on_swept`` hears of each sweep that returned stock (on the sweeper's
thread: the window turns it into a queued signal).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pos.domain.results import Err
from pos.services.reservations import SweepReport, release_expired
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


class Sweeper:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        every: float = SWEEP_SECONDS,
        on_swept: Callable[[SweepReport], None] | None = None,
    ) -> None:
        self._uow = uow_factory
        self.every = every
        self.on_swept = on_swept
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Sweeper:
        if self._thread is not None:
            raise RuntimeError("the sweeper is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sweeper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def sweep(self) -> SweepReport | None:
        """One sweep; what it returned to the shelves, or None if the store refused."""
        swept = release_expired(self._uow())
        if isinstance(swept, Err):
            log.error("sweeper: %s", swept.code)
            return None
        if swept.value.expired and self.on_swept is not None:
            self.on_swept(swept.value)
        return swept.value

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.sweep()
            except Exception:  # a sweeper that dies leaves holds on the shelf for good
                log.exception("sweeper: sweep failed")
