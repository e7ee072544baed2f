"""Engines per dialect, set up as DESIGN.md §2 says.

SQLite: WAL so readers never block the till's writer, foreign keys on, a busy
timeout, and ``BEGIN IMMEDIATE`` for write transactions, so two writers queue at
the start instead of failing halfway with "database is locked". PostgreSQL runs
READ COMMITTED; the conditional UPDATEs in the services carry the guarantees.

Neither waits without end (DESIGN.md §5): PostgreSQL gets a connect timeout, TCP
keepalives and server-side statement, lock and idle-in-transaction timeouts, and the
till stops waiting for an answer that never comes; SQLite gives up on another writer
after its busy timeout. ``store_failure`` says which of those a driver error was.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sqlite3
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.errors import _WaitTimeout
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError

from pos.domain.results import Code

BUSY_TIMEOUT_MS = 10_000
MMAP_BYTES = 256 << 20
READ_ONLY = "kasa_read_only"
"""Execution option: the transaction only reads, so SQLite need not take the write lock."""
REPLICA = "kasa_replica"
"""Execution option: the transaction runs on the till's replica while it sells offline."""
UNTIMED = "kasa_untimed"
"""Execution option: the connection's transactions run without the statement timeout (a
migration), where the till sets its settings per transaction (``pooled``)."""


@dataclass(frozen=True)
class StoreTimeouts:
    """How long the till waits on its store before it says so, in seconds.

    A few seconds each (DESIGN.md §5): a till on a central store that has gone hears it
    within ``answer`` seconds and sells on its replica instead of hanging. Each is a
    setting (``[database] *_timeout_seconds``)."""

    connect: float = 3.0
    """PostgreSQL: to open a connection."""
    statement: float = 5.0
    """PostgreSQL: the server cancels a statement that runs longer."""
    lock: float = 5.0
    """PostgreSQL: the server stops a statement waiting this long for another till's rows."""
    idle_in_transaction: float = 4.0
    """PostgreSQL: the server ends a session that leaves its transaction open this long (a
    till that vanished mid-sale), which frees its rows. Shorter than ``lock``, so a till
    waiting for those rows gets them instead of giving up."""
    keepalive: float = 3.0
    """PostgreSQL: silence on the connection after which TCP asks whether the server is there."""
    busy: float = BUSY_TIMEOUT_MS / 1000
    """SQLite: how long a writer waits for another process's write to finish."""

    @property
    def answer(self) -> float:
        """PostgreSQL: how long the till waits for any answer before it gives the connection
        up. Past the statement timeout, so the server's own refusal arrives first when it can."""
        return self.statement + self.connect


def make_engine(
    url: str | URL,
    *,
    timeouts: StoreTimeouts | None = None,
    pooled: bool = False,
    **engine_options: Any,
) -> Engine:
    """An engine for ``url`` with the per-dialect set-up; built at start-up, never at import.

    ``pooled``: the PostgreSQL URL reaches the store through a pooler in transaction mode
    (PgBouncer, ``[database] transaction_pooled``), which hands each transaction whichever
    server connection is free. Nothing may then outlive a transaction: the server settings
    are sent with every transaction (``SET LOCAL``) instead of once at connect, and
    statements are never prepared on the server (psycopg prepares a statement it has run
    five times, under a name another server connection does not know)."""
    url = make_url(url)
    timeouts = timeouts or StoreTimeouts()
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, timeouts, **engine_options)
    if url.get_backend_name() == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return _postgresql_engine(url, timeouts, pooled, **engine_options)
    raise ValueError(f"unsupported database {url.get_backend_name()!r}: use SQLite or PostgreSQL")


def store_failure(error: DBAPIError) -> Code | None:
    """``STORE_BUSY`` or ``STORE_UNREACHABLE`` for a driver error that says the store is
    busy or gone (try again later), None for any other (a fault in the code, not the store)."""
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        if original.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return Code.STORE_BUSY
        return None
    if not isinstance(original, psycopg.Error):
        return None
    state = original.sqlstate or ""
    if state in _PG_BUSY:
        return Code.STORE_BUSY
    if state in _PG_GONE:  # the idle-in-transaction timeout comes as an InternalError
        return Code.STORE_UNREACHABLE
    if not isinstance(original, psycopg.OperationalError):
        return None
    if error.connection_invalidated or not state or state.startswith("08"):
        return Code.STORE_UNREACHABLE
    return None


_PG_BUSY = frozenset(
    {
        "55P03",  # lock_not_available: lock_timeout
        "57014",  # query_canceled: statement_timeout
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
    }
)
_PG_GONE = frozenset(
    {
        "25P03",  # idle_in_transaction_session_timeout
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now
        "57P05",  # idle_session_timeout
    }
)


class _AnsweringConnection(psycopg.Connection[Any]):
    """A connection that stops waiting for a server gone silent (a pulled cable, a switch
    dropping packets), where the server's own timeouts can no longer reach the till."""

    answer_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is None:
            timeout = self.answer_timeout
        try:
            return super().wait(gen, interval, timeout)
        except _WaitTimeout:
            # The protocol stopped halfway: the connection can never be used again.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the store did not answer within {self.answer_timeout:g} s"
            ) from None


