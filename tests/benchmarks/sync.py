"""Benchmark: 10,000 offline sales of 5 lines each pushed home to the central PostgreSQL.

What is timed is ``push_outbox`` draining a till's SQLite replica: for each sale the
central ``ingest_sale`` (one transaction: the order, a closed cart, 5 lines, the cash
tender, the receipt number and the till's counter, the stock of 5 products, the
``order.paid`` record) and then the replica's outbox record marked sent.

The sales are the till's own payloads: one real offline sale is made through the till's
use cases on the replica (``open_cart``, ``add_to_cart``, cash ``checkout``) and its
outbox payload is the template of every other, each with its own order UUID, keys,
receipt number and five random products (one to three units each at their prices).

What each arriving sale also gets, in its own transaction: the till's open cash
session (on the order and its paid tender), the end of an open conflict of the same
sale, and its entry in the till's journal, signed with the till's Ed25519 key.

The floor is the same inserts and updates through the bare drivers (libpq through
``psycopg.pq`` for the central store, ``sqlite3`` for the replica) and nothing more, in
the services' shape (``pos.services.ingest_burst``): bursts of 100 sales, each burst one
round trip that looks at the till's journal head and key and takes the payments' ids,
then each sale its own transaction between two pipeline syncs, the sales of the burst
back to back: the stock of its 5 lines in one statement (locked in product order,
failing unless the shelf covers them), the till's row (its counter raised and the
journal's head moved on by compare-and-set), the cart and the order in one statement
(its session by a sub-select of the till's open one), the 5 lines in one statement,
the payment under its id (its session likewise), the receipt, the outbox record, the
``UPDATE sync_conflicts`` that ends an open conflict of the sale and the ``INSERT`` of
the entry (its content, hash and Ed25519 signature computed in the floor as well); each
commit without waiting for the disk, and the burst's last transaction waiting for it
(for all of them), as the services do. Every 25 sales the replica's ``UPDATE outbox SET
sent_at, answer`` and its COMMIT, as the services mark them. The floor sells as another
till (its own receipt series and journal) from its own 10,000 payloads. The two
alternate in rounds of ``--round`` sales so the machine's mood falls on both alike.

Afterwards, or the script exits 1: every sale of both paths is in the central store
once, each till's receipts run 1..n without gaps, the stock books balance
(``tests/invariants.py``), each till's journal holds one entry per sale and passes
``pos journal verify``, and a second push of the first 200 services sales (their
records marked unsent again, as after a crash) answers "already here" for each and
changes nothing. Summary line::

    sync: 10000 sales in N s, services/floor N.Nx, exactly once: yes

Targets: under 20 s, and within 2x of the floor.

Run::

    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/sync.py [--sales 10000] [--round 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq
from psycopg.generators import fetch_many
from psycopg.generators import send as send_all
from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # for tests.invariants, and pos without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from pos.domain.journal import canonical, content_digest, entry_hash, utc_text  # noqa: E402
from pos.domain.results import Err  # noqa: E402
from pos.journal_keys import public_bytes, till_key  # noqa: E402
from pos.services import books  # noqa: E402
from pos.services._offline import TOPIC_OFFLINE_SALE  # noqa: E402
from pos.services.cart import add_to_cart, open_cart  # noqa: E402
from pos.services.catalogue import ProductDraft, create_product  # noqa: E402
from pos.services.checkout import Cash, checkout  # noqa: E402
from pos.services.journal_verify import verify  # noqa: E402
from pos.services.offline import went_offline  # noqa: E402
from pos.services.stock import receive_stock  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.migrate import upgrade  # noqa: E402
from pos.store.models import DEFAULT_LOCATION_ID, Role  # noqa: E402
from pos.store.tables import orders, outbox, tills  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402
from pos.sync.push import push_outbox  # noqa: E402
from tests.benchmarks.harness import postgres_server  # noqa: E402
from tests.benchmarks.scratch import scratch_postgres_database  # noqa: E402
from tests.invariants import assert_invariants  # noqa: E402
from tests.offline import pull  # noqa: E402

PRODUCTS = 200
STOCK = 1_000_000
LINES = 5
TARGET_SECONDS = 20.0
TARGET_RATIO = 2.0
BURST = 100
"""Sales in one burst, as the services send them (``pos.services.ingest_burst.BURST``)."""
MARK_EVERY = 25
"""As the services mark the replica's records: a few sales at a time."""


