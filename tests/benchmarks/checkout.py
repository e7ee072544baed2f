"""Benchmark: a 5-line cash sale through checkout, against the bare driver, at 4 tills at once.

What is timed is one sale's checkout plus its cash payment: ``checkout(uow, cart,
shown_total_minor=..., tender=Cash(...), idempotency_key=...)``, which writes the order and
its payment ``initiated`` and settles the cash with ``finalise_paid`` (what ``mark_paid``
runs) in the same transaction. Ringing the sale up is not timed: every cart is opened and
rung up (five lines, one to three units each) through ``open_cart`` and ``add_to_cart``
before the clock starts.

The "floor" is the same sale done with the bare DB-API driver (``sqlite3``, ``psycopg``) on
carts rung up the same way, as the issue lists it, and nothing more:

* BEGIN (``BEGIN IMMEDIATE`` on SQLite, as ``make_engine`` does); lock the cart (``UPDATE
  carts SET status = 'checking_out' ... WHERE status = 'open' RETURNING`` its till, location,
  currency, tax mode, cashier and coupon); read its lines with the products' current prices
  (it has to know what it sells); price them with ``pos.domain.pricing.quote`` (the
  arithmetic every implementation needs) and check the cashier's total and the cash; insert
  the order; stretch and attach the cart's held reservations with one UPDATE; per line whose
  reservation lapsed, the conditional ``UPDATE inventory ... WHERE available >= :quantity``
  and the reservation insert; the 5 order items (one ``executemany``); the payment; COMMIT.
* BEGIN; payment -> paid (``... WHERE status IN (...) RETURNING order_id``); the order's
  reservations -> consumed (``RETURNING`` their units); per line ``inventory.reserved -=
  quantity``; the till's receipt counter (``RETURNING`` the number); the receipt; order ->
  paid; cart -> closed; the ``order.paid`` outbox message; COMMIT.

That is 28 statements in 2 transactions (18 with ``--held``), counting the 5 order items
as one ``executemany``, as the issue describes the floor; the sale's signed journal entry
adds 4 (the till's head, its key's id, the entry, the head moved), 32 in all. The services
run the same statements in one transaction (a crash must not leave a cash sale halfway),
so they commit once where the floor commits twice. They hold the till's cash session
first (``SELECT ... FOR KEY SHARE``; at a till that never opened one, as here, a second
SELECT asks whether it ever did, in the same round trip on PostgreSQL), and on PostgreSQL
they add one ``SELECT now()`` and one pool pre-ping. A cash sale's finalisation takes the
sale from what checkout wrote, as the floor carries it over, and a key they have seen
before is looked up only when the cart is already past checkout. The
script counts both sides' statements on one sale before measuring and prints them
(``--show-statements`` lists them).

Reservations. The issue's floor reserves every line at checkout (the conditional UPDATE and
the reservation insert). The services do that only for a line whose reservation has lapsed:
``add_to_cart`` already reserved the units, and a line still held is only stretched by the one
UPDATE over the cart's reservations. So that both sides do at least the work the issue lists,
and the same work, the carts of both sides reach checkout with their reservations lapsed: once
every till has rung up its carts, and before the clock starts, the sweeper
(``release_expired``, with an instant a day ahead) expires them. The floor decides per line as
the services do (held with the right quantity: nothing more; lapsed: take and insert), so
``--held`` measures the other case, a sale paid within its 15 minutes: no sweep, and on both
sides the one UPDATE over the held reservations and no per-line reserving.

Tills. Each till is a worker with its own connection (its own engine and unit of work for the
services, its own driver connection for the floor), ringing up and checking out its own
carts; the workers start each timed stretch together at a barrier. On PostgreSQL they are 4
threads by default: the database does the work, psycopg waits for it without the GIL, and the
server runs the transactions of the 4 connections side by side. On SQLite they are 4 processes
by default: SQLite lets one writer in at a time anyway (``BEGIN IMMEDIATE`` queues the others
on the file lock, with its busy timeout), so what concurrency can overlap is the Python side of
a sale with another till's transaction, and 4 tills are 4 programs, each with its own
interpreter; in one process the GIL would also serialise the Python work that 4 tills do
side by side, which the services, having more of it, would pay for more than the floor.
``--workers threads|processes`` overrides either.

Measuring. Sales per second for a path = sales by all tills / wall time from the barrier to
the last till's last sale, summed over the rounds. Rounds alternate the order of the two paths
(services first, then floor first, ...) to cancel drift; each path first runs an untimed
warm-up round. Each sale's own time is recorded too (median and p90 are printed). Target: the
services reach at least 50 % of the floor's throughput; the script exits 1 when they do not.

Checked afterwards, or the script stops: every sale paid with a receipt; each till's receipts
numbered 1..n without gaps; no reservation left active; the stock books balance
(``tests/invariants.py``); and the k-th sale of each till in each round, which sells the same
products on both paths, left the same order behind on both (totals, tax, lines, payment,
outbox message).

SQLite: a fresh file in a temporary directory (``make_engine`` + ``upgrade``). PostgreSQL: a
fresh database ``kasa_bench_<random>`` on the server of ``POS_TEST_DATABASE_URL`` (or
``--pg-url``), dropped at the end. ``--profile`` then runs the services path at one till under
cProfile and prints where the time goes.

Run::

    .venv/bin/python tests/benchmarks/checkout.py [--sales 25] [--rounds 4] [--held]
    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/checkout.py [--dialect both|sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import multiprocessing
import os
import pstats
import queue
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, event, insert, make_url, select, text

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # for tests.invariants, and pos without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from pos.domain.journal import (  # noqa: E402
    SaleLine,
    SaleTender,
    canonical,
    content_digest,
    entry_hash,
    sale_content,
    utc_text,
)
from pos.domain.payments import PaymentStatus, sources_of  # noqa: E402
from pos.domain.policy import Policy  # noqa: E402
from pos.domain.pricing import PriceLine, quote  # noqa: E402
from pos.domain.receipt import receipt_label  # noqa: E402
from pos.domain.results import Err, Ok, Result  # noqa: E402
from pos.journal_keys import public_bytes, till_key  # noqa: E402
from pos.services.cart import add_to_cart, open_cart  # noqa: E402
from pos.services.catalogue import ProductDraft, create_product  # noqa: E402
from pos.services.checkout import Cash, checkout  # noqa: E402
from pos.services.reservations import release_expired  # noqa: E402
from pos.services.stock import receive_stock  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.store.engine import BUSY_TIMEOUT_MS, MMAP_BYTES, make_engine  # noqa: E402
from pos.store.migrate import upgrade  # noqa: E402
from pos.store.models import DEFAULT_LOCATION_ID, Role, TillRow, table_of  # noqa: E402
from pos.store.prepared import Prepared  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402
from tests.benchmarks.harness import percentile, summary_line  # noqa: E402
from tests.benchmarks.scratch import scratch_postgres_database  # noqa: E402
from tests.invariants import assert_invariants  # noqa: E402

TARGET = 0.50
"""The services must reach this share of the floor's sales per second."""
LINES_PER_SALE = 5
PRODUCTS = 100
STOCK = 1_000_000
CHANGE_MINOR = 1_000
"""The customer hands over the total and 10 lira more."""
TAX_RATES_BP = (100, 1_000, 2_000)
BARRIER_TIMEOUT_S = 900.0
SERVICES = "services"
FLOOR = "floor"
PATHS = (SERVICES, FLOOR)
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
PG_ENV = "POS_TEST_DATABASE_URL"

