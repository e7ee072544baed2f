"""Wiring in one place: settings, engine, clock. Built at start-up, never at import."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from pos.credentials import with_password
from pos.domain.clock import Clock
from pos.domain.policy import Policy
from pos.domain.results import Err
from pos.runtime.connectivity import Connectivity, ConnectivityMonitor, Mode, central_probe
from pos.runtime.sync_progress import SyncProgress
from pos.services import offline
from pos.settings import Settings, load_settings, replica_file
from pos.store.engine import StoreTimeouts, make_engine, reconnect, sever
from pos.store.models import DEFAULT_TILL_ID
from pos.store.uow import UnitOfWork
from pos.sync.push import push_outbox

log = logging.getLogger(__name__)

T = TypeVar("T")
_PINNED: ContextVar[bool | None] = ContextVar("kasa_till_pinned_offline", default=None)
"""Set while a pinned call runs: whether its units of work go to the replica."""


class Routing:
    """Where a till with a replica sends its units of work: the central store, or offline
    the replica. It follows the monitor's decisions, unless a front end holds it (the
    window does: it applies each switch itself, on its own thread, together with moving
    its sale, so no call made for the central store's cart ever reaches the replica's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mode = Mode.ONLINE
        self._held = False
        self._heard = Mode.ONLINE

    def follow(self, state: Connectivity) -> None:
        """The monitor's listener: its decision, applied unless a front end holds it."""
        with self._lock:
            self._heard = state.mode
            if not self._held:
                self.mode = state.mode

    def hold(self) -> None:
        with self._lock:
            self._held = True

    def apply(self, mode: Mode) -> None:
        """The front end holding it switches (the monitor's decision, as it heard it)."""
        with self._lock:
            self.mode = mode

    def release(self) -> None:
        """Follow the monitor again, from its last decision."""
        with self._lock:
            self._held = False
            self.mode = self._heard


@dataclass(frozen=True)
class Till:
    """What the till's front ends (GUI, CLI) hold: settings and the store behind them.

    Every unit of work it makes carries the shop's policy, built from the settings at
    start-up, so each use case reads the shop's hold times, windows and limits.

    A till on a central PostgreSQL store with a ``replica`` (DESIGN.md §5) has a
    ``monitor`` too: ``uow()`` is then a unit of work on the central store while the
    monitor says it answers, and an offline one on the replica while it does not. A
    single-till shop on SQLite has neither: its store is already local.
    """

    settings: Settings
    engine: Engine
    clock: Clock | None = None
    replica: Engine | None = None
    monitor: ConnectivityMonitor | None = None
    till_id: int = DEFAULT_TILL_ID
    routing: Routing = field(default_factory=Routing, compare=False)
    sync: SyncProgress = field(default_factory=SyncProgress, compare=False)
    """How far the push of the offline sales has come (for the status bar)."""

    @property
    def policy(self) -> Policy:
        return self.settings.policy

    @property
    def offline(self) -> bool:
        """The central store is gone and the till sells on its replica (for a pinned call:
        as it was when the call was made)."""
        pinned = _PINNED.get()
        if pinned is not None:
            return pinned
        return self.replica is not None and self.routing.mode is Mode.OFFLINE

    def pinned(self, call: Callable[[], T]) -> Callable[[], T]:
        """``call``, to run later on another thread, sending every unit of work it opens
        where the till sells now, even if the till switches before it runs: a call made
        for the central store's sale never reaches the replica's, nor the other way."""
        offline = self.offline

        def run() -> T:
            token = _PINNED.set(offline)
            try:
                return call()
            finally:
                _PINNED.reset(token)

        return run

    def uow(self) -> UnitOfWork:
        """A unit of work where the till sells now: the central store, or offline the
        replica (the mode is read once, so one use case never straddles the two)."""
        if self.offline:
            return self.replica_uow()
        return self.central_uow()

    def central_uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, self.policy)

    def replica_uow(self) -> UnitOfWork:
        if self.replica is None:
            raise RuntimeError("this till keeps no replica: its store is local")
        return UnitOfWork(self.replica, self.clock, self.policy, offline=True)

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Till:
    settings = settings or load_settings(environ)
    url = with_password(settings.database_url, environ)
    engine = make_engine(url, timeouts=settings.store_timeouts)
    if engine.dialect.name != "postgresql":
        return Till(settings, engine, clock)
    replica_path = replica_file(settings)
    if not replica_path.is_file():
        log.info(
            "no replica at %s: this till stops selling when the central store is gone "
            "(`pos replica init` builds one)",
            replica_path,
        )
        return Till(settings, engine, clock)
    replica = make_engine(f"sqlite:///{replica_path}", timeouts=settings.store_timeouts)
    return connected_till(settings, engine, replica, clock=clock, url=url)


