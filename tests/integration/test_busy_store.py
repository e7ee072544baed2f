"""A SQLite store whose file another process keeps write-locked past the busy timeout: the
till is told the store is busy, nothing changes, and trying again later works."""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import StringIO

import pytest
import requests

from pos.domain.messages import render
from pos.domain.payments import PaymentStatus
from pos.domain.results import Code
from pos.runtime.listener import WebhookListener
from pos.services.cart import add_to_cart, cart_summary, open_cart
from pos.services.catalogue import ProductDraft, create_product
from pos.services.product_import import import_products_csv
from pos.services.stock import stock_levels
from pos.store.engine import StoreTimeouts, make_engine
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, error, value
from tests.integration.test_listener import SECRET, card_sale, event_body, payment_row, signed
from tests.invariants import stock_books
from tests.lockholder import write_locked

BUSY = StoreTimeouts(busy=0.2)

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@pytest.fixture
def impatient(store: Store) -> Iterator[UnitOfWork]:
    """A till on the same file that waits only a moment for another writer."""
    engine = make_engine(store.url, timeouts=BUSY)
    try:
        yield UnitOfWork(engine)
    finally:
        engine.dispose()


def test_write_services_answer_that_the_store_is_busy_and_change_nothing(
    store: Store, shelf: Shelf, impatient: UnitOfWork
):
    product = shelf.product(stock=5)
    cart = value(open_cart(impatient)).cart_id
    books = stock_books(store.engine)

    with write_locked(store.url.database or ""):
        started = time.monotonic()
        added = add_to_cart(impatient, cart, product, 1)
        waited = time.monotonic() - started
        created = create_product(impatient, ProductDraft(sku="NEW-1", name="Yeni", price_minor=100))
        imported = import_products_csv(impatient, StringIO("sku,name,price\nCSV-1,Elma,1.00\n"))
        opened = open_cart(impatient)
        # Reading takes no write lock: the till can still show what it has.
        levels = value(stock_levels(impatient))

    for refused in (added, created, imported, opened):
        assert error(refused).code is Code.STORE_BUSY
    assert (
        render(error(added), "tr") == "Mağaza veritabanı şu an meşgul, biraz sonra tekrar deneyin"
    )
    assert render(error(added), "en") == "The store is busy right now; try again in a moment"
    assert 0.15 < waited < 2
    assert [level.available for level in levels] == [5]
    assert stock_books(store.engine) == books
    assert value(cart_summary(impatient, cart)).lines == ()
    # The lock gone, the same request goes through.
    assert value(add_to_cart(impatient, cart, product, 1)).lines[0].quantity == 1


def test_a_webhook_for_a_busy_store_is_answered_5xx_so_the_terminal_sends_it_again(
    store: Store, shelf: Shelf, uow: UnitOfWork, impatient: UnitOfWork
):
    sale = card_sale(uow, shelf)
    body = event_body(sale)
    listener = WebhookListener(lambda: UnitOfWork(impatient.engine), lambda: [SECRET])
    with listener, requests.Session() as http:
        with write_locked(store.url.database or ""):
            busy = http.post(listener.url, data=body, headers=signed(body))
        retried = http.post(listener.url, data=body, headers=signed(body))

    # A 4xx would tell the terminal to give the event up: the sale would never be settled.
    assert busy.status_code == 503
    assert busy.json()["error"]["type"] == "store_unavailable"
    assert retried.json() == {"received": True, "outcome": "applied", "duplicate": False}
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID
