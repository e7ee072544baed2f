"""Benchmark: signed ``payment.succeeded`` webhooks through the listener, 8 senders at once.

Before the clock starts, N card sales are rung up and checked out through the services
(``open_cart``, ``add_to_cart``, ``checkout`` with ``Card()``, ``mark_pending`` with the
terminal's id), so each has a pending payment with two lines of held stock. Then 8 sender
threads, each with its own kept-alive ``http.client`` connection (as a terminal gateway
keeps them), take the sales' events from one queue and post them, signed with
``Pos-Signature``, to a ``WebhookListener`` on 127.0.0.1 (waitress, 8 threads). The
senders run in a process of their own, like the gateway they stand for, so they do not
take the interpreter lock from the listener's threads. Each event is verified, parsed,
stored once and applied (payment paid, stock consumed, receipt numbered, outbox message)
in its own transaction.

Printed per database: events applied per second (all events / wall time from the first
post to the last answer) and the p50 / p99 of one post's round trip; the CPU each event
cost the listener's process, the senders' and the whole machine (and PostgreSQL's
processes); and on PostgreSQL what the store's sessions were doing while the events were
sent (``floor_watch.Waits``: waiting for another transaction's lock, in which statement,
or for their client, or running), which says what the figures wait on. Checked afterwards,
or the script stops: every answer was 200 "applied", every payment is paid, the till's
receipts run 1..N, and the stock books balance (``tests/invariants.py``).

SQLite: a fresh file in a temporary directory. PostgreSQL: a fresh database on the server
of ``POS_TEST_DATABASE_URL`` (``tests/benchmarks/scratch.py``), dropped at the end; skipped
with a note when the variable is unset.

Run::

    .venv/bin/python tests/benchmarks/webhooks.py [--events 1000] [--senders 8]
    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/webhooks.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import multiprocessing
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import URL, Engine, func, insert, select

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # for tests.invariants, and pos without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from pos.domain.payments import PaymentStatus  # noqa: E402
from pos.domain.results import Err, Result  # noqa: E402
from pos.payments.signatures import sign  # noqa: E402
from pos.runtime.listener import WebhookListener  # noqa: E402
from pos.services.cart import add_to_cart, cart_summary, open_cart  # noqa: E402
from pos.services.catalogue import ProductDraft, create_product  # noqa: E402
from pos.services.checkout import Card, checkout  # noqa: E402
from pos.services.payments import mark_pending  # noqa: E402
from pos.services.stock import receive_stock  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.migrate import upgrade  # noqa: E402
from pos.store.models import (  # noqa: E402
    DEFAULT_LOCATION_ID,
    Payment,
    Receipt,
    Role,
    TillRow,
    table_of,
)
from pos.store.uow import UnitOfWork  # noqa: E402
from tests.benchmarks.floor_watch import Waits, cpu_ticks, machine_ticks  # noqa: E402
from tests.benchmarks.harness import percentile, summary_line  # noqa: E402
from tests.benchmarks.scratch import scratch_postgres_database  # noqa: E402
from tests.invariants import assert_invariants  # noqa: E402

PG_ENV = "POS_TEST_DATABASE_URL"
SECRET = "whsec_benchmark"
PRODUCTS = 50
STOCK = 1_000_000


APPLIED = {"received": True, "outcome": "applied", "duplicate": False}


@dataclass(frozen=True)
class Figures:
    events: int
    seconds: float
    latencies_ms: list[float]
    senders_cpu_s: float
    """The CPU the senders' process used while they sent."""

    @property
    def per_second(self) -> float:
        return self.events / self.seconds

    def percentile(self, share: float) -> float:
        return percentile(self.latencies_ms, share)


def ok(result: Result[Any]) -> Any:
    if isinstance(result, Err):
        raise SystemExit(f"the set-up was refused: {result}")
    return result.value


def event(n: int, terminal_id: str, sale: Any) -> bytes:
    now = int(time.time())
    payment = {
        "id": terminal_id,
        "object": "payment",
        "status": "succeeded",
        "amount": sale.total_minor,
        "currency": sale.currency,
        "idempotency_key": f"bench-{n}",
        "metadata": {"payment_id": str(sale.payment_id), "order_id": str(sale.order_id)},
        "decline_code": None,
        "created": now,
    }
    document = {
        "id": f"evt_bench_{n:06d}",
        "type": "payment.succeeded",
        "created": now,
        "data": {"object": payment},
    }
    return json.dumps(document).encode()


