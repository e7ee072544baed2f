"""The engine set-up of DESIGN.md §2 and the unit of work's transaction rules."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from pos.store.engine import BUSY_TIMEOUT_MS
from pos.store.models import Location
from pos.store.prepared import Prepared
from pos.store.uow import UnitOfWork
from tests.conftest import Store


def locations(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Location)).scalar_one()


def add_location(uow: UnitOfWork, code: str) -> None:
    uow.connection.execute(insert(Location).values(code=code, name=code))


def test_work_that_is_not_committed_is_rolled_back(uow, store: Store):
    with uow:
        add_location(uow, "depo")

    assert locations(store) == 1


def test_work_interrupted_by_an_error_is_rolled_back(uow, store: Store):
    def ring_up_then_fail() -> None:
        with uow:
            add_location(uow, "depo")
            raise RuntimeError("the till lost power")

    with pytest.raises(RuntimeError):
        ring_up_then_fail()
    assert locations(store) == 1


def test_committed_work_stays(uow, store: Store):
    with uow:
        add_location(uow, "depo")
        uow.commit()

    assert locations(store) == 2


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(store: Store):
    with store.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": BUSY_TIMEOUT_MS}


def _other_writer(store: Store) -> sqlite3.Connection:
    """A second writer on the same file that gives up at once instead of waiting."""
    return sqlite3.connect(store.url.database, timeout=0, isolation_level=None)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_sqlite_write_transaction_takes_the_write_lock_at_its_start(uow, store: Store):
    other = _other_writer(store)
    # Nothing written yet, but BEGIN IMMEDIATE already holds the lock, so a second
    # writer queues at its start instead of failing halfway through its work.
    with uow, pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_sqlite_read_only_transaction_leaves_the_write_lock_free(uow, store: Store):
    other = _other_writer(store)
    with uow.reading():
        uow.connection.execute(select(func.count()).select_from(Location)).scalar_one()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_postgresql_runs_read_committed_and_tells_the_time_from_the_database(store: Store):
    uow = UnitOfWork(store.engine)
    with uow:
        level = uow.connection.execute(text("SHOW transaction_isolation")).scalar_one()
        server_now = uow.connection.execute(select(func.now())).scalar_one()
        assert uow.now() == server_now  # the transaction's now(), not this machine's clock
    assert level == "read committed"


def test_a_prepared_statement_that_breaks_a_constraint_raises_sqlalchemys_error(uow, store: Store):
    """Prepared statements run on the driver's cursor, yet callers catch the same
    IntegrityError as from any other statement (checkout relies on it for its key)."""
    add_location = Prepared(
        insert(Location).values(code=bindparam("b_code"), name=bindparam("b_name"))
    )
    with uow, pytest.raises(IntegrityError):
        add_location.execute(uow.connection, {"b_code": "main", "b_name": "Again"})