# ---------------------------------------------------------------------------------------
# The floor's SQL, written once with :name parameters (sqlite3's named style). On
# PostgreSQL :now and :until become the server's now() (the services' instant there too)
# and the others psycopg's %(name)s.
# ---------------------------------------------------------------------------------------

_PAYABLE = ", ".join(f"'{state.value}'" for state in sorted(sources_of(PaymentStatus.PAID)))


@dataclass(frozen=True)
class FloorSQL:
    lock_cart: str
    lines: str
    insert_order: str
    hold: str
    take: str
    reserve: str
    insert_item: str
    insert_payment: str
    pay: str
    consume: str
    sell_held: str
    next_receipt: str
    issue_receipt: str
    order_paid: str
    close_cart: str
    outbox: str
    take_head: str
    key_id: str
    new_key: str
    write_entry: str
    move_head: str


SQL = FloorSQL(
    lock_cart=(
        "UPDATE carts SET status = 'checking_out', updated_at = :now "
        "WHERE id = :cart AND status = 'open' "
        "RETURNING till_id, location_id, currency, prices_include_tax, cashier_id, coupon_id"
    ),
    lines=(
        "SELECT ci.product_id, ci.quantity, ci.unit_price_minor, ci.tax_rate_bp, "
        "p.price_minor, p.tax_rate_bp, p.active, p.sku, p.name "
        "FROM cart_items AS ci JOIN products AS p ON p.id = ci.product_id "
        "WHERE ci.cart_id = :cart ORDER BY ci.id"
    ),
    insert_order=(
        "INSERT INTO orders (id, cart_id, till_id, location_id, cashier_id, status, "
        "idempotency_key, request_digest, currency, prices_include_tax, subtotal_minor, "
        "discount_minor, tax_minor, total_minor, created_at) VALUES (:order, :cart, :till, "
        ":location, :cashier, 'pending', :key, :digest, :currency, :include_tax, :subtotal, "
        ":discount, :tax, :total, :now)"
    ),
    hold=(
        "UPDATE reservations SET expires_at = :until, order_id = :order "
        "WHERE cart_id = :cart AND status = 'active' RETURNING product_id, quantity"
    ),
    take=(
        "UPDATE inventory SET available = available - :quantity, "
        "reserved = reserved + :quantity WHERE location_id = :location "
        "AND product_id = :product AND available >= :quantity RETURNING product_id"
    ),
    reserve=(
        "INSERT INTO reservations (cart_id, product_id, location_id, quantity, status, "
        "order_id, expires_at, created_at) VALUES (:cart, :product, :location, :quantity, "
        "'active', :order, :until, :now)"
    ),
    insert_item=(
        "INSERT INTO order_items (order_id, line_no, product_id, sku, name, "
        "unit_price_minor, quantity, tax_rate_bp, discount_minor, total_minor) VALUES "
        "(:order, :line_no, :product, :sku, :name, :price, :quantity, :tax_rate, "
        ":discount, :line_total)"
    ),
    insert_payment=(
        "INSERT INTO payments (order_id, method, idempotency_key, status, amount_minor, "
        "currency, tendered_minor, change_minor, created_at, updated_at) VALUES (:order, "
        "'cash', :key, 'initiated', :total, :currency, :given, :change, :now, :now) "
        "RETURNING id"
    ),
    pay=(
        "UPDATE payments SET status = 'paid', updated_at = :now "
        f"WHERE id = :payment AND status IN ({_PAYABLE}) RETURNING order_id"
    ),
    consume=(
        "UPDATE reservations SET status = 'consumed', ended_at = :now "
        "WHERE order_id = :order AND status = 'active' "
        "RETURNING location_id, product_id, quantity"
    ),
    sell_held=(
        "UPDATE inventory SET reserved = reserved - :quantity "
        "WHERE location_id = :location AND product_id = :product"
    ),
    next_receipt=(
        "UPDATE tills SET last_receipt_number = last_receipt_number + 1 "
        "WHERE id = :till RETURNING last_receipt_number, code"
    ),
    issue_receipt=(
        "INSERT INTO receipts (till_id, number, order_id, issued_at) "
        "VALUES (:till, :number, :order, :now)"
    ),
    order_paid=(
        "UPDATE orders SET status = 'paid', receipt_number = :number, paid_at = :now, "
        "ended_at = :now WHERE id = :order"
    ),
    close_cart="UPDATE carts SET status = 'closed', updated_at = :now WHERE id = :cart",
    outbox=(
        'INSERT INTO outbox (topic, "key", payload, created_at) '
        "VALUES ('order.paid', :order_key, :payload, :now)"
    ),
    take_head=(
        "UPDATE tills SET journal_seq = journal_seq + 1 WHERE id = :till "
        "RETURNING journal_seq, journal_hash, code"
    ),
    key_id="SELECT id FROM till_keys WHERE till_id = :till AND public_key = :public",
    new_key=(
        "INSERT INTO till_keys (till_id, public_key, created_at) "
        "VALUES (:till, :public, :now) RETURNING id"
    ),
    write_entry=(
        "INSERT INTO journal (till_id, seq, kind, event_id, at, content, prev_hash, hash, "
        "key_id, signature) VALUES (:till, :seq, 'sale', :event, :entry_at, :content, :prev, "
        ":hash, :key_id, :signature)"
    ),
    move_head="UPDATE tills SET journal_hash = :hash WHERE id = :till",
)


