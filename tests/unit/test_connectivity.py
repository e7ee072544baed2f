"""The connectivity monitor's decisions: quick to go offline, slow to come back, and the
clock's drift. Time is the test's: each ``check()`` is one probe at a moment it chooses.
The probe here is the central store's answer as the test scripts it (the real probe over
a real proxy is in tests/integration/test_connectivity.py)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from pos.domain.results import Code
from pos.runtime.connectivity import (
    Connectivity,
    ConnectivityMonitor,
    ConnectivityPolicy,
    Mode,
)

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POLICY = ConnectivityPolicy(
    probe_every=1, offline_after_failed_probes=2, online_after_probes=5, online_after_seconds=10
)


class Link:
    """The store at the end of the link, on the test's clock: up or down, its clock
    ``skew`` off the till's."""

    def __init__(self) -> None:
        self.up = True
        self.seconds = 0.0
        self.skew = timedelta(0)
        self.probes = 0

    def monotonic(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return START + timedelta(seconds=self.seconds)

    def probe(self) -> datetime:
        self.probes += 1
        if not self.up:
            raise ConnectionError("no route to the store")
        return self.wall() - self.skew

    def tick(self, monitor: ConnectivityMonitor, seconds: float = 1.0) -> Connectivity:
        self.seconds += seconds
        return monitor.check()


@pytest.fixture
def link() -> Link:
    return Link()


@pytest.fixture
def heard() -> list[Connectivity]:
    return []


@pytest.fixture
def monitor(link: Link, heard: list[Connectivity]) -> ConnectivityMonitor:
    made = ConnectivityMonitor(link.probe, POLICY, monotonic=link.monotonic, wall_clock=link.wall)
    made.listen(heard.append)
    return made


def test_a_failed_call_confirmed_by_a_failed_probe_goes_offline_at_once(link, monitor, heard):
    assert monitor.mode is Mode.ONLINE
    link.up = False
    monitor.heard(Code.STORE_UNREACHABLE)

    state = link.tick(monitor)

    assert state.mode is Mode.OFFLINE
    assert [s.mode for s in heard] == [Mode.OFFLINE]
    assert heard[0].since == link.wall()


def test_a_failed_call_the_probe_does_not_confirm_changes_nothing(link, monitor, heard):
    monitor.heard(Code.STORE_UNREACHABLE)
    link.tick(monitor)
    link.up = False
    link.tick(monitor)  # one failed probe: the failed call before it was forgotten

    assert monitor.mode is Mode.ONLINE
    assert heard == []


def test_a_busy_store_is_no_reason_to_go_offline(link, monitor):
    link.up = False
    monitor.heard(Code.STORE_BUSY)
    monitor.heard(None)
    link.tick(monitor)

    assert monitor.mode is Mode.ONLINE


def test_two_failed_probes_go_offline_without_a_failed_call(link, monitor):
    link.up = False
    assert link.tick(monitor).mode is Mode.ONLINE
    assert link.tick(monitor).mode is Mode.OFFLINE


def test_coming_back_needs_steady_answers_for_a_while(link, monitor, heard):
    link.up = False
    link.tick(monitor)
    link.tick(monitor)
    link.up = True

    modes = [link.tick(monitor, 2.5).mode for _ in range(5)]

    # Five good probes over 10 s: the fifth (10 s after the first) brings it back.
    assert modes == [Mode.OFFLINE] * 4 + [Mode.ONLINE]
    assert [s.mode for s in heard] == [Mode.OFFLINE, Mode.ONLINE]


def test_a_till_that_starts_offline_is_told_at_once_and_comes_back_as_after_an_outage(
    link, monitor, heard
):
    state = monitor.begin_offline()

    assert state.mode is Mode.OFFLINE
    assert [s.mode for s in heard] == [Mode.OFFLINE]
    assert monitor.begin_offline().mode is Mode.OFFLINE  # said once
    assert len(heard) == 1
    assert link.probes == 0  # no probe needed to start offline
    modes = [link.tick(monitor, 2.5).mode for _ in range(5)]
    assert modes == [Mode.OFFLINE] * 4 + [Mode.ONLINE]


def test_many_quick_answers_are_not_enough_without_the_time(link, monitor):
    link.up = False
    link.tick(monitor)
    link.tick(monitor)
    link.up = True

    for _ in range(20):
        assert link.tick(monitor, 0.4).mode is Mode.OFFLINE  # 20 answers in 7.6 s
    assert link.tick(monitor, 2.5).mode is Mode.ONLINE


def test_one_failure_while_offline_starts_the_count_again(link, monitor):
    link.up = False
    link.tick(monitor)
    link.tick(monitor)
    link.up = True
    for _ in range(4):
        link.tick(monitor, 2.5)
    link.up = False
    link.tick(monitor)
    link.up = True

    modes = [link.tick(monitor, 2.5).mode for _ in range(5)]

    assert modes == [Mode.OFFLINE] * 4 + [Mode.ONLINE]


def test_a_link_that_flaps_every_second_goes_offline_once_and_stays(link, monitor, heard):
    for second in range(120):
        link.up = second % 2 == 0
        if not link.up:
            monitor.heard(Code.STORE_UNREACHABLE)  # the till's calls fail when it is down
        link.tick(monitor)

    assert [s.mode for s in heard] == [Mode.OFFLINE]


def test_a_check_before_going_online_keeps_the_till_offline_until_it_agrees(link, monitor):
    open_sale = [True]
    monitor.add_online_check(lambda: not open_sale[0])
    link.up = False
    link.tick(monitor)
    link.tick(monitor)
    link.up = True
    for _ in range(10):
        assert link.tick(monitor, 2.5).mode is Mode.OFFLINE

    open_sale[0] = False

    assert link.tick(monitor, 2.5).mode is Mode.ONLINE


def test_a_rejoin_that_fails_or_raises_keeps_the_till_offline(link, monitor):
    answers = iter([False, RuntimeError("outbox stuck"), True])

    def rejoin() -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monitor.rejoin_with(rejoin)
    link.up = False
    link.tick(monitor)
    link.tick(monitor)
    link.up = True
    modes = [link.tick(monitor, 2.5).mode for _ in range(7)]

    assert modes == [Mode.OFFLINE] * 6 + [Mode.ONLINE]


def test_the_clock_drift_is_measured_and_a_minute_off_is_a_warning(link, monitor, heard):
    link.skew = timedelta(seconds=30)
    state = link.tick(monitor)
    assert state.drift == timedelta(seconds=30)
    assert not state.drift_warning
    assert heard == []

    link.skew = timedelta(seconds=-75)
    state = link.tick(monitor)

    assert state.drift == timedelta(seconds=-75)
    assert state.drift_warning
    assert [(s.mode, s.drift_warning) for s in heard] == [(Mode.ONLINE, True)]
    link.tick(monitor)
    assert len(heard) == 1  # told once, not at every probe
    link.skew = timedelta(0)
    link.tick(monitor)
    assert [s.drift_warning for s in heard] == [True, False]


def test_a_listener_that_fails_does_not_stop_the_others(link, monitor, heard):
    def broken(_state: Connectivity) -> None:
        raise RuntimeError("window gone")

    monitor.unlisten(heard.append)
    monitor.listen(broken)
    monitor.listen(heard.append)
    link.up = False
    link.tick(monitor)
    link.tick(monitor)

    assert [s.mode for s in heard] == [Mode.OFFLINE]


def test_on_its_own_thread_a_failed_call_is_confirmed_without_waiting_for_the_interval():
    """Real time: probes every 10 s, yet the failed call's probe comes at once."""
    down = threading.Event()
    switched = threading.Event()

    def probe() -> datetime:
        if down.is_set():
            raise ConnectionError("cut")
        return datetime.now(UTC)

    monitor = ConnectivityMonitor(probe, ConnectivityPolicy(probe_every=10))
    monitor.listen(lambda state: switched.set() if state.mode is Mode.OFFLINE else None)
    monitor.start()
    try:
        time.sleep(0.1)  # the first probe, at start
        down.set()
        started = time.monotonic()
        monitor.heard(Code.STORE_UNREACHABLE)
        assert switched.wait(2)
        assert time.monotonic() - started < 1
        assert monitor.state.drift is not None
        assert abs(monitor.state.drift) < timedelta(seconds=1)
    finally:
        monitor.stop()
    assert not monitor.running


def test_on_its_own_thread_it_comes_back_after_steady_answers_in_real_time():
    down = threading.Event()
    down.set()
    modes: list[Mode] = []

    def probe() -> datetime:
        if down.is_set():
            raise ConnectionError("cut")
        return datetime.now(UTC)

    policy = ConnectivityPolicy(
        probe_every=0.05,
        offline_after_failed_probes=2,
        online_after_probes=3,
        online_after_seconds=0.5,
    )
    monitor = ConnectivityMonitor(probe, policy)
    monitor.listen(lambda state: modes.append(state.mode))
    monitor.start()
    try:
        deadline = time.monotonic() + 3
        while monitor.mode is Mode.ONLINE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert monitor.mode is Mode.OFFLINE
        healed = time.monotonic()
        down.clear()
        while monitor.mode is Mode.OFFLINE and time.monotonic() < deadline + 3:
            time.sleep(0.01)
        took = time.monotonic() - healed
    finally:
        monitor.stop()

    assert modes == [Mode.OFFLINE, Mode.ONLINE]
    assert 0.5 <= took < 2
