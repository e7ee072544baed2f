"""Parked sales: put aside with their holds, listed per till, recalled once, line by line."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from pos.domain.messages import render
from pos.domain.policy import Policy
from pos.domain.results import Changed, Code, Err, Ok, Warn
from pos.services.cart import (
    add_to_cart,
    cart_summary,
    open_cart,
    remove_line,
    set_quantity,
    void_sale,
)
from pos.services.cash_sessions import close_session, open_session
from pos.services.coupons import CouponDraft, CouponKind, apply_coupon, create_coupon
from pos.services.parked import park_sale, parked_sales, recall_sale
from pos.services.reservations import release_expired
from pos.store.engine import make_engine
from pos.store.models import DEFAULT_TILL_ID, AuditEntry, CartStatus, Reservation
from pos.store.tables import carts, tills
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, Shelf, error, value
from tests.invariants import assert_stock_invariant, stock_books
from tests.offline import offline_uow
from tests.sales import new_cart, pay_cash, rows


def sale_of(uow: UnitOfWork, shelf: Shelf, *lines: tuple[int, int]) -> int:
    """A sale at the default till with ``(product, quantity)`` lines rung up."""
    cart = new_cart(uow)
    for product, quantity in lines:
        value(add_to_cart(uow, cart, product, quantity))
    return cart


def park(uow: UnitOfWork, cart: int, user) -> int:
    """Park ``cart``; the empty sale the till goes on with."""
    return value(park_sale(uow, cart, user_id=user.id)).next_sale.cart_id


def recall(uow: UnitOfWork, cart: int, user, current: int | None = None):
    return recall_sale(uow, cart, user_id=user.id, till_id=DEFAULT_TILL_ID, current_cart_id=current)


def audit_rows(store, action: str) -> list[dict]:
    found = rows(store, AuditEntry, AuditEntry.action == action, order_by=AuditEntry.id)
    return [json.loads(row.details) for row in found]


# -- parking ------------------------------------------------------------------------


def test_parking_keeps_the_holds_and_their_time_and_starts_an_empty_sale(
    uow, shelf, cashier, store, clock: FakeClock
):
    milk, bread = shelf.product(stock=10), shelf.product(stock=10)
    cart = sale_of(uow, shelf, (milk, 2), (bread, 1))
    clock.advance(minutes=3)

    parked = park_sale(uow, cart, user_id=cashier.id)

    assert isinstance(parked, Ok)
    assert parked.changed == Changed.CART
    assert parked.value.next_sale.lines == ()
    assert parked.value.waiting == 1
    assert parked.value.next_sale.cart_id != cart
    assert parked.value.parked.parked_by == cashier.display_name
    assert parked.value.parked.parked_at == START + timedelta(minutes=3)
    # Held as before, until the time they had: parking does not stretch them.
    assert parked.value.parked.held_until == START + timedelta(minutes=15)
    assert stock_books(store.engine)[milk][:2] == (8, 2)
    assert value(cart_summary(uow, cart)).status is CartStatus.PARKED
    assert_stock_invariant(store.engine)
    assert audit_rows(store, "sale.parked")[0]["lines"] == [
        {"product": milk, "quantity": 2},
        {"product": bread, "quantity": 1},
    ]


def test_an_empty_sale_is_not_parked(uow, cashier, store):
    cart = new_cart(uow)
    assert error(park_sale(uow, cart, user_id=cashier.id)).code is Code.PARK_EMPTY
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert audit_rows(store, "sale.parked") == []


def test_a_second_press_of_park_is_refused_and_opens_no_second_sale(uow, shelf, cashier, store):
    cart = sale_of(uow, shelf, (shelf.product(stock=5), 1))
    park(uow, cart, cashier)
    before = len(rows(store, carts.c.id))

    assert error(park_sale(uow, cart, user_id=cashier.id)).code is Code.SALE_PARKED
    assert len(rows(store, carts.c.id)) == before


def test_a_parked_sale_cannot_be_changed_paid_voided_or_couponed_until_recalled(
    uow, shelf, cashier, manager
):
    product = shelf.product(stock=5)
    cart = sale_of(uow, shelf, (product, 1))
    value(create_coupon(uow, CouponDraft("YAZ10", CouponKind.PERCENT, 1000), user_id=manager.id))
    park(uow, cart, cashier)

    assert error(add_to_cart(uow, cart, product, 1)).code is Code.SALE_PARKED
    assert error(set_quantity(uow, cart, product, 3)).code is Code.SALE_PARKED
    assert error(remove_line(uow, cart, product)).code is Code.SALE_PARKED
    assert error(pay_cash(uow, cart, 10_000)).code is Code.CART_NOT_OPEN
    assert error(void_sale(uow, cart, user_id=cashier.id)).code is Code.CART_NOT_OPEN
    assert error(apply_coupon(uow, cart, "YAZ10")).code is Code.CART_NOT_OPEN


def test_a_till_parks_no_more_than_the_shops_limit(store, shelf, cashier, clock):
    uow = UnitOfWork(store.engine, clock, Policy(parked_limit=2))
    product = shelf.product(stock=10)
    for _ in range(2):
        park(uow, sale_of(uow, shelf, (product, 1)), cashier)
    third = sale_of(uow, shelf, (product, 1))

    refused = error(park_sale(uow, third, user_id=cashier.id))

    assert refused.code is Code.PARKED_LIMIT_REACHED
    assert render(refused, "en") == ("At most 2 sales can be parked at this till: recall one first")
    assert value(cart_summary(uow, third)).status is CartStatus.OPEN


def test_a_sale_being_paid_is_not_parked(uow, shelf, cashier):
    from tests.sales import pay_by_card

    cart = sale_of(uow, shelf, (shelf.product(stock=5), 1))
    value(pay_by_card(uow, cart))
    assert error(park_sale(uow, cart, user_id=cashier.id)).code is Code.PAYMENT_IN_PROGRESS


# -- the list -------------------------------------------------------------------------


def test_the_list_shows_each_parked_sale_with_its_time_cashier_and_total_oldest_first(
    uow, shelf, cashier, manager, clock
):
    product = shelf.product(stock=10, price_minor=1000)
    first = sale_of(uow, shelf, (product, 2))
    park(uow, first, cashier)
    clock.advance(minutes=2)
    second = sale_of(uow, shelf, (product, 1))
    park(uow, second, manager)
    sale_of(uow, shelf, (product, 1))  # on the screen, not parked: not listed

    listed = value(parked_sales(uow, DEFAULT_TILL_ID))

    assert [(p.cart_id, p.parked_by, p.total_minor, p.item_count) for p in listed] == [
        (first, cashier.display_name, 2000, 2),
        (second, manager.display_name, 1000, 1),
    ]
    assert listed[1].parked_at == START + timedelta(minutes=2)
    assert all(p.all_held for p in listed)


def test_the_list_is_the_tills_own(uow, shelf, cashier, store):
    with store.engine.begin() as connection:
        location = connection.execute(select(tills.c.location_id)).scalar_one()
        other = connection.execute(
            tills.insert().values(code="T02", location_id=location).returning(tills.c.id)
        ).scalar_one()
    cart = value(open_cart(uow, till_id=other)).cart_id
    value(add_to_cart(uow, cart, shelf.product(stock=3), 1))
    park(uow, cart, cashier)

    assert value(parked_sales(uow, DEFAULT_TILL_ID)) == ()
    assert [p.cart_id for p in value(parked_sales(uow, other))] == [cart]
    # Nor is it recalled at another till: its basket stands at T02.
    assert error(recall(uow, cart, cashier)).code is Code.PARKED_SALE_NOT_FOUND


def test_a_parked_sale_whose_holds_lapsed_is_listed_as_not_all_held(uow, shelf, cashier, clock):
    cart = sale_of(uow, shelf, (shelf.product(stock=5), 1))
    park(uow, cart, cashier)
    clock.advance(minutes=16)  # past the hold, before the sweeper came

    (listed,) = value(parked_sales(uow, DEFAULT_TILL_ID))

    assert not listed.all_held
    assert listed.held_until is None


# -- recalling ----------------------------------------------------------------------


def test_recalling_brings_the_sale_back_held_for_a_fresh_hold_time(
    uow, shelf, cashier, store, clock
):
    product = shelf.product(stock=10)
    cart = sale_of(uow, shelf, (product, 3))
    screen = park(uow, cart, cashier)
    clock.advance(minutes=10)

    recalled = recall(uow, cart, cashier, current=screen)

    assert isinstance(recalled, Ok)
    assert recalled.value.waiting == 0
    summary = recalled.value.summary
    assert summary.status is CartStatus.OPEN
    assert [(line.quantity, line.reserved) for line in summary.lines] == [(3, 3)]
    assert summary.lines[0].reserved_until == clock() + timedelta(minutes=15)
    assert stock_books(store.engine)[product][:2] == (7, 3)
    # The empty sale that was on the screen ends: no empty carts pile up.
    assert value(cart_summary(uow, screen)).status is CartStatus.CLOSED
    assert value(parked_sales(uow, DEFAULT_TILL_ID)) == ()
    assert audit_rows(store, "sale.recalled")[0]["short"] == []
    # And it sells as any sale.
    assert value(pay_cash(uow, cart)).receipt is not None
    assert_stock_invariant(store.engine)


def test_recalling_over_a_sale_with_lines_is_refused_and_changes_nothing(uow, shelf, cashier):
    product = shelf.product(stock=10)
    cart = sale_of(uow, shelf, (product, 1))
    screen = park(uow, cart, cashier)
    value(add_to_cart(uow, screen, product, 1))

    assert error(recall(uow, cart, cashier, current=screen)).code is Code.SALE_IN_PROGRESS
    assert value(cart_summary(uow, cart)).status is CartStatus.PARKED
    assert value(cart_summary(uow, screen)).status is CartStatus.OPEN


def test_a_sale_recalled_twice_comes_back_once(uow, shelf, cashier):
    cart = sale_of(uow, shelf, (shelf.product(stock=10), 1))
    screen = park(uow, cart, cashier)
    value(recall(uow, cart, cashier, current=screen))

    assert error(recall(uow, cart, cashier)).code is Code.PARKED_SALE_NOT_FOUND
    assert error(recall(uow, 10**9, cashier)).code is Code.PARKED_SALE_NOT_FOUND
    assert error(recall(uow, "7", cashier)).code is Code.PARKED_SALE_NOT_FOUND  # type: ignore[arg-type]


def test_a_recalled_sale_whose_holds_the_sweeper_released_is_held_again_line_by_line(
    uow, shelf, cashier, store, clock
):
    milk = shelf.product(stock=5, name="Süt 1 L")
    bread = shelf.product(stock=5, name="Ekmek")
    cheese = shelf.product(stock=3, name="Beyaz peynir")
    cart = sale_of(uow, shelf, (milk, 2), (bread, 1), (cheese, 2))
    screen = park(uow, cart, cashier)
    clock.advance(minutes=16)
    assert value(release_expired(uow)).expired == 3
    # Meanwhile another customer takes the bread but one and all the cheese but one.
    other = sale_of(uow, shelf, (bread, 4), (cheese, 2))
    value(pay_cash(uow, other))

    recalled = recall(uow, cart, cashier, current=screen)

    assert isinstance(recalled, Warn)
    assert recalled.code is Code.RECALLED_SHORT
    assert recalled.changed == Changed.CART | Changed.STOCK
    assert render(recalled, "tr") == (
        "Satış geri çağrıldı; stoğu yeniden ayrılamayan satırlar çıkarıldı:"
        " Stok yetersiz: Beyaz peynir"
    )
    (short,) = recalled.value.short
    assert (short.product_id, short.quantity, short.available) == (cheese, 2, 1)
    assert render(short.problem(), "tr") == "Yeterli stok yok - mevcut: 1"
    summary = recalled.value.summary
    assert [(line.product_id, line.quantity, line.reserved) for line in summary.lines] == [
        (milk, 2, 2),
        (bread, 1, 1),
    ]
    books = stock_books(store.engine)
    assert books[milk][:2] == (3, 2)
    assert books[bread][:2] == (0, 1)
    assert books[cheese][:2] == (1, 0)
    assert audit_rows(store, "sale.recalled")[0]["short"] == [
        {"product": cheese, "quantity": 2, "available": 1}
    ]
    assert_stock_invariant(store.engine)


def test_a_hold_past_its_time_not_yet_swept_is_kept_on_recall(uow, shelf, cashier, store, clock):
    product = shelf.product(stock=2)
    cart = sale_of(uow, shelf, (product, 2))
    screen = park(uow, cart, cashier)
    clock.advance(minutes=30)

    recalled = value(recall(uow, cart, cashier, current=screen))

    assert [(line.quantity, line.reserved) for line in recalled.summary.lines] == [(2, 2)]
    assert stock_books(store.engine)[product][:2] == (0, 2)
    # Held again from now: the sweeper that comes next leaves it alone.
    assert value(release_expired(uow)).expired == 0
    assert_stock_invariant(store.engine)


def test_a_parked_sale_keeps_its_coupon(uow, shelf, cashier, manager):
    product = shelf.product(stock=10, price_minor=10_000)
    value(create_coupon(uow, CouponDraft("YAZ10", CouponKind.PERCENT, 1000), user_id=manager.id))
    cart = sale_of(uow, shelf, (product, 1))
    value(apply_coupon(uow, cart, "YAZ10"))
    screen = park(uow, cart, cashier)

    (listed,) = value(parked_sales(uow, DEFAULT_TILL_ID))
    recalled = value(recall(uow, cart, cashier, current=screen)).summary

    assert listed.coupon_code == "YAZ10"
    assert listed.total_minor == 9_000
    assert recalled.coupon_code == "YAZ10"
    assert recalled.total_minor == 9_000


# -- the day ------------------------------------------------------------------------


def test_the_day_does_not_close_while_a_sale_is_parked(uow, shelf, cashier, store):
    session = value(open_session(uow, user_id=cashier.id, float_minor=0)).session_id
    cart = sale_of(uow, shelf, (shelf.product(stock=5), 1))
    screen = park(uow, cart, cashier)

    refused = error(close_session(uow, session, user_id=cashier.id, counted={"cash": 0}))

    assert refused.code is Code.PARKED_SALES_AT_CLOSE
    assert render(refused, "en").startswith("1 parked sales wait at this till")
    # Recalled and voided, the day closes, its holds given back.
    value(recall(uow, cart, cashier, current=screen))
    value(void_sale(uow, cart, user_id=cashier.id))
    assert isinstance(close_session(uow, session, user_id=cashier.id, counted={"cash": 0}), Ok)
    assert_stock_invariant(store.engine)


# -- offline ------------------------------------------------------------------------


def test_offline_a_sale_parks_and_comes_back_reserving_nothing(store, shelf, cashier, clock):
    product = shelf.product(stock=1, name="Domates")
    off = offline_uow(store.engine, clock)
    cart = sale_of(off, shelf, (product, 3))  # more than the last known stock
    screen = value(park_sale(off, cart, user_id=cashier.id)).next_sale.cart_id
    clock.advance(minutes=40)

    recalled = recall_sale(
        off, cart, user_id=cashier.id, till_id=DEFAULT_TILL_ID, current_cart_id=screen
    )

    assert isinstance(recalled, Warn)
    assert recalled.code is Code.ADDED_UNVERIFIED
    assert recalled.changed == Changed.CART
    assert [(line.quantity, line.reserved) for line in recalled.value.summary.lines] == [(3, 0)]
    assert rows(store, Reservation) == []
    assert stock_books(store.engine)[product][:2] == (1, 0)
    assert audit_rows(store, "sale.parked")[0]["offline"] is True


# -- races --------------------------------------------------------------------------


@pytest.mark.parametrize("racers", [8])
def test_of_many_recalling_one_parked_sale_exactly_one_gets_it(
    store, shelf, cashier, clock, racers: int
):
    uow = UnitOfWork(store.engine, clock)
    product = shelf.product(stock=10)
    cart = sale_of(uow, shelf, (product, 4))
    park(uow, cart, cashier)
    clock.advance(minutes=20)
    value(release_expired(uow))  # so every winner must reserve again
    screens = [new_cart(uow) for _ in range(racers)]
    engine = make_engine(store.url, pool_size=racers, max_overflow=0)
    start = threading.Barrier(racers)
    outcomes: list[str] = []

    def till(screen: int) -> None:
        start.wait()
        result = recall_sale(
            UnitOfWork(engine, clock),
            cart,
            user_id=cashier.id,
            till_id=DEFAULT_TILL_ID,
            current_cart_id=screen,
        )
        outcomes.append("ok" if not isinstance(result, Err) else result.code.value)

    threads = [threading.Thread(target=till, args=(screen,)) for screen in screens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()

    assert Counter(outcomes) == {"ok": 1, Code.PARKED_SALE_NOT_FOUND.value: racers - 1}
    assert stock_books(store.engine)[product][:2] == (6, 4)
    assert len(audit_rows(store, "sale.recalled")) == 1
    assert_stock_invariant(store.engine)
