"""Engines per dialect, set up as DESIGN.md §2 says.

SQLite: WAL so readers never block the till's writer, foreign keys on, a busy
timeout, and ``BEGIN IMMEDIATE`` for write transactions, so two writers queue at
the start instead of failing halfway with "database is locked". PostgreSQL runs
READ COMMITTED; the conditional UPDATEs in the services carry the guarantees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url

BUSY_TIMEOUT_MS = 10_000
MMAP_BYTES = 256 << 20
READ_ONLY = "kasa_read_only"
"""Execution option: the transaction only reads, so SQLite need not take the write lock."""


def make_engine(url: str | URL, **engine_options: Any) -> Engine:
    """An engine for ``url`` with the per-dialect set-up; built at start-up, never at import."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **engine_options)
    if url.get_backend_name() == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return create_engine(
            url, isolation_level="READ COMMITTED", pool_pre_ping=True, **engine_options
        )
    raise ValueError(f"unsupported database {url.get_backend_name()!r}: use SQLite or PostgreSQL")


def _sqlite_engine(url: URL, **engine_options: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **engine_options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below instead of pysqlite's
        # own implicit BEGIN, which would always be DEFERRED.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                # Read a large catalogue through the OS page cache, not 2 MB of SQLite's.
                cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        # Straight to the driver: this runs once per use case, on the till's hot path.
        connection.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
