"""AddToCart as the seed has it, corrected: every message and every branch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from pos.domain.messages import render
from pos.domain.policy import Policy
from pos.domain.results import Changed, Code, Ok
from pos.services.cart import (
    add_scanned,
    add_to_cart,
    cart_summary,
    open_cart,
    remove_line,
    set_quantity,
)
from pos.services.catalogue import deactivate_product
from pos.services.reservations import release_expired
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, Shelf, error, value
from tests.invariants import assert_stock_invariant, stock_books


def new_cart(uow: UnitOfWork) -> int:
    return value(open_cart(uow)).cart_id


def test_adding_reserves_the_units_and_returns_the_cart_summary(uow, shelf: Shelf, store):
    product = shelf.product(stock=10, price_minor=1250)
    cart = new_cart(uow)

    result = add_to_cart(uow, cart, product, 3)

    assert isinstance(result, Ok)
    assert result.changed == Changed.CART | Changed.STOCK
    summary = result.value
    assert [(line.product_id, line.quantity, line.reserved) for line in summary.lines] == [
        (product, 3, 3)
    ]
    assert summary.subtotal_minor == 3750
    assert summary.item_count == 3
    # The instant goes to the store and comes back aware, in UTC, to the microsecond.
    assert summary.lines[0].reserved_until == START + timedelta(minutes=15)
    assert stock_books(store.engine)[product][:2] == (7, 3)
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize(
    "quantity",
    [
        0,
        -1,
        -100,
        1_000_001,
        10**30,
        1.5,
        2.0,
        "2.5",
        "abc",
        "",
        " ",
        None,
        True,
        "1 OR 1=1",
        "-3",
        [1],
        "\u0661",  # an Arabic-Indic one: a digit, but not one a keypad sends
    ],
)
def test_a_quantity_that_is_not_a_positive_whole_number_is_refused(uow, shelf, store, quantity):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    before = stock_books(store.engine)

    refused = error(add_to_cart(uow, cart, product, quantity))

    assert refused.code in (Code.QUANTITY_NOT_WHOLE, Code.QUANTITY_OUT_OF_RANGE)
    assert render(refused, "tr") in ("Adet tam sayı olmalı", "Adet 1 ile 1.000.000 arasında olmalı")
    assert stock_books(store.engine) == before
    assert value(cart_summary(uow, cart)).lines == ()


def test_a_quantity_typed_on_the_keypad_is_accepted(uow, shelf):
    product = shelf.product(stock=10)
    cart = new_cart(uow)

    assert value(add_to_cart(uow, cart, product, " 4 ")).lines[0].quantity == 4


@pytest.mark.parametrize(
    "product", [999_999, 0, -1, "1", "1; DROP TABLE products", None, 2**31, 2**70]
)
def test_an_unknown_product_is_refused(uow, shelf, store, product):
    shelf.product(stock=10)
    cart = new_cart(uow)
    before = stock_books(store.engine)

    refused = error(add_to_cart(uow, cart, product, 1))

    assert refused.code is Code.PRODUCT_UNAVAILABLE
    assert render(refused, "tr") == "Ürün mevcut değil"
    assert stock_books(store.engine) == before


def test_an_inactive_product_is_refused(uow, shelf, store):
    product = shelf.product(stock=10)
    value(deactivate_product(uow, product))
    cart = new_cart(uow)

    refused = error(add_to_cart(uow, cart, product, 1))

    assert render(refused, "tr") == "Ürün mevcut değil"
    assert stock_books(store.engine)[product][:2] == (10, 0)


def test_a_shortage_is_refused_with_the_true_available_count(uow, shelf, store):
    product = shelf.product(stock=5)
    first, second = new_cart(uow), new_cart(uow)
    value(add_to_cart(uow, first, product, 3))

    refused = error(add_to_cart(uow, second, product, 3))

    assert refused.code is Code.INSUFFICIENT_STOCK
    assert render(refused, "tr") == "Yeterli stok yok - mevcut: 2"
    assert render(refused, "en") == "Not enough stock - available: 2"
    assert value(cart_summary(uow, second)).lines == ()
    assert stock_books(store.engine)[product][:2] == (2, 3)


def test_a_product_never_received_has_nothing_available(uow, shelf):
    product = shelf.product(stock=0)

    refused = error(add_to_cart(uow, new_cart(uow), product, 1))

    assert render(refused, "tr") == "Yeterli stok yok - mevcut: 0"


def test_adding_a_product_already_in_the_cart_grows_its_line_and_reserves_the_difference(
    uow, shelf, store
):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))

    summary = value(add_to_cart(uow, cart, product, 3))

    assert [(line.quantity, line.reserved) for line in summary.lines] == [(5, 5)]
    assert stock_books(store.engine)[product][:2] == (5, 5)
    assert_stock_invariant(store.engine)


def test_growing_a_line_beyond_the_stock_keeps_what_it_had(uow, shelf, store):
    product = shelf.product(stock=4)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 3))

    refused = error(add_to_cart(uow, cart, product, 2))

    assert render(refused, "tr") == "Yeterli stok yok - mevcut: 1"
    assert value(cart_summary(uow, cart)).lines[0].quantity == 3
    assert stock_books(store.engine)[product][:2] == (1, 3)


def test_a_line_keeps_the_price_it_was_rung_up_at(uow, shelf):
    product = shelf.product(stock=10, price_minor=1000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))

    line = value(add_to_cart(uow, cart, product, 1)).lines[0]

    assert (line.unit_price_minor, line.line_total_minor) == (1000, 2000)


@pytest.mark.parametrize("cart", [424242, 0, -5, "1", None, 1.0, 2**40])
def test_an_unknown_cart_is_refused(uow, shelf, store, cart):
    product = shelf.product(stock=10)
    before = stock_books(store.engine)

    assert error(add_to_cart(uow, cart, product, 1)).code is Code.CART_NOT_FOUND
    assert error(set_quantity(uow, cart, product, 1)).code is Code.CART_NOT_FOUND
    assert error(remove_line(uow, cart, product)).code is Code.CART_NOT_FOUND
    assert error(cart_summary(uow, cart)).code is Code.CART_NOT_FOUND
    assert stock_books(store.engine) == before


def test_set_quantity_reserves_more_or_releases_the_difference(uow, shelf, store):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))

    assert value(set_quantity(uow, cart, product, 7)).lines[0].reserved == 7
    assert stock_books(store.engine)[product][:2] == (3, 7)
    assert value(set_quantity(uow, cart, product, 4)).lines[0].reserved == 4
    assert stock_books(store.engine)[product][:2] == (6, 4)
    assert_stock_invariant(store.engine)


def test_set_quantity_beyond_the_stock_is_refused_and_changes_nothing(uow, shelf, store):
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))

    refused = error(set_quantity(uow, cart, product, 8))

    assert render(refused, "tr") == "Yeterli stok yok - mevcut: 3"
    assert value(cart_summary(uow, cart)).lines[0].quantity == 2
    assert stock_books(store.engine)[product][:2] == (3, 2)


def test_set_quantity_to_zero_removes_the_line(uow, shelf, store):
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))

    assert value(set_quantity(uow, cart, product, 0)).lines == ()
    assert stock_books(store.engine)[product][:2] == (5, 0)


@pytest.mark.parametrize("quantity", [-1, 1_000_001, "x", 0.5, None])
def test_set_quantity_refuses_bad_quantities(uow, shelf, store, quantity):
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    before = stock_books(store.engine)

    refused = error(set_quantity(uow, cart, product, quantity)).code
    assert refused in (Code.QUANTITY_NOT_WHOLE, Code.QUANTITY_OUT_OF_RANGE)
    assert stock_books(store.engine) == before


@pytest.mark.parametrize("quantity", ["1,5", "1.5", 1.5, "1.000"])
def test_a_decimal_quantity_is_refused_as_not_whole_never_read_as_another_number(
    uow, shelf, store, quantity
):
    product = shelf.product(stock=50)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    before = stock_books(store.engine)

    for refused in (
        error(set_quantity(uow, cart, product, quantity)),
        error(add_to_cart(uow, cart, product, quantity)),
    ):
        assert refused.code is Code.QUANTITY_NOT_WHOLE
        assert render(refused, "tr") == "Adet tam sayı olmalı"
    assert stock_books(store.engine) == before
    assert value(cart_summary(uow, cart)).lines[0].quantity == 1


def test_changing_a_product_that_is_not_in_the_cart_is_refused(uow, shelf):
    product, other = shelf.product(stock=5), shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))

    assert error(set_quantity(uow, cart, other, 2)).code is Code.LINE_NOT_FOUND
    assert error(remove_line(uow, cart, other)).code is Code.LINE_NOT_FOUND
    assert error(remove_line(uow, cart, "x")).code is Code.LINE_NOT_FOUND


def test_removing_a_line_releases_its_units(uow, shelf, store):
    product, other = shelf.product(stock=5), shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    value(add_to_cart(uow, cart, other, 1))

    summary = value(remove_line(uow, cart, product))

    assert [line.product_id for line in summary.lines] == [other]
    assert stock_books(store.engine)[product][:2] == (5, 0)
    assert_stock_invariant(store.engine)


def test_an_expired_line_is_reserved_again_in_full_when_the_cashier_adds_to_it(
    uow, shelf, store, clock: FakeClock
):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 4))
    clock.advance(minutes=16)
    assert value(release_expired(uow)).expired == 1
    assert value(cart_summary(uow, cart)).lines[0].reserved == 0

    summary = value(add_to_cart(uow, cart, product, 1))

    assert [(line.quantity, line.reserved) for line in summary.lines] == [(5, 5)]
    assert stock_books(store.engine)[product][:2] == (5, 5)
    assert_stock_invariant(store.engine)


def test_working_on_a_cart_keeps_all_of_its_lines_held(uow, shelf, clock: FakeClock):
    first, second = shelf.product(stock=3), shelf.product(stock=3)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, first, 1))
    clock.advance(minutes=10)
    value(add_to_cart(uow, cart, second, 1))
    clock.advance(minutes=10)

    assert value(release_expired(uow)).expired == 0
    lines = value(cart_summary(uow, cart)).lines
    assert [line.reserved for line in lines] == [1, 1]


def holds_until(uow: UnitOfWork, cart: int) -> dict[int, object]:
    return {line.product_id: line.reserved_until for line in value(cart_summary(uow, cart)).lines}


def test_every_line_is_held_the_hold_time_after_each_scan_and_at_most_a_tenth_more(
    uow, shelf, clock: FakeClock
):
    hold = Policy().cart_hold
    products = [shelf.product(stock=5) for _ in range(4)]
    cart = new_cart(uow)
    for seconds in (0, 20, 45, 95):  # a cashier scanning now quickly, now slowly
        clock.advance(seconds=seconds)
        for product in products:
            value(add_to_cart(uow, cart, product, 1))
        for until in holds_until(uow, cart).values():
            assert clock.current + hold <= until <= clock.current + hold * 1.1

    clock.advance(seconds=hold.total_seconds() - 1)
    assert value(release_expired(uow)).expired == 0


def test_ringing_up_a_line_leaves_the_holds_that_have_not_aged_as_they_were(
    uow, shelf, clock: FakeClock
):
    """A long sale's scan writes the line's own hold and the aged ones, not every line's."""
    hold = Policy().cart_hold
    first, second, third = (shelf.product(stock=5) for _ in range(3))
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, first, 1))
    clock.advance(seconds=1)
    value(add_to_cart(uow, cart, second, 1))  # the first is held anew, a tenth longer
    held = holds_until(uow, cart)
    assert held[first] == clock.current + hold * 1.1
    assert held[second] == clock.current + hold

    clock.advance(seconds=30)
    value(add_to_cart(uow, cart, third, 1))

    now = holds_until(uow, cart)
    assert now[first] == held[first]  # still a full hold time ahead: not written again
    assert now[second] == clock.current + hold * 1.1  # had aged below the hold time
    assert now[third] == clock.current + hold
    clock.advance(seconds=hold.total_seconds() * 1.1 - 1)
    value(add_to_cart(uow, cart, third, 1))  # the third grows: its own hold is kept
    assert holds_until(uow, cart)[third] == clock.current + hold * 1.1


