"""The shop's settings reach the rules: what a shop writes in its settings file is what
the till does, through the one policy the unit of work carries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pos.bootstrap import Till, bootstrap
from pos.domain.payments import PaymentStatus
from pos.domain.policy import Policy
from pos.domain.results import Code
from pos.runtime.poller import Poller
from pos.services.attention import payments_needing_attention
from pos.services.card_payments import start_card_payment
from pos.services.cart import add_scanned, add_to_cart, open_cart, void_sale
from pos.services.holds import product_reservations
from pos.services.reservations import release_expired
from pos.settings import load_settings
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.invariants import assert_stock_invariant, stock_books
from tests.payments import card_sale, terminal_rig


@pytest.fixture
def shop_till(store: Store, clock: FakeClock, tmp_path: Path) -> Iterator[Till]:
    """The till a shop starts whose settings file holds carts for 1 minute, voids over
    20,00 with a manager and waits 2 minutes for the card terminal."""
    path = tmp_path / "settings.toml"
    path.write_text(
        "[till]\nreservation_ttl_minutes = 1\nvoid_approval_amount = 20\n"
        "[terminal]\npayment_window_minutes = 2\n",
        encoding="utf-8",
    )
    environ = {
        "POS_SETTINGS_FILE": str(path),
        "POS_DATABASE_URL": store.url.render_as_string(hide_password=False),
    }
    till = bootstrap(load_settings(environ), clock=clock, environ=environ)
    try:
        yield till
    finally:
        till.close()


@pytest.mark.parametrize("rung_up", ["by id", "scanned"])
def test_a_shops_hold_of_one_minute_expires_a_carts_hold_after_one_minute(
    shop_till: Till, shelf: Shelf, manager, store: Store, clock: FakeClock, rung_up: str
) -> None:
    product = shelf.product(stock=5)
    cart = value(open_cart(shop_till.uow())).cart_id
    if rung_up == "scanned":  # the till's own way: the scan field, by SKU
        value(add_scanned(shop_till.uow(), cart, f"SKU-{shelf.count:04d}", 2))
    else:
        value(add_to_cart(shop_till.uow(), cart, product, 2))

    [held] = value(product_reservations(shop_till.uow(), product, manager_id=manager.id))
    assert held.expires_at == clock.current + timedelta(minutes=1)

    clock.advance(seconds=59)
    assert value(release_expired(shop_till.uow())).expired == 0
    clock.advance(seconds=1)
    report = value(release_expired(shop_till.uow()))

    assert (report.expired, report.units_returned) == (1, 2)
    assert stock_books(store.engine)[product][:2] == (5, 0)
    assert_stock_invariant(store.engine)


def test_the_shops_void_limit_decides_when_a_void_needs_a_manager(
    shop_till: Till, shelf: Shelf, cashier, manager
) -> None:
    assert shop_till.policy.void_approval_minor == 20_00
    product = shelf.product(stock=5, price_minor=1500)
    cart = value(open_cart(shop_till.uow())).cart_id
    value(add_to_cart(shop_till.uow(), cart, product, 1))
    value(void_sale(shop_till.uow(), cart, user_id=cashier.id))  # 15,00: under the limit

    cart = value(open_cart(shop_till.uow())).cart_id
    value(add_to_cart(shop_till.uow(), cart, product, 2))  # 30,00: over it
    refused = error(void_sale(shop_till.uow(), cart, user_id=cashier.id))
    assert refused.code is Code.APPROVAL_REQUIRED
    value(void_sale(shop_till.uow(), cart, user_id=cashier.id, approved_by=manager.id))


def test_the_shops_card_answer_window_decides_which_payments_wait_for_a_manager(
    shop_till: Till, shelf: Shelf, manager, clock: FakeClock
) -> None:
    uow = shop_till.uow()
    assert uow.policy.card_answer_window == timedelta(minutes=2)
    sale, _cart, _product = card_sale(uow, shelf, 1292)

    clock.advance(minutes=1, seconds=59)
    attention = value(payments_needing_attention(shop_till.uow(), manager_id=manager.id))
    assert (attention.window, attention.waiting.rows) == (timedelta(minutes=2), ())
    clock.advance(minutes=1)
    attention = value(payments_needing_attention(shop_till.uow(), manager_id=manager.id))
    assert [row.payment_id for row in attention.waiting.rows] == [sale.payment_id]


def test_the_poller_gives_up_on_a_card_after_the_shops_card_answer_window(
    shop_till: Till, store: Store, shelf: Shelf, clock: FakeClock
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _cart, _product = card_sale(shop_till.uow(), shelf, 1292)  # never answered
        value(start_card_payment(shop_till.uow(), rig.terminal, sale.payment_id))
        poller = Poller(shop_till.uow, rig.terminal, clock=clock)
        clock.advance(minutes=1, seconds=59)
        assert poller.run_once() == 1
        assert rig.view(sale.payment_id).status is PaymentStatus.PENDING
        clock.advance(seconds=2)  # past the shop's 2 minutes, well inside the default 5
        poller.run_once()
        view = rig.wait_for(sale.payment_id, lambda view: poller.run_once() == 0)
    assert view.status is PaymentStatus.CANCELLED


def test_a_unit_of_work_without_a_policy_keeps_the_defaults(store: Store) -> None:
    assert UnitOfWork(store.engine).policy == Policy()
    assert Policy().cart_hold == timedelta(minutes=15)
    assert Policy().card_answer_window == timedelta(minutes=5)
