"""Benchmark: ringing up and removing a line through the services, against the bare driver.

One iteration is ``add_to_cart(uow, cart, product, 1)`` then ``remove_line(uow, cart,
product)``: two units of work, each reserving or releasing stock with its conditional
UPDATEs. The "floor" is the same work done with the bare DB-API driver (``sqlite3``,
``psycopg``): the same SQL statements, in the same order, with the same bound values, in
the same two transactions, touching the same rows, without SQLAlchemy or the services
around them.

The work the services do is captured during two iterations before the measurement: the
statements handed to the driver, with their parameters, and the transactions. The cart
and reservation statements run through ``pos.store.prepared.Prepared``, compiled once by
SQLAlchemy and executed straight on the driver's cursor, where SQLAlchemy's events do not
see them: for those two iterations only, ``Prepared.execute`` is wrapped so that the
driver cursor it uses records each ``execute(sql, arguments)`` (the SQL and the final,
processed arguments, exactly as the driver gets them). Whatever still goes through
SQLAlchemy (PostgreSQL's ``now()``) is seen by a ``before_cursor_execute`` listener, and
the transactions by the engine's ``begin``, ``commit`` and ``rollback`` events (on SQLite
``make_engine`` issues ``BEGIN IMMEDIATE`` in its ``begin`` hook straight on the driver
connection, where no cursor event sees it). The timed iterations run with none of this
installed. The floor is written out by hand below and checked against that capture, or
the script stops:

* the same kinds of statements in the same order, one BEGIN and one COMMIT per unit of
  work; where SQLAlchemy renders a statement differently from the text below (a cast
  after a column type change, say), the floor adopts the captured text, so both sides run
  identical SQL (the script prints how many statements are identical);
* the same bound values: a value the services bind alike in both iterations (the cart,
  the product, the location, a quantity, a status) must be the floor's too, and one that
  changes between them (an instant, a new reservation's id) must have the same type and,
  for text, the same format;
* on SQLite, what the driver itself ran (``sqlite3``'s trace callback, on both sides): the
  same transaction statements (``BEGIN IMMEDIATE``, ``COMMIT``) and the same number of
  statements; on both dialects, the same connection settings (SQLite's pragmas, such as
  WAL, ``synchronous``, ``mmap_size``, ``busy_timeout``; PostgreSQL's isolation level and
  the driver's autocommit and prepare threshold).

The pool's pre-ping on PostgreSQL (``pool_pre_ping=True`` in ``make_engine``: a
``SELECT 1`` on every checkout, so once per unit of work) is the services' overhead, not
their work: the floor does not ping, and the script says how many pings it counted.

Services and floor then run interleaved, in rounds whose order alternates, on the same
cart and product; the figures are medians of per-iteration wall time in microseconds and
the ratio services/floor (target: within 3x).

SQLite always runs (a temporary file, migrated, with the pragmas of ``make_engine``);
PostgreSQL too when ``POS_TEST_DATABASE_URL`` is set, in a fresh database of its own
(``kasa_bench_<random>``) that is dropped at the end.

Run::

    .venv/bin/python tests/benchmarks/reservations.py [--iterations 600] [--no-postgres]
    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/reservations.py
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy import URL, Connection, Engine, event, text

# The repository, for tests.benchmarks, and for pos without `pip install -e .`
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pos.domain.policy import Policy
from pos.domain.quantities import MAX_QUANTITY
from pos.domain.results import Err, Result
from pos.services.cart import add_to_cart, open_cart, remove_line
from pos.services.catalogue import ProductDraft, create_product
from pos.services.stock import receive_stock
from pos.services.users import create_user
from pos.store.engine import BUSY_TIMEOUT_MS, MMAP_BYTES, make_engine
from pos.store.migrate import upgrade
from pos.store.models import DEFAULT_LOCATION_ID, Role
from pos.store.prepared import Prepared
from pos.store.uow import UnitOfWork
from tests.benchmarks.harness import against_floor, postgres_server, summary_line
from tests.benchmarks.scratch import scratch_postgres_database

TARGET_RATIO = 3.0
STOCK = 1_000_000
BARCODE = "8690000000005"
ACTIVE = "active"
RELEASED = "released"
OPEN = "open"

BEGIN = "BEGIN"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"
"""Markers in a trace: a transaction begun, committed, rolled back (however the driver did it)."""

# ---------------------------------------------------------------------------------------
# The floor's SQL: what SQLAlchemy renders for the services' statements, written out.
# ---------------------------------------------------------------------------------------

_PRODUCT_COLUMNS = (
    "products.id, products.active, products.currency, products.price_minor, products.tax_rate_bp"
)
_SCAN_COLUMNS = f"{_PRODUCT_COLUMNS}, products.sku, products.barcode, products.name"
_LINE_COLUMNS = "cart_items.id, cart_items.product_id, cart_items.quantity"
_SUMMARY_COLUMNS = (
    "cart_items.product_id, products.sku, products.name, cart_items.quantity, "
    "cart_items.unit_price_minor, cart_items.tax_rate_bp"
)
_SUMMARY_FROM = "FROM cart_items JOIN products ON products.id = cart_items.product_id"
_HOLDS_COLUMNS = "reservations.product_id, reservations.quantity, reservations.expires_at"


@dataclass(frozen=True)
class FloorSQL:
    """One dialect's rendering of every statement one iteration runs."""

    now: str | None
    product: str
    scan: str
    """The product by barcode, as ``add_scanned`` reads it (``scan.py``)."""
    touch_cart: str
    hold: str
    line: str
    take: str
    insert_reservation: str
    insert_line: str
    release: str
    give_back: str
    delete_line: str
    summary: str
    holds: str
    """The cart's active holds, read before its lines (``summary``)."""


