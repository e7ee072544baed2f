"""A till on a central PostgreSQL store that keeps a replica, for the tests that cut the
link between them (integration and GUI)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from pos.bootstrap import Till, connected_till
from pos.runtime.connectivity import ConnectivityMonitor, ConnectivityPolicy
from pos.settings import Settings
from pos.store.engine import StoreTimeouts, make_engine
from pos.store.models import Base
from tests.conftest import Store
from tests.faultproxy import FaultProxy

FAST = StoreTimeouts(connect=2, statement=1.5, lock=1, idle_in_transaction=0.5, keepalive=1)
IN_TIME = FAST.answer + FAST.connect + 1
"""The longest a call may take on a silent store: the pool's ping of its connection
waits ``answer`` (3.5 s), then a new connection waits ``connect`` (2 s)."""
QUICK = ConnectivityPolicy(
    probe_every=0.1,
    probe_timeout=2,
    offline_after_failed_probes=2,
    online_after_probes=5,
    online_after_seconds=1.5,
)
"""The monitor's rules with its times shortened, so a test runs in seconds."""
CATALOGUE = ("coupons", "users", "products", "product_words", "inventory")
"""What the replica must know to sell (until ``pos replica init`` builds it)."""

needs_offline_services = pytest.mark.skipif(
    importlib.util.find_spec("pos.services.offline") is None,
    reason="needs pos.services.offline (carry_over), the offline helper's half of issue 16",
)


def replica_file(tmp_path: Path, sqlite_template: Path) -> Engine:
    """The till's replica: a SQLite file with the store's schema."""
    path = tmp_path / "replica.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return make_engine(f"sqlite:///{path}")


def make_till(
    store: Store,
    proxy: FaultProxy,
    replica: Engine,
    policy: ConnectivityPolicy,
    monitor: ConnectivityMonitor | None = None,
) -> Till:
    url = store.url.set(host=proxy.host, port=proxy.port)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        store_timeouts=FAST,
        connectivity=policy,
    )
    return connected_till(
        settings, make_engine(url, timeouts=FAST), replica, url=url, monitor=monitor
    )


def mirror_catalogue(central: Engine, replica: Engine) -> None:
    """Copy what the replica needs to sell, as ``pos replica init`` will."""
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    with central.connect() as source, replica.begin() as target:
        for name in CATALOGUE:
            rows = [dict(row) for row in source.execute(select(tables[name])).mappings()]
            if rows:
                target.execute(insert(tables[name]), rows)