def connected_till(
    settings: Settings,
    engine: Engine,
    replica: Engine,
    *,
    clock: Clock | None = None,
    url: str | URL | None = None,
    monitor: ConnectivityMonitor | None = None,
) -> Till:
    """A till on the central store ``engine`` that sells on ``replica`` while the store
    is gone; its monitor (made here from the settings unless given) is not started: the
    till's window starts it, so a command-line ``pos`` never probes."""
    if monitor is None:
        probing = probe_engine(url or engine.url, settings.connectivity.probe_timeout)
        monitor = ConnectivityMonitor(central_probe(probing), settings.connectivity)
    till = Till(settings, engine, clock, replica, monitor)
    monitor.listen(till.routing.follow)
    monitor.listen(lambda state: _let_go(engine, state))
    monitor.rejoin_with(lambda: rejoin_central(till))
    return till


def _let_go(engine: Engine, state: Connectivity) -> None:
    """Offline, the till stops waiting on the central store: a call stuck on it answers
    now, and the sale it was for moves to the replica without waiting behind it."""
    if state.mode is Mode.OFFLINE:
        sever(engine)


def probe_engine(url: str | URL, timeout: float) -> Engine:
    """An engine for the monitor's probes: a fresh connection each time (so a probe also
    proves the store takes connections), waiting ``timeout`` seconds at most."""
    return make_engine(
        make_url(url),
        timeouts=StoreTimeouts(
            connect=timeout,
            statement=timeout,
            lock=timeout,
            idle_in_transaction=timeout,
            keepalive=1,
        ),
        poolclass=NullPool,
    )


def rejoin_central(till: Till) -> bool:
    """The one place the till passes through before it sells online again (on the
    monitor's thread, once the store answers steadily). False keeps it offline a while.

    In order: the outbox goes home (issue 17's sync: its single call belongs here, first),
    so a sale made offline reaches the central store before the till sells online; then
    the receipt series are joined, so the central store goes on after the last number
    given offline; then the replica ends its offline period.
    """
    reconnect(till.engine)  # the store is tried again, for these steps first
    rejoined = False
    try:
        rejoined = _rejoin(till)
    finally:
        if not rejoined:
            sever(till.engine)
    return rejoined


def _rejoin(till: Till) -> bool:
    pushed = push_outbox(till.central_uow, till.replica_uow, progress=till.sync.tell)
    if isinstance(pushed, Err):
        log.info("connectivity: the offline sales are not all home yet: %s", pushed.params)
        return False
    joined = offline.rejoin_series(till.central_uow(), till.replica_uow(), till.till_id)
    if isinstance(joined, Err):
        # Asked again at every steady probe: said once a probe, quietly.
        log.info("connectivity: the receipt series cannot be joined yet: %s", joined.code)
        return False
    ended = offline.back_online(till.replica_uow(), till.till_id)
    if isinstance(ended, Err):
        log.info("connectivity: the replica cannot end its offline time: %s", ended.code)
        return False
    return True