def set_up(url: str) -> tuple[Any, list[int], dict[int, int]]:
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    manager = create_user(uow, "bench.manager", "Bench Manager", Role.MANAGER, "2468")
    assert not isinstance(manager, Err), manager
    prices: dict[int, int] = {}
    for n in range(1, PRODUCTS + 1):
        draft = ProductDraft(sku=f"SYNC-{n:04d}", name=f"Ürün {n:03d}", price_minor=250 + 37 * n)
        product = create_product(uow, draft, user_id=manager.value.id)
        assert not isinstance(product, Err), product
        received = receive_stock(uow, product.value.id, STOCK, user_id=manager.value.id)
        assert not isinstance(received, Err), received
        prices[product.value.id] = draft.price_minor
    with engine.begin() as connection:
        connection.execute(insert(tills).values(code="T02", location_id=DEFAULT_LOCATION_ID))
    return engine, list(prices), prices


def template_payload(central: Any, folder: Path, products: list[int]) -> dict[str, Any]:
    """One real offline sale, made on a replica through the till's use cases."""
    path = folder / "template.sqlite3"
    replica = make_engine(f"sqlite:///{path}")
    upgrade(replica)
    pull(central, replica)
    off = UnitOfWork(replica, offline=True)
    assert not isinstance(went_offline(off, 1), Err)
    cart = open_cart(off)
    assert not isinstance(cart, Err), cart
    for product in products[:LINES]:
        assert not isinstance(add_to_cart(off, cart.value.cart_id, product, 2), Err)
    total = cart_total(off, cart.value.cart_id)
    sale = checkout(
        off,
        cart.value.cart_id,
        shown_total_minor=total,
        tender=Cash(total),
        idempotency_key=str(uuid.uuid4()),
    )
    assert not isinstance(sale, Err), sale
    with replica.connect() as connection:
        body = connection.execute(select(outbox.c.payload)).scalar_one()
    replica.dispose()
    payload: dict[str, Any] = json.loads(body)
    return payload


def cart_total(uow: UnitOfWork, cart_id: int) -> int:
    from pos.services.cart import cart_summary

    summary = cart_summary(uow, cart_id)
    assert not isinstance(summary, Err), summary
    return summary.value.total_minor


def payloads(
    template: dict[str, Any], prices: dict[int, int], till: tuple[int, str], count: int, seed: int
) -> list[dict[str, Any]]:
    """``count`` sales shaped as the till writes them, numbered 1..count on ``till``."""
    chooser = random.Random(seed)
    products = list(prices)
    now = datetime.now(UTC).isoformat(sep=" ")
    made = []
    for number in range(1, count + 1):
        lines = []
        for line_no, product in enumerate(sorted(chooser.sample(products, LINES)), start=1):
            quantity = chooser.randint(1, 3)
            lines.append(
                {
                    **template["lines"][0],
                    "line_no": line_no,
                    "product_id": product,
                    "sku": f"SYNC-{product:04d}",
                    "unit_price_minor": prices[product],
                    "quantity": quantity,
                    "discount_minor": 0,
                    "total_minor": prices[product] * quantity,
                }
            )
        total = sum(line["total_minor"] for line in lines)
        tender = {
            **template["tenders"][0],
            "idempotency_key": str(uuid.uuid4()),
            "amount_minor": total,
            "tendered_minor": total,
            "change_minor": 0,
            "created_at": now,
            "updated_at": now,
        }
        made.append(
            {
                **template,
                "order_id": str(uuid.uuid4()),
                "till_id": till[0],
                "till_code": till[1],
                "sequence": number,
                "receipt_number": number,
                "idempotency_key": str(uuid.uuid4()),
                "subtotal_minor": total,
                "discount_minor": 0,
                "tax_minor": total // 6,
                "total_minor": total,
                "coupon": None,
                "till_clock": {"created_at": now, "paid_at": now},
                "lines": lines,
                "tenders": [tender],
                "payment_events": [],
            }
        )
    return made


def fill_outbox(path: Path, sales: list[dict[str, Any]]) -> None:
    """Put the sales in a replica's outbox, unsent, as the till's checkout leaves them."""
    connection = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat(sep=" ")
    with connection:
        connection.executemany(
            "INSERT INTO outbox (topic, key, payload, created_at) VALUES (?, ?, ?, ?)",
            [
                (TOPIC_OFFLINE_SALE, sale["order_id"], json.dumps(sale, ensure_ascii=False), now)
                for sale in sales
            ],
        )
    connection.close()