def add_tills(engine: Engine, tills: int) -> list[int]:
    """The shop's tills, the one it starts with first: ``tills`` of them."""
    table = table_of(TillRow)
    with engine.begin() as connection:
        have = list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())
        for n in range(len(have) + 1, tills + 1):
            connection.execute(
                insert(table).values(code=f"W{n:02d}", location_id=DEFAULT_LOCATION_ID)
            )
        return list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())[:tills]


def pending_card_sales(engine: Engine, count: int, tills: int = 1) -> list[bytes]:
    """Ring up ``count`` card sales whose payments wait for the terminal, at ``tills``
    tills in turn; their events."""
    till_ids = add_tills(engine, tills)
    uow = UnitOfWork(engine)
    manager = ok(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))
    products = []
    for n in range(PRODUCTS):
        draft = ProductDraft(sku=f"SKU-{n:04d}", name=f"Ürün {n}", price_minor=1000 + 7 * n)
        product = ok(create_product(uow, draft)).id
        ok(receive_stock(uow, product, STOCK, user_id=manager.id))
        products.append(product)
    bodies = []
    for n in range(count):
        cart = ok(open_cart(uow, till_id=till_ids[n % len(till_ids)])).cart_id
        ok(add_to_cart(uow, cart, products[n % PRODUCTS], 1))
        ok(add_to_cart(uow, cart, products[(n * 7 + 3) % PRODUCTS], 2))
        total = ok(cart_summary(uow, cart)).total_minor
        sale = ok(
            checkout(
                uow, cart, shown_total_minor=total, tender=Card(), idempotency_key=f"bench-{n}"
            )
        )
        terminal_id = f"pay_bench_{n:06d}"
        ok(mark_pending(uow, sale.payment_id, provider_payment_id=terminal_id))
        bodies.append(event(n, terminal_id, sale))
    return bodies


def send_all(url: str, bodies: list[bytes], senders: int) -> Figures:
    """Post every body from ``senders`` threads at once; the wall time and each post's."""
    work: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    failures: list[str] = []
    start = threading.Barrier(senders + 1)

    where = urlsplit(url)

    def sender() -> None:
        # The standard library's client on a kept-alive connection: the lightest a
        # sender can be, so on a machine of two cores its own work (requests costs some
        # 3 ms of processor an event) takes as little as it can from the listener's.
        mine: list[float] = []
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        try:
            start.wait()
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    break
                headers = {"Pos-Signature": sign(body, SECRET), "Content-Type": "application/json"}
                began = time.perf_counter()
                connection.request("POST", where.path, body=body, headers=headers)
                answer = connection.getresponse()
                text = answer.read()
                mine.append((time.perf_counter() - began) * 1000)
                if answer.status != 200 or json.loads(text) != APPLIED:
                    failures.append(f"{answer.status} {text!r}")
        finally:
            connection.close()
        latencies.extend(mine)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    start.wait()
    began, used = time.perf_counter(), os.times()
    for thread in threads:
        thread.join()
    seconds, spent = time.perf_counter() - began, os.times()
    if failures:
        raise SystemExit(f"{len(failures)} events were not applied, e.g. {failures[0]}")
    cpu = spent.user + spent.system - used.user - used.system
    return Figures(len(bodies), seconds, latencies, cpu)


def check(engine: Engine, events: int) -> None:
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(select(Payment.status, func.count()).group_by(Payment.status)).all()
        )
        numbers: dict[int, list[int]] = {}
        for till, number in connection.execute(
            select(Receipt.till_id, Receipt.number).order_by(Receipt.number)
        ):
            numbers.setdefault(till, []).append(number)
    if statuses != {PaymentStatus.PAID: events}:
        raise SystemExit(f"payments are not all paid: {statuses}")
    if sum(map(len, numbers.values())) != events or any(
        each != list(range(1, len(each) + 1)) for each in numbers.values()
    ):
        raise SystemExit("the receipts of a till are not numbered 1..N without gaps")
    assert_invariants(engine)


