"""Whether the till can reach its central store, decided on a thread of its own.

A till on a central PostgreSQL keeps selling when the store is gone (DESIGN.md §5); the
monitor decides when it is gone and when it is back. It probes the store with a cheap
``SELECT now()`` on a short-timeout connection every ``probe_every`` seconds, and hears
from the rest of the till of each central call that answered ``STORE_UNREACHABLE``
(``heard``), which makes it probe at once.

Going offline is quick, coming back is slow, so a link that flaps every second does not
flip the till every second:

- online, a failed call confirmed by a failed probe, or ``offline_after_failed_probes``
  failed probes in a row, switch the till offline at once;
- offline, the probes must answer ``online_after_probes`` times in a row over at least
  ``online_after_seconds`` (one failure starts the count again), and every check the
  till adds (``add_online_check``: the outbox drained, no offline sale open) must agree,
  before the till sells online again.

Each good probe also measures the till's clock against the store's ``now()``; past
``drift_warning_seconds`` the listeners hear of it. Listeners are plain callbacks called
on the monitor's thread (the window turns them into a queued signal); they hear a
``Connectivity`` each time the mode or the drift warning changes.

Time is injected (``monotonic`` for the hysteresis, ``wall_clock`` for the drift) and
``check()`` is one probe and its decision, so tests drive it without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import Engine, func, select

from pos.domain.clock import Clock, system_clock
from pos.domain.results import Code

log = logging.getLogger(__name__)

Probe = Callable[[], datetime]
"""Asks the central store for its ``now()``; raises if the store does not answer."""


class Mode(Enum):
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class ConnectivityPolicy:
    """How the monitor decides; the ``[connectivity]`` settings, with these defaults."""

    probe_every: float = 2.0
    """Seconds between probes (a failed call brings the next one forward)."""
    probe_timeout: float = 2.0
    """Seconds a probe waits to connect and for its answer (libpq waits at least 2 to
    connect)."""
    offline_after_failed_probes: int = 2
    """Failed probes in a row that take the till offline without a failed call."""
    online_after_probes: int = 5
    """Good probes in a row the till needs before it sells online again..."""
    online_after_seconds: float = 10.0
    """...spread over at least this long."""
    drift_warning_seconds: float = 60.0
    """The till's clock this far from the store's is worth a warning."""
    pull_every: float = 30.0
    """Seconds between pulls into the replica while online (the till's own changes pull
    at once)."""


@dataclass(frozen=True)
class Connectivity:
    """What the monitor knows: the mode, since when (the till's clock), and the drift."""

    mode: Mode
    since: datetime
    drift: timedelta | None = None
    """The till's clock minus the store's, at the last good probe (None before one)."""
    drift_warning: bool = False
    """The drift is past the policy's limit."""

    @property
    def online(self) -> bool:
        return self.mode is Mode.ONLINE


Listener = Callable[[Connectivity], None]


def central_probe(engine: Engine) -> Probe:
    """A probe over ``engine`` (build it with short timeouts and no pool: see
    ``pos.bootstrap``), reading the store's clock, which also measures the drift."""

    def probe() -> datetime:
        with engine.connect() as connection:
            now: datetime = connection.execute(select(func.now())).scalar_one()
        return now

    return probe


class ConnectivityMonitor:
    def __init__(
        self,
        probe: Probe,
        policy: ConnectivityPolicy | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Clock = system_clock,
    ) -> None:
        self._probe = probe
        self.policy = policy or ConnectivityPolicy()
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._state = Connectivity(Mode.ONLINE, wall_clock())
        self._listeners: list[Listener] = []
        self._online_checks: list[Callable[[], bool]] = []
        self._rejoin: Callable[[], bool] = _always
        self._failed_calls = 0
        self._failed_probes = 0
        self._good_probes = 0
        self._good_since: float | None = None
        self._checking = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the till asks -----------------------------------------------------------

    @property
    def state(self) -> Connectivity:
        return self._state

    @property
    def mode(self) -> Mode:
        return self._state.mode

    def listen(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def add_online_check(self, check: Callable[[], bool]) -> None:
        """``check()`` must answer True before the till goes back online (called on the
        monitor's thread; one that raises counts as False)."""
        with self._lock:
            self._online_checks.append(check)

    def remove_online_check(self, check: Callable[[], bool]) -> None:
        with self._lock:
            if check in self._online_checks:
                self._online_checks.remove(check)

    def rejoin_with(self, rejoin: Callable[[], bool]) -> None:
        """``rejoin()`` runs last before the till goes back online, once the probes are
        steady and every check agrees (the till's wiring hands over its receipt series
        and, with issue 17, drains the outbox there); False or raising keeps it offline."""
        self._rejoin = rejoin

    def heard(self, failure: Code | None) -> None:
        """What a central call answered: ``STORE_UNREACHABLE`` counts as a failed call and
        brings the next probe forward; anything else changes nothing."""
        if failure is Code.STORE_UNREACHABLE:
            self.call_failed()

    def call_failed(self) -> None:
        """A central call found the store unreachable: probe now to confirm it."""
        with self._lock:
            if self._state.mode is Mode.OFFLINE:
                return  # the till already sells on its replica
            self._failed_calls += 1
        self._wake.set()

    def begin_offline(self) -> Connectivity:
        """The till starts without its central store (it did not answer, or its schema is
        too new): offline at once; the probes bring it back as after any outage."""
        with self._lock:
            if self._state.mode is Mode.OFFLINE:
                return self._state
            changed = replace(self._state, mode=Mode.OFFLINE, since=self._wall_clock())
        log.warning("connectivity: starting offline; selling on the replica")
        return self._tell(changed)

    # -- the decision --------------------------------------------------------------------

    def check(self) -> Connectivity:
        """One probe and what it decides; the state after it."""
        with self._checking:  # the thread and a test (or the till's start) never overlap
            before = self._wall_clock()
            try:
                store_now = self._probe()
            except Exception as error:  # any failure to answer is a failed probe
                log.info("connectivity: the central store did not answer: %s", error)
                return self._probe_failed()
            after = self._wall_clock()
            return self._probe_answered(before + (after - before) / 2 - store_now)

    def _probe_failed(self) -> Connectivity:
        with self._lock:
            self._good_probes, self._good_since = 0, None
            if self._state.mode is Mode.OFFLINE:
                return self._state
            self._failed_probes += 1
            if not (
                self._failed_calls or self._failed_probes >= self.policy.offline_after_failed_probes
            ):
                return self._state
            self._failed_calls = self._failed_probes = 0
            changed = replace(self._state, mode=Mode.OFFLINE, since=self._wall_clock())
        log.warning("connectivity: the central store cannot be reached; selling offline")
        return self._tell(changed)

    def _probe_answered(self, drift: timedelta) -> Connectivity:
        warning = abs(drift.total_seconds()) > self.policy.drift_warning_seconds
        steady, checks = False, []
        with self._lock:
            self._failed_calls = self._failed_probes = 0
            state = replace(self._state, drift=drift, drift_warning=warning)
            if state.mode is Mode.OFFLINE:
                now = self._monotonic()
                self._good_probes += 1
                if self._good_since is None:
                    self._good_since = now
                steady = (
                    self._good_probes >= self.policy.online_after_probes
                    and now - self._good_since >= self.policy.online_after_seconds
                )
                if steady:
                    checks = [*self._online_checks, self._rejoin]
            tell = warning != self._state.drift_warning
            self._state = state
        if state.mode is Mode.OFFLINE and steady and all(map(_agrees, checks)):
            with self._lock:
                self._good_probes, self._good_since = 0, None
                state = replace(self._state, mode=Mode.ONLINE, since=self._wall_clock())
            log.warning("connectivity: the central store answers again; selling online")
            return self._tell(state)
        if tell:
            if warning:
                log.warning("connectivity: the till's clock is %s off the store's", drift)
            return self._tell(state)
        return state

    def _tell(self, state: Connectivity) -> Connectivity:
        with self._lock:
            self._state = state
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(state)
            except Exception:  # one listener's fault must not stop the till's monitor
                log.exception("connectivity: a listener failed")
        return state

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> ConnectivityMonitor:
        if self._thread is not None:
            raise RuntimeError("the connectivity monitor is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="connectivity", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * self.policy.probe_timeout + 5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # a monitor that dies leaves the till in one mode for good
                log.exception("connectivity: check failed")
            self._wake.wait(self.policy.probe_every)
            self._wake.clear()


def _always() -> bool:
    return True


def _agrees(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        log.exception("connectivity: a check before going online failed")
        return False