def postgres_sql(sql: FloorSQL) -> FloorSQL:
    """The floor's SQL in psycopg's style, with the server's clock."""

    def convert(statement: str) -> str:
        statement = statement.replace(":until", "(now() + :window)").replace(":now", "now()")
        return re.sub(r":(\w+)", r"%(\1)s", statement)

    return FloorSQL(**{name: convert(value) for name, value in vars(sql).items()})


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA mmap_size={MMAP_BYTES}",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)
"""What ``make_engine`` sets on every connection to a SQLite file, in its order."""


class Refusal(RuntimeError):
    """The floor met a state the services would have refused, or one it does not handle."""


class Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


@dataclass(frozen=True)
class ReadyCart:
    """A cart rung up and waiting for Pay, with what the cashier's screen shows."""

    cart_id: int
    total_minor: int
    given_minor: int
    sale: tuple[int, int, int]
    """(round, till, k): the same products on both paths."""


def request_digest(cart_id: int, shown: int, given: int) -> str:
    """What the services store as the request's digest (``checkout._digest``) for cash."""
    request: dict[str, object] = {
        "cart": cart_id,
        "total": shown,
        "tender": "Cash",
        "given": given,
        "details": dict.fromkeys(
            ("customer", "billing_address", "shipping_address", "shipping_method")
        ),
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


class Floor:
    """A checkout plus cash payment as bare driver calls; one instance per till."""

    dialect: str

    def __init__(self, sql: FloorSQL) -> None:
        self.sql = sql
        self.cursor: Cursor
        self.statements = 0
        self.trace: list[str] | None = None
        self.keys: dict[str, Ed25519PrivateKey] = {}

    # -- what differs between the drivers ----------------------------------------------

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def instant(self) -> dict[str, object]:
        """The transaction's instant, as the statements bind it."""
        raise NotImplementedError

    def order_value(self, order_id: uuid.UUID) -> object:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- the sale -----------------------------------------------------------------------

    def x(self, statement: str, params: Mapping[str, object]) -> Any:
        self.statements += 1
        if self.trace is not None:
            self.trace.append(statement)
        return self.cursor.execute(statement, params)

    def sale(self, cart: ReadyCart) -> uuid.UUID:
        """Check the cart out and take the cash; the order's id."""
        q, x = self.sql, self.x
        self.begin()
        try:
            at = self.instant()
            row = x(q.lock_cart, {**at, "cart": cart.cart_id}).fetchone()
            if row is None:
                raise Refusal("cart not open")
            till_id, location_id, currency, include_tax, cashier_id, coupon_id = row
            if till_id is None or coupon_id is not None:
                raise Refusal("the floor sells at a till, without a coupon")
            lines = x(q.lines, {"cart": cart.cart_id}).fetchall()
            if not lines:
                raise Refusal("cart empty")
            for _, _, unit_price, tax_rate, price, rate, active, _, _ in lines:
                if not active or (unit_price, tax_rate) != (price, rate):
                    raise Refusal("product unavailable or price changed")
            priced = quote(
                [PriceLine(line[4], line[1], line[5]) for line in lines],
                prices_include_tax=bool(include_tax),
            )
            total = priced.total_minor
            if total != cart.total_minor:
                raise Refusal("price changed")
            change = cart.given_minor - total
            if change < 0:
                raise Refusal("cash short")
            order_id, key = uuid.uuid4(), str(uuid.uuid4())
            order = self.order_value(order_id)
            x(
                q.insert_order,
                {
                    **at,
                    "order": order,
                    "cart": cart.cart_id,
                    "till": till_id,
                    "location": location_id,
                    "cashier": cashier_id,
                    "key": key,
                    "digest": request_digest(cart.cart_id, cart.total_minor, cart.given_minor),
                    "currency": currency,
                    "include_tax": include_tax,
                    "subtotal": priced.subtotal_minor,
                    "discount": priced.discount_minor,
                    "tax": priced.tax_minor,
                    "total": total,
                },
            )
            held = dict(x(q.hold, {**at, "order": order, "cart": cart.cart_id}).fetchall())
            # Stock in product order, as the services take it (two tills lock inventory
            # rows in one order, so they cannot deadlock); the items in the cart's order.
            for line in sorted(lines, key=lambda line: line[0]):
                product_id, quantity = line[0], line[1]
                if product_id in held:
                    if held[product_id] != quantity:
                        raise Refusal("the floor does not resize a held reservation")
                    continue
                params = {
                    **at,
                    "cart": cart.cart_id,
                    "order": order,
                    "location": location_id,
                    "product": product_id,
                    "quantity": quantity,
                }
                if x(q.take, params).fetchone() is None:
                    raise Refusal("out of stock at checkout")
                x(q.reserve, params)
            self.statements += 1
            if self.trace is not None:
                self.trace.append(q.insert_item)
            self.cursor.executemany(
                q.insert_item,
                [
                    {
                        "order": order,
                        "line_no": number,
                        "product": line[0],
                        "sku": line[7],
                        "name": line[8],
                        "price": line[4],
                        "quantity": line[1],
                        "tax_rate": line[5],
                        "discount": priced_line.discount_minor,
                        "line_total": priced_line.total_minor,
                    }
                    for number, (line, priced_line) in enumerate(
                        zip(lines, priced.lines, strict=True), start=1
                    )
                ],
            )
            payment_id = x(
                q.insert_payment,
                {
                    **at,
                    "order": order,
                    "key": key,
                    "total": total,
                    "currency": currency,
                    "given": cart.given_minor,
                    "change": change,
                },
            ).fetchone()[0]
            self.commit()
        except BaseException:
            self.rollback()
            raise

        self.begin()
        try:
            at = self.instant()
            if x(q.pay, {**at, "payment": payment_id}).fetchone() is None:
                raise Refusal("payment not payable")
            consumed = sorted(x(q.consume, {**at, "order": order}).fetchall())
            for location, product_id, quantity in consumed:
                x(q.sell_held, {"location": location, "product": product_id, "quantity": quantity})
            if sorted((row[1], row[2]) for row in consumed) != sorted(
                (line[0], line[1]) for line in lines
            ):
                raise Refusal("the floor does not oversell")
            number, till_code = x(q.next_receipt, {"till": till_id}).fetchone()
            x(q.issue_receipt, {**at, "till": till_id, "number": number, "order": order})
            x(q.order_paid, {**at, "number": number, "order": order})
            x(q.close_cart, {**at, "cart": cart.cart_id})
            payload = json.dumps(
                {
                    "order_id": str(order_id),
                    "receipt": receipt_label(till_code, number),
                    "total": total,
                },
                ensure_ascii=False,
            )
            x(q.outbox, {**at, "order_key": str(order_id), "payload": payload})
            self.journal(
                till_id,
                order_id,
                sale_content(
                    order_id,
                    receipt=number,
                    cashier=cashier_id,
                    currency=currency,
                    prices_include_tax=bool(include_tax),
                    subtotal=priced.subtotal_minor,
                    discount=priced.discount_minor,
                    tax=priced.tax_minor,
                    total=total,
                    coupon=None,
                    lines=(
                        SaleLine(
                            n,
                            line[7],
                            line[8],
                            line[1],
                            line[4],
                            line[5],
                            p.discount_minor,
                            p.total_minor,
                        )
                        for n, (line, p) in enumerate(
                            zip(lines, priced.lines, strict=True), start=1
                        )
                    ),
                    tenders=(SaleTender(payment_id, "cash", total, cart.given_minor, change),),
                ),
            )
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return order_id

    def journal(self, till_id: int, order_id: uuid.UUID, content: dict[str, object]) -> None:
        """The sale's entry in the till's journal, as the services write it: the head taken
        under the till's row, the key's id (recorded on the till's first entry), the
        content hashed and signed with the till's Ed25519 key, and the head moved."""
        q, x = self.sql, self.x
        seq, prev, code = x(q.take_head, {"till": till_id}).fetchone()
        key = self.keys.get(code) or self.keys.setdefault(code, till_key(code))
        public = public_bytes(key)
        known = x(q.key_id, {"till": till_id, "public": public}).fetchone()
        when = datetime.now(UTC)
        if known is None:
            known = x(q.new_key, {**self.instant(), "till": till_id, "public": public}).fetchone()
        body = canonical(content)
        event = str(order_id)
        digest = entry_hash(prev, code, seq, "sale", event, utc_text(when), content_digest(body))
        x(
            q.write_entry,
            {
                "till": till_id,
                "seq": seq,
                "event": event,
                "entry_at": self.stored(when),
                "content": body,
                "prev": prev,
                "hash": digest,
                "key_id": known[0],
                "signature": key.sign(bytes.fromhex(digest)),
            },
        )
        x(q.move_head, {"till": till_id, "hash": digest})

    def stored(self, when: datetime) -> object:
        """An instant as the store keeps it."""
        return when


class SQLiteFloor(Floor):
    dialect = SQLITE

    def __init__(self, path: str) -> None:
        super().__init__(SQL)
        # isolation_level=None: no implicit BEGIN, as make_engine sets it.
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.cursor = self.connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            self.cursor.execute(pragma)

    def begin(self) -> None:
        self.cursor.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.cursor.execute("COMMIT")

    def rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.rollback()

    def instant(self) -> dict[str, object]:
        # As SQLAlchemy stores UTCDateTime on SQLite: naive UTC text, always microseconds.
        now = datetime.now(UTC).replace(tzinfo=None)
        return {
            "now": now.isoformat(" ", "microseconds"),
            "until": (now + Policy().checkout_hold).isoformat(" ", "microseconds"),
        }

    def order_value(self, order_id: uuid.UUID) -> object:
        return order_id.hex  # SQLAlchemy's Uuid on SQLite: 32 hex digits

    def stored(self, when: datetime) -> object:
        return when.replace(tzinfo=None).isoformat(" ", "microseconds")

    def close(self) -> None:
        self.connection.close()


class PostgresFloor(Floor):
    dialect = POSTGRESQL

    def __init__(self, conninfo: str) -> None:
        super().__init__(postgres_sql(SQL))
        # READ COMMITTED like make_engine; psycopg begins implicitly at the first statement.
        self.connection = psycopg.connect(conninfo, autocommit=False)
        self.connection.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        self.cursor = self.connection.cursor()

    def begin(self) -> None:
        pass

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def instant(self) -> dict[str, object]:
        return {"window": Policy().checkout_hold}  # the instant itself is the server's now()

    def order_value(self, order_id: uuid.UUID) -> object:
        return order_id

    def close(self) -> None:
        self.connection.close()


# ---------------------------------------------------------------------------------------
# A till: rings its carts up through the services, then checks them out on either path
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TillSetup:
    """Everything a till worker needs, picklable for a process."""

    dialect: str
    url: str
    """The SQLAlchemy URL, with its password."""
    till_id: int
    index: int
    manager_id: int
    product_ids: tuple[int, ...]


@dataclass(frozen=True)
class Job:
    path: str
    round: int
    sales: int


@dataclass(frozen=True)
class Report:
    till: int
    path: str
    round: int
    started: float
    finished: float
    seconds: tuple[float, ...]
    """Each sale's own time."""
    orders: tuple[tuple[tuple[int, int, int], str], ...]
    """(round, till, k) -> order id, for the comparison afterwards."""


@dataclass(frozen=True)
class Failure:
    till: int
    error: str


def ok_value(result: Result[Any], what: str) -> Any:
    if isinstance(result, Err):
        raise RuntimeError(f"{what} refused: {result.code.value} {dict(result.params)}")
    return result.value


def sale_products(product_ids: Sequence[int], sale: tuple[int, int, int]) -> list[tuple[int, int]]:
    """The products and quantities of one sale: the same on both paths."""
    rng = random.Random("/".join(map(str, sale)))
    return [(product, rng.randint(1, 3)) for product in rng.sample(product_ids, LINES_PER_SALE)]


def ring_up(
    uow: UnitOfWork, setup: TillSetup, round_: int, index: int, sales: int
) -> list[ReadyCart]:
    carts = []
    for k in range(sales):
        sale = (round_, index, k)
        summary = ok_value(
            open_cart(uow, cashier_id=setup.manager_id, till_id=setup.till_id), "open_cart"
        )
        for product_id, quantity in sale_products(setup.product_ids, sale):
            summary = ok_value(
                add_to_cart(uow, summary.cart_id, product_id, quantity), "add_to_cart"
            )
        total = summary.total_minor
        carts.append(ReadyCart(summary.cart_id, total, total + CHANGE_MINOR, sale))
    return carts


def services_sale(uow: UnitOfWork, cart: ReadyCart) -> uuid.UUID:
    result = checkout(
        uow,
        cart.cart_id,
        shown_total_minor=cart.total_minor,
        tender=Cash(cart.given_minor),
        idempotency_key=str(uuid.uuid4()),
    )
    if not isinstance(result, Ok) or result.value.status is not PaymentStatus.PAID:
        raise RuntimeError(f"checkout did not end paid: {result!r}")
    order_id: uuid.UUID = result.value.order_id
    return order_id


class TillDesk:
    """One till's connections: the services' engine and unit of work, the floor's driver."""

    def __init__(self, setup: TillSetup) -> None:
        self.setup = setup
        self.engine = make_engine(setup.url)
        self.uow = UnitOfWork(self.engine)
        self.floor = open_floor(setup.dialect, setup.url)

    def run(self, job: Job, carts: Sequence[ReadyCart]) -> Report:
        """Check the carts out one after the other on the job's path."""
        clock = time.perf_counter
        seconds: list[float] = []
        orders: list[tuple[tuple[int, int, int], str]] = []
        sell: Callable[[ReadyCart], uuid.UUID]
        if job.path == SERVICES:
            uow = self.uow

            def sell(cart: ReadyCart) -> uuid.UUID:
                return services_sale(uow, cart)
        else:
            sell = self.floor.sale
        started = time.monotonic()
        for cart in carts:
            begun = clock()
            orders.append((cart.sale, str(sell(cart))))
            seconds.append(clock() - begun)
        finished = time.monotonic()
        return Report(
            self.setup.till_id,
            job.path,
            job.round,
            started,
            finished,
            tuple(seconds),
            tuple(orders),
        )

    def close(self) -> None:
        self.floor.close()
        self.engine.dispose()


def open_floor(dialect: str, url: str) -> Floor:
    parsed = make_url(url)
    if dialect == SQLITE:
        assert parsed.database
        return SQLiteFloor(parsed.database)
    return PostgresFloor(parsed.set(drivername="postgresql").render_as_string(hide_password=False))


class BarrierLike(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...
    def abort(self) -> None: ...


class QueueLike(Protocol):
    def put(self, item: Any) -> None: ...
    def get(self, block: bool = True, timeout: float | None = None) -> Any: ...


def till_main(setup: TillSetup, jobs: QueueLike, reports: QueueLike, barrier: BarrierLike) -> None:
    """A till worker: per job, ring up its carts, wait for the others, check them out."""
    desk: TillDesk | None = None
    try:
        desk = TillDesk(setup)
        while (job := jobs.get()) is not None:
            carts = ring_up(desk.uow, setup, job.round, setup.index, job.sales)
            barrier.wait(BARRIER_TIMEOUT_S)  # every till has rung up
            barrier.wait(BARRIER_TIMEOUT_S)  # the reservations have lapsed (or not, --held)
            reports.put(desk.run(job, carts))
    except BaseException:
        reports.put(Failure(setup.till_id, traceback.format_exc()))
        barrier.abort()
    finally:
        if desk is not None:
            desk.close()


# ---------------------------------------------------------------------------------------
# The store, and the run of one dialect
# ---------------------------------------------------------------------------------------


@dataclass
class Store:
    dialect: str
    url: str
    engine: Engine
    uow: UnitOfWork
    manager_id: int
    till_ids: tuple[int, ...]
    product_ids: tuple[int, ...]


def set_up_store(dialect: str, url: str, tills: int) -> Store:
    """Schema, a manager, the tills, products with plenty of stock."""
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    manager = ok_value(
        create_user(uow, "bench.manager", "Bench Manager", Role.MANAGER, "2468"), "create_user"
    )
    till_table = table_of(TillRow)
    codes = [f"T{n:02d}" for n in range(1, tills + 1)]
    with engine.begin() as connection:
        existing = set(connection.execute(select(till_table.c.code)).scalars())
        missing = [
            {"code": code, "location_id": DEFAULT_LOCATION_ID}
            for code in codes
            if code not in existing
        ]
        if missing:
            connection.execute(insert(till_table), missing)
        ids = dict(
            connection.execute(
                select(till_table.c.code, till_table.c.id).where(till_table.c.code.in_(codes))
            ).all()
        )
    product_ids = []
    for n in range(1, PRODUCTS + 1):
        draft = ProductDraft(
            sku=f"BENCH-{n:04d}",
            name=f"Ürün {n:03d} Torku Süt 1 L",
            price_minor=250 + 37 * n,
            tax_rate_bp=TAX_RATES_BP[n % len(TAX_RATES_BP)],
        )
        product = ok_value(create_product(uow, draft, user_id=manager.id), "create_product")
        ok_value(receive_stock(uow, product.id, STOCK, user_id=manager.id), "receive_stock")
        product_ids.append(product.id)
    return Store(
        dialect,
        url,
        engine,
        uow,
        manager.id,
        tuple(ids[code] for code in codes),
        tuple(product_ids),
    )


def lapse_reservations(store: Store, expected: int) -> None:
    """The sweeper expires every held line, as if the carts had waited a day at the till."""
    report = ok_value(
        release_expired(store.uow, datetime.now(UTC) + timedelta(days=1)), "release_expired"
    )
    if report.expired != expected:
        raise RuntimeError(f"the sweeper expired {report.expired} reservations, not {expected}")


@dataclass
class PathFigures:
    sales: int = 0
    wall: float = 0.0
    seconds: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.sales / self.wall

    def percentile(self, fraction: float) -> float:
        return percentile(self.seconds, fraction)


@dataclass
class Figures:
    dialect: str
    workers: str
    tills: int
    held: bool
    services: PathFigures
    floor: PathFigures
    statements: dict[str, str]

    @property
    def ratio(self) -> float:
        return self.services.per_second / self.floor.per_second


class Tills:
    """The till workers of one dialect: threads or processes, fed one job per round."""

    def __init__(self, store: Store, workers: str) -> None:
        self.store = store
        count = len(store.till_ids)
        self.context: Any
        if workers == "processes":
            # spawn: a fresh interpreter, nothing inherited from this one's engines.
            self.context = multiprocessing.get_context("spawn")
            self.jobs: QueueLike = self.context.Queue()
            self.reports: QueueLike = self.context.Queue()
            self.barrier: BarrierLike = self.context.Barrier(count + 1)
            starter: Callable[..., Any] = self.context.Process
        else:
            self.jobs = queue.Queue()
            self.reports = queue.Queue()
            self.barrier = threading.Barrier(count + 1)
            starter = threading.Thread
        self.workers = [
            starter(
                target=till_main,
                args=(
                    TillSetup(
                        store.dialect,
                        store.url,
                        till_id,
                        index,
                        store.manager_id,
                        store.product_ids,
                    ),
                    self.jobs,
                    self.reports,
                    self.barrier,
                ),
                daemon=True,
            )
            for index, till_id in enumerate(store.till_ids)
        ]
        for worker in self.workers:
            worker.start()

    def round(self, path: str, round_: int, sales: int, held: bool) -> list[Report]:
        count = len(self.workers)
        for _ in range(count):
            self.jobs.put(Job(path, round_, sales))
        try:
            self.barrier.wait(BARRIER_TIMEOUT_S)
            try:
                if not held:
                    lapse_reservations(self.store, count * sales * LINES_PER_SALE)
            except BaseException:
                self.barrier.abort()
                raise
            self.barrier.wait(BARRIER_TIMEOUT_S)
        except threading.BrokenBarrierError:
            self.fail()
        reports = []
        for _ in range(count):
            got = self.reports.get(timeout=BARRIER_TIMEOUT_S)
            if isinstance(got, Failure):
                self.fail(got)
            reports.append(got)
        return reports

    def fail(self, failure: Failure | None = None) -> None:
        self.barrier.abort()  # the other tills stop waiting
        if failure is None:
            try:
                failure = self.reports.get(timeout=30)
            except queue.Empty:
                raise SystemExit("a till stopped without a word") from None
        raise SystemExit(f"till {failure.till} failed:\n{failure.error}")

    def close(self) -> None:
        for _ in self.workers:
            self.jobs.put(None)
        for worker in self.workers:
            worker.join(timeout=30)


def measure(store: Store, args: argparse.Namespace, workers: str) -> Figures:
    statements = count_statements(store, args.held, args.show_statements)
    figures = {path: PathFigures() for path in PATHS}
    pairs: dict[tuple[int, int, int], dict[str, str]] = {}
    tills = Tills(store, workers)
    try:
        # Round 0 warms both paths up (connections, prepared plans, caches): not counted.
        for round_ in range(args.rounds + 1):
            order = PATHS if round_ % 2 == 0 else PATHS[::-1]
            for path in order:
                sales = args.warm_up if round_ == 0 else args.sales
                reports = tills.round(path, round_, sales, args.held)
                for report in reports:
                    for sale, order_id in report.orders:
                        pairs.setdefault(sale, {})[path] = order_id
                if round_ == 0:
                    continue
                wall = max(r.finished for r in reports) - min(r.started for r in reports)
                figures[path].sales += sum(len(r.orders) for r in reports)
                figures[path].wall += wall
                figures[path].seconds.extend(s for r in reports for s in r.seconds)
    finally:
        tills.close()
    verify(store, pairs)
    return Figures(
        store.dialect,
        workers,
        len(store.till_ids),
        args.held,
        figures[SERVICES],
        figures[FLOOR],
        statements,
    )


# ---------------------------------------------------------------------------------------
# The work of one sale on each side, counted before the measurement
# ---------------------------------------------------------------------------------------


def kind(statement: str) -> str:
    words = statement.replace("(", " ").split()
    head = words[0].upper()
    if head == "UPDATE":
        return f"UPDATE {words[1]}"
    if head in ("INSERT", "DELETE"):
        return f"{head} {words[2]}"
    if head == "SELECT" and "FROM" in words:
        return f"SELECT {words[words.index('FROM') + 1]}"
    return " ".join(words[:3])


@contextmanager
def counting_services(engine: Engine, into: list[str]) -> Iterator[Counter[str]]:
    """Record the statements the services hand the driver, through Prepared or SQLAlchemy."""
    counts: Counter[str] = Counter()
    # ``execute`` goes through ``send``; ``execute_many`` counts once, as the floor's does.
    real_send = Prepared.__dict__["send"]
    real_many = Prepared.__dict__["execute_many"]

    def recording_send(self: Prepared, connection: Any, params: Mapping[str, Any]) -> Any:
        into.append(str(self.statement.compile(dialect=connection.dialect)))
        return real_send(self, connection, params)

    def recording_many(self: Prepared, connection: Any, rows: Any) -> Any:
        into.append(str(self.statement.compile(dialect=connection.dialect)))
        return real_many(self, connection, rows)

    def on_execute(*event_args: Any) -> None:
        into.append(event_args[2])

    def on_begin(_conn: Any) -> None:
        counts["transactions"] += 1

    dialect: Any = engine.dialect
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        counts["pings"] += 1
        alive: bool = real_ping(dbapi_connection)
        return alive

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "begin", on_begin)
    dialect.do_ping = counting_ping
    setattr(Prepared, "send", recording_send)  # noqa: B010
    setattr(Prepared, "execute_many", recording_many)  # noqa: B010
    try:
        yield counts
    finally:
        setattr(Prepared, "send", real_send)  # noqa: B010
        setattr(Prepared, "execute_many", real_many)  # noqa: B010
        del dialect.do_ping
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)