SQLITE_SQL = FloorSQL(
    now=None,
    product=f"SELECT {_PRODUCT_COLUMNS} \nFROM products \nWHERE products.id = ?",
    scan=f"SELECT {_SCAN_COLUMNS} \nFROM products \nWHERE products.barcode = ?",
    touch_cart=(
        "UPDATE carts SET updated_at=? WHERE carts.id = ? RETURNING id, status, currency, "
        "location_id, prices_include_tax, coupon_id, till_id, cashier_id"
    ),
    hold=(
        "UPDATE reservations SET expires_at=? WHERE reservations.cart_id = ? "
        "AND reservations.status = 'active' AND (reservations.expires_at < ? "
        "OR reservations.product_id = ?) RETURNING id, product_id, quantity"
    ),
    line=(
        f"SELECT {_LINE_COLUMNS} \nFROM cart_items \n"
        "WHERE cart_items.cart_id = ? AND cart_items.product_id = ?"
    ),
    take=(
        "UPDATE inventory SET available=(inventory.available - ?), "
        "reserved=(inventory.reserved + ?) WHERE inventory.location_id = ? "
        "AND inventory.product_id = ? AND inventory.available >= ? RETURNING product_id"
    ),
    insert_reservation=(
        "INSERT INTO reservations (cart_id, product_id, location_id, quantity, status, "
        "expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ),
    insert_line=(
        "INSERT INTO cart_items (cart_id, product_id, quantity, unit_price_minor, "
        "tax_rate_bp, added_at) VALUES (?, ?, ?, ?, ?, ?)"
    ),
    release=(
        "UPDATE reservations SET status=?, ended_at=? WHERE reservations.id = ? "
        "AND reservations.status = 'active' RETURNING location_id, product_id, quantity"
    ),
    give_back=(
        "UPDATE inventory SET available=(inventory.available + ?), "
        "reserved=(inventory.reserved - ?) WHERE inventory.location_id = ? "
        "AND inventory.product_id = ?"
    ),
    delete_line="DELETE FROM cart_items WHERE cart_items.id = ?",
    summary=(
        f"SELECT {_SUMMARY_COLUMNS} \n{_SUMMARY_FROM} \n"
        "WHERE cart_items.cart_id = ? ORDER BY cart_items.id"
    ),
    holds=(
        f"SELECT {_HOLDS_COLUMNS} \nFROM reservations \n"
        "WHERE reservations.cart_id = ? AND reservations.status = 'active'"
    ),
)

_I = "::INTEGER"
_BIG = "::BIGINT"
_TS = "::TIMESTAMP WITH TIME ZONE"
POSTGRES_SQL = FloorSQL(
    now="SELECT now() AS now_1",
    product=f"SELECT {_PRODUCT_COLUMNS} \nFROM products \nWHERE products.id = %(b_product)s{_I}",
    scan=(
        f"SELECT {_SCAN_COLUMNS} \nFROM products \nWHERE products.barcode = %(b_barcode)s::VARCHAR"
    ),
    touch_cart=(
        f"UPDATE carts SET updated_at=%(b_now)s{_TS} WHERE carts.id = %(b_cart)s{_I} "
        "RETURNING carts.id, carts.status, carts.currency, carts.location_id, "
        "carts.prices_include_tax, carts.coupon_id, carts.till_id, carts.cashier_id"
    ),
    hold=(
        f"UPDATE reservations SET expires_at=%(b_expires)s{_TS} WHERE reservations.cart_id = "
        f"%(b_cart)s{_I} AND reservations.status = 'active' AND (reservations.expires_at < "
        f"%(b_due)s{_TS} OR reservations.product_id = %(b_product)s{_I}) RETURNING "
        "reservations.id, reservations.product_id, reservations.quantity"
    ),
    line=(
        f"SELECT {_LINE_COLUMNS} \nFROM cart_items \nWHERE cart_items.cart_id = "
        f"%(b_cart)s{_I} AND cart_items.product_id = %(b_product)s{_I}"
    ),
    take=(
        f"UPDATE inventory SET available=(inventory.available - %(b_quantity)s{_BIG}), "
        f"reserved=(inventory.reserved + %(b_quantity)s{_BIG}) WHERE inventory.location_id = "
        f"%(b_location)s{_I} AND inventory.product_id = %(b_product)s{_I} AND "
        f"inventory.available >= %(b_quantity)s{_BIG} RETURNING inventory.product_id"
    ),
    insert_reservation=(
        "INSERT INTO reservations (cart_id, product_id, location_id, quantity, status, "
        f"expires_at, created_at) VALUES (%(b_cart)s{_I}, %(b_product)s{_I}, "
        f"%(b_location)s{_I}, %(b_quantity)s{_I}, %(status)s, %(b_expires)s{_TS}, "
        f"%(b_now)s{_TS}) RETURNING reservations.id"
    ),
    insert_line=(
        "INSERT INTO cart_items (cart_id, product_id, quantity, unit_price_minor, "
        f"tax_rate_bp, added_at) VALUES (%(b_cart)s{_I}, %(b_product)s{_I}, "
        f"%(b_quantity)s{_I}, %(b_price)s{_BIG}, %(b_tax_rate)s{_I}, "
        f"%(b_now)s{_TS}) RETURNING cart_items.id"
    ),
    release=(
        f"UPDATE reservations SET status=%(b_status)s, ended_at=%(b_now)s{_TS} WHERE "
        f"reservations.id = %(b_id)s{_I} AND reservations.status = 'active' RETURNING "
        "reservations.location_id, reservations.product_id, reservations.quantity"
    ),
    give_back=(
        f"UPDATE inventory SET available=(inventory.available + %(b_quantity)s{_BIG}), "
        f"reserved=(inventory.reserved - %(b_quantity)s{_BIG}) WHERE inventory.location_id = "
        f"%(b_location)s{_I} AND inventory.product_id = %(b_product)s{_I}"
    ),
    delete_line=f"DELETE FROM cart_items WHERE cart_items.id = %(b_line)s{_I}",
    summary=(
        f"SELECT {_SUMMARY_COLUMNS} \n{_SUMMARY_FROM} \n"
        f"WHERE cart_items.cart_id = %(b_cart)s{_I} ORDER BY cart_items.id"
    ),
    holds=(
        f"SELECT {_HOLDS_COLUMNS} \nFROM reservations \n"
        f"WHERE reservations.cart_id = %(b_cart)s{_I} AND reservations.status = 'active'"
    ),
)

# What make_engine sets on every SQLite connection to a file, in its order.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA mmap_size={MMAP_BYTES}",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)
# Compared between the services' connection and the floor's: whatever make_engine sets.
_SQLITE_SETTINGS = (
    "journal_mode",
    "synchronous",
    "mmap_size",
    "foreign_keys",
    "busy_timeout",
    "cache_size",
    "cache_spill",
    "temp_store",
    "locking_mode",
    "automatic_index",
    "recursive_triggers",
    "secure_delete",
    "query_only",
    "wal_autocheckpoint",
)
_POSTGRES_SETTINGS = (
    "transaction_isolation",
    "synchronous_commit",
    "TimeZone",
    "default_transaction_read_only",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "jit",
    "plan_cache_mode",
)


def sqlite_settings(connection: Any) -> dict[str, object]:
    """The pragmas and driver options in force on a ``sqlite3`` connection."""
    settings: dict[str, object] = {
        name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in _SQLITE_SETTINGS
    }
    settings["isolation_level"] = connection.isolation_level
    settings["in_transaction"] = connection.in_transaction
    return settings


def postgres_settings(connection: Any) -> dict[str, object]:
    """The session settings and driver options in force on a ``psycopg`` connection."""
    settings: dict[str, object] = {
        "autocommit": connection.autocommit,
        "isolation_level": connection.isolation_level,
        "prepare_threshold": connection.prepare_threshold,
        "cursor_factory": connection.cursor_factory.__name__,
    }
    with connection.cursor() as cursor:
        for name in _POSTGRES_SETTINGS:
            settings[name] = cursor.execute(f"SHOW {name}").fetchone()[0]
    connection.rollback()
    return settings


class Refusal(RuntimeError):
    """The floor met a state the services would have refused."""


# Positions in the row the cart's lock returns (``CART_COLUMNS`` in pos/services/cart.py).
_CART_STATUS, _CART_CURRENCY, _CART_LOCATION, _CART_COUPON = 1, 2, 3, 5


def open_cart_location(cart: Sequence[Any] | None, currency: str | None = None) -> int:
    """The location of the cart the lock returned, refused where the services would refuse.

    The services' summary reads the cart's coupon when it has one (one more statement);
    the benchmark's cart has none, and the floor refuses one rather than skip that read.
    """
    if cart is None or cart[_CART_STATUS] != OPEN:
        raise Refusal("cart not open")
    if currency is not None and cart[_CART_CURRENCY] != currency:
        raise Refusal("currency mismatch")
    if cart[_CART_COUPON] is not None:
        raise Refusal("the floor prices no coupon")
    location: int = cart[_CART_LOCATION]
    return location


class Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


Step = tuple[str, Any]
"""A statement and the parameters handed to the driver with it, or a marker and None."""


@dataclass
class Trace:
    """One iteration's work: what was handed to the driver, and what the driver ran.

    ``steps`` are the statements with their parameters, and a BEGIN, COMMIT or ROLLBACK
    marker where a transaction began or ended. ``driver`` is, on SQLite, every statement
    the ``sqlite3`` driver itself ran (its trace callback), the transaction statements
    included; None where the driver cannot tell. ``pings`` counts pool pre-pings.
    """

    steps: list[Step] = field(default_factory=list)
    driver: list[str] | None = None
    pings: int = 0
    prepared: int = 0
    """How many of ``steps`` ran through ``Prepared`` on the driver's cursor."""

    @property
    def statements(self) -> list[str]:
        return [statement for statement, _ in self.steps]


class Floor:
    """add_to_cart + remove_line for one cart and product, as bare driver calls.

    It runs the path the benchmark exercises (a new line, then removing it) with the
    same reads, conditional UPDATEs and checks the services make, and nothing else.
    """

    dialect: str
    sql: FloorSQL

    def __init__(self) -> None:
        self.trace: list[Step] | None = None

    def run(self, cart_id: int, product_id: int) -> None:
        self.add(cart_id, product_id, 1)
        self.remove(cart_id, product_id)

    def add(self, cart_id: int, product_id: int, quantity: int, code: str | None = None) -> None:
        """Ring up ``quantity`` of the product; by its barcode ``code`` where given."""
        raise NotImplementedError

    def remove(self, cart_id: int, product_id: int) -> None:
        raise NotImplementedError

    def settings(self) -> dict[str, object]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def adopt(self, services: Sequence[str], mine: Sequence[str]) -> int:
        """Run SQLAlchemy's text wherever it renders a statement differently from ours.

        ``services`` and ``mine`` are the two traces of one iteration, statement by
        statement (same kinds in the same order). A column type change, say, alters a
        cast in the rendered SQL but not the parameters; adopting the captured text keeps
        the floor running exactly the services' statements. Returns how many it adopted.
        """
        adopted: dict[str, str] = {}
        for ours, theirs in zip(mine, services, strict=True):
            if ours != theirs and adopted.setdefault(ours, theirs) != theirs:
                return 0  # one of ours renders two ways: not a plain re-rendering
        changes = {
            f.name: adopted[text]
            for f in fields(self.sql)
            if (text := getattr(self.sql, f.name)) in adopted
        }
        self.sql = replace(self.sql, **changes)
        return len(changes)

    @contextmanager
    def tracing(self) -> Iterator[Trace]:
        """Record the work of the calls made inside the block."""
        trace = Trace()
        self.trace = trace.steps
        self._trace_driver(trace)
        try:
            yield trace
        finally:
            self.trace = None
            self._trace_driver(None)

    def _trace_driver(self, trace: Trace | None) -> None:
        """Start (or with None stop) recording what the driver itself runs, if it can tell."""


class SQLiteFloor(Floor):
    dialect = "sqlite"
    sql = SQLITE_SQL

    def __init__(self, path: Path) -> None:
        super().__init__()
        # isolation_level=None: no implicit BEGIN, as make_engine sets it; transactions
        # are opened explicitly, with the pragmas make_engine sets on every connection.
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.cursor: Cursor = self.connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            self.cursor.execute(pragma)

    def _x(self, statement: str, params: Sequence[object]) -> Any:
        if self.trace is not None:
            self.trace.append((statement, params))
        return self.cursor.execute(statement, params)

    def _begin(self) -> None:
        # What make_engine's "begin" hook runs for a unit of work that writes.
        if self.trace is not None:
            self.trace.append((BEGIN, None))
        self.cursor.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        if self.trace is not None:
            self.trace.append((COMMIT, None))
        self.connection.commit()

    def _trace_driver(self, trace: Trace | None) -> None:
        if trace is None:
            self.connection.set_trace_callback(None)
        else:
            trace.driver = []
            self.connection.set_trace_callback(trace.driver.append)

    def add(self, cart_id: int, product_id: int, quantity: int, code: str | None = None) -> None:
        q, x = self.sql, self._x
        self._begin()
        try:
            now = datetime.now(UTC).replace(tzinfo=None)
            at = now.isoformat(" ", "microseconds")
            hold = Policy().cart_hold
            until = (now + hold).isoformat(" ", "microseconds")
            kept = (now + hold * 1.1).isoformat(" ", "microseconds")
            if code is None:
                product = x(q.product, (product_id,)).fetchone()
            else:
                product = x(q.scan, (code,)).fetchone()
            if product is not None and product[0] != product_id:
                raise Refusal("the code names another product")
            if product is None or not product[1]:
                raise Refusal("product unavailable")
            cart = x(q.touch_cart, (at, cart_id)).fetchone()
            location = open_cart_location(cart, product[2])
            line = x(q.line, (cart_id, product_id)).fetchone()
            held = {row[1]: row for row in x(q.hold, (kept, cart_id, until, product_id))}
            if line is not None or product_id in held:
                raise Refusal("the floor only rings up a new line")
            if quantity > MAX_QUANTITY:
                raise Refusal("invalid quantity")
            taken = x(q.take, (quantity, quantity, location, product_id, quantity)).fetchone()
            if taken is None:
                raise Refusal("insufficient stock")
            x(
                q.insert_reservation,
                (cart_id, product_id, location, quantity, ACTIVE, until, at),
            )
            x(q.insert_line, (cart_id, product_id, quantity, product[3], product[4], at))
            x(q.holds, (cart_id,)).fetchall()
            x(q.summary, (cart_id,)).fetchall()
            self._commit()
        except BaseException:
            self.connection.rollback()
            raise

    def remove(self, cart_id: int, product_id: int) -> None:
        q, x = self.sql, self._x
        self._begin()
        try:
            now = datetime.now(UTC).replace(tzinfo=None)
            at = now.isoformat(" ", "microseconds")
            hold_time = Policy().cart_hold
            until = (now + hold_time).isoformat(" ", "microseconds")
            kept = (now + hold_time * 1.1).isoformat(" ", "microseconds")
            cart = x(q.touch_cart, (at, cart_id)).fetchone()
            open_cart_location(cart)
            line = x(q.line, (cart_id, product_id)).fetchone()
            if line is None:
                raise Refusal("line not found")
            held = {row[1]: row for row in x(q.hold, (kept, cart_id, until, line[1]))}
            hold = held.get(line[1])
            if hold is not None:
                ended = x(q.release, (RELEASED, at, hold[0])).fetchone()
                if ended is not None:
                    x(q.give_back, (ended[2], ended[2], ended[0], ended[1]))
            x(q.delete_line, (line[0],))
            x(q.holds, (cart_id,)).fetchall()
            x(q.summary, (cart_id,)).fetchall()
            self._commit()
        except BaseException:
            self.connection.rollback()
            raise

    def settings(self) -> dict[str, object]:
        return sqlite_settings(self.connection)

    def close(self) -> None:
        self.connection.close()


class PostgresFloor(Floor):
    dialect = "postgresql"
    sql = POSTGRES_SQL

    def __init__(self, url: URL, options: str = "") -> None:
        super().__init__()
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        # READ COMMITTED like make_engine; psycopg opens the transaction implicitly
        # before the first statement, as it does under SQLAlchemy. ``options``: the
        # server settings make_engine gives its connections (its timeouts).
        self.connection = psycopg.connect(conninfo, autocommit=False, options=options)
        self.connection.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        self.cursor: Cursor = self.connection.cursor()

    def _x(self, statement: str, params: Mapping[str, object]) -> Any:
        if self.trace is not None:
            if self.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                self.trace.append((BEGIN, None))  # psycopg sends BEGIN before this one
            self.trace.append((statement, params))
        return self.cursor.execute(statement, params)

    def _commit(self) -> None:
        if self.trace is not None:
            self.trace.append((COMMIT, None))
        self.connection.commit()

    def add(self, cart_id: int, product_id: int, quantity: int, code: str | None = None) -> None:
        q, x = self.sql, self._x
        try:
            assert q.now is not None
            if code is None:
                product = x(q.product, {"b_product": product_id}).fetchone()
            else:
                product = x(q.scan, {"b_barcode": code}).fetchone()
            now: datetime = x(q.now, {}).fetchone()[0]
            until = now + Policy().cart_hold
            kept = now + Policy().cart_hold * 1.1
            if product is not None and product[0] != product_id:
                raise Refusal("the code names another product")
            if product is None or not product[1]:
                raise Refusal("product unavailable")
            cart = x(q.touch_cart, {"b_cart": cart_id, "b_now": now}).fetchone()
            location = open_cart_location(cart, product[2])
            line = x(q.line, {"b_cart": cart_id, "b_product": product_id}).fetchone()
            keep = {"b_cart": cart_id, "b_product": product_id, "b_due": until, "b_expires": kept}
            held = {row[1]: row for row in x(q.hold, keep).fetchall()}
            if line is not None or product_id in held:
                raise Refusal("the floor only rings up a new line")
            if quantity > MAX_QUANTITY:
                raise Refusal("invalid quantity")
            taken = x(
                q.take,
                {"b_location": location, "b_product": product_id, "b_quantity": quantity},
            ).fetchone()
            if taken is None:
                raise Refusal("insufficient stock")
            x(
                q.insert_reservation,
                {
                    "b_cart": cart_id,
                    "b_product": product_id,
                    "b_location": location,
                    "b_quantity": quantity,
                    "status": ACTIVE,
                    "b_expires": until,
                    "b_now": now,
                },
            ).fetchone()
            x(
                q.insert_line,
                {
                    "b_cart": cart_id,
                    "b_product": product_id,
                    "b_quantity": quantity,
                    "b_price": product[3],
                    "b_tax_rate": product[4],
                    "b_now": now,
                },
            ).fetchone()
            x(q.holds, {"b_cart": cart_id}).fetchall()
            x(q.summary, {"b_cart": cart_id}).fetchall()
            self._commit()
        except BaseException:
            self.connection.rollback()
            raise

    def remove(self, cart_id: int, product_id: int) -> None:
        q, x = self.sql, self._x
        try:
            assert q.now is not None
            now: datetime = x(q.now, {}).fetchone()[0]
            until = now + Policy().cart_hold
            kept = now + Policy().cart_hold * 1.1
            cart = x(q.touch_cart, {"b_now": now, "b_cart": cart_id}).fetchone()
            open_cart_location(cart)
            line = x(q.line, {"b_cart": cart_id, "b_product": product_id}).fetchone()
            if line is None:
                raise Refusal("line not found")
            keep = {"b_cart": cart_id, "b_product": line[1], "b_due": until, "b_expires": kept}
            held = {row[1]: row for row in x(q.hold, keep).fetchall()}
            hold = held.get(line[1])
            if hold is not None:
                ended = x(
                    q.release, {"b_status": RELEASED, "b_now": now, "b_id": hold[0]}
                ).fetchone()
                if ended is not None:
                    x(
                        q.give_back,
                        {"b_quantity": ended[2], "b_location": ended[0], "b_product": ended[1]},
                    )
            x(q.delete_line, {"b_line": line[0]})
            x(q.holds, {"b_cart": cart_id}).fetchall()
            x(q.summary, {"b_cart": cart_id}).fetchall()
            self._commit()
        except BaseException:
            self.connection.rollback()
            raise

    def settings(self) -> dict[str, object]:
        return postgres_settings(self.connection)

    def close(self) -> None:
        self.connection.close()


# ---------------------------------------------------------------------------------------
# The services' side
# ---------------------------------------------------------------------------------------


def ok_value(result: Result[Any], what: str) -> Any:
    if isinstance(result, Err):
        raise SystemExit(f"{what} failed: {result.code.value} {dict(result.params)}")
    return result.value


@dataclass
class Store:
    engine: Engine
    uow: UnitOfWork
    cart_id: int
    product_id: int
    barcode: str = BARCODE


def set_up_store(engine: Engine) -> Store:
    """Schema, a manager, a product with stock, an open cart: all through the services."""
    upgrade(engine)
    uow = UnitOfWork(engine)
    manager = ok_value(
        create_user(uow, "bench.manager", "Bench Manager", Role.MANAGER, "2468"), "create_user"
    )
    product = ok_value(
        create_product(
            uow,
            ProductDraft(
                sku="BENCH-001",
                name="Torku Süt 1 L",
                price_minor=3_450,
                tax_rate_bp=100,
                barcode=BARCODE,
            ),
            user_id=manager.id,
        ),
        "create_product",
    )
    ok_value(receive_stock(uow, product.id, STOCK, user_id=manager.id), "receive_stock")
    cart = ok_value(open_cart(uow, cashier_id=manager.id), "open_cart")
    return Store(engine, uow, cart.cart_id, product.id)


def services_iteration(store: Store) -> None:
    added = add_to_cart(store.uow, store.cart_id, store.product_id, 1)
    removed = remove_line(store.uow, store.cart_id, store.product_id)
    if not (added.ok and removed.ok):
        raise SystemExit(f"services refused: {added!r} / {removed!r}")


PREPARED_EXECUTE = Prepared.__dict__["execute"]
"""``Prepared.execute`` as the services define it: what the timed iterations run."""


class _Through:
    """Stands in for an object, passing on every attribute it does not override."""

    def __init__(self, inner: Any, steps: list[Step]) -> None:
        self._inner = inner
        self._steps = steps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _RecordingCursor(_Through):
    """A driver cursor that records each statement with the arguments it is handed."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        statement: str = args[0] if args else kwargs["query"]
        params = args[1] if len(args) > 1 else kwargs.get("params")
        if isinstance(params, Mapping):
            params = dict(params)
        elif params is not None:
            params = list(params)
        self._steps.append((statement, params))
        return self._inner.execute(*args, **kwargs)


class _RecordingDriverConnection(_Through):
    def cursor(self, *args: Any, **kwargs: Any) -> _RecordingCursor:
        return _RecordingCursor(self._inner.cursor(*args, **kwargs), self._steps)


class _RecordingPoolConnection(_Through):
    @property
    def driver_connection(self) -> _RecordingDriverConnection:
        return _RecordingDriverConnection(self._inner.driver_connection, self._steps)


class _RecordingConnection(_Through):
    """The unit of work's connection, as ``Prepared.execute`` reaches its driver cursor."""

    @property
    def connection(self) -> _RecordingPoolConnection:
        return _RecordingPoolConnection(self._inner.connection, self._steps)


@contextmanager
def recording_prepared(trace: Trace) -> Iterator[None]:
    """Record what ``Prepared`` hands the driver's cursor, for the calls inside the block.

    ``Prepared.execute`` is replaced on the class by a wrapper that runs the real method
    on a stand-in for the connection whose driver cursor records ``execute(sql,
    arguments)``: the SQL and the final, processed arguments exactly as the driver gets
    them. The real method is put back afterwards.
    """

    def recording_execute(
        self: Prepared, connection: Connection, params: Mapping[str, Any]
    ) -> list[Any]:
        before = len(trace.steps)
        result: list[Any] = PREPARED_EXECUTE(
            self, _RecordingConnection(connection, trace.steps), params
        )
        if len(trace.steps) != before + 1:
            raise SystemExit(f"Prepared.execute ran {len(trace.steps) - before} statements, not 1")
        trace.prepared += 1
        return result

    if Prepared.__dict__["execute"] is not PREPARED_EXECUTE:
        raise SystemExit("Prepared.execute is already wrapped")
    setattr(Prepared, "execute", recording_execute)  # noqa: B010
    try:
        yield
    finally:
        setattr(Prepared, "execute", PREPARED_EXECUTE)  # noqa: B010


def capture_services(
    store: Store, iteration: Callable[[Store], None] = services_iteration
) -> Trace:
    """The work of one services iteration: statements, transactions, driver trace, pings.

    Statements reach the driver two ways: through SQLAlchemy (``before_cursor_execute``
    sees them, with their parameters) and, for the cart and reservation statements,
    through ``Prepared`` straight on the driver's cursor (``recording_prepared``). Both
    append to the same list, so the order is the order they ran in.
    """
    trace = Trace()
    engine = store.engine
    if engine.dialect.name == "sqlite":
        trace.driver = []

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        trace.steps.append((statement, parameters))

    # The "begin" event, not a cursor event: on SQLite make_engine's own "begin" hook
    # runs BEGIN IMMEDIATE on the driver connection, where no cursor event sees it.
    def on_begin(_conn: Any) -> None:
        trace.steps.append((BEGIN, None))

    def on_commit(_conn: Any) -> None:
        trace.steps.append((COMMIT, None))

    def on_rollback(_conn: Any) -> None:
        trace.steps.append((ROLLBACK, None))

    # On SQLite, the driver's own record of what it ran, from checkout to checkin (any
    # reset-on-return ROLLBACK included).
    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if trace.driver is not None:
            dbapi_connection.set_trace_callback(trace.driver.append)

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if trace.driver is not None and dbapi_connection is not None:
            dbapi_connection.set_trace_callback(None)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", on_execute),
        ("begin", on_begin),
        ("commit", on_commit),
        ("rollback", on_rollback),
    ]
    if trace.driver is not None:
        listeners += [("checkout", on_checkout), ("checkin", on_checkin)]

    dialect: Any = engine.dialect
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        trace.pings += 1
        result: bool = real_ping(dbapi_connection)
        return result

    for name, listener in listeners:
        event.listen(engine, name, listener)
    dialect.do_ping = counting_ping
    try:
        with recording_prepared(trace):
            iteration(store)
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
        del dialect.do_ping
    return trace