def test_the_reservation_ttl_is_configurable(uow, shelf, clock: FakeClock):
    product = shelf.product(stock=3)
    cart = new_cart(uow)
    two_minutes = UnitOfWork(uow.engine, clock, Policy(cart_hold=timedelta(minutes=2)))
    value(add_to_cart(two_minutes, cart, product, 1))

    clock.advance(minutes=1)
    assert value(release_expired(uow)).expired == 0
    clock.advance(minutes=1)
    assert value(release_expired(uow)).expired == 1


def test_reservations_expire_after_fifteen_minutes_by_default(uow, shelf, store, clock):
    product = shelf.product(stock=3)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))

    clock.advance(minutes=14, seconds=59)
    assert value(release_expired(uow)).expired == 0
    clock.advance(seconds=1)
    report = value(release_expired(uow))

    assert (report.expired, report.units_returned) == (1, 2)
    assert stock_books(store.engine)[product][:2] == (3, 0)
    assert value(release_expired(uow)).expired == 0
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize("cashier", [4242, 0, -1, 2**40, "1"])
def test_a_sale_for_an_unknown_cashier_is_refused(uow, store, cashier):
    assert error(open_cart(uow, cashier_id=cashier)).code is Code.USER_NOT_FOUND


def test_a_sale_in_an_unknown_currency_is_refused(uow):
    assert error(open_cart(uow, currency="XXQ")).code is Code.INVALID_CURRENCY


