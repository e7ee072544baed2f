"""Tills on a central store through PgBouncer in transaction pooling mode: each transaction
gets whichever server connection is free, so the till may keep nothing on one past its
transaction. They sell, push their offline sales, their server timeouts still fire, and a
till set up as for a direct connection is turned away at the door (so nobody finds out in
the middle of a day).
Skipped without the ``pgbouncer`` program."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import URL, Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from pos.domain.results import Code
from pos.services.cart import add_to_cart, open_cart
from pos.services.checkout import Cash, checkout
from pos.store.engine import UNTIMED, StoreTimeouts, make_engine, store_failure
from pos.store.migrate import upgrade
from pos.store.uow import UnitOfWork
from pos.sync.push import push_outbox
from tests.conftest import Shelf, Store, value
from tests.invariants import assert_invariants
from tests.offline import offline_uow, pull, replica_engine
from tests.pgbouncer import pgbouncer, pgbouncer_binary
from tests.sales import key, shown_total
from tests.syncing import assert_exactly_once, offline_orders, sell_offline

FAST = StoreTimeouts(connect=2, statement=1.5, lock=1, idle_in_transaction=0.5, keepalive=1)

pytestmark = [
    pytest.mark.parametrize("store", ["postgresql"], indirect=True),
    pytest.mark.skipif(pgbouncer_binary() is None, reason="no pgbouncer program"),
]


@pytest.fixture
def bouncer(store: Store) -> Iterator[URL]:
    # Two server connections for three tills: transactions move between them.
    with pgbouncer(store.url, pool_size=2) as url:
        yield url


@pytest.fixture
def pooled(bouncer: URL) -> Iterator[Engine]:
    engine = make_engine(bouncer, timeouts=FAST, pooled=True)
    try:
        yield engine
    finally:
        engine.dispose()


def test_three_tills_sell_at_once_through_pgbouncer(store: Store, shelf: Shelf, bouncer: URL):
    products = [shelf.product(stock=100) for _ in range(3)]
    engines = [make_engine(bouncer, timeouts=FAST, pooled=True) for _ in range(3)]
    failures: list[BaseException] = []
    sold: list[int] = []

    def till(engine: Engine) -> None:
        uow = UnitOfWork(engine)
        try:
            for _ in range(3):
                cart = value(open_cart(uow)).cart_id
                # More than psycopg's five runs of a statement before it would prepare it.
                for product in products * 3:
                    value(add_to_cart(uow, cart, product, 1))
                total = shown_total(uow, cart)
                value(
                    checkout(
                        uow,
                        cart,
                        shown_total_minor=total,
                        tender=Cash(total),
                        idempotency_key=key(),
                    )
                )
                sold.append(cart)
        except BaseException as failure:  # handed to the test's thread
            failures.append(failure)

    threads = [threading.Thread(target=till, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            engine.dispose()

    assert not failures, failures
    assert len(sold) == 9
    with store.engine.connect() as connection:
        paid = connection.execute(text("SELECT count(*) FROM orders WHERE status = 'paid'"))
        assert paid.scalar_one() == 9
    assert_invariants(store.engine)


def test_the_timeouts_hold_in_every_transaction_through_pgbouncer(pooled: Engine):
    for _ in range(3):
        with pooled.connect() as connection:
            shown = {
                name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
                for name in ("statement_timeout", "lock_timeout", "jit")
            }
        assert shown == {"statement_timeout": "1500ms", "lock_timeout": "1s", "jit": "off"}

    started = time.monotonic()
    with pytest.raises(OperationalError) as raised, pooled.connect() as connection:
        connection.execute(text("SELECT pg_sleep(10)"))
    took = time.monotonic() - started

    assert isinstance(raised.value.orig, psycopg.errors.QueryCanceled)
    assert store_failure(raised.value) is Code.STORE_BUSY
    assert FAST.statement - 0.2 < took < FAST.statement + 1.5


def test_a_till_set_up_for_a_direct_connection_is_refused_by_pgbouncer(bouncer: URL):
    direct = make_engine(bouncer, timeouts=FAST)
    try:
        with (
            pytest.raises(DBAPIError, match="unsupported startup parameter"),
            direct.connect() as connection,
        ):
            connection.exec_driver_sql("SELECT 1")
    finally:
        direct.dispose()


def test_migrating_through_pgbouncer_lifts_the_statement_timeout_for_itself_only(
    pooled: Engine,
):
    lifted: list[str] = []

    @event.listens_for(pooled, "commit")
    def _seen_at_commit(connection: Connection) -> None:
        if connection.get_execution_options().get(UNTIMED):
            shown = connection.exec_driver_sql("SHOW statement_timeout").scalar_one()
            lifted.append(shown)

    upgrade(pooled)  # at head already: its check still commits on the lifted connection

    assert lifted
    assert set(lifted) == {"0"}
    with pooled.connect() as connection:
        shown = connection.exec_driver_sql("SHOW statement_timeout").scalar_one()
    assert shown == "1500ms"


def test_a_transaction_left_open_is_ended_by_the_server_through_pgbouncer(pooled: Engine):
    with pooled.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        time.sleep(FAST.idle_in_transaction + 1)  # a till gone quiet in the middle of a sale
        with pytest.raises(DBAPIError) as raised:
            connection.exec_driver_sql("SELECT 1")

    assert store_failure(raised.value) is Code.STORE_UNREACHABLE
    with pooled.connect() as connection:  # and the till's next transaction goes through
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1


def test_offline_sales_pushed_through_pgbouncer_arrive_once_and_leave_nothing_prepared(
    store: Store, shelf: Shelf, pooled: Engine, sqlite_template, tmp_path, clock
):
    products = [shelf.product(stock=100) for _ in range(3)]
    replica = replica_engine(sqlite_template, tmp_path)
    try:
        pull(store.engine, replica)
        sell_offline(offline_uow(replica, clock), products, 6, lines=2)

        report = value(
            push_outbox(
                lambda: UnitOfWork(pooled, clock),
                lambda: offline_uow(replica, clock),
                sleep=lambda _seconds: None,
            )
        )

        assert (report.ingested, report.left) == (6, 0)
        assert_exactly_once(store.engine, offline_orders(replica))
    finally:
        replica.dispose()
    # A burst prepares its statements by name on its server connection, where the next
    # till's transaction would find them missing or, worse, someone else's: none here.
    with pooled.connect() as connection:
        left = connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
        assert left.scalar_one() == 0
    assert_invariants(store.engine)