_SERVER_TIMEOUTS = (
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "jit",
)


def server_options(engine: Engine) -> str:
    """The settings make_engine gives the server (its timeouts, JIT off), as the floor's
    connection options."""
    settings = services_settings(engine)
    return " ".join(f"-c {name}={settings[name]}" for name in _SERVER_TIMEOUTS)


def services_settings(engine: Engine) -> dict[str, object]:
    """The settings of the connection the services run on (the pool keeps one)."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            return sqlite_settings(driver)
        return postgres_settings(driver)
    finally:
        raw.close()


# ---------------------------------------------------------------------------------------
# Comparing the two sides
# ---------------------------------------------------------------------------------------


def kind(statement: str) -> str:
    words = statement.split()
    head = words[0].upper()
    if head in ("UPDATE", "DELETE", "INSERT"):
        table = words[2] if head != "UPDATE" else words[1]
        return f"{head} {table}"
    if head == "SELECT" and "FROM" in words:
        return f"SELECT {words[words.index('FROM') + 1]}"
    return " ".join(words[:2]).upper()


def parameters_of(params: Any) -> dict[str, object]:
    if params is None:
        return {}
    if isinstance(params, Mapping):
        return dict(params)
    return {str(index): value for index, value in enumerate(params)}


def shape(value: object) -> str:
    """What must agree between two values that differ from one iteration to the next."""
    if isinstance(value, datetime):
        return f"datetime ({'aware' if value.tzinfo is not None else 'naive'})"
    if isinstance(value, str):
        return f"str {re.sub(r'[0-9]', '9', value)!r}"
    return type(value).__name__


def parameter_mismatches(first: Trace, second: Trace, floor: Trace) -> tuple[int, int, list[str]]:
    """Compare the floor's bound values with the services', statement by statement.

    A value the services bound alike in both captured iterations must be the floor's, of
    the same type; one that changed between them must have the same ``shape``. Returns
    the numbers of constant and varying values, and the mismatches.
    """
    constant = varying = 0
    problems: list[str] = []
    steps = zip(first.steps, second.steps, floor.steps, strict=True)
    for index, ((statement, ours), (_, again), (_, theirs)) in enumerate(steps):
        mine, other, floors = parameters_of(ours), parameters_of(again), parameters_of(theirs)
        if mine.keys() != floors.keys():
            problems.append(
                f"{index:2d} {kind(statement)}: parameters {sorted(mine)}, floor {sorted(floors)}"
            )
            continue
        for key, value in mine.items():
            theirs_value = floors[key]
            if type(value) is type(other[key]) and value == other[key]:
                constant += 1
                same = type(theirs_value) is type(value) and theirs_value == value
            else:
                varying += 1
                same = shape(theirs_value) == shape(value)
            if not same:
                problems.append(
                    f"{index:2d} {kind(statement)} [{key}]: services {value!r}, "
                    f"floor {theirs_value!r}"
                )
    return constant, varying, problems


def transaction_statements(driver: Sequence[str]) -> list[str]:
    control = ("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return [s.strip() for s in driver if s.split() and s.split()[0].upper() in control]


def same_work(
    store: Store, first: Trace, second: Trace, floor: Floor, run: Callable[[], None]
) -> bool:
    """Check the floor (one ``run``) against two captured iterations; print how they compare."""
    if first.statements != second.statements:
        raise SystemExit(f"{floor.dialect}: two services iterations ran different statements")
    with floor.tracing() as trace:
        run()
    services_kinds = [kind(s) for s in first.statements]
    same_kinds = services_kinds == [kind(s) for s in trace.statements]
    adopted = floor.adopt(first.statements, trace.statements) if same_kinds else 0
    if adopted:
        with floor.tracing() as trace:
            run()
    identical = sum(a == b for a, b in zip(first.statements, trace.statements, strict=False))
    transactions = first.statements.count(BEGIN)
    markers = sum(params is None and s in (BEGIN, COMMIT, ROLLBACK) for s, params in first.steps)
    print(
        f"  statements per iteration: services {len(first.steps)}, floor {len(trace.steps)} "
        f"(incl. {transactions} BEGIN/COMMIT pairs); same kinds in order: {same_kinds}; "
        f"identical SQL text: {identical}/{len(first.steps)}"
        + (f" ({adopted} adopted from the capture)" if adopted else "")
        + f"\n  services ran {first.prepared} prepared on the driver's cursor, "
        f"{len(first.steps) - first.prepared - markers} through SQLAlchemy"
    )
    if not same_kinds:
        for index in range(max(len(services_kinds), len(trace.steps))):
            left = services_kinds[index] if index < len(services_kinds) else "-"
            right = kind(trace.statements[index]) if index < len(trace.steps) else "-"
            print(f"    {index:2d} {left:<28} {right:<28} {'' if left == right else '<<'}")
        return False

    constant, varying, problems = parameter_mismatches(first, second, trace)
    print(
        f"  bound values: {constant} constant (the same value and type on both sides), "
        f"{varying} varying (instants, new ids: the same type and format)"
        + (f"; {len(problems)} DIFFER:" if problems else "; all agree")
    )
    for problem in problems:
        print(f"    {problem}")

    same_driver = True
    if first.driver is not None and trace.driver is not None:
        services_tx = transaction_statements(first.driver)
        floor_tx = transaction_statements(trace.driver)
        same_driver = services_tx == floor_tx and len(first.driver) == len(trace.driver)
        print(
            f"  as sqlite3 ran them: services {len(first.driver)} statements, floor "
            f"{len(trace.driver)}; transactions: services {', '.join(services_tx)}"
            + ("; floor the same" if services_tx == floor_tx else f"; floor {', '.join(floor_tx)}")
        )

    ours, theirs = services_settings(store.engine), floor.settings()
    differing = {name for name in ours.keys() | theirs.keys() if ours.get(name) != theirs.get(name)}
    print(
        "  connection settings: "
        + ", ".join(f"{name}={value}" for name, value in ours.items())
        + (
            "; floor the same"
            if not differing
            else "; floor DIFFERS: "
            + ", ".join(f"{name}={theirs.get(name)}" for name in sorted(differing))
        )
    )
    if first.pings:
        print(
            f"  services also pinged the pool {first.pings}x per iteration "
            "(pool_pre_ping: one extra round trip per unit of work, not in the floor)"
        )
    return not problems and same_driver and not differing


# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    dialect: str
    iterations: int
    statements: int
    services_us: float
    floor_us: float
    services_p90_us: float
    floor_p90_us: float

    @property
    def ratio(self) -> float:
        return self.services_us / self.floor_us


def measure(
    store: Store,
    floor: Floor,
    iterations: int,
    warm_up: int,
    *,
    iteration: Callable[[Store], None] = services_iteration,
    floor_step: Callable[[], None] | None = None,
) -> Figures:
    """The services' ``iteration`` against the floor's (by default ``Floor.run``), after
    checking that both do the same work."""

    def service_step() -> None:
        iteration(store)

    def run_floor() -> None:
        floor.run(store.cart_id, store.product_id)

    step_of_floor = floor_step or run_floor
    first, second = capture_services(store, iteration), capture_services(store, iteration)
    if not same_work(store, first, second, floor, step_of_floor):
        raise SystemExit(f"{floor.dialect}: the floor does not do the services' work")
    # The timed iterations run the services as the till does: nothing of the capture left.
    if Prepared.__dict__["execute"] is not PREPARED_EXECUTE or "do_ping" in vars(
        store.engine.dialect
    ):
        raise SystemExit(f"{floor.dialect}: the capture's wrappers are still installed")

    timings = against_floor(
        floor.dialect, service_step, step_of_floor, iterations=iterations, warm_up=warm_up
    )
    check_stock(store)
    services_p90, floor_p90 = timings.p(0.9)
    return Figures(
        dialect=floor.dialect,
        iterations=timings.iterations,
        statements=len(first.steps),
        services_us=timings.median_us,
        floor_us=timings.floor_us,
        services_p90_us=services_p90,
        floor_p90_us=floor_p90,
    )


def check_stock(store: Store) -> None:
    """Both sides put back every unit they took: nothing reserved, nothing lost."""
    with store.engine.connect() as connection:
        available, reserved = connection.execute(
            text(
                "SELECT available, reserved FROM inventory "
                "WHERE location_id = :location AND product_id = :product"
            ),
            {"location": DEFAULT_LOCATION_ID, "product": store.product_id},
        ).one()
        active = connection.execute(
            text("SELECT count(*) FROM reservations WHERE status = 'active'")
        ).scalar_one()
    if (available, reserved, active) != (STOCK, 0, 0):
        raise SystemExit(f"stock drifted: {available=} {reserved=} {active=}")


def report(figures: Figures, target: float = TARGET_RATIO) -> None:
    verdict = "ok" if figures.ratio <= target else f"MISSED (target {target:g}x)"
    overhead = figures.services_us - figures.floor_us
    print(
        f"  {figures.iterations} iterations each, median (p90) per iteration:\n"
        f"    services {figures.services_us:9.1f} us  ({figures.services_p90_us:.1f})\n"
        f"    floor    {figures.floor_us:9.1f} us  ({figures.floor_p90_us:.1f})\n"
        f"    services overhead {overhead:.0f} us per iteration, "
        f"{overhead / figures.statements:.0f} us per statement "
        f"({figures.statements} incl. BEGIN/COMMIT)\n"
        f"    ratio services/floor {figures.ratio:.2f}x  {verdict}"
    )


FloorStep = Callable[[Store, Floor], Callable[[], None]]
"""The floor's iteration for a store (``Floor.run`` unless a benchmark says otherwise)."""


