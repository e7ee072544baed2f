"""Races for the last units and for one reservation: stock changes exactly once."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pos.domain.messages import render
from pos.domain.results import Err, Result
from pos.services.cart import add_to_cart, cart_summary, open_cart, remove_line
from pos.services.reservations import release_expired
from pos.store.engine import make_engine
from pos.store.models import Inventory, Reservation, ReservationStatus
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.invariants import assert_stock_invariant, stock_books

STOCK = 10


class LowestAvailable:
    """Watches ``inventory.available`` from its own connection while a race runs."""

    def __init__(self, store: Store, product_id: int) -> None:
        self.engine = make_engine(store.url)
        self.product_id = product_id
        self.lowest = STOCK
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> LowestAvailable:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def _watch(self) -> None:
        query = select(Inventory.available).where(Inventory.product_id == self.product_id)
        while not self._stop.is_set():
            with self.engine.connect() as connection:
                self.lowest = min(self.lowest, connection.execute(query).scalar_one())


def outcome(result: Result[object]) -> str:
    return render(result, "tr") if isinstance(result, Err) else "ok"


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_32_tills_on_postgresql_reserve_exactly_the_ten_units_there_are(uow, shelf: Shelf, store):
    product = shelf.product(stock=STOCK)
    carts = [value(open_cart(uow)).cart_id for _ in range(32)]
    engine = make_engine(store.url, pool_size=32, max_overflow=0)
    start = threading.Barrier(len(carts))
    outcomes: list[str] = []

    def till(cart: int) -> None:
        start.wait()
        outcomes.append(outcome(add_to_cart(UnitOfWork(engine), cart, product, 1)))

    with LowestAvailable(store, product) as watch:
        threads = [threading.Thread(target=till, args=(cart,)) for cart in carts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    engine.dispose()

    assert Counter(outcomes) == {"ok": STOCK, "Yeterli stok yok - mevcut: 0": 32 - STOCK}
    assert stock_books(store.engine)[product][:2] == (0, STOCK)
    assert watch.lowest >= 0
    assert_stock_invariant(store.engine)


def _sqlite_till(
    url: str, cart: int, product: int, attempts: int, start: object, results: object
) -> None:
    engine = make_engine(url)
    start.wait()  # type: ignore[attr-defined]
    for _ in range(attempts):
        results.put(outcome(add_to_cart(UnitOfWork(engine), cart, product, 1)))  # type: ignore[attr-defined]
    engine.dispose()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_8_processes_on_one_sqlite_file_reserve_exactly_the_ten_units_there_are(
    uow, shelf: Shelf, store
):
    product = shelf.product(stock=STOCK)
    carts = [value(open_cart(uow)).cart_id for _ in range(8)]
    attempts = 4
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(carts))
    results = context.Queue()
    url = store.url.render_as_string(hide_password=False)

    with LowestAvailable(store, product) as watch:
        tills = [
            context.Process(
                target=_sqlite_till, args=(url, cart, product, attempts, start, results)
            )
            for cart in carts
        ]
        for process in tills:
            process.start()
        outcomes = [results.get(timeout=120) for _ in range(len(carts) * attempts)]
        for process in tills:
            process.join(timeout=60)
            assert process.exitcode == 0

    assert Counter(outcomes) == {"ok": STOCK, "Yeterli stok yok - mevcut: 0": 8 * attempts - STOCK}
    assert stock_books(store.engine)[product][:2] == (0, STOCK)
    assert watch.lowest >= 0
    assert_stock_invariant(store.engine)


def run_together(*actions: Callable[[], object]) -> list[object]:
    start = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        start.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_sweepers_and_the_cashier_racing_for_one_reservation_move_the_stock_once(
    uow, shelf: Shelf, store, clock: FakeClock
):
    product = shelf.product(stock=5)
    engine = make_engine(store.url, pool_size=4, max_overflow=0)
    for _ in range(15):
        cart = value(open_cart(uow)).cart_id
        value(add_to_cart(uow, cart, product, 3))
        clock.advance(minutes=16)

        sweeper, cashier, second_sweeper = run_together(
            lambda: release_expired(UnitOfWork(engine, clock)),
            lambda cart=cart: remove_line(UnitOfWork(engine, clock), cart, product),
            lambda: release_expired(UnitOfWork(engine, clock)),
        )

        swept = value(sweeper).units_returned + value(second_sweeper).units_returned
        assert swept in (0, 3)
        assert value(cashier).lines == ()
        assert stock_books(store.engine)[product][:2] == (5, 0)
        with store.engine.connect() as connection:
            statuses = connection.execute(
                select(Reservation.status).where(Reservation.cart_id == cart)
            ).scalars()
            ended = list(statuses)
        assert len(ended) == 1
        assert ended[0] is (ReservationStatus.EXPIRED if swept else ReservationStatus.RELEASED)
        assert_stock_invariant(store.engine)
    engine.dispose()


def test_a_cashier_growing_a_line_while_the_sweeper_expires_it_never_counts_twice(
    uow, shelf: Shelf, store, clock: FakeClock
):
    product = shelf.product(stock=50)
    engine = make_engine(store.url, pool_size=4, max_overflow=0)
    for _ in range(10):
        cart = value(open_cart(uow)).cart_id
        value(add_to_cart(uow, cart, product, 2))
        clock.advance(minutes=16)

        _, grown = run_together(
            lambda: release_expired(UnitOfWork(engine, clock)),
            lambda cart=cart: add_to_cart(UnitOfWork(engine, clock), cart, product, 1),
        )

        line = value(grown).lines[0]
        assert (line.quantity, line.reserved) == (3, 3)
        assert_stock_invariant(store.engine)
        value(remove_line(uow, cart, product))
    assert stock_books(store.engine)[product][:2] == (50, 0)
    engine.dispose()


def test_the_database_refuses_negative_stock_whatever_the_code_does(store, shelf: Shelf):
    product = shelf.product(stock=1)
    with pytest.raises(IntegrityError), store.engine.begin() as c:
        c.execute(
            Inventory.__table__.update().values(available=-1).where(Inventory.product_id == product)
        )
    with pytest.raises(IntegrityError), store.engine.begin() as c:
        c.execute(
            Inventory.__table__.update().values(reserved=-1).where(Inventory.product_id == product)
        )
    assert stock_books(store.engine)[product][:2] == (1, 0)


def test_two_scans_of_one_product_into_one_cart_at_once_make_one_line(
    uow, shelf: Shelf, store, clock: FakeClock
):
    product = shelf.product(stock=50)
    engine = make_engine(store.url, pool_size=4, max_overflow=0)
    for _ in range(10):
        cart = value(open_cart(uow)).cart_id

        first, second = run_together(
            lambda cart=cart: add_to_cart(UnitOfWork(engine, clock), cart, product, 2),
            lambda cart=cart: add_to_cart(UnitOfWork(engine, clock), cart, product, 3),
        )

        assert {value(first).lines[0].quantity, value(second).lines[0].quantity} >= {5}
        line = value(cart_summary(uow, cart)).lines[0]
        assert (line.quantity, line.reserved) == (5, 5)
        with store.engine.connect() as connection:
            active = connection.execute(
                select(Reservation.quantity).where(
                    Reservation.cart_id == cart, Reservation.status == ReservationStatus.ACTIVE
                )
            ).scalars()
            assert list(active) == [5]
        assert_stock_invariant(store.engine)
    engine.dispose()
