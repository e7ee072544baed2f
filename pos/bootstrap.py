"""Wiring in one place: settings, engine, clock. Built at start-up, never at import."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pos.credentials import with_password
from pos.domain.clock import Clock
from pos.domain.messages import render
from pos.domain.policy import Policy
from pos.domain.results import Err
from pos.runtime.connectivity import Connectivity, ConnectivityMonitor, Mode, central_probe
from pos.runtime.scale import Scale
from pos.runtime.sync_progress import SyncProgress
from pos.services import offline
from pos.settings import Settings, load_settings, replica_file
from pos.store.engine import StoreTimeouts, make_engine, reconnect, sever, store_failure
from pos.store.migrate import SchemaTooNew, StoreFault, upgrade
from pos.store.models import DEFAULT_TILL_ID
from pos.store.replica import ReplicaFault, open_replica
from pos.store.uow import UnitOfWork

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


class TillNotes:
    """What the till found it cannot use, for its front ends to say (with the way out):
    its replica at start (then it sells online only), and a central store whose schema is
    newer than this Kasa's (then it stays offline on its replica)."""

    def __init__(self) -> None:
        self.replica: StoreFault | None = None
        self.replica_pending: Path | None = None
        """A replica left for a front end to open (``bootstrap(replica_later=True)``)."""
        self.replica_missing: Path | None = None
        """A till on a central store with no replica yet: where it would be (the window
        builds it on its first start)."""
        self.central: StoreFault | None = None
        self.started_offline = False
        self.central_checked = True
        """False while a till that started offline has yet to check the central schema."""


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
    notes: TillNotes = field(default_factory=TillNotes, compare=False)
    scale: Scale | None = field(default=None, compare=False)
    """The shop's scale the till reads weights from (``[scale] device``); None: typed."""

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
    replica_later: bool = False,
) -> Till:
    """The till from its settings. A till on a central store with a replica has it checked
    and opened here, unless ``replica_later``: then a front end opens it on a worker
    (``open_pending_replica``; its check reads the whole file, seconds for a million
    products) while the till sells online, and ``start_central`` opens it at once if the
    till must start offline on it."""
    settings = settings or load_settings(environ)
    url = with_password(settings.database_url, environ)
    engine = make_engine(url, timeouts=settings.store_timeouts, pooled=settings.store_pooled)
    if engine.dialect.name != "postgresql":
        return Till(settings, engine, clock)
    replica_path = replica_file(settings)
    if not replica_path.is_file():
        log.info(
            "no replica at %s: this till stops selling when the central store is gone "
            "(`pos replica init` builds one)",
            replica_path,
        )
        till = Till(settings, engine, clock)
        till.notes.replica_missing = replica_path
        return till
    if replica_later:
        till = Till(settings, engine, clock)
        till.notes.replica_pending = replica_path
        return till
    try:
        replica = open_replica(replica_path, timeouts=settings.store_timeouts)
    except ReplicaFault as fault:
        till = Till(settings, engine, clock)
        _refused(till, fault)
        return till
    return connected_till(settings, engine, replica, clock=clock, url=url)


def _refused(till: Till, fault: ReplicaFault) -> None:
    # Selling online goes on; the front ends say why offline selling cannot.
    log.warning("%s", render(fault.error, "en"))
    till.notes.replica, till.notes.replica_pending = fault, None


def attach_scale(till: Till, scale: Scale | None) -> Till:
    """Give the till its scale, once, as the window starts (the till is frozen)."""
    object.__setattr__(till, "scale", scale)
    return till


def open_pending_replica(till: Till) -> Engine | Err:
    """The replica ``bootstrap(replica_later=True)`` left to open, checked and opened (not
    on a window's thread: its check reads the whole file), or why it cannot be used (noted
    on the till too). Hand the engine to ``attach_replica``."""
    path = till.notes.replica_pending
    if path is None:
        raise RuntimeError("this till has no replica waiting to be opened")
    try:
        return open_replica(path, timeouts=till.settings.store_timeouts)
    except ReplicaFault as fault:
        _refused(till, fault)
        return fault.error


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
        monitor = _monitor(settings, url or engine.url)
    till = Till(settings, engine, clock, replica, monitor)
    _wire(till, monitor)
    return till