FLOOR_STATEMENTS = {
    b"floor_lazy": "SELECT set_config('synchronous_commit', 'off', true)",
    b"floor_durable": "SELECT txid_current()",
    b"floor_stock": (
        "WITH wanted AS (SELECT * FROM unnest($1::bigint[], $2::bigint[])"
        " AS w (product_id, quantity)),"
        " locked AS MATERIALIZED (SELECT i.product_id FROM inventory AS i JOIN wanted AS w"
        " ON w.product_id = i.product_id WHERE i.location_id = $3"
        " ORDER BY i.product_id FOR UPDATE OF i),"
        " taken AS (UPDATE inventory AS i SET available = i.available - w.quantity"
        " FROM wanted AS w WHERE i.location_id = $3 AND i.product_id = w.product_id"
        " AND i.available >= w.quantity AND i.product_id IN (SELECT product_id FROM locked)"
        " RETURNING i.product_id)"
        " SELECT 1 / ((SELECT count(*) FROM taken) = cardinality($1::bigint[]))::int"
    ),
    b"floor_head": (
        "WITH moved AS (UPDATE tills SET journal_seq = $1, journal_hash = $2,"
        " last_receipt_number = greatest(last_receipt_number, $3) WHERE id = $4"
        " AND journal_seq = $1 - 1 AND journal_hash = $5 RETURNING id)"
        " SELECT 1 / count(*) FROM moved"
    ),
    b"floor_order": (
        "WITH cart AS (INSERT INTO carts (status, currency, location_id, cashier_id,"
        " till_id, prices_include_tax, coupon_id, created_at, updated_at)"
        " VALUES ('closed', $1, $2, NULL, $3, true, NULL, $4, $4) RETURNING id)"
        " INSERT INTO orders (id, cart_id, till_id, location_id, cashier_id, status,"
        " idempotency_key, request_digest, currency, prices_include_tax, subtotal_minor,"
        " discount_minor, tax_minor, total_minor, receipt_number, created_at, paid_at,"
        " ended_at, cash_session_id) SELECT $5, cart.id, $3, $2, NULL, 'paid', $6, $7, $1,"
        " true, $8, $9, $10, $11, $12, $4, $4, $4, (SELECT id FROM cash_sessions"
        " WHERE till_id = $3 AND closed_at IS NULL) FROM cart"
    ),
    b"floor_payment": (
        "INSERT INTO payments (id, order_id, method, provider, provider_payment_id,"
        " idempotency_key, status, amount_minor, currency, tendered_minor, change_minor,"
        " created_at, updated_at, settled_by, cash_session_id) VALUES ($1, $2, 'cash',"
        " NULL, NULL, $3, 'paid', $4, $5, $6, $7, $8, $8, 'cash', (SELECT id FROM"
        " cash_sessions WHERE till_id = $9 AND closed_at IS NULL))"
    ),
    b"floor_receipt": (
        "INSERT INTO receipts (till_id, number, order_id, issued_at) VALUES ($1, $2, $3, $4)"
    ),
    b"floor_outbox": (
        "INSERT INTO outbox (topic, key, payload, created_at) VALUES ('order.paid', $1, $2, $3)"
    ),
    b"floor_conflict": (
        "UPDATE sync_conflicts SET status = 'resolved', resolved_at = $1"
        " WHERE order_id = $2 AND status = 'open'"
    ),
    b"floor_entry": (
        "INSERT INTO journal (till_id, seq, kind, event_id, at, content, prev_hash, hash,"
        " key_id, signature) VALUES ($1, $2, 'sale', $3, $4, $5, $6, $7, $8, $9)"
    ),
}
"""The floor's statements, prepared once."""