def count_statements(store: Store, held: bool, show: bool) -> dict[str, str]:
    """One sale on each side at the first till, recorded: how many statements each sends."""
    setup = TillSetup(
        store.dialect,
        store.url,
        store.till_ids[0],
        0,
        store.manager_id,
        store.product_ids,
    )
    services: list[str] = []
    floor_trace: list[str] = []
    # Rounds -1 and -2: sales of their own, outside the measured ones.
    cart = ring_up(store.uow, setup, -1, 0, 1)[0]
    if not held:
        lapse_reservations(store, LINES_PER_SALE)
    with counting_services(store.engine, services) as counts:
        services_sale(store.uow, cart)
    floor = open_floor(store.dialect, store.url)
    try:
        cart = ring_up(store.uow, setup, -2, 0, 1)[0]
        if not held:
            lapse_reservations(store, LINES_PER_SALE)
        floor.trace = floor_trace
        floor.sale(cart)
    finally:
        floor.close()
    now_reads = sum(1 for s in services if s.startswith("SELECT now()"))
    described = {
        SERVICES: (
            f"{len(services) - now_reads} in {counts['transactions']} transactions"
            + (f" (+ {now_reads} SELECT now())" if now_reads else "")
            + (f" (+ {counts['pings']} pool pre-pings)" if counts["pings"] else "")
        ),
        FLOOR: f"{len(floor_trace)} in 2 transactions",
    }
    if show:
        print("  statements of one sale:")
        for path, trace in ((SERVICES, services), (FLOOR, floor_trace)):
            print(f"    {path}: " + ", ".join(kind(s) for s in trace))
    return described