def attach_replica(
    till: Till, replica: Engine, *, monitor: ConnectivityMonitor | None = None
) -> Till:
    """Give ``till``, which started with no replica, the one just built for it (its first
    start) or opened for it on a worker: from now on it sells on it when the central store
    is gone. The monitor (made
    here unless given) is not started, as in ``connected_till``."""
    if till.replica is not None or till.monitor is not None:
        raise RuntimeError("this till has its replica already")
    monitor = monitor or _monitor(till.settings, till.engine.url)
    # The till is frozen for its front ends; these two fields arrive late, once, and in
    # this order (a till reads ``replica`` to know whether it may go offline).
    object.__setattr__(till, "monitor", monitor)
    object.__setattr__(till, "replica", replica)
    notes = till.notes
    notes.replica = notes.replica_missing = notes.replica_pending = None
    _wire(till, monitor)
    return till


def _monitor(settings: Settings, url: str | URL) -> ConnectivityMonitor:
    probing = probe_engine(url, settings.connectivity.probe_timeout, pooled=settings.store_pooled)
    return ConnectivityMonitor(central_probe(probing), settings.connectivity)


def _wire(till: Till, monitor: ConnectivityMonitor) -> None:
    engine = till.engine
    monitor.listen(till.routing.follow)
    monitor.listen(lambda state: _let_go(engine, state))
    monitor.rejoin_with(lambda: rejoin_central(till))
    _resume_offline(till, monitor)


def _resume_offline(till: Till, monitor: ConnectivityMonitor) -> None:
    """A till whose replica still holds sales not sent home (it stopped, or crashed,
    before the central store came back) starts offline: the monitor's way back online
    pushes them first, so the central store never gives one of their receipt numbers
    again (DESIGN.md §5)."""
    left = offline.offline_status(till.replica_uow())
    if isinstance(left, Err):
        log.warning("connectivity: the replica cannot say what it holds: %s", left.code)
        return
    if left.value.unsent_count or left.value.offline_since is not None:
        log.warning(
            "connectivity: %d offline sales wait to go home: starting offline",
            left.value.unsent_count,
        )
        monitor.begin_offline()


def start_central(till: Till) -> None:
    """Bring the central store's schema up to this till's before it sells (as ``upgrade``).

    A till with a replica starts even when the central store does not answer, or answers
    with a schema newer than this Kasa knows: offline on its replica at once, checking the
    schema again before it sells online (``TillNotes.central`` says what is wrong until
    then). A till without one raises as ``upgrade`` does: it has nothing to sell from.
    """
    try:
        upgrade(till.engine)
        return
    except SchemaTooNew as fault:
        if not _replica_to_sell_on(till):
            raise
        till.notes.central = fault
        log.warning("%s", render(fault.error, "en"))
    except DBAPIError as error:
        if store_failure(error) is None or not _replica_to_sell_on(till):
            raise
        log.warning("the central store does not answer: starting offline on the replica")
    monitor = till.monitor
    assert monitor is not None
    till.notes.started_offline = True
    till.notes.central_checked = False
    monitor.add_online_check(lambda: central_schema_ready(till))
    monitor.begin_offline()


def _replica_to_sell_on(till: Till) -> bool:
    """Whether the till has a replica to start offline on (one left to open is opened now:
    the till cannot sell without it)."""
    if till.monitor is not None:
        return True
    if till.notes.replica_pending is None:
        return False
    opened = open_pending_replica(till)
    if isinstance(opened, Err):
        return False
    attach_replica(till, opened)
    return True


def central_schema_ready(till: Till) -> bool:
    """Asked before the till sells online again (on the monitor's thread): whether the
    central store's schema was brought up to this till's since it started offline."""
    notes = till.notes
    if notes.central_checked:
        return True
    reconnect(till.engine)
    try:
        upgrade(till.engine)
    except SchemaTooNew as fault:
        notes.central = fault
        sever(till.engine)
        return False
    except DBAPIError as error:
        log.info("connectivity: the central schema cannot be checked yet: %s", error)
        sever(till.engine)
        return False
    notes.central, notes.central_checked = None, True
    return True


def _let_go(engine: Engine, state: Connectivity) -> None:
    """Offline, the till stops waiting on the central store: a call stuck on it answers
    now, and the sale it was for moves to the replica without waiting behind it."""
    if state.mode is Mode.OFFLINE:
        sever(engine)


def probe_engine(url: str | URL, timeout: float, *, pooled: bool = False) -> Engine:
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
        pooled=pooled,
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
    # The sync (its journal signing, cryptography) loads when a till first rejoins its
    # central store, on the monitor's thread, not at start-up.
    from pos.sync.push import push_outbox

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
