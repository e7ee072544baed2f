"""The sweeper running beside the till returns lapsed holds, once, on its own thread."""

from __future__ import annotations

import threading

from pos.runtime.sweeper import Sweeper
from pos.services.cart import add_to_cart
from pos.services.reservations import SweepReport
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.invariants import assert_invariants, stock_books
from tests.sales import new_cart


def test_the_sweeper_thread_returns_a_lapsed_cart_to_the_shelf_and_says_so(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    product = shelf.product(stock=5)
    value(add_to_cart(uow, new_cart(uow), product, 3))
    heard: list[tuple[SweepReport, int]] = []
    swept = threading.Event()

    def on_swept(report: SweepReport) -> None:
        heard.append((report, threading.get_ident()))
        swept.set()

    sweeper = Sweeper(lambda: UnitOfWork(store.engine, clock), every=0.01, on_swept=on_swept)
    sweeper.start()
    try:
        assert not swept.wait(0.2)  # nothing has lapsed yet
        clock.advance(hours=1)
        assert swept.wait(5)
    finally:
        sweeper.stop()
    assert heard[0][0] == SweepReport(expired=1, units_returned=3)
    assert heard[0][1] != threading.get_ident()
    assert len(heard) == 1  # later sweeps found nothing more to return
    assert stock_books(store.engine)[product][:2] == (5, 0)
    assert_invariants(store.engine)