class Floor:
    """The same inserts and updates through the bare drivers (libpq through ``psycopg.pq``,
    and ``sqlite3``), in the services' shape: a look per burst, then each sale its own
    transaction, the sales of a burst back to back in one pipeline, the disk waited for
    once at the burst's end."""

    LINE = (
        "INSERT INTO order_items (order_id, line_no, product_id, sku, name,"
        " unit_price_minor, quantity, tax_rate_bp, discount_minor, total_minor,"
        " returned_quantity) VALUES "
    )

    def __init__(self, conninfo: str, replica: Path, till_code: str) -> None:
        self.central = psycopg.connect(conninfo, autocommit=True)
        self.replica = sqlite3.connect(replica, isolation_level=None)
        self.replica.execute("PRAGMA journal_mode=WAL")
        self.replica.execute("PRAGMA synchronous=NORMAL")
        # The till's signing key, recorded as the services record one on a first entry.
        self.key = till_key(till_code)
        self.public = public_bytes(self.key)
        self.central.execute(
            "INSERT INTO till_keys (till_id, public_key, created_at)"
            " SELECT id, %s, now() FROM tills WHERE code = %s",
            (self.public, till_code),
        )
        pgconn = self.central.pgconn
        pgconn.enter_pipeline_mode()
        for name, sql in FLOOR_STATEMENTS.items():
            pgconn.send_prepare(name, sql.encode())
        for lines in range(1, LINES + 1):
            pgconn.send_prepare(b"floor_lines_%d" % lines, self._lines_sql(lines).encode())
        pgconn.pipeline_sync()
        self._answer(1)

    @classmethod
    def _lines_sql(cls, count: int) -> str:
        return cls.LINE + ", ".join(
            "(" + ", ".join(f"${n * 10 + k}" for k in range(1, 11)) + ", 0)" for n in range(count)
        )

    def push(self, sales: list[dict[str, Any]], first_record: int) -> None:
        marks: list[int] = []
        for start in range(0, len(sales), BURST):
            burst = sales[start : start + BURST]
            self.burst(burst)
            for index in range(start, start + len(burst)):
                marks.append(first_record + index)
                if len(marks) >= MARK_EVERY or index == len(sales) - 1:
                    self.replica.execute("BEGIN IMMEDIATE")
                    self.replica.executemany(
                        "UPDATE outbox SET sent_at = ?, answer = ?"
                        " WHERE id = ? AND sent_at IS NULL",
                        [(datetime.now(UTC).isoformat(sep=" "), "ingested", m) for m in marks],
                    )
                    self.replica.execute("COMMIT")
                    marks.clear()

    def look(self, till_id: int, count: int) -> tuple[int, str, str, int, list[int]]:
        """The till's head and key's id, and ``count`` payment ids, in one round trip."""
        pgconn = self.central.pgconn
        for sql, params in (
            ("SELECT journal_seq, journal_hash, code FROM tills WHERE id = $1", [till_id]),
            ("SELECT id FROM till_keys WHERE till_id = $1 AND public_key = $2", [till_id, None]),
            (
                "SELECT nextval(pg_get_serial_sequence('payments', 'id'))"
                " FROM generate_series(1, $1)",
                [count],
            ),
        ):
            encoded = [
                b"\\x" + self.public.hex().encode() if p is None else b"%d" % p for p in params
            ]
            pgconn.send_query_params(sql.encode(), encoded)
        pgconn.pipeline_sync()
        results = self._answer(1)
        head, key, ids = results
        seq, prev, code = (head.get_value(0, n).decode() for n in range(3))
        return (
            int(seq),
            prev,
            code,
            int(key.get_value(0, 0).decode()),
            [int(ids.get_value(n, 0).decode()) for n in range(ids.ntuples)],
        )

    def burst(self, sales: list[dict[str, Any]]) -> None:
        pgconn = self.central.pgconn
        seq, prev, code, key_id, ids = self.look(sales[0]["till_id"], len(sales))
        for sale, payment in zip(sales, ids, strict=False):
            now = datetime.now(UTC)
            at = now.isoformat().encode()
            order_id = sale["order_id"].encode()
            seq += 1
            content = self.content(sale, payment)
            digest = entry_hash(
                prev, code, seq, "sale", sale["order_id"], utc_text(now), content_digest(content)
            )
            wanted: dict[int, int] = {}
            for line in sale["lines"]:
                wanted[line["product_id"]] = wanted.get(line["product_id"], 0) + line["quantity"]
            products = sorted(wanted)
            till = b"%d" % sale["till_id"]
            tender = sale["tenders"][0]
            send = pgconn.send_query_prepared
            send(b"floor_lazy", None)
            send(
                b"floor_stock",
                [
                    ("{" + ",".join(map(str, products)) + "}").encode(),
                    ("{" + ",".join(str(wanted[p]) for p in products) + "}").encode(),
                    b"%d" % sale["location_id"],
                ],
            )
            send(
                b"floor_head",
                [b"%d" % seq, digest.encode(), b"%d" % sale["receipt_number"], till, prev.encode()],
            )
            send(
                b"floor_order",
                [
                    sale["currency"].encode(),
                    b"%d" % sale["location_id"],
                    till,
                    at,
                    order_id,
                    sale["idempotency_key"].encode(),
                    sale["request_digest"].encode(),
                    b"%d" % sale["subtotal_minor"],
                    b"%d" % sale["discount_minor"],
                    b"%d" % sale["tax_minor"],
                    b"%d" % sale["total_minor"],
                    b"%d" % sale["receipt_number"],
                ],
            )
            send(
                b"floor_lines_%d" % len(sale["lines"]),
                [
                    value
                    for line in sale["lines"]
                    for value in (
                        order_id,
                        b"%d" % line["line_no"],
                        b"%d" % line["product_id"],
                        line["sku"].encode(),
                        line["name"].encode(),
                        b"%d" % line["unit_price_minor"],
                        b"%d" % line["quantity"],
                        b"%d" % line["tax_rate_bp"],
                        b"%d" % line["discount_minor"],
                        b"%d" % line["total_minor"],
                    )
                ],
            )
            send(
                b"floor_payment",
                [
                    b"%d" % payment,
                    order_id,
                    tender["idempotency_key"].encode(),
                    b"%d" % tender["amount_minor"],
                    tender["currency"].encode(),
                    b"%d" % tender["tendered_minor"],
                    b"%d" % tender["change_minor"],
                    at,
                    till,
                ],
            )
            send(b"floor_receipt", [till, b"%d" % sale["receipt_number"], order_id, at])
            body = json.dumps({"order_id": sale["order_id"]}).encode()
            send(b"floor_outbox", [order_id, body, at])
            send(b"floor_conflict", [at, order_id])
            signature = self.key.sign(bytes.fromhex(digest))
            send(
                b"floor_entry",
                [
                    till,
                    b"%d" % seq,
                    order_id,
                    at,
                    content.encode(),
                    prev.encode(),
                    digest.encode(),
                    b"%d" % key_id,
                    b"\\x" + signature.hex().encode(),
                ],
            )
            pgconn.pipeline_sync()
            prev = digest
        send(b"floor_durable", None)
        pgconn.pipeline_sync()
        self._answer(len(sales) + 1)

    def _answer(self, syncs: int) -> list[Any]:
        """Flush, then read up to ``syncs`` syncs; every statement must have succeeded."""
        pgconn = self.central.pgconn
        self.central.wait(send_all(pgconn))
        results = []
        while syncs:
            for result in self.central.wait(fetch_many(pgconn)):
                if result.status == pq.ExecStatus.PIPELINE_SYNC:
                    syncs -= 1
                elif result.status == pq.ExecStatus.FATAL_ERROR:
                    raise AssertionError(result.error_message.decode())
                else:
                    results.append(result)
        return results

    @staticmethod
    def content(sale: dict[str, Any], payment: int) -> str:
        tender = sale["tenders"][0]
        return canonical(
            {
                "order": sale["order_id"],
                "receipt": sale["receipt_number"],
                "cashier": sale.get("cashier_id"),
                "currency": sale["currency"],
                "prices_include_tax": True,
                "subtotal": sale["subtotal_minor"],
                "discount": sale["discount_minor"],
                "tax": sale["tax_minor"],
                "total": sale["total_minor"],
                "coupon": None,
                "lines": [
                    {
                        "line": line["line_no"],
                        "sku": line["sku"],
                        "name": line["name"],
                        "quantity": line["quantity"],
                        "unit_price": line["unit_price_minor"],
                        "tax_rate_bp": line["tax_rate_bp"],
                        "discount": line["discount_minor"],
                        "total": line["total_minor"],
                    }
                    for line in sale["lines"]
                ],
                "tenders": [
                    {
                        "payment": payment,
                        "method": "cash",
                        "amount": tender["amount_minor"],
                        "tendered": tender["tendered_minor"],
                        "change": tender["change_minor"],
                    }
                ],
            }
        )

    def close(self) -> None:
        self.central.pgconn.exit_pipeline_mode()
        self.central.close()
        self.replica.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--round", type=int, default=1_000)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args(argv)
    server = args.pg_url or postgres_server()
    if server is None:
        print("sync: needs PostgreSQL (POS_TEST_DATABASE_URL)")
        return 2
    with scratch_postgres_database(server) as url, tempfile.TemporaryDirectory() as scratch:
        return run(url, Path(scratch), args.sales, args.round)