# ---------------------------------------------------------------------------------------
# Checking what both sides left behind
# ---------------------------------------------------------------------------------------


def verify(store: Store, pairs: Mapping[tuple[int, int, int], Mapping[str, str]]) -> None:
    """Every sale paid and numbered without gaps; the books balance; both paths alike."""
    with store.engine.connect() as connection:
        unpaid = connection.execute(
            text("SELECT count(*) FROM orders WHERE status <> 'paid' OR receipt_number IS NULL")
        ).scalar_one()
        active = connection.execute(
            text("SELECT count(*) FROM reservations WHERE status = 'active'")
        ).scalar_one()
        gaps = connection.execute(
            text(
                "SELECT t.code, t.last_receipt_number, count(r.number), min(r.number), "
                "max(r.number), (SELECT count(*) FROM orders o WHERE o.till_id = t.id) "
                "FROM tills t LEFT JOIN receipts r ON r.till_id = t.id "
                "GROUP BY t.id, t.code, t.last_receipt_number"
            )
        ).all()
        snapshots = order_snapshots(connection)
    problems = []
    if unpaid:
        problems.append(f"{unpaid} orders not paid")
    if active:
        problems.append(f"{active} reservations still active")
    for code, last, count, low, high, orders in gaps:
        if count and (low, high, count, last, orders) != (1, count, count, count, count):
            problems.append(f"till {code}: receipts {low}..{high} ({count}), last {last}")
    try:
        assert_invariants(store.engine)
    except AssertionError as error:
        problems.append(f"stock or coupon books do not balance: {error!r}")
    compared = 0
    for sale, orders in sorted(pairs.items()):
        if len(orders) != len(PATHS):
            problems.append(f"sale {sale} ran on {sorted(orders)} only")
            continue
        mine, theirs = (snapshots.get(orders[path]) for path in PATHS)
        if mine is None or mine != theirs:
            problems.append(f"sale {sale}: services {mine}\n  floor {theirs}")
        compared += 1
    if problems:
        raise SystemExit(f"{store.dialect}: checks failed:\n  " + "\n  ".join(problems[:10]))
    print(
        f"  checked: {compared} sales alike on both paths, all paid, receipts without gaps, "
        "no reservation left active, stock books balance"
    )


