"""Many short transactions sent to PostgreSQL at once, each its own transaction.

A ``Burst`` queues prepared statements (``pos.store.prepared.Prepared``) on one
connection and ends a transaction with ``end()``; ``run()`` sends them all in one
pipeline (libpq's pipeline mode, through psycopg's own non-blocking generators and the
connection's answer timeout) and answers, per transaction, whether it committed.

Each transaction is the statements between two syncs: PostgreSQL runs them as one
implicit transaction, committed at the sync, or rolled back whole at its first error,
the statements after that error skipped up to the sync. So the transactions go to the
server back to back, without a round trip each, and one that fails fails alone: what
comes after it runs (it may be written to fail in turn, when it depended on it).

Statements are prepared on the connection once, on first use, named after their SQL.
The parameters go as text, typed by the statement (its casts and its columns).

The disk is waited for once per burst, not once per transaction: each commits without
waiting for its WAL to reach the disk (``synchronous_commit`` off, for that transaction
only), and the burst ends with a transaction of its own that commits waiting for it,
which puts every commit before it on the disk too (the WAL is written in order). Only
then does ``run`` answer, so a transaction it answers committed is on the disk; a server
that crashes before loses the burst's last commits whole, never one out of order, and
none of them was answered yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.generators import fetch_many, send
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from pos.store.prepared import Prepared, placeholders

_LAZY = (b"pos_lazy_commit", b"SELECT set_config('synchronous_commit', 'off', true)")
"""First in each transaction: its commit does not wait for the disk."""
_DURABLE = (b"pos_durable", b"SELECT txid_current()")
"""The burst's last transaction: it takes a transaction id, so its commit waits for the
disk, for itself and every commit before it."""
_PREPARED = "pos.burst.prepared"
"""The names prepared on a driver connection (kept in its pool record's ``info``)."""


@dataclass(frozen=True)
class Failed:
    """A transaction of the burst that did not commit: the first error's SQLSTATE and text."""

    sqlstate: str
    message: str


class Burst:
    """Transactions queued on ``connection`` (PostgreSQL, outside any transaction)."""

    def __init__(self, connection: Connection) -> None:
        assert connection.dialect.name == "postgresql"
        self._dialect = connection.dialect
        self._record = connection.connection
        driver = self._record.driver_connection
        assert driver is not None
        self._driver: Any = driver
        self._pgconn = driver.pgconn
        self._dumper = Transformer(driver)
        self._prepared: set[bytes] = self._record.info.setdefault(_PREPARED, set())
        self._statements: list[tuple[bytes, list[Any]]] = []
        self._preparing: dict[bytes, bytes] = {}
        self._ends: list[int] = []
        """Per transaction, how many statements it has (so far)."""
        self._count = 0

    def __len__(self) -> int:
        return len(self._ends)

    def send(self, statement: Prepared[Any], params: Mapping[str, Any]) -> None:
        """Queue ``statement`` in the transaction being built."""
        sql, names = placeholders(statement, self._dialect)
        name = b"pos_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest().encode()
        if name not in self._prepared and name not in self._preparing:
            self._preparing[name] = sql.encode()
        values = statement.arguments(self._dialect, params)
        self._statements.append((name, [values[n] for n in names]))
        self._count += 1

    def end(self) -> None:
        """End the transaction being built: its statements commit together or not at all."""
        self._ends.append(self._count)
        self._count = 0

    def run(self) -> list[Failed | None]:
        """Send everything queued, in order; per transaction None (committed) or why not.

        A connection that fails on the way raises (as SQLAlchemy's ``DBAPIError``): which
        transactions committed before is then unknown."""
        assert self._count == 0, "a transaction was left without its end"
        pgconn, driver = self._pgconn, self._driver
        if driver.info.transaction_status != pq.TransactionStatus.IDLE:
            driver.rollback()
        base = self._dialect.loaded_dbapi.Error
        try:
            pgconn.enter_pipeline_mode()
            try:
                answers = self._talk(pgconn, driver)
            finally:
                if pgconn.status == pq.ConnStatus.OK:
                    pgconn.exit_pipeline_mode()
        except base as error:
            raise DBAPIError.instance(None, None, error, base) from error
        self._statements.clear()
        self._ends.clear()
        return answers

    def _talk(self, pgconn: Any, driver: Any) -> list[Failed | None]:
        syncs = 0
        for name, sql in (_LAZY, _DURABLE):
            if name not in self._prepared:
                self._preparing[name] = sql
        if self._preparing:
            for name, sql in self._preparing.items():
                pgconn.send_prepare(name, sql)
            pgconn.pipeline_sync()
            syncs += 1
        dump = self._dumper.dump_sequence
        statements = iter(self._statements)
        text = PyFormat.TEXT
        for count in self._ends:
            pgconn.send_query_prepared(_LAZY[0], None)
            for _ in range(count):
                name, values = next(statements)
                pgconn.send_query_prepared(name, dump(values, [text] * len(values)))
            pgconn.pipeline_sync()
            syncs += 1
        pgconn.send_query_prepared(_DURABLE[0], None)
        pgconn.pipeline_sync()
        syncs += 1
        driver.wait(send(pgconn))
        answers: list[Failed | None] = []
        failed: Failed | None = None
        while syncs:
            results = driver.wait(fetch_many(pgconn))
            if not results:
                continue
            for result in results:
                if result.status == pq.ExecStatus.PIPELINE_SYNC:
                    answers.append(failed)
                    failed = None
                    syncs -= 1
                elif result.status == pq.ExecStatus.FATAL_ERROR and failed is None:
                    failed = Failed(
                        (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode(),
                        (result.error_message or b"").decode(errors="replace"),
                    )
        if self._preparing:
            preparing, *answers = answers
            if preparing is not None:
                raise errors.ProgrammingError(f"could not prepare: {preparing.message}")
            self._prepared.update(self._preparing)
            self._preparing.clear()
        *answers, durable = answers
        if durable is not None:
            raise errors.OperationalError(f"the burst did not reach the disk: {durable.message}")
        return answers