def run(url: Any, folder: Path, count: int, round_size: int) -> int:
    central, products, prices = set_up(url)
    template = template_payload(central, folder, products)
    with central.connect() as connection:
        till_ids = dict(connection.execute(select(tills.c.code, tills.c.id)).all())
    services_sales = payloads(template, prices, (till_ids["T01"], "T01"), count, seed=1)
    floor_sales = payloads(template, prices, (till_ids["T02"], "T02"), count, seed=2)
    replicas = {}
    for name in ("services", "floor"):
        path = folder / f"{name}.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        replicas[name] = (path, engine)
    services_engine = replicas["services"][1]
    floor = Floor(
        url.set(drivername="postgresql").render_as_string(hide_password=False),
        replicas["floor"][0],
        "T02",
    )
    spent = {"services": 0.0, "floor": 0.0}
    cpu = {"services": 0.0, "floor": 0.0}
    """The push's own processor time: what the client spends beside waiting for the store."""
    floor_record = 1
    for index, start in enumerate(range(0, count, round_size)):
        chunk = slice(start, start + round_size)
        fill_outbox(replicas["services"][0], services_sales[chunk])
        fill_outbox(replicas["floor"][0], floor_sales[chunk])
        steps = [("services", None), ("floor", None)]
        for path, _ in steps if index % 2 == 0 else reversed(steps):
            began, began_cpu = time.perf_counter(), time.process_time()
            if path == "services":
                pushed = push_outbox(
                    lambda: UnitOfWork(central),
                    lambda: UnitOfWork(services_engine, offline=True),
                )
                assert not isinstance(pushed, Err), pushed
                assert pushed.value.ingested == len(services_sales[chunk]), pushed
            else:
                floor.push(floor_sales[chunk], floor_record)
            spent[path] += time.perf_counter() - began
            cpu[path] += time.process_time() - began_cpu
        floor_record += len(floor_sales[chunk])
    floor.close()
    once = exactly_once(central, services_engine, services_sales + floor_sales)
    ratio = spent["services"] / spent["floor"]
    print(
        f"services {spent['services']:.1f} s, floor {spent['floor']:.1f} s"
        f" ({count / spent['services']:.0f} and {count / spent['floor']:.0f} sales/s);"
        f" the pushing process's own processor time {cpu['services']:.1f} s and"
        f" {cpu['floor']:.1f} s"
    )
    print(
        f"sync: {count} sales in {spent['services']:.1f} s, services/floor {ratio:.1f}x,"
        f" exactly once: {'yes' if once else 'NO'}"
    )
    central.dispose()
    for _path, engine in replicas.values():
        engine.dispose()
    met = once and spent["services"] < TARGET_SECONDS * count / 10_000 and ratio <= TARGET_RATIO
    return 0 if met else 1


