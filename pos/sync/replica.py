"""Building a till's replica from the central store and keeping it fresh (DESIGN.md §5).

**What a pull may take, exactly.** A central sequence number is taken when a row is
written, not when its transaction commits: a transaction holding a *lower*
``change_seq`` can commit *after* a pull has read a higher one, so a plain
``change_seq > cursor`` would skip that row for ever. Nor is it enough to take only rows
whose transaction is below the snapshot's ``xmin``: a transaction with a low id may write
its row late, after one with a higher id wrote a lower number, and still commit first.

So each row also carries ``change_xid``, its writer's (top-level, 64-bit, never
wrapping) transaction id, and the cursor is a *window of transaction ids*:

* ``window_start`` (W): every row version written by a transaction with an id below W is
  in the replica, or was replaced by a later version.
* A pull starts by reading H = ``pg_snapshot_xmin(pg_current_snapshot())`` from a snapshot
  S0: every transaction with an id below H had ended when S0 was taken, and every one
  still running or started since has an id of at least H.
* It then reads every row with ``change_xid >= W``, in ``(change_xid, change_seq)``
  order, batch after batch from its last position, each batch in any later snapshot. When
  none is left, W becomes H.

Why nothing is lost: take a version V written by transaction X, W <= X < H. X had ended at
S0, so if it committed, V is visible at S0, until a later version replaces it; a later
version is written by a transaction running at S0 or after it, whose id is at least H. The
scan's position only grows and V keeps its place (X, seq) while it is there, so the scan
either reads V or V was replaced by a version with an id >= H, which is >= the next W and
so read by the next pull. Versions below W hold by induction: the build copies everything
visible in its own snapshot and starts W at that snapshot's ``xmin``. Versions at H or
above that this pull reads anyway are read again by the next one: applying a row is an
upsert by primary key, so twice is once. Nothing here reads a clock.

``change_seq`` orders the rows of one transaction (the order it wrote them) and, with the
id, gives each version one place in one order over all the replicated tables; one cursor
row in the replica keeps W, H and the position, so a batch's rows and the position after
them are one local transaction and a pull killed anywhere resumes where it stopped. (One
cursor rather than one per table: the tables are read in the order they were written, so
an order's product arrives before its stock row, and the status is one line.)

Foreign keys are not checked while rows arrive: between two pulls the replica may hold a
stock row whose product's newer version is still to come; the central store checked them.
A unique value moving from one row to another (a barcode given to another product) is
applied by replacing the row that held it, which gets its own newer version in the same or
the next pull. The till's own tables (carts, orders, the outbox) are never written here,
and a till's receipt series never goes down: offline the till numbers on from its last
receipt, and the central store's copy catches up only when those sales arrive.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Boolean, Column, Connection, Engine, Table, func, select

from pos.domain.catalogue import search_words
from pos.domain.results import Code, Err, Ok, Result
from pos.services._support import use_case
from pos.store.engine import READ_ONLY
from pos.store.migrate import check_not_newer, head_revision
from pos.store.models import (
    REPLICATED,
    Product,
    ReplicaCursor,
    TillRow,
    UTCDateTime,
    table_of,
)
from pos.store.replica import create_replica_file
from pos.store.snapshot import sync_directory, sync_file

Progress = Callable[[int, int], None]
"""Called with the rows copied so far and the rows to copy in all."""

BATCH = 5_000
BUILD_CHUNK = 20_000
BUILD_STATEMENT_TIMEOUT_S = 300
"""The central store's limit on the build's read of a million products (the till's own
statements keep their few seconds)."""

_TABLES: tuple[Table, ...] = tuple(table_of(model) for model in REPLICATED)
_PRODUCTS = "products"
_TILLS = "tills"


@dataclass(frozen=True)
class BuildReport:
    path: Path
    rows: int
    """Rows copied from the central store (not counting the search words made here)."""
    window_start: int
    seconds: float


@dataclass(frozen=True)
class PullReport:
    rows: int
    batches: int
    window_start: int
    """The cursor after the pull: every central transaction below it is in the replica."""


@dataclass(frozen=True)
class ReplicaStatus:
    central_schema: str
    built_at: datetime
    window_start: int
    """The cursor (see the module's docstring)."""
    pulling: bool
    """A pull began and has not finished (it resumes at the next)."""
    pulled_at: datetime | None
    rows_pulled: int
    rows: Mapping[str, int]
    """Rows in each replicated table."""


# -- reading the central store -------------------------------------------------------


def _expression(column: Column[Any]) -> str:
    """The column as the central store sends it: already in SQLite's representation."""
    name = f'"{column.name}"'
    if isinstance(column.type, UTCDateTime):
        # As SQLAlchemy stores an instant on SQLite: naive UTC text with microseconds.
        return f"to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    if isinstance(column.type, Boolean):
        return f"{name}::int"
    return name


def _select(table: Table) -> str:
    # Names from the models, never from input.
    columns = ", ".join(_expression(c) for c in table.columns)
    return f"SELECT {columns} FROM {table.name}"  # noqa: S608


def _insert(table: Table, *, replace: bool) -> str:
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    return f"{verb} INTO {table.name} ({names}) VALUES ({', '.join('?' * len(table.columns))})"


_XID = {table.name: list(table.columns.keys()).index("change_xid") for table in _TABLES}
_SEQ = {table.name: list(table.columns.keys()).index("change_seq") for table in _TABLES}
_PRODUCT_ID = list(table_of(Product).columns.keys()).index("id")
_PRODUCT_NAME = list(table_of(Product).columns.keys()).index("name")
_TILL_COLUMNS = list(table_of(TillRow).columns.keys())
_TILL_ID = _TILL_COLUMNS.index("id")
_SERIES = tuple(_TILL_COLUMNS.index(name) for name in ("last_receipt_number", "last_return_number"))


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _snapshot_xmin(connection: Connection) -> int:
    found = connection.exec_driver_sql(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    ).scalar_one()
    return int(found)


# -- the replica's side --------------------------------------------------------------


def _sqlite_time(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _words(products: Iterable[Sequence[Any]]) -> list[tuple[str, int]]:
    """The search-index rows of these products: ``search_words`` of each name."""
    return [
        (word, int(row[_PRODUCT_ID]))
        for row in products
        for word in name_words(str(row[_PRODUCT_NAME]))
    ]


def name_words(name: str) -> list[str]:
    """``search_words(name)``, the same list, made from the words of each space-separated
    piece of the name, which a catalogue repeats a million times ("1", "kg", "Süt").

    The same because every step of ``search_words`` (folding, lower case, decomposition,
    dropping accents) changes one character at a time, a word never spans white space
    (``_WORD`` takes none), and the pieces' words are joined in order without repeats.
    """
    words: list[str] = []
    for piece in name.split():
        for word in _piece_words(piece):
            if word not in words:
                words.append(word)
    return words


@functools.lru_cache(maxsize=1 << 16)
def _piece_words(piece: str) -> tuple[str, ...]:
    return tuple(search_words(piece))


def _unsent(path: Path) -> int:
    """Records of the till's own still to send in the replica at ``path`` (0 if it has
    none, or is not a replica anyone could read)."""
    if not path.is_file():
        return 0
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = connection.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            return int(found.fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _take_out(path: Path) -> bool:
    """Make way for a new replica at ``path``: False if another process still has the old
    one open (its journal cannot be folded back while it does)."""
    if path.is_file():
        try:
            connection = sqlite3.connect(path, timeout=1.0, isolation_level=None)
            try:
                # Leaving WAL needs the file to itself: the proof no till has it open,
                # and the -wal of the old file can then never be read into the new one.
                connection.execute("PRAGMA journal_mode=DELETE").fetchall()
                mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            finally:
                connection.close()
            if mode != "delete":
                return False
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return False
        except sqlite3.DatabaseError:
            pass  # not a database at all: nothing to keep
    for leftover in _sidecars(path):
        leftover.unlink(missing_ok=True)
    return True


# -- building ------------------------------------------------------------------------


@use_case
def build_replica(
    central: Engine, path: Path, *, progress: Progress | None = None, force: bool = False
) -> Result[BuildReport]:
    """Copy every replicated row of the central PostgreSQL into a new replica at ``path``.

    It is built as ``<path>.building`` and renamed into place once whole, so a replica is
    never half a catalogue. Refused while the old replica holds the till's unsent records
    (``REPLICA_HAS_UNSENT``: rebuilding would lose them) unless ``force``, and while
    another process has it open (``REPLICA_LOCKED``).
    """
    if central.dialect.name != "postgresql":
        return Err(Code.REPLICA_NEEDS_CENTRAL, {"url": central.url.render_as_string()})
    unsent = 0 if force else _unsent(path)
    if unsent:
        return Err(Code.REPLICA_HAS_UNSENT, {"count": unsent})
    started = time.perf_counter()
    building = path.with_name(path.name + ".building")
    building.unlink(missing_ok=True)
    for leftover in _sidecars(building):
        leftover.unlink(missing_ok=True)
    create_replica_file(building).dispose()
    try:
        try:
            copied = _copy_into(central, building, progress)
        except psycopg.OperationalError:  # from the bare driver's COPY: not wrapped
            building.unlink(missing_ok=True)
            return Err(Code.STORE_UNREACHABLE)
        if isinstance(copied, Err):
            building.unlink(missing_ok=True)
            return copied
        rows, window_start = copied
        sync_file(building)
        if not _take_out(path):
            building.unlink()
            return Err(Code.REPLICA_LOCKED, {"path": str(path)})
        os.replace(building, path)
        sync_directory(path.parent)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    return Ok(BuildReport(path, rows, window_start, time.perf_counter() - started))


def _copy_into(central: Engine, building: Path, progress: Progress | None) -> tuple[int, int] | Err:
    target = sqlite3.connect(building, isolation_level=None)
    try:
        # A file no till reads until it is renamed into place: no journal, no syncs.
        for pragma in (
            "PRAGMA journal_mode=OFF",
            "PRAGMA synchronous=OFF",
            "PRAGMA foreign_keys=OFF",
            "PRAGMA cache_size=-1048576",
            "PRAGMA temp_store=MEMORY",
        ):
            target.execute(pragma).fetchall()
        with central.connect().execution_options(isolation_level="REPEATABLE READ") as source:
            source.exec_driver_sql(f"SET LOCAL statement_timeout = '{BUILD_STATEMENT_TIMEOUT_S}s'")
            schema = check_not_newer(source) or "-"
            if schema != head_revision():  # its tables lack what the replica's have
                return Err(Code.STORE_SCHEMA_TOO_OLD, {"schema": schema, "wanted": head_revision()})
            window_start = _snapshot_xmin(source)  # the snapshot every COPY below reads
            counts = {table.name: _count(source, table) for table in _TABLES}
            total = sum(counts.values())
            done = 0
            driver = source.connection.driver_connection
            assert driver is not None
            target.execute("BEGIN")
            later = _drop_indexes(target)
            for table in reversed(_TABLES):  # what the migrations put there (the first till)
                target.execute(f"DELETE FROM {table.name}")  # noqa: S608 (the models' names)
            for table in _TABLES:
                for chunk in _copied(driver, table):
                    target.executemany(_insert(table, replace=False), chunk)
                    if table.name == _PRODUCTS:
                        target.executemany("INSERT INTO product_words VALUES (?, ?)", _words(chunk))
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            source.rollback()
        for statement in later:  # each index made in one sorted pass, not row by row
            target.execute(statement)
        target.execute(
            "INSERT INTO replica_cursor (id, window_start, central_schema, built_at, rows_pulled)"
            " VALUES (1, ?, ?, ?, 0)",
            (window_start, schema, _sqlite_time(datetime.now(UTC))),
        )
        target.execute("COMMIT")
        target.execute("PRAGMA journal_mode=WAL").fetchall()
    finally:
        target.close()
    return done, window_start


def _drop_indexes(target: sqlite3.Connection) -> list[str]:
    """Drop the indexes of the tables the build fills that are not constraints; the
    statements that make them again."""
    filled = {table.name for table in _TABLES} | {"product_words"}
    indexes = [
        (name, sql)
        for name, table, sql in target.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        if table in filled
    ]
    for name, _ in indexes:
        target.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in indexes]


def _copied(driver: Any, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows in chunks, streamed by ``COPY ... TO STDOUT`` as text; SQLite's
    column affinity makes numbers of the digits (the text is already SQLite's)."""
    with driver.cursor() as cursor, cursor.copy(f"COPY ({_select(table)}) TO STDOUT") as copy:
        chunk: list[tuple[Any, ...]] = []
        for row in copy.rows():
            chunk.append(row)
            if len(chunk) == BUILD_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


# -- pulling -------------------------------------------------------------------------


@use_case
def pull(central: Engine, replica: Engine, *, batch: int = BATCH) -> Result[PullReport]:
    """Apply the central store's changes since the last pull to the replica, ``batch``
    rows and the cursor after them in each local transaction (see the module's docstring).
    """
    if batch < 1:
        raise ValueError("a batch holds one row at least")
    with replica.connect() as local:
        sqlite = local.connection.driver_connection
        assert isinstance(sqlite, sqlite3.Connection)
        cursor = _cursor(sqlite)
        if cursor is None:
            return Err(Code.REPLICA_CORRUPT, {"path": replica.url.database, "reason": "no cursor"})
        window_start, window_end, position = cursor
        rows = batches = 0
        with central.connect() as source:
            if window_end is None:
                window_end = _snapshot_xmin(source)
                source.rollback()
                _write(sqlite, "UPDATE replica_cursor SET window_end = ?", (window_end,))
            if position is None:
                position = (window_start, -1)
            while True:
                changed = _changes(source, position, batch)
                source.rollback()  # no snapshot held open while the replica writes
                if not changed:
                    break
                position = (changed[-1][0], changed[-1][1])
                _apply(sqlite, changed, position)
                rows += len(changed)
                batches += 1
        _write(
            sqlite,
            "UPDATE replica_cursor SET window_start = ?, window_end = NULL, position_xid = NULL,"
            " position_seq = NULL, pulled_at = ?",
            (window_end, _sqlite_time(datetime.now(UTC))),
        )
    return Ok(PullReport(rows, batches, window_end))


Change = tuple[int, int, Table, tuple[Any, ...]]


def _changes(source: Connection, position: tuple[int, int], batch: int) -> list[Change]:
    """The next ``batch`` row versions after ``position``, over all the tables, in order."""
    found: list[Change] = []
    for table in _TABLES:
        result = source.exec_driver_sql(
            f"{_select(table)} WHERE (change_xid, change_seq) > (%s, %s)"
            " ORDER BY change_xid, change_seq LIMIT %s",
            (position[0], position[1], batch),
        )
        xid, seq = _XID[table.name], _SEQ[table.name]
        found.extend((row[xid], row[seq], table, tuple(row)) for row in result)
    found.sort(key=lambda change: (change[0], change[1]))
    return found[:batch]


def _apply(sqlite: sqlite3.Connection, changed: list[Change], position: tuple[int, int]) -> None:
    sqlite.execute("PRAGMA foreign_keys=OFF")
    try:
        sqlite.execute("BEGIN IMMEDIATE")
        try:
            # Row by row in their order: a unique code moving between two rows of one
            # table must land in the order it moved.
            for table, rows in _runs(changed):
                renamed = _renamed(sqlite, rows) if table.name == _PRODUCTS else []
                if table.name == _TILLS:
                    rows = _own_series_kept(sqlite, rows)
                sqlite.executemany(_insert(table, replace=True), rows)
                if renamed:  # new products and new names get their search words anew
                    sqlite.executemany(
                        "DELETE FROM product_words WHERE product_id = ?",
                        [(row[_PRODUCT_ID],) for row in renamed],
                    )
                    sqlite.executemany("INSERT INTO product_words VALUES (?, ?)", _words(renamed))
            sqlite.execute(
                "UPDATE replica_cursor SET position_xid = ?, position_seq = ?,"
                " rows_pulled = rows_pulled + ?",
                (*position, len(changed)),
            )
            sqlite.execute("COMMIT")
        except BaseException:
            sqlite.execute("ROLLBACK")
            raise
    finally:
        sqlite.execute("PRAGMA foreign_keys=ON")


def _own_series_kept(
    sqlite: sqlite3.Connection, rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The tills' rows with receipt numbers never below the replica's: a till owns its
    series and continues it offline (DESIGN.md §5); the central store only ever raises its
    copy to the highest number the till sent, so a pull must never lower it."""
    kept = []
    for row in rows:
        local = sqlite.execute(
            "SELECT last_receipt_number, last_return_number FROM tills WHERE id = ?",
            (row[_TILL_ID],),
        ).fetchone()
        if local is not None:
            row = tuple(
                max(int(value), int(local[_SERIES.index(i)])) if i in _SERIES else value
                for i, value in enumerate(row)
            )
        kept.append(row)
    return kept


def _renamed(sqlite: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The product rows whose name the replica does not have yet (new ones included)."""
    ids = json.dumps([int(row[_PRODUCT_ID]) for row in rows])
    names = dict(
        sqlite.execute(
            "SELECT id, name FROM products WHERE id IN (SELECT value FROM json_each(?))", (ids,)
        ).fetchall()
    )
    return [row for row in rows if names.get(int(row[_PRODUCT_ID])) != row[_PRODUCT_NAME]]


def _runs(changed: list[Change]) -> Iterator[tuple[Table, list[tuple[Any, ...]]]]:
    """The changes as runs of one table each, in their order."""
    run: list[tuple[Any, ...]] = []
    current: Table | None = None
    for _, _, table, row in changed:
        if table is not current and run:
            assert current is not None
            yield current, run
            run = []
        current = table
        run.append(row)
    if run:
        assert current is not None
        yield current, run


def _cursor(sqlite: sqlite3.Connection) -> tuple[int, int | None, tuple[int, int] | None] | None:
    row = sqlite.execute(
        "SELECT window_start, window_end, position_xid, position_seq FROM replica_cursor"
    ).fetchone()
    if row is None:
        return None
    position = None if row[2] is None else (int(row[2]), int(row[3]))
    return int(row[0]), row[1], position


def _write(sqlite: sqlite3.Connection, statement: str, params: tuple[Any, ...]) -> None:
    sqlite.execute("BEGIN IMMEDIATE")
    try:
        sqlite.execute(statement, params)
        sqlite.execute("COMMIT")
    except BaseException:
        sqlite.execute("ROLLBACK")
        raise


# -- status --------------------------------------------------------------------------


def replica_status(replica: Engine) -> ReplicaStatus | None:
    """Where the replica stands; None if it was never built to the end."""
    with replica.execution_options(**{READ_ONLY: True}).connect() as local:
        row = local.execute(table_of(ReplicaCursor).select()).first()
        if row is None:
            return None
        counts = {table.name: _count(local, table) for table in _TABLES}
    return ReplicaStatus(
        central_schema=row.central_schema,
        built_at=row.built_at,
        window_start=row.window_start,
        pulling=row.window_end is not None,
        pulled_at=row.pulled_at,
        rows_pulled=row.rows_pulled,
        rows=counts,
    )
