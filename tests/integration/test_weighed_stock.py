"""A weighed product's stock in the back office: the manager types kilos ("12,5") as the
till reads a weight, the store keeps grams; pieces read as ever. Both stores."""

from __future__ import annotations

import pytest

from pos.domain.messages import render
from pos.domain.results import Code
from pos.domain.stock import AdjustReason
from pos.services.stock import (
    adjust_stock,
    count_stock,
    delivery_product,
    receive_delivery,
    receive_stock,
    set_min_stock,
    stock_levels,
)
from tests.conftest import Shelf, error, value
from tests.integration.test_weighed_goods import tomatoes
from tests.invariants import assert_stock_invariant, stock_books


def test_a_delivery_of_kilos_is_received_in_grams_beside_pieces(uow, shelf: Shelf, manager, store):
    product = tomatoes(shelf, grams=0)
    milk = shelf.product(stock=0)

    levels = value(
        receive_delivery(uow, [(product, "12,5"), (milk, "24"), (product, "0,750")],
                         user_id=manager.id)
    )  # fmt: skip

    assert {(level.product_id, level.available, level.sale_unit) for level in levels} == {
        (product, 13_250, "kg"),
        (milk, 24, "piece"),
    }
    assert stock_books(store.engine)[product][0] == 13_250
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("1.250", Code.WEIGHT_AMBIGUOUS), ("1,2345", Code.WEIGHT_TOO_PRECISE),
     ("0", Code.WEIGHT_NOT_POSITIVE), ("-2", Code.WEIGHT_NOT_POSITIVE),
     ("abc", Code.WEIGHT_NOT_A_NUMBER), ("1000,001", Code.WEIGHT_TOO_LARGE)],
)  # fmt: skip
def test_a_wrong_weight_on_a_delivery_line_is_named_as_at_the_till_and_changes_nothing(
    uow, shelf: Shelf, manager, store, typed, code
):
    product = tomatoes(shelf, grams=5_000)
    milk = shelf.product(stock=3)

    refused = error(receive_delivery(uow, [(milk, 2), (product, typed)], user_id=manager.id))

    assert refused.code is Code.DELIVERY_REJECTED
    (line,) = refused.details
    assert line.params["line"] == 2
    assert line.params["problem"].code is code
    assert render(line, "tr") != render(line, "en")
    assert stock_books(store.engine)[product][0] == 5_000
    assert stock_books(store.engine)[milk][0] == 3


def test_a_piece_product_still_takes_whole_numbers_only(uow, shelf: Shelf, manager, store):
    milk = shelf.product(stock=3)

    refused = error(receive_delivery(uow, [(milk, "2,5")], user_id=manager.id))

    assert refused.details[0].params["problem"].code is Code.INVALID_QUANTITY
    assert error(receive_stock(uow, milk, "2,5", user_id=manager.id)).code is Code.INVALID_QUANTITY
    assert stock_books(store.engine)[milk][0] == 3


def test_kilos_are_received_adjusted_and_counted_in_grams(uow, shelf: Shelf, manager, store):
    product = tomatoes(shelf, grams=0)

    assert value(receive_stock(uow, product, "12,5", user_id=manager.id)).available == 12_500
    taken = adjust_stock(
        uow, product, "-0,250", reason=AdjustReason.DAMAGE, user_id=manager.id, note="Ezik"
    )
    assert value(taken).available == 12_250
    added = adjust_stock(uow, product, "+1", reason=AdjustReason.CORRECTION, user_id=manager.id)
    assert value(added).available == 13_250
    assert value(count_stock(uow, product, "9,9", user_id=manager.id)).available == 9_900
    assert value(count_stock(uow, product, "0", user_id=manager.id)).available == 0
    assert value(set_min_stock(uow, product, "2,5", user_id=manager.id)).min_stock == 2_500
    assert stock_books(store.engine)[product][0] == 0
    assert_stock_invariant(store.engine)


def test_a_wrong_adjustment_of_a_weighed_product_says_why_and_changes_nothing(
    uow, shelf: Shelf, manager, store
):
    product = tomatoes(shelf, grams=5_000)

    ambiguous = error(
        adjust_stock(uow, product, "-1.250", reason=AdjustReason.DAMAGE, user_id=manager.id)
    )
    assert ambiguous.code is Code.WEIGHT_AMBIGUOUS
    assert render(ambiguous, "tr").startswith("1.250 belirsiz")
    assert error(count_stock(uow, product, "-1", user_id=manager.id)).code is (
        Code.WEIGHT_NOT_POSITIVE
    )
    assert error(set_min_stock(uow, product, "1,2345", user_id=manager.id)).code is (
        Code.WEIGHT_TOO_PRECISE
    )
    assert stock_books(store.engine)[product][0] == 5_000


def test_the_stock_views_say_the_unit(uow, shelf: Shelf, manager):
    product = tomatoes(shelf)

    (level,) = value(stock_levels(uow, [product]))
    found = value(delivery_product(uow, product, manager_id=manager.id))

    assert (level.unit.value, found.unit.value, found.available) == ("kg", "kg", 50_000)