def exactly_once(central: Any, services_replica: Any, sales: list[dict[str, Any]]) -> bool:
    """Each sale once, the series without gaps, the books balanced, a re-push of 200
    services sales answered "already here" without changing anything, and each till's
    journal one entry per sale that passes the check."""
    with central.connect() as connection:
        there = list(connection.execute(select(orders.c.id)).scalars())
        gaps = books.receipt_gaps(connection)
    made = {uuid.UUID(sale["order_id"]) for sale in sales}
    if len(there) != len(set(there)) or set(there) != made or gaps:
        print(f"not exactly once: {len(there)} orders for {len(made)} sales; gaps {gaps}")
        return False
    assert_invariants(central)
    with services_replica.begin() as connection:
        first = select(outbox.c.id).order_by(outbox.c.id).limit(200).scalar_subquery()
        connection.execute(
            update(outbox).where(outbox.c.id.in_(first)).values(sent_at=None, answer=None)
        )
    again = push_outbox(
        lambda: UnitOfWork(central), lambda: UnitOfWork(services_replica, offline=True)
    )
    assert not isinstance(again, Err), again
    with central.connect() as connection:
        after = connection.execute(select(func.count()).select_from(orders)).scalar_one()
    checked = verify(UnitOfWork(central))
    assert not isinstance(checked, Err), checked
    entries = {chain.till_code: chain.entries for chain in checked.value.chains}
    if not checked.value.holds or entries != {"T01": len(made) // 2, "T02": len(made) // 2}:
        print(f"the journals do not hold one entry per sale: {checked.value}")
        return False
    return again.value.already_here == 200 and after == len(made)


if __name__ == "__main__":
    raise SystemExit(main())
