"""Offline sales go home exactly once however the push is cut short (issue 17, DESIGN.md
§5): a real till process pushing its outbox is SIGKILLed at random points and started
again, and the link to the central PostgreSQL is cut under it by the fault proxy. At
the end the central store holds each sale once, its stock books balance (oversells
included), each coupon's count equals its redemptions, and each till's receipt series
runs without a gap or a repeat.

The short runs are in the normal suite; the full one (500 sales, 30 kills) is marked slow.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from pos.services import books
from pos.services.coupons import CouponDraft, CouponKind, create_coupon
from pos.store.tables import outbox, tills
from tests.conftest import Store, value
from tests.faultproxy import FaultProxy
from tests.invariants import assert_invariants
from tests.offline import offline_uow, pull, replica_engine
from tests.syncing import assert_exactly_once, offline_orders, sell_offline, unsent

ROOT = Path(__file__).resolve().parents[2]
SLOW = pytest.mark.skipif(os.environ.get("POS_SLOW_TESTS") != "1", reason="set POS_SLOW_TESTS=1")


@pytest.fixture
def central(store: Store) -> Store:
    if store.dialect != "postgresql":
        pytest.skip("the push's crash tests run against a central PostgreSQL")
    return store


@pytest.fixture
def proxy(central: Store):
    with FaultProxy(central.url.host or "127.0.0.1", central.url.port or 5432) as faults:
        yield faults


def start_pusher(central: Store, proxy: FaultProxy, replica: Path) -> subprocess.Popen[str]:
    url = central.url.set(host=proxy.host, port=proxy.port)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.pushing_till",
            url.render_as_string(hide_password=False),
            str(replica),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)


def kill_mid_push(
    central: Store, proxy: FaultProxy, replica: Path, rng: random.Random, most: int
) -> bool:
    """Start a pusher, let it send a random number of sales (cutting the link under it
    now and then), SIGKILL it a random moment later; False if it finished first."""
    child = start_pusher(central, proxy, replica)
    assert child.stdout is not None
    target = rng.randint(1, most)
    cut_at = rng.randint(1, most) if rng.random() < 0.5 else None
    heard = 0
    try:
        for line in child.stdout:
            if line.strip() == "done":
                return False
            heard += 1
            if heard == cut_at:
                proxy.cut()
            if heard >= target:
                time.sleep(rng.random() * 0.01)  # somewhere inside the next sale
                return True
        return False
    finally:
        kill(child)


def push_to_the_end(central: Store, proxy: FaultProxy, replica: Path) -> None:
    child = start_pusher(central, proxy, replica)
    assert child.stdout is not None
    watchdog = threading.Timer(240, child.kill)
    watchdog.start()
    try:
        lines = [line.strip() for line in child.stdout]
    finally:
        watchdog.cancel()
        child.wait(timeout=10)
    assert lines[-1:] == ["done"], lines[-3:]


def shop(central: Store, shelf, manager, *, coupon_limit: int) -> list[int]:
    products = [shelf.product(stock=20, price_minor=1000 + 50 * n) for n in range(8)]
    draft = CouponDraft(
        code="KAMPANYA", kind=CouponKind.PERCENT, value=500, usage_limit=coupon_limit
    )
    value(create_coupon(shelf.uow, draft, user_id=manager.id))
    return products


def make_replica(
    central: Engine,
    template: Path,
    folder: Path,
    products: list[int],
    sales: int,
    till_id: int,
    clock,
) -> Path:
    folder.mkdir()
    engine = replica_engine(template, folder)
    pull(central, engine)
    off = offline_uow(engine, clock, coupon_allowance=1000)
    with_coupon = max(1, sales // 20)
    sell_offline(off, products, sales - with_coupon, seed=till_id, till_id=till_id)
    sell_offline(off, products, with_coupon, seed=till_id + 100, coupon="KAMPANYA", till_id=till_id)
    engine.dispose()
    return folder / "replica.sqlite3"


def assert_home_once(central: Store, replicas: list[Path]) -> None:
    made: set[object] = set()
    for path in replicas:
        engine = replica_engine_at(path)
        try:
            assert unsent(engine) == 0
            made |= offline_orders(engine)
            with engine.connect() as connection:
                answers = set(connection.execute(select(outbox.c.answer)).scalars())
            assert answers <= {"ingested", "already_here"}, answers
        finally:
            engine.dispose()
    assert_exactly_once(central.engine, made)
    assert_invariants(central.engine)
    with central.engine.connect() as connection:
        assert books.receipt_gaps(connection) == []


def replica_engine_at(path: Path) -> Engine:
    from pos.store.engine import make_engine

    return make_engine(f"sqlite:///{path}")


def crash_run(central, proxy, shelf, manager, clock, sqlite_template, tmp_path, sales, kills):
    products = shop(central, shelf, manager, coupon_limit=sales)
    replica = make_replica(
        central.engine, sqlite_template, tmp_path / "till1", products, sales, 1, clock
    )
    rng = random.Random(sales * 1000 + kills)
    most = max(2, 2 * sales // kills)
    killed = 0
    while killed < kills:
        if not kill_mid_push(central, proxy, replica, rng, most):
            break
        killed += 1
    push_to_the_end(central, proxy, replica)
    assert killed >= kills // 2, killed
    assert_home_once(central, [replica])
    # The kills fell between central commits and the replica's marks: sent again, and
    # answered "already here".
    engine = replica_engine_at(replica)
    with engine.connect() as connection:
        again = connection.execute(
            select(func.count()).where(outbox.c.answer == "already_here")
        ).scalar_one()
    engine.dispose()
    assert again > 0


def test_a_push_of_60_sales_killed_4_times_and_cut_sends_each_sale_once(
    central, proxy, shelf, manager, clock, sqlite_template, tmp_path
):
    crash_run(central, proxy, shelf, manager, clock, sqlite_template, tmp_path, 60, 4)


@pytest.mark.slow
@SLOW
def test_a_push_of_500_sales_killed_30_times_and_cut_sends_each_sale_once(
    central, proxy, shelf, manager, clock, sqlite_template, tmp_path
):
    crash_run(central, proxy, shelf, manager, clock, sqlite_template, tmp_path, 500, 30)


def test_two_tills_pushing_at_once_one_of_them_twice_over_send_each_sale_once(
    central, proxy, shelf, manager, clock, sqlite_template, tmp_path
):
    with central.engine.begin() as connection:
        connection.execute(insert(tills).values(id=2, code="T02", location_id=1))
    products = shop(central, shelf, manager, coupon_limit=2)  # both tills pass it offline
    first = make_replica(
        central.engine, sqlite_template, tmp_path / "till1", products, 40, 1, clock
    )
    second = make_replica(
        central.engine, sqlite_template, tmp_path / "till2", products, 40, 2, clock
    )
    rng = random.Random(2)

    kill_mid_push(central, proxy, first, rng, 10)
    pushers = [start_pusher(central, proxy, path) for path in (first, first, second)]
    cutter = threading.Timer(0.5, proxy.cut)
    cutter.start()
    try:
        for child in pushers:
            assert child.wait(timeout=240) == 0
    finally:
        cutter.cancel()
        for child in pushers:
            if child.poll() is None:
                kill(child)

    assert_home_once(central, [first, second])
