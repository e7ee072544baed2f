"""A central PostgreSQL store gone silent (a pulled cable, a switch dropping packets),
played by a proxy that black-holes the till's connection: the till hears within
seconds that the store cannot be reached, and the rows a vanished till had locked are
freed by the server for the other tills."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from pos.domain.messages import render
from pos.domain.results import Code, Result
from pos.services.cart import add_to_cart, open_cart
from pos.services.checkout import Cash, checkout
from pos.store.engine import StoreTimeouts, make_engine, store_failure
from pos.store.migrate import upgrade
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, error, value
from tests.faultproxy import FaultProxy
from tests.invariants import stock_books
from tests.sales import key, shown_total

FAST = StoreTimeouts(connect=2, statement=1.5, lock=1, idle_in_transaction=0.5, keepalive=1)
"""Short enough for a quick test; the till gives up on a silent server after 3.5 s."""

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)


@pytest.fixture
def proxy(store: Store) -> Iterator[FaultProxy]:
    with FaultProxy(store.url.host or "127.0.0.1", store.url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def remote(store: Store, proxy: FaultProxy) -> Iterator[Engine]:
    """The till's engine, reaching the store through the proxy."""
    engine = make_engine(store.url.set(host=proxy.host, port=proxy.port), timeouts=FAST)
    try:
        yield engine
    finally:
        engine.dispose()


def timed(call: object) -> tuple[Result[object], float]:
    started = time.monotonic()
    result = call()  # type: ignore[operator]
    return result, time.monotonic() - started


def test_a_silent_store_answers_unreachable_within_seconds_and_the_till_recovers(
    store: Store, shelf: Shelf, proxy: FaultProxy, remote: Engine
):
    till = UnitOfWork(remote)
    product = shelf.product(stock=5)
    cart = value(open_cart(till)).cart_id
    value(add_to_cart(till, cart, product, 1))
    total = shown_total(till, cart)
    books = stock_books(store.engine)

    proxy.blackhole()
    added, add_took = timed(lambda: add_to_cart(till, cart, product, 1))
    paid, pay_took = timed(
        lambda: checkout(
            till, cart, shown_total_minor=total, tender=Cash(total), idempotency_key=key()
        )
    )

    assert error(added).code is Code.STORE_UNREACHABLE
    assert error(paid).code is Code.STORE_UNREACHABLE
    assert render(error(added), "tr") == "Merkezi mağazaya ulaşılamıyor, tekrar deneyin"
    assert render(error(added), "en") == "The central store cannot be reached; try again"
    assert add_took < 8
    assert pay_took < 8
    assert stock_books(store.engine) == books
    proxy.heal()
    assert value(add_to_cart(till, cart, product, 1)).lines[0].quantity == 2


def test_the_rows_of_a_till_gone_silent_at_commit_are_freed_for_the_other_tills(
    store: Store, shelf: Shelf, proxy: FaultProxy, remote: Engine
):
    vanishing = UnitOfWork(remote)
    other = UnitOfWork(store.engine)
    product = shelf.product(stock=5)
    vanishing_cart = value(open_cart(vanishing)).cart_id
    other_cart = value(open_cart(other)).cart_id
    silenced = threading.Event()

    @event.listens_for(remote, "commit")
    def _silence_at_commit(_connection: object) -> None:
        # The reservation's UPDATE holds the product's row; the COMMIT goes into the hole.
        proxy.blackhole()
        silenced.set()

    answers: dict[str, Result[object]] = {}
    stuck = threading.Thread(
        target=lambda: answers.update(vanishing=add_to_cart(vanishing, vanishing_cart, product, 2))
    )
    stuck.start()
    try:
        assert silenced.wait(10)
        added, took = timed(lambda: add_to_cart(other, other_cart, product, 1))
    finally:
        stuck.join(timeout=15)
        proxy.close()

    # The server ended the silent till's session, so the other till got the row, long
    # before the silent till itself gave up waiting (FAST.answer).
    assert value(added).lines[0].quantity == 1
    assert took < FAST.answer - 1
    assert error(answers["vanishing"]).code is Code.STORE_UNREACHABLE
    # The silent till's reservation went with its session.
    available, reserved, _, held = stock_books(store.engine)[product]
    assert (available, reserved, held) == (4, 1, 1)


def test_a_till_waiting_on_rows_another_till_holds_hears_the_store_is_busy(
    store: Store, shelf: Shelf, remote: Engine
):
    product = shelf.product(stock=5)
    till = UnitOfWork(remote)
    cart = value(open_cart(till)).cart_id

    with store.engine.connect() as holder:
        holder.execute(
            text("SELECT 1 FROM inventory WHERE product_id = :p FOR UPDATE"), {"p": product}
        )
        added, took = timed(lambda: add_to_cart(till, cart, product, 1))
        holder.rollback()

    assert error(added).code is Code.STORE_BUSY
    assert FAST.lock - 0.2 < took < FAST.statement + 1
    assert value(add_to_cart(till, cart, product, 1)).lines[0].quantity == 1


def test_the_server_side_timeouts_reach_every_connection_and_migrating_leaves_them(
    store: Store, remote: Engine
):
    upgrade(remote)  # lifts the statement timeout for itself, then puts it back

    with remote.connect() as connection:
        shown = {
            name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
            for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
        }
    assert shown == {
        "statement_timeout": "1500ms",
        "lock_timeout": "1s",
        "idle_in_transaction_session_timeout": "500ms",
    }


def test_a_till_whose_open_transaction_the_server_ended_hears_the_store_is_gone(
    store: Store,
):
    till = make_engine(store.url, timeouts=FAST)
    try:
        with till.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            time.sleep(FAST.idle_in_transaction + 1)  # the till stalled in the middle of a sale
            with pytest.raises(DBAPIError) as raised:
                connection.exec_driver_sql("SELECT 1")
        with till.connect() as connection:  # its next transaction goes through
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        till.dispose()

    assert store_failure(raised.value) is Code.STORE_UNREACHABLE