def order_snapshots(connection: Any) -> dict[str, tuple[Any, ...]]:
    """Per order (its id as text): what the sale left behind that does not vary by run."""

    def key(value: object) -> str:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))

    items: dict[str, list[tuple[Any, ...]]] = {}
    for row in connection.execute(
        text(
            "SELECT order_id, line_no, product_id, sku, name, unit_price_minor, quantity, "
            "tax_rate_bp, discount_minor, total_minor FROM order_items "
            "ORDER BY order_id, line_no"
        )
    ):
        items.setdefault(key(row[0]), []).append(tuple(row[1:]))
    payments = {
        key(row[0]): tuple(row[1:])
        for row in connection.execute(
            text(
                "SELECT order_id, method, provider, status, amount_minor, currency, "
                "tendered_minor, change_minor FROM payments"
            )
        )
    }
    consumed = {
        key(row[0]): row[1]
        for row in connection.execute(
            text(
                "SELECT order_id, sum(quantity) FROM reservations "
                "WHERE status = 'consumed' GROUP BY order_id"
            )
        )
    }
    outbox = {
        row[0]: (row[1], sorted(json.loads(row[2])))
        for row in connection.execute(text('SELECT "key", topic, payload FROM outbox'))
    }
    snapshots = {}
    for row in connection.execute(
        text(
            "SELECT id, status, currency, prices_include_tax, subtotal_minor, discount_minor, "
            "tax_minor, total_minor, coupon_id, customer, shipping_address, "
            "paid_at IS NOT NULL, ended_at IS NOT NULL FROM orders"
        )
    ):
        order = key(row[0])
        snapshots[order] = (
            (row[1], row[2], bool(row[3]), *row[4:]),
            tuple(items.get(order, ())),
            payments.get(order),
            consumed.get(order),
            outbox.get(order),
        )
    return snapshots