@dataclass
class _Links:
    """The connections an engine holds open to PostgreSQL, and whether it tries at all."""

    open: weakref.WeakSet[psycopg.Connection[Any]] = field(default_factory=weakref.WeakSet)
    refused: bool = False
    pooled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_LINKS: weakref.WeakKeyDictionary[Engine, _Links] = weakref.WeakKeyDictionary()


def sever(engine: Engine) -> int:
    """Give up on the store at once (the till has gone offline): shut every connection
    ``engine`` holds open, so a call waiting on a silent server answers now instead of
    after its timeouts, and refuse new ones until ``reconnect``. How many were shut."""
    links = _LINKS.get(engine)
    if links is None:
        return 0
    with links.lock:
        links.refused = True
        connections = list(links.open)
    shut = 0
    for connection in connections:
        with contextlib.suppress(OSError, psycopg.Error):
            # The socket itself, under the thread that waits on it: it wakes to an error.
            with socket.socket(fileno=os.dup(connection.pgconn.socket)) as link:
                link.shutdown(socket.SHUT_RDWR)
            shut += 1
    return shut


def is_pooled(engine: Engine) -> bool:
    """Whether ``engine`` reaches PostgreSQL through a pooler in transaction mode, so it
    sets the server's settings per transaction (see ``make_engine``)."""
    links = _LINKS.get(engine)
    return links is not None and links.pooled


def reconnect(engine: Engine) -> None:
    """Try the store again after ``sever``."""
    links = _LINKS.get(engine)
    if links is not None:
        with links.lock:
            links.refused = False


def server_settings(timeouts: StoreTimeouts) -> dict[str, str]:
    """What every session of the till sets on the server: its timeouts, and no JIT."""
    return {
        "statement_timeout": str(_ms(timeouts.statement)),
        "lock_timeout": str(_ms(timeouts.lock)),
        "idle_in_transaction_session_timeout": str(_ms(timeouts.idle_in_transaction)),
        # A till's statements take milliseconds: compiling one with JIT takes longer than
        # running it (a name search whose rows PostgreSQL overestimates: 6 ms, 0.4 ms without).
        "jit": "off",
    }


def _postgresql_engine(
    url: URL, timeouts: StoreTimeouts, pooled: bool, **engine_options: Any
) -> Engine:
    settings = server_settings(timeouts)
    connect_args: dict[str, Any] = {
        "connect_timeout": max(2, math.ceil(timeouts.connect)),  # libpq's least is 2 s
        "keepalives": 1,
        "keepalives_idle": max(1, math.ceil(timeouts.keepalive)),
        "keepalives_interval": 1,
        "keepalives_count": 3,
        # Data sent but never acknowledged (the cable is out) ends the connection too.
        "tcp_user_timeout": _ms(timeouts.answer),
    }
    if pooled:
        # PgBouncer refuses the startup "options", and a session SET would stay on a server
        # connection other tills get next: each transaction sets them itself, as it begins.
        connect_args["prepare_threshold"] = None
    else:
        given_options = url.query.get("options")
        session = " ".join(f"-c {name}={value}" for name, value in settings.items())
        connect_args["options"] = f"{given_options} {session}" if given_options else session
    connect_args.update(engine_options.pop("connect_args", {}))
    engine = create_engine(
        url,
        isolation_level="READ COMMITTED",
        pool_pre_ping=True,
        connect_args=connect_args,
        **engine_options,
    )

    links = _LINKS[engine] = _Links(pooled=pooled)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        if links.refused:
            raise psycopg.OperationalError("the till is offline: the central store is not tried")
        connection = _AnsweringConnection.connect(*cargs, **cparams)
        connection.answer_timeout = timeouts.answer
        with links.lock:
            links.open.add(connection)
        return connection

    if pooled:
        # Utility statements only: they take no snapshot, so a SET TRANSACTION ISOLATION
        # LEVEL may still follow. One round trip, after psycopg's BEGIN.
        timed, untimed = (
            "; ".join(f"SET LOCAL {name} = {value}" for name, value in chosen.items())
            for chosen in (settings, {**settings, "statement_timeout": "0"})
        )

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            driver = connection.connection.driver_connection
            set_locally = untimed if connection.get_execution_options().get(UNTIMED) else timed
            try:
                driver.execute(set_locally)
            except psycopg.Error as error:
                raise DBAPIError.instance(set_locally, (), error, psycopg.Error) from error

    return engine


def _sqlite_engine(url: URL, timeouts: StoreTimeouts, **engine_options: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **engine_options)
    busy_ms = _ms(timeouts.busy)

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
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        try:
            # Straight to the driver: this runs once per use case, on the till's hot path.
            connection.connection.driver_connection.execute(statement)
        except sqlite3.Error as error:
            # As SQLAlchemy would raise it, so callers see one kind of error ("database is
            # locked" when another process held the write lock past the busy timeout).
            raise DBAPIError.instance(statement, (), error, sqlite3.Error) from error

    return engine


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
