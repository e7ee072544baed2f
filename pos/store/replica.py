"""The till's replica: a local SQLite copy of what it needs from the central store to sell
on when the central store cannot be reached (DESIGN.md §5).

It is the file ``replica.sqlite3`` in the till's data directory, readable by its user only
(it holds the cashiers' PIN hashes), with the schema of any store (the same migrations).
``pos.sync.replica`` builds and refreshes it; this module opens it and says, as a
``ReplicaFault`` naming the way out (``pos replica init``), why it cannot be used: missing,
held by another process, damaged, or made by another version of Kasa. A replica that
opens is never an empty catalogue passed off as a real one: it was built to the end (it
is renamed into place only then, with its cursor row).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from pos.domain.results import Code
from pos.store.engine import StoreTimeouts, make_engine
from pos.store.migrate import StoreFault, head_revision, upgrade

REPLICA_FILE = "replica.sqlite3"
FILE_MODE = 0o600
LOCK_WAIT = 2.0
"""Seconds to wait for another process's write on the replica before calling it locked."""


class ReplicaFault(StoreFault):
    """The replica cannot be used; ``error`` says why and to run ``pos replica init``."""


def replica_path(data_directory: Path) -> Path:
    """Where the till keeps its replica in ``data_directory``."""
    return data_directory / REPLICA_FILE


def replica_url(path: Path) -> str:
    return f"sqlite:///{path}"


def create_replica_file(path: Path, *, timeouts: StoreTimeouts | None = None) -> Engine:
    """A new, empty, migrated store at ``path`` (which must not exist), mode 0600: its
    journal files take the same mode from it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    os.chmod(path, FILE_MODE)  # whatever the umask left
    engine = make_engine(replica_url(path), timeouts=timeouts)
    upgrade(engine)
    return engine


def open_replica(path: Path, *, timeouts: StoreTimeouts | None = None) -> Engine:
    """The replica's engine, after checking it can be used; ``ReplicaFault`` if not."""
    check_replica(path)
    return make_engine(replica_url(path), timeouts=timeouts)


def check_replica(path: Path) -> None:
    """Raise ``ReplicaFault`` unless ``path`` is a whole replica of this Kasa's schema that
    this process may write."""
    shown = str(path)
    if not path.is_file():
        raise ReplicaFault(Code.REPLICA_MISSING, path=shown)
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=LOCK_WAIT, isolation_level=None
        )
    except sqlite3.Error as error:
        raise ReplicaFault(Code.REPLICA_CORRUPT, path=shown, reason=str(error)) from error
    try:
        _check_open(connection, shown)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise ReplicaFault(Code.REPLICA_LOCKED, path=shown) from error
        raise ReplicaFault(Code.REPLICA_CORRUPT, path=shown, reason=str(error)) from error
    except sqlite3.DatabaseError as error:  # "file is not a database", "malformed"
        raise ReplicaFault(Code.REPLICA_CORRUPT, path=shown, reason=str(error)) from error
    finally:
        connection.close()


def _check_open(connection: sqlite3.Connection, shown: str) -> None:
    verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise ReplicaFault(Code.REPLICA_CORRUPT, path=shown, reason=verdict)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if "alembic_version" not in tables:
        raise ReplicaFault(Code.REPLICA_CORRUPT, path=shown, reason="no schema")
    schema = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    wanted = head_revision()
    if schema is None or schema[0] != wanted:
        # Not migrated in place: the pulls since it was built did not bring the columns
        # a newer schema added, so only a rebuild makes it whole.
        found = schema[0] if schema else "-"
        raise ReplicaFault(Code.REPLICA_OLD_SCHEMA, path=shown, schema=found, wanted=wanted)
    if connection.execute("SELECT 1 FROM replica_cursor").fetchone() is None:
        raise ReplicaFault(Code.REPLICA_CORRUPT, path=shown, reason="never built to the end")
    # The till writes it (pulls, sales made offline): another process holding its write
    # lock past the wait would stop the till at its first sale.
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("ROLLBACK")