# ---------------------------------------------------------------------------------------
# Per dialect
# ---------------------------------------------------------------------------------------


def report(figures: Figures) -> None:
    s, f = figures.services, figures.floor
    print(
        f"  {figures.tills} tills ({figures.workers}), "
        f"{'reservations held' if figures.held else 'reservations lapsed'}; "
        f"statements per sale: services {figures.statements[SERVICES]}, "
        f"floor {figures.statements[FLOOR]}"
    )
    for name, path in ((SERVICES, s), (FLOOR, f)):
        print(
            f"    {name:<8} {path.per_second:8.1f} sales/s  ({path.sales} sales in "
            f"{path.wall:.2f} s; per sale median {statistics.median(path.seconds) * 1e3:.2f} ms, "
            f"p90 {path.percentile(0.9) * 1e3:.2f} ms)"
        )
    verdict = "ok" if figures.ratio >= TARGET else f"BELOW the target of {TARGET:.0%}"
    print(f"    services reach {figures.ratio:.0%} of the floor's throughput: {verdict}")


def run_dialect(dialect: str, url: str, args: argparse.Namespace) -> Figures:
    workers = (
        args.workers
        if args.workers != "auto"
        else ("processes" if dialect == SQLITE else "threads")
    )
    store = set_up_store(dialect, url, args.tills)
    try:
        figures = measure(store, args, workers)
        report(figures)
        if args.profile:
            profile(store, args)
    finally:
        store.engine.dispose()
    return figures


