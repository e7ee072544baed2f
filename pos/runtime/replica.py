"""Keeping the till's replica fresh while it sells online, and building it on first start.

``ReplicaRefresher`` pulls the central store's changes into the replica on a thread of its
own (DESIGN.md §5): every ``every`` seconds (``[connectivity] pull_seconds``), and at once
when the till ``nudge``s it after its own changes (a paid sale, a back-office edit). One
thread runs the pulls, so two never overlap; nudges that arrive during a pull make one
more pull after it, not one each. It never pulls while the till sells offline: a pull
needs the central store, and the replica then belongs to the offline sales. A pull cut
short by a lost link loses nothing: each batch and its cursor are one local transaction,
and the next pull resumes after the last one applied.

``ReplicaBuilder`` builds the replica of a till that has none yet, on its own thread,
reports how far it got (the window shows a progress bar; the cashier sells online
meanwhile), and opens it (its check reads the whole file: not on the window's thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from pos.domain.results import Code, Err, Result
from pos.store.engine import StoreTimeouts, store_failure
from pos.store.migrate import StoreFault
from pos.store.replica import open_replica
from pos.sync.replica import BuildReport, Progress, PullReport, build_replica, pull

log = logging.getLogger(__name__)

PULL_SECONDS = 30.0


class ReplicaRefresher:
    """Pulls into ``replica`` from ``central`` while ``online()`` says the till sells on the
    central store. ``on_pulled`` hears each pull's result (on this thread); ``on_failed``
    each pull that found the store unreachable (the till tells its monitor)."""

    def __init__(
        self,
        central: Engine,
        replica: Engine,
        online: Callable[[], bool],
        *,
        every: float = PULL_SECONDS,
        on_pulled: Callable[[Result[PullReport]], None] | None = None,
        on_unreachable: Callable[[], None] | None = None,
    ) -> None:
        self._central = central
        self._replica = replica
        self._online = online
        self.every = every
        self.on_pulled = on_pulled
        self.on_unreachable = on_unreachable
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pulling = threading.Lock()
        self.pulls = 0
        """Pulls made (whatever they found): a test's and a status line's count."""

    def start(self) -> ReplicaRefresher:
        if self._thread is not None:
            raise RuntimeError("the replica refresher is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="replica-pull", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the pull under way, if any (its batches are whole either way)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def nudge(self) -> None:
        """The till changed something: pull now (or right after the pull under way)."""
        self._wake.set()

    def pull_now(self) -> Result[PullReport] | None:
        """One pull, unless the till is offline (None then); never two at once."""
        with self._pulling:
            if not self._online():
                return None
            try:
                pulled = pull(self._central, self._replica)
            except Exception as error:  # a lost link mid-pull: the batches applied stay
                failure = _failure(error)
                if failure is None:
                    log.exception("replica: the pull failed")
                else:
                    log.info("replica: the pull stopped: %s", failure.value)
                pulled = Err(failure or Code.STORE_UNREACHABLE)
            self.pulls += 1
        unreachable = isinstance(pulled, Err) and pulled.code is Code.STORE_UNREACHABLE
        if unreachable and self.on_unreachable is not None:
            self.on_unreachable()
        if self.on_pulled is not None:
            self.on_pulled(pulled)
        return pulled

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.pull_now()
            except Exception:  # a refresher that dies leaves the replica going stale
                log.exception("replica: pull failed")


class ReplicaBuilder:
    """Builds the replica at ``path`` from ``central`` on a thread of its own, telling
    ``progress`` how far it is and ``done`` the replica's engine, opened, or why there is
    none (an ``Err``); both on that thread."""

    def __init__(
        self,
        central: Engine,
        path: Path,
        *,
        progress: Progress,
        done: Callable[[Engine | Err], None],
        timeouts: StoreTimeouts | None = None,
    ) -> None:
        self._central, self._path = central, path
        self._progress, self._done = progress, done
        self._timeouts = timeouts
        self._thread: threading.Thread | None = None

    def start(self) -> ReplicaBuilder:
        self._thread = threading.Thread(target=self._build, name="replica-build", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _build(self) -> None:
        built = self._built()
        try:
            self._done(built)
        except Exception:  # the till closed while it built: nobody is left to hear
            log.exception("replica: the build's end was not heard")

    def _built(self) -> Engine | Err:
        built: Result[BuildReport]
        try:
            built = build_replica(self._central, self._path, progress=self._progress)
        except StoreFault as fault:  # a central store too new for this Kasa
            return fault.error
        except Exception as error:
            log.exception("replica: the build failed")
            return Err(_failure(error) or Code.STORE_UNREACHABLE)
        if isinstance(built, Err):
            return built
        try:
            return open_replica(built.value.path, timeouts=self._timeouts)
        except StoreFault as fault:
            return fault.error


def _failure(error: Exception) -> Code | None:
    """The store's trouble behind ``error`` (busy, gone), None for a fault in the code."""
    if isinstance(error, DBAPIError):
        return store_failure(error)
    if isinstance(error, psycopg.OperationalError | OSError):
        return Code.STORE_UNREACHABLE
    return None