def run_sqlite(
    iterations: int,
    warm_up: int,
    *,
    iteration: Callable[[Store], None] = services_iteration,
    floor_step: FloorStep | None = None,
    target: float = TARGET_RATIO,
) -> Figures:
    print("SQLite (temporary file, WAL, synchronous=NORMAL)")
    with tempfile.TemporaryDirectory(prefix="kasa-bench-") as directory:
        path = Path(directory) / "store.db"
        engine = make_engine(f"sqlite:///{path}")
        floor = SQLiteFloor(path)
        try:
            store = set_up_store(engine)
            step = floor_step(store, floor) if floor_step else None
            figures = measure(
                store, floor, iterations, warm_up, iteration=iteration, floor_step=step
            )
        finally:
            floor.close()
            engine.dispose()
    report(figures, target)
    return figures


def run_postgres(
    server_url: str,
    iterations: int,
    warm_up: int,
    *,
    iteration: Callable[[Store], None] = services_iteration,
    floor_step: FloorStep | None = None,
    target: float = TARGET_RATIO,
) -> Figures:
    with scratch_postgres_database(server_url) as url:
        print(f"PostgreSQL ({url.host}:{url.port or 5432}, scratch database {url.database})")
        engine = make_engine(url)
        floor: PostgresFloor | None = None
        try:
            store = set_up_store(engine)
            floor = PostgresFloor(url, server_options(engine))
            step = floor_step(store, floor) if floor_step else None
            figures = measure(
                store, floor, iterations, warm_up, iteration=iteration, floor_step=step
            )
        finally:
            if floor is not None:
                floor.close()
            engine.dispose()
    report(figures, target)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--iterations", type=int, default=600, help="measured iterations per side and dialect"
    )
    parser.add_argument("--warm-up", type=int, default=50, help="unmeasured iterations first")
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip PostgreSQL even if configured"
    )
    args = parser.parse_args(argv)
    if args.iterations < 2:
        parser.error("--iterations must be at least 2")

    results = [run_sqlite(args.iterations, args.warm_up)]
    server_url = postgres_server(args.no_postgres)
    if server_url:
        results.append(run_postgres(server_url, args.iterations, args.warm_up))
    print(summary_line("reservations", ((r.dialect, r.ratio) for r in results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