def run_sqlite(args: argparse.Namespace) -> Figures:
    with tempfile.TemporaryDirectory(prefix="kasa-bench-") as directory:
        path = Path(directory) / "store.db"
        print(f"SQLite (temporary file, WAL, synchronous=NORMAL): {path}")
        return run_dialect(SQLITE, f"sqlite:///{path}", args)


def run_postgres(server_url: str, args: argparse.Namespace) -> Figures:
    with scratch_postgres_database(server_url) as url:
        print(f"PostgreSQL ({url.host}:{url.port or 5432}, scratch database {url.database})")
        return run_dialect(POSTGRESQL, url.render_as_string(hide_password=False), args)


def profile(store: Store, args: argparse.Namespace) -> None:
    """The services path at one till under cProfile, beside the floor's time for the same."""
    setup = TillSetup(
        store.dialect, store.url, store.till_ids[0], 0, store.manager_id, store.product_ids
    )
    desk = TillDesk(setup)
    try:
        times = {}
        profiler = cProfile.Profile()
        for path, round_ in ((SERVICES, -3), (FLOOR, -4)):
            carts = ring_up(desk.uow, setup, round_, 0, args.sales)
            if not args.held:
                lapse_reservations(store, len(carts) * LINES_PER_SALE)
            started = time.perf_counter()
            if path == SERVICES:
                profiler.runcall(desk.run, Job(path, round_, len(carts)), carts)
            else:
                desk.run(Job(path, round_, len(carts)), carts)
            times[path] = (time.perf_counter() - started) / len(carts)
    finally:
        desk.close()
    print(
        f"  profile at one till: services {times[SERVICES] * 1e3:.2f} ms per sale under "
        f"cProfile, floor {times[FLOOR] * 1e3:.2f} ms without it"
    )
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(25)
        print(f"  services, by {order}:")
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        for line in lines[start:]:
            if line.strip():
                print(f"    {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sales", type=int, default=25, help="sales per till per round")
    parser.add_argument("--rounds", type=int, default=4, help="measured rounds per path")
    parser.add_argument("--warm-up", type=int, default=3, help="sales per till, untimed")
    parser.add_argument("--tills", type=int, default=4, help="tills selling at once")
    default_dialect = "both" if os.environ.get(PG_ENV) else SQLITE
    parser.add_argument("--dialect", choices=(SQLITE, POSTGRESQL, "both"), default=default_dialect)
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV), help=f"default ${PG_ENV}")
    parser.add_argument(
        "--workers",
        choices=("auto", "threads", "processes"),
        default="auto",
        help="auto: processes on SQLite, threads on PostgreSQL",
    )
    parser.add_argument(
        "--held",
        action="store_true",
        help="check out carts whose reservations are still held (no per-line reserving)",
    )
    parser.add_argument("--show-statements", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile the services path")
    args = parser.parse_args(argv)
    if args.sales < 1 or args.rounds < 1 or args.tills < 1 or args.warm_up < 1:
        parser.error("--sales, --rounds, --tills and --warm-up must be at least 1")

    results = []
    if args.dialect in (SQLITE, "both"):
        results.append(run_sqlite(args))
    if args.dialect in (POSTGRESQL, "both"):
        if not args.pg_url:
            parser.error(f"PostgreSQL needs --pg-url or ${PG_ENV}")
        results.append(run_postgres(args.pg_url, args))
    print(
        summary_line(
            "checkout",
            (
                f"{f.dialect} services {f.services.per_second:.1f}/s, "
                f"floor {f.floor.per_second:.1f}/s, ratio {f.ratio:.0%}"
                for f in results
            ),
        )
    )
    # The same sale paid part in cash and the rest by card through the reconciler, against
    # this one-tender sale: tests/benchmarks/tenders.py, run here too so one command
    # gives both figures (imported here: it builds on this module).
    from tests.benchmarks import tenders

    split = [
        tenders.run_on(f.dialect, args.pg_url, args.sales * args.tills, warm_up=20) for f in results
    ]
    print(summary_line("tenders", [(f.dialect, f.ratio) for f in split]))
    below = [f for f in results if f.ratio < TARGET]
    above = [f for f in split if f.ratio > tenders.TARGET]
    for figures in above:
        print(
            f"{figures.dialect}: two tenders take {figures.ratio:.1f}x one, above {tenders.TARGET}x"
        )
    below_any = below or above
    for figures in below:
        print(
            f"{figures.dialect}: the services reach {figures.ratio:.0%} of the floor's "
            f"throughput, below the target of {TARGET:.0%}"
        )
    return 1 if below_any else 0


if __name__ == "__main__":
    sys.exit(main())