def test_a_scanned_barcode_or_sku_rings_up_its_product(uow, shelf: Shelf, store):
    product = shelf.product(stock=5)  # SKU-0001
    cart = value(open_cart(uow)).cart_id

    summary = value(add_scanned(uow, cart, " SKU-0001 ", 2))

    assert [(line.product_id, line.quantity) for line in summary.lines] == [(product, 2)]
    assert stock_books(store.engine)[product][:2] == (3, 2)


@pytest.mark.parametrize("code", ["8690000000999", "", "x" * 10_000, None, 42])
def test_a_code_that_names_no_product_is_refused_with_the_code(uow, shelf, store, code):
    product = shelf.product(stock=5)
    cart = value(open_cart(uow)).cart_id

    refused = error(add_scanned(uow, cart, code, 1))

    assert refused.code is Code.BARCODE_NOT_FOUND
    assert render(refused) == f"Barkod bulunamadı: {str(code)[:64]}"
    assert stock_books(store.engine)[product][:2] == (5, 0)


def test_a_scan_is_one_transaction_from_the_lookup_to_the_summary(uow, shelf: Shelf, store):
    """The lookup and the add are one unit of work: the cashier's scan begins once."""
    product = shelf.product(stock=5)
    cart = value(open_cart(uow)).cart_id
    begun: list[object] = []
    on_begin = begun.append
    event.listen(store.engine, "begin", on_begin)
    try:
        summary = value(add_scanned(uow, cart, "SKU-0001", 1))
    finally:
        event.remove(store.engine, "begin", on_begin)

    assert len(begun) == 1
    assert [(line.product_id, line.quantity) for line in summary.lines] == [(product, 1)]


@pytest.mark.parametrize(
    ("code", "quantity", "expected"),
    [
        ("SKU-0001", 0, Code.QUANTITY_OUT_OF_RANGE),  # a known code: its quantity is read
        ("SKU-0001", "2,5", Code.QUANTITY_NOT_WHOLE),
        ("NOPE-1", 0, Code.BARCODE_NOT_FOUND),  # an unknown code is said first
        ("12\x0034", 0, Code.BARCODE_UNREADABLE),  # and a misread one before that
        ("SKU-0002", 1, Code.BARCODE_NOT_FOUND),  # inactive: not on sale
    ],
)
def test_a_scan_answers_the_code_before_the_quantity(uow, shelf, store, code, quantity, expected):
    product = shelf.product(stock=5)
    value(deactivate_product(uow, shelf.product(stock=5), user_id=shelf.manager.id))
    cart = value(open_cart(uow)).cart_id

    assert error(add_scanned(uow, cart, code, quantity)).code is expected
    assert stock_books(store.engine)[product][:2] == (5, 0)