def run(name: str, url: str | URL, events: int, senders: int, tills: int = 1) -> Figures:
    engine = make_engine(url)
    try:
        upgrade(engine)
        prepared = time.perf_counter()
        bodies = pending_card_sales(engine, events, tills)
        print(
            f"{name}: {events} pending card sales rung up in "
            f"{time.perf_counter() - prepared:.1f} s",
            flush=True,
        )
        on_postgres = engine.dialect.name == "postgresql"
        with (
            WebhookListener(lambda: UnitOfWork(engine), lambda: [SECRET]) as listener,
            ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as terminal,
        ):
            terminal.submit(int).result()  # the senders' process is up before the clock starts
            waits = Waits(engine.url) if on_postgres else None
            if waits is not None:
                waits.start()
            before = Cpu.now()
            # The senders are another program, as a terminal gateway is: in this one
            # they would take the interpreter's lock from the listener's threads.
            figures = terminal.submit(send_all, listener.url, bodies, senders).result()
            if waits is not None:
                waits.stop.set()
                waits.join()
            # The sampler's own server process is not the store's work.
            spent = Cpu.now().since(before, leave_out=waits.pid if waits is not None else None)
        check(engine, events)
    finally:
        engine.dispose()
    print(
        f"{name}: {figures.per_second:,.0f} events applied/s "
        f"({events} in {figures.seconds:.2f} s, {senders} senders, {tills} till(s)); "
        f"latency p50 {figures.percentile(0.50):.1f} ms, p99 {figures.percentile(0.99):.1f} ms, "
        f"mean {statistics.fmean(figures.latencies_ms):.1f} ms",
        flush=True,
    )
    print(f"  {spent.per_event(events, figures.senders_cpu_s, on_postgres)}", flush=True)
    if waits is not None:
        print(
            "  the store's sessions in a transaction, on average (sampled every 20 ms): "
            + "; ".join(f"{mean:.2f} {what}" for what, mean in waits.mean() if mean >= 0.05),
            flush=True,
        )
    return figures


@dataclass(frozen=True)
class Cpu:
    """CPU used so far: by this process (the listener's), in seconds; by each of
    PostgreSQL's processes and by the whole machine, in clock ticks; and the machine's
    capacity, in clock ticks."""

    listener: float
    postgres: dict[int, int]
    busy: int
    capacity: int

    @classmethod
    def now(cls) -> Cpu:
        used = os.times()
        busy, capacity = machine_ticks()
        return cls(used.user + used.system, cpu_ticks("postgres"), busy, capacity)

    def since(self, before: Cpu, *, leave_out: int | None = None) -> Cpu:
        """What was used from ``before`` to this, without the process ``leave_out``."""
        return Cpu(
            self.listener - before.listener,
            {
                pid: ticks - before.postgres.get(pid, 0)
                for pid, ticks in self.postgres.items()
                if pid != leave_out
            },
            self.busy - before.busy,
            self.capacity - before.capacity,
        )

    def per_event(self, events: int, senders: float, on_postgres: bool) -> str:
        hz = os.sysconf("SC_CLK_TCK")
        server = (
            f"PostgreSQL {1000 * sum(self.postgres.values()) / hz / events:.2f} ms, "
            if on_postgres
            else ""
        )
        return (
            f"cpu per event: the listener's process {1000 * self.listener / events:.2f} ms, "
            f"{server}the senders' process {1000 * senders / events:.2f} ms, "
            f"the machine {1000 * self.busy / hz / events:.2f} ms "
            f"(busy {100 * self.busy / max(self.capacity, 1):.0f} % of "
            f"{os.cpu_count()} cores)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="events (and sales), default 1000")
    parser.add_argument("--senders", type=int, default=8, help="sender threads, default 8")
    parser.add_argument(
        "--tills",
        type=int,
        default=1,
        help="tills the sales are rung up at, in turn; default 1 (every event waits for the "
        "same till's receipt number and journal head)",
    )
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV), help=f"default ${PG_ENV}")
    args = parser.parse_args(argv)
    # Eight senders keep waitress's queue a little deep, as intended; it warns each time.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as directory:
        sqlite = run(
            "sqlite", f"sqlite:///{directory}/store.sqlite3", args.events, args.senders, args.tills
        )
    results = [("sqlite", sqlite)]
    if not args.pg_url:
        print(f"postgresql: skipped ({PG_ENV} is not set)")
    else:
        with scratch_postgres_database(args.pg_url) as url:
            results.append(
                ("postgresql", run("postgresql", url, args.events, args.senders, args.tills))
            )
    print(
        summary_line(
            "webhooks",
            (
                f"{name} {figures.per_second:,.0f}/s, p99 {figures.percentile(0.99):.1f} ms"
                for name, figures in results
            ),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
