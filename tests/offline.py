"""A till's replica for the tests of offline selling: a SQLite store of its own, filled
with the central store's catalogue as a pull would leave it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from pos.domain.policy import OfflinePolicy, Policy
from pos.store.engine import make_engine
from pos.store.tables import coupons, inventory, locations, products, tills, users
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock

REPLICATED = (locations, tills, users, products, inventory, coupons)
"""What a pull brings to the replica that selling reads, in the order of their keys."""


def replica_engine(template: Path, directory: Path) -> Engine:
    """An empty, migrated SQLite store: the replica before its first pull."""
    path = directory / "replica.sqlite3"
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def pull(central: Engine, replica: Engine) -> None:
    """Copy the replicated tables from the central store, as ``pos replica init`` would."""
    with central.connect() as source:
        tables = [(table, source.execute(select(table)).mappings().all()) for table in REPLICATED]
    with replica.begin() as target:
        for table, _rows in reversed(tables):
            target.execute(delete(table))
        for table, rows in tables:
            if rows:
                target.execute(insert(table), [dict(row) for row in rows])


def offline_uow(engine: Engine, clock: FakeClock, **policy: Any) -> UnitOfWork:
    """A unit of work on a replica, under an offline policy changed by ``policy``."""
    return UnitOfWork(engine, clock, Policy(offline=OfflinePolicy(**policy)), offline=True)
