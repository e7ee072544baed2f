"""Where a till with a replica sends its units of work: the central store while the
monitor says it answers, the replica while it does not; a front end holding the routing
switches it itself; a pinned call goes where the till sold when it was made."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pos.bootstrap import Till, connected_till
from pos.runtime.connectivity import ConnectivityMonitor, ConnectivityPolicy, Mode
from pos.settings import Settings
from pos.store.engine import make_engine


class Store:
    def __init__(self) -> None:
        self.up = True

    def probe(self) -> datetime:
        if not self.up:
            raise ConnectionError("gone")
        return datetime.now(UTC)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def till(store: Store, tmp_path: Path, sqlite_template: Path) -> Iterator[Till]:
    """Two migrated stores: the till joins their receipt series when it comes back."""
    policy = ConnectivityPolicy(online_after_probes=1, online_after_seconds=0)
    monitor = ConnectivityMonitor(store.probe, policy)
    for name in ("central", "replica"):
        shutil.copyfile(sqlite_template, tmp_path / f"{name}.sqlite3")
    central = make_engine(f"sqlite:///{tmp_path / 'central.sqlite3'}")
    replica = make_engine(f"sqlite:///{tmp_path / 'replica.sqlite3'}")
    made = connected_till(Settings(database_url="sqlite://"), central, replica, monitor=monitor)
    yield made
    made.close()


def go_offline(till: Till, store: Store) -> None:
    assert till.monitor is not None
    store.up = False
    till.monitor.heard(None)  # an answer is no failure
    till.monitor.call_failed()
    till.monitor.check()


def test_the_till_sells_where_the_monitor_says(till: Till, store: Store) -> None:
    assert till.uow().engine is till.engine
    assert not till.uow().offline

    go_offline(till, store)

    assert till.offline
    assert till.uow().engine is till.replica
    assert till.uow().offline
    store.up = True
    till.monitor.check()  # type: ignore[union-attr]
    assert till.uow().engine is till.engine


def test_a_front_end_holding_the_routing_switches_it_itself(till: Till, store: Store) -> None:
    till.routing.hold()
    go_offline(till, store)

    assert till.monitor.mode is Mode.OFFLINE  # type: ignore[union-attr]
    assert till.uow().engine is till.engine  # not before the window moved its sale
    till.routing.apply(Mode.OFFLINE)
    assert till.uow().engine is till.replica

    till.routing.release()  # the window closed: the till follows the monitor again
    assert till.offline


def test_a_pinned_call_goes_where_the_till_sold_when_it_was_made(till: Till, store: Store) -> None:
    made_online = till.pinned(lambda: till.uow().engine)
    go_offline(till, store)
    made_offline = till.pinned(lambda: till.uow().engine)

    assert made_online() is till.engine
    assert made_offline() is till.replica
    assert till.uow().engine is till.replica  # the pin lasts for the call only


def test_a_till_on_sqlite_has_no_replica_and_never_goes_offline(tmp_path) -> None:
    from pos.bootstrap import bootstrap

    local = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'kasa.sqlite3'}"), environ={})
    try:
        assert local.monitor is None
        assert local.replica is None
        assert local.uow().engine is local.engine
        with pytest.raises(RuntimeError):
            local.replica_uow()
    finally:
        local.close()
