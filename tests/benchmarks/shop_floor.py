"""Benchmark: two hundred tills on one central PostgreSQL store, through PgBouncer.

Each till is a process with the connections a real till opens: its engine through
PgBouncer (``make_engine(..., pooled=True)``, the ``[database] transaction_pooled``
setting) and its connectivity monitor, whose probe opens a fresh connection every
``probe_every`` seconds. The tills sell a mixed day through Kasa's services, with a
cashier's think time (``--think``, 1-3 s) before every scan and before the payment:

* a sale of 1-8 scans (``add_scanned``, which holds the units), 30 % of them one of a few
  hot products every till sells (``--hot``, with little stock, so they run out and the
  tills race for the last units), the rest from a tail of the 100,000-product catalogue;
* a coupon on 15 % of sales (a limited one on a third of those, so tills race for its
  last uses);
* paid in cash (60 %) or by card (40 %: ``checkout`` with ``Card``, the terminal's
  seconds, then its ``payment.succeeded`` webhook through ``apply_payment_event``);
* 5 % voided (``void_sale``, a manager approving);
* meanwhile one back-office process receives deliveries of the hot products every few
  seconds (``receive_delivery``).

A scan is ``add_scanned``; a sale is ``checkout`` (cash: the whole sale paid; card: up to
the terminal). Both are timed in the till, as the cashier waits for them. The "floor" is
the same scan and cash sale by one till alone on the store, through the same PgBouncer,
before the other tills open (and directly, without PgBouncer): what the machine does
without the crowd.

Reported: p50/p95/p99 of a scan and of a sale (and of the others: ``open``, a new sale,
also carries each till's first connection), the floor and the
ratios to it, PgBouncer's clients and the server connections it used (peak, sampled every
second), what PgBouncer counted (its transactions, which include every probe and every
pool pre-ping, their mean time on a server connection and waiting for one), and the CPU
the store's server processes, PgBouncer and the tills used, against the machine's (on a
shared machine the rest is other work), in all and per customer.
Checked at the end, or the script exits 1: no product oversold (no ``oversells`` row, no
negative stock), the stock and coupon books balance (``tests/invariants.py``), and every
sale a till was told was paid is in the store exactly once, paid, with one receipt,
and nothing else is. Targets: p99 scan < 50 ms, p99 sale < 100 ms; the script exits 1
when they are missed too.

The store: the kept catalogue of ``--products`` products (``catalogue.py`` builds it once
with COPY), copied for this run into a fresh database (``CREATE DATABASE ... TEMPLATE``),
dropped at the end. PgBouncer: Debian's ``pgbouncer``, started on a free loopback port in
transaction mode with ``--pool-size`` server connections (``tests/pgbouncer.py``).

Run it under the shared lock (it loads the whole machine)::

    flock /tmp/bench.lock env PYTHONPATH=$PWD \\
        POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/shop_floor.py [--tills 200] [--minutes 5]

and ``--tills 20 --minutes 1`` to try it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import URL, insert, select, text

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pos.bootstrap import probe_engine  # noqa: E402
from pos.domain.coupons import CouponKind  # noqa: E402
from pos.domain.payments import Settler, TerminalEvent  # noqa: E402
from pos.domain.results import Code, Err, Result  # noqa: E402
from pos.runtime.connectivity import ConnectivityMonitor, central_probe  # noqa: E402
from pos.services.cart import add_scanned, open_cart, void_sale  # noqa: E402
from pos.services.checkout import checkout  # noqa: E402
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon  # noqa: E402
from pos.services.payment_events import apply_payment_event  # noqa: E402
from pos.services.stock import MAX_DELIVERY_LINES, receive_delivery  # noqa: E402
from pos.services.tenders import Card, Cash  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.models import DEFAULT_LOCATION_ID, Role, TillRow, table_of  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402
from tests.benchmarks.catalogue import postgres_store  # noqa: E402
from tests.benchmarks.floor_watch import Watcher, cpu_ticks, machine_ticks, spent_s  # noqa: E402
from tests.benchmarks.harness import percentile, postgres_server  # noqa: E402
from tests.benchmarks.scratch import scratch_postgres_database  # noqa: E402
from tests.invariants import assert_invariants  # noqa: E402
from tests.pgbouncer import pgbouncer, pgbouncer_binary  # noqa: E402

SCAN_TARGET_MS = 50.0
SALE_TARGET_MS = 100.0
HOT_SHARE = 0.30
COUPON_SHARE = 0.15
VOID_SHARE = 0.05
CARD_SHARE = 0.40
TAIL_STOCK = 100_000
HOT_STOCK = 50
DELIVERY_UNITS = 8
DELIVERY_EVERY_S = (2.0, 6.0)
LIMITED_USES = 60
RETRIES = 3
"""A sale the store answered busy or unreachable is tried again with the same key."""
RETRY_CODES = frozenset({Code.STORE_BUSY, Code.STORE_UNREACHABLE})
SEED = 2026


@dataclass(frozen=True)
class Floor:
    """What every till needs, inherited by the forked processes."""

    url: str
    """PgBouncer's URL (with the store's database)."""
    till_ids: tuple[int, ...]
    manager_id: int
    hot: tuple[str, ...]
    tail: tuple[str, ...]
    hot_ids: tuple[int, ...]
    think: tuple[float, float]
    deadline: float
    """``time.time()`` at which the tills stop starting new sales."""


@dataclass
class Timings:
    """One till's timings (ms) and what it sold."""

    timed: dict[str, list[float]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    paid: list[tuple[str, str]] = field(default_factory=list)
    """(idempotency key, order id) of every sale the till was told was paid."""
    cpu_s: float = 0.0

    def time(self, what: str, call: Callable[[], Result[Any]]) -> Result[Any]:
        started = time.perf_counter()
        result = call()
        self.timed.setdefault(what, []).append((time.perf_counter() - started) * 1000)
        if isinstance(result, Err):
            self.refused[f"{what}:{result.code.value}"] += 1
        return result


def _retried(timings: Timings, what: str, call: Callable[[], Result[Any]]) -> Result[Any]:
    for _ in range(RETRIES):
        result = timings.time(what, call)
        if not (isinstance(result, Err) and result.code in RETRY_CODES):
            return result
        time.sleep(0.2)
    return result


# ---------------------------------------------------------------------------------------
# A till and the back office
# ---------------------------------------------------------------------------------------


def sell_one(floor: Floor, uow: UnitOfWork, till_id: int, rng: random.Random, t: Timings) -> None:
    """One customer: scans, maybe a coupon, then paid (cash or card) or voided."""
    think = floor.think
    opened = _retried(
        t, "open", lambda: open_cart(uow, cashier_id=floor.manager_id, till_id=till_id)
    )
    if isinstance(opened, Err):
        return
    cart = opened.value.cart_id
    total = 0
    for _ in range(rng.randint(1, 8)):
        time.sleep(rng.uniform(*think))
        code = rng.choice(floor.hot if rng.random() < HOT_SHARE else floor.tail)
        scanned = t.time("scan", partial(add_scanned, uow, cart, code, None))
        if not isinstance(scanned, Err):
            total = scanned.value.total_minor
    if total and rng.random() < COUPON_SHARE:
        coupon = "SINIRLI" if rng.random() < 1 / 3 else "KASA10"
        applied = t.time("coupon", lambda: apply_coupon(uow, cart, coupon))
        if not isinstance(applied, Err):
            total = applied.value.new_total_minor
    time.sleep(rng.uniform(*think))
    if not total or rng.random() < VOID_SHARE:
        manager = floor.manager_id
        _retried(t, "void", lambda: void_sale(uow, cart, user_id=manager, approved_by=manager))
        return
    key = str(uuid.uuid4())
    card = rng.random() < CARD_SHARE
    tender = Card() if card else Cash(total + rng.choice((0, 0, 50, 1000)))
    sold = _retried(
        t,
        "sale",
        lambda: checkout(uow, cart, shown_total_minor=total, tender=tender, idempotency_key=key),
    )
    if isinstance(sold, Err):
        _retried(
            t,
            "void",
            lambda: void_sale(uow, cart, user_id=floor.manager_id, approved_by=floor.manager_id),
        )
        return
    sale = sold.value
    if card:
        time.sleep(rng.uniform(*think) / 2)  # the customer at the terminal
        event = TerminalEvent(
            provider="terminal",
            event_id=f"evt_{uuid.uuid4().hex}",
            type="payment.succeeded",
            terminal_payment_id=f"pay_{uuid.uuid4().hex[:24]}",
            payment_id=sale.payment_id,
            amount_minor=sale.amount_minor or sale.total_minor,
            currency=sale.currency,
            source=Settler.WEBHOOK,
            payload="{}",
        )
        settled = _retried(t, "card webhook", lambda: apply_payment_event(uow, event))
        if isinstance(settled, Err):
            return
    t.paid.append((key, str(sale.order_id)))


def till_main(floor: Floor, index: int, out: Path) -> None:
    """A till: its engine and its connectivity monitor, selling until the deadline."""
    rng = random.Random(f"{SEED}/{index}")
    till_id = floor.till_ids[index]
    engine = make_engine(floor.url, pooled=True)
    monitor = ConnectivityMonitor(central_probe(probe_engine(floor.url, 3.0, pooled=True)))
    monitor.start()
    timings = Timings()
    try:
        uow = UnitOfWork(engine)
        time.sleep(rng.uniform(0, floor.think[1]))  # the tills do not open in step
        while time.time() < floor.deadline:
            sell_one(floor, uow, till_id, rng, timings)
    finally:
        monitor.stop()
        engine.dispose()
        times = os.times()
        timings.cpu_s = times.user + times.system
        _write(out, timings)


def back_office_main(floor: Floor, out: Path) -> None:
    """The manager's office: a delivery of the hot products every few seconds."""
    rng = random.Random(f"{SEED}/office")
    engine = make_engine(floor.url, pooled=True)
    timings = Timings()
    try:
        uow = UnitOfWork(engine)
        delivery = [(product, DELIVERY_UNITS) for product in floor.hot_ids]
        while time.time() < floor.deadline:
            time.sleep(rng.uniform(*DELIVERY_EVERY_S))
            _retried(
                timings,
                "delivery",
                lambda: receive_delivery(uow, delivery, user_id=floor.manager_id, note="sevkiyat"),
            )
    finally:
        engine.dispose()
        times = os.times()
        timings.cpu_s = times.user + times.system
        _write(out, timings)


def _write(out: Path, timings: Timings) -> None:
    out.write_text(
        json.dumps(
            {
                "timed": timings.timed,
                "refused": dict(timings.refused),
                "paid": timings.paid,
                "cpu_s": timings.cpu_s,
            }
        ),
        encoding="utf-8",
    )


def _read(out: Path) -> Timings:
    raw = json.loads(out.read_text(encoding="utf-8"))
    return Timings(
        raw["timed"], Counter(raw["refused"]), [tuple(p) for p in raw["paid"]], raw["cpu_s"]
    )


# ---------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------


def ok(result: Result[Any], what: str) -> Any:
    if isinstance(result, Err):
        raise SystemExit(f"{what} refused: {result.code.value} {dict(result.params)}")
    return result.value


@dataclass(frozen=True)
class Shop:
    till_ids: tuple[int, ...]
    manager_id: int
    hot: tuple[str, ...]
    tail: tuple[str, ...]
    hot_ids: tuple[int, ...]


def set_up_shop(url: URL, tills: int, hot: int, tail: int) -> Shop:
    """A manager, the tills, stock for the hot products and a tail, two coupons."""
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        manager = ok(
            create_user(uow, "magaza.muduru", "Mağaza Müdürü", Role.MANAGER, "2468"), "user"
        )
        till_table = table_of(TillRow)
        codes = [f"F{n:03d}" for n in range(1, tills + 1)]
        with engine.begin() as connection:
            connection.execute(
                insert(till_table),
                [{"code": code, "location_id": DEFAULT_LOCATION_ID} for code in codes],
            )
            ids = dict(
                connection.execute(
                    select(till_table.c.code, till_table.c.id).where(till_table.c.code.in_(codes))
                ).all()
            )
            products = connection.execute(
                text(
                    "SELECT id, barcode FROM products WHERE active AND barcode IS NOT NULL"
                    " AND sale_unit = 'piece' ORDER BY id"
                )
            ).all()
        rng = random.Random(SEED)
        chosen = rng.sample(products, hot + tail)
        hot_rows, tail_rows = chosen[:hot], chosen[hot:]
        for rows, units in ((hot_rows, HOT_STOCK), (tail_rows, TAIL_STOCK)):
            for start in range(0, len(rows), MAX_DELIVERY_LINES):
                lines = [(row.id, units) for row in rows[start : start + MAX_DELIVERY_LINES]]
                ok(receive_delivery(uow, lines, user_id=manager.id, note="açılış"), "delivery")
        for draft in (
            CouponDraft("KASA10", CouponKind.PERCENT, 1000),
            CouponDraft("SINIRLI", CouponKind.FIXED, 500, usage_limit=LIMITED_USES),
        ):
            ok(create_coupon(uow, draft, user_id=manager.id), "coupon")
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return Shop(
        tuple(ids[code] for code in codes),
        manager.id,
        tuple(row.barcode for row in hot_rows),
        tuple(row.barcode for row in tail_rows),
        tuple(row.id for row in hot_rows),
    )


# ---------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------


def lone_till(floor: Floor, sales: int) -> Timings:
    """The floor: one till alone on the store, no think time, ``sales`` customers."""
    engine = make_engine(floor.url, pooled=True)
    timings = Timings()
    try:
        uow = UnitOfWork(engine)
        rng = random.Random(f"{SEED}/alone/{floor.url}")
        for _ in range(sales):
            sell_one(floor, uow, floor.till_ids[0], rng, timings)
    finally:
        engine.dispose()
    return timings


def crowd(
    floor: Floor, tills: int, folder: Path, watcher: Watcher
) -> tuple[list[Timings], Timings]:
    """Every till and the back office in their own processes, forked from this one (the
    services already imported: 200 interpreters share those pages)."""
    context = multiprocessing.get_context("fork")
    outs = [folder / f"till-{index}.json" for index in range(tills)]
    office_out = folder / "office.json"
    processes = [
        context.Process(target=till_main, args=(floor, index, out), daemon=True)
        for index, out in enumerate(outs)
    ]
    processes.append(
        context.Process(target=back_office_main, args=(floor, office_out), daemon=True)
    )
    for process in processes:
        process.start()
    watcher.start()
    deadline = floor.deadline + 120
    for process in processes:
        process.join(max(1.0, deadline - time.time()))
    watcher.stop.set()
    watcher.join(5)
    stuck = [p.pid for p in processes if p.is_alive()]
    if stuck:
        for process in processes:
            if process.is_alive():
                process.kill()
        raise SystemExit(f"{len(stuck)} tills did not finish: {stuck[:10]}")
    failed = [out.name for out in [*outs, office_out] if not out.is_file()]
    if failed:
        raise SystemExit(f"{len(failed)} tills died without their figures: {failed[:10]}")
    return [_read(out) for out in outs], _read(office_out)


def merged(runs: Sequence[Timings]) -> Timings:
    total = Timings()
    for run in runs:
        for what, spent in run.timed.items():
            total.timed.setdefault(what, []).extend(spent)
        total.refused.update(run.refused)
        total.paid.extend(run.paid)
        total.cpu_s += run.cpu_s
    return total


def check(url: URL, sold: Timings) -> list[str]:
    """What must hold after the day, or what does not."""
    problems = []
    engine = make_engine(url)
    try:
        try:
            assert_invariants(engine)
        except AssertionError as failure:
            problems.append(f"the books do not balance: {failure!r}")
        with engine.connect() as connection:
            oversold = connection.exec_driver_sql("SELECT count(*) FROM oversells").scalar_one()
            negative = connection.exec_driver_sql(
                "SELECT count(*) FROM inventory WHERE available < 0 OR reserved < 0"
            ).scalar_one()
            paid: dict[str, str] = dict(
                connection.exec_driver_sql(
                    "SELECT o.id::text, o.idempotency_key FROM orders o WHERE o.status = 'paid'"
                ).all()
            )
            receipts = Counter(
                connection.exec_driver_sql("SELECT order_id::text FROM receipts").scalars()
            )
            messages = Counter(
                connection.exec_driver_sql(
                    "SELECT key FROM outbox WHERE topic = 'order.paid'"
                ).scalars()
            )
    finally:
        engine.dispose()
    if oversold or negative:
        problems.append(f"oversold: {oversold} oversells, {negative} negative stock rows")
    told = Counter(order for _key, order in sold.paid)
    if told and max(told.values()) > 1:
        problems.append("a till was told of one sale twice")
    if set(told) != set(paid):
        problems.append(
            f"{len(set(told) - set(paid))} sales told paid are not, "
            f"{len(set(paid) - set(told))} paid that no till was told of"
        )
    if any(paid.get(order) != key for key, order in sold.paid):
        problems.append("a sale is stored under another key than its till's")
    if any(receipts[order] != 1 for order in paid) or sum(receipts.values()) != len(paid):
        problems.append("a paid sale has no receipt, or more than one")
    if any(messages[order] != 1 for order in paid):
        problems.append("a paid sale's order.paid message is missing or doubled")
    print(
        f"checked: {len(paid):,} sales paid, each exactly once with one receipt and one "
        f"message; {oversold} oversold; books {'balanced' if not problems else 'see below'}"
    )
    return problems


def figures(name: str, spent: Sequence[float], floor: Sequence[float] | None = None) -> str:
    if not spent:
        return f"  {name:<13} none"
    p50, p95, p99 = (percentile(spent, f) for f in (0.50, 0.95, 0.99))
    line = (
        f"  {name:<13} n={len(spent):>7,}  p50 {p50:6.1f}  p95 {p95:6.1f}  p99 {p99:6.1f}"
        f"  max {max(spent):7.1f} ms"
    )
    if floor:
        line += f"   p99 {p99 / percentile(floor, 0.99):4.1f}x the lone till's"
    return line


@dataclass
class Cpu:
    backends: float
    """The server processes of the store's connections."""
    postgres: float
    """Every PostgreSQL process on the machine (its background writers, other databases)."""
    pgbouncer: float
    tills: float
    busy: float
    seconds: float


def report(
    args: argparse.Namespace,
    shop: Shop,
    day: Timings,
    office: Timings,
    alone: dict[str, Timings],
    cpu: Cpu,
    watcher: Watcher,
) -> bool:
    """Print the figures; whether the targets were met."""
    print(
        f"\n{args.tills} tills, {args.minutes:g} min, think {args.think[0]:g}-{args.think[1]:g} s, "
        f"{args.products:,} products ({len(shop.hot)} hot), PgBouncer pool {args.pool_size}"
    )
    for label, lone in alone.items():
        print(f"a lone till ({label}):")
        for what in ("scan", "sale"):
            print(figures(what, lone.timed.get(what, [])))
    print("the day:")
    floor = alone["through PgBouncer"]
    for what in ("scan", "sale", "coupon", "card webhook", "void", "open"):
        print(figures(what, day.timed.get(what, []), floor.timed.get(what)))
    print(figures("delivery", office.timed.get("delivery", [])))
    seconds = args.minutes * 60
    print(
        f"  {len(day.timed.get('scan', [])) / seconds:.0f} scans/s, "
        f"{len(day.timed.get('sale', [])) / seconds:.1f} sales/s; refused: "
        + (
            ", ".join(f"{k} {v}" for k, v in sorted((day.refused + office.refused).items()))
            or "none"
        )
    )
    peak = watcher.peak
    print(
        f"connections: {args.tills} tills' engines and probes, and the office, on PgBouncer "
        f"(peak {peak['cl_active']} logged in, {peak['cl_waiting']} waiting for a server, "
        f"longest wait {peak['maxwait_ms']} ms); server connections peak "
        f"{peak['server connections']} (PgBouncer's {peak['sv_total']} at most), "
        f"{peak['server active']} active at once"
    )
    print(watcher.in_pgbouncer())
    capacity = cpu.seconds * (os.cpu_count() or 1)
    print(
        f"cpu over {cpu.seconds:.0f} s on {os.cpu_count()} cores: machine busy "
        f"{100 * cpu.busy / capacity:.0f} %; the store's PostgreSQL backends "
        f"{100 * cpu.backends / capacity:.0f} % (all PostgreSQL processes "
        f"{100 * cpu.postgres / capacity:.0f} %), "
        f"PgBouncer {100 * cpu.pgbouncer / capacity:.0f} %, "
        f"tills {100 * cpu.tills / capacity:.0f} % "
        f"(of all cores; the rest: other work on the machine)"
    )
    customers = len(day.timed.get("open", [])) or 1
    print(
        f"cpu per customer ({customers:,}): tills {1000 * cpu.tills / customers:.1f} ms, "
        f"the store's backends {1000 * cpu.backends / customers:.1f} ms, "
        f"PgBouncer {1000 * cpu.pgbouncer / customers:.1f} ms"
    )
    scan99 = percentile(day.timed["scan"], 0.99)
    sale99 = percentile(day.timed["sale"], 0.99)
    met = scan99 < SCAN_TARGET_MS and sale99 < SALE_TARGET_MS
    print(
        f"targets: p99 scan {scan99:.1f} ms (< {SCAN_TARGET_MS:g}), p99 sale {sale99:.1f} ms "
        f"(< {SALE_TARGET_MS:g}): {'met' if met else 'MISSED'}"
    )
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"load: {load}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--hot", type=int, default=8, help="products every till sells")
    parser.add_argument("--tail", type=int, default=3_000, help="other products in stock")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--pool-size", type=int, default=20, help="PgBouncer's server connections")
    parser.add_argument("--alone", type=int, default=40, help="the lone till's sales")
    parser.add_argument("--pg-url", help=f"the server (default: ${'POS_TEST_DATABASE_URL'})")
    args = parser.parse_args(argv)
    server = args.pg_url or postgres_server()
    if server is None:
        return 2
    if pgbouncer_binary() is None:
        print("no pgbouncer program: apt install pgbouncer")
        return 2
    catalogue = postgres_store(server, args.products, SEED)
    with (
        scratch_postgres_database(server, template=catalogue.database) as url,
        tempfile.TemporaryDirectory(prefix="kasa-floor-") as folder,
    ):
        started = time.perf_counter()
        shop = set_up_shop(url, args.tills, args.hot, args.tail)
        took = time.perf_counter() - started
        print(f"{url.database}: {args.tills} tills, stock and coupons in {took:.1f} s")
        clients = args.tills * 3 + 50
        with pgbouncer(
            url, pool_size=args.pool_size, max_clients=clients, log=Path(folder) / "pgbouncer.log"
        ) as bouncer:

            def floor_at(target: URL, deadline: float) -> Floor:
                return Floor(
                    target.render_as_string(hide_password=False),
                    shop.till_ids,
                    shop.manager_id,
                    shop.hot,
                    shop.tail,
                    shop.hot_ids,
                    tuple(args.think),
                    deadline,
                )

            alone = {}
            for label, target in (("direct", url), ("through PgBouncer", bouncer)):
                lone = floor_at(target, 0.0)
                alone[label] = lone_till(
                    Floor(**{**lone.__dict__, "think": (0.0, 0.0)}), args.alone
                )
            floor = floor_at(bouncer, time.time() + args.minutes * 60)
            watcher = Watcher(url, bouncer)
            names = ("postgres", "pgbouncer")
            before = {name: cpu_ticks(name) for name in names}
            machine_before, began = machine_ticks(), time.monotonic()
            runs, office = crowd(floor, args.tills, Path(folder), watcher)
            after = {name: cpu_ticks(name) for name in names}
            machine_after = machine_ticks()
            ours = watcher.backends
            hz = os.sysconf("SC_CLK_TCK")
            cpu = Cpu(
                backends=spent_s(
                    {p: t for p, t in before["postgres"].items() if p in ours},
                    {p: t for p, t in after["postgres"].items() if p in ours},
                ),
                postgres=spent_s(before["postgres"], after["postgres"]),
                pgbouncer=spent_s(before["pgbouncer"], after["pgbouncer"]),
                tills=sum(run.cpu_s for run in runs) + office.cpu_s,
                busy=(machine_after[0] - machine_before[0]) / hz,
                seconds=time.monotonic() - began,
            )
        day = merged(runs)
        met = report(args, shop, day, office, alone, cpu, watcher)
        problems = check(url, merged([day, *alone.values()]))
    for problem in problems:
        print(f"FAILED: {problem}")
    return 0 if met and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
