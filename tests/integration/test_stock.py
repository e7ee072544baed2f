"""Stock on hand: receiving goods and a manager's corrections, each on the record."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from pos.domain.messages import render
from pos.domain.results import Changed, Code, Ok
from pos.services.cart import add_to_cart, open_cart
from pos.services.stock import adjust_stock, receive_stock, stock_levels
from pos.store.models import AuditEntry, MoveKind, StockMove, User
from tests.conftest import Shelf, error, value
from tests.invariants import assert_stock_invariant, stock_books
from tests.sales import count


def records(store) -> tuple[object, ...]:
    """Everything a refused stock change must leave as it was."""
    return (stock_books(store.engine), count(store, StockMove), count(store, AuditEntry))


def moves(store, product_id: int) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(StockMove.kind, StockMove.quantity, StockMove.reason, StockMove.user_id)
            .where(StockMove.product_id == product_id)
            .order_by(StockMove.id)
        )
        return [tuple(row) for row in rows]


def stock_audit(store) -> list[AuditEntry]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEntry)
                .where(AuditEntry.action.startswith("stock."))
                .order_by(AuditEntry.id)
            )
        )


# -- receiving ----------------------------------------------------------------------


def test_receiving_adds_to_the_available_units(uow, shelf: Shelf, manager, store):
    product = shelf.product()

    result = receive_stock(uow, product, 12, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.STOCK
    assert (result.value.product_id, result.value.available, result.value.reserved) == (
        product,
        12,
        0,
    )
    assert stock_books(store.engine)[product][:2] == (12, 0)
    assert_stock_invariant(store.engine)


def test_receiving_writes_one_stock_move_and_one_audit_row(uow, shelf: Shelf, manager, store):
    product = shelf.product()
    moves_before, audit_before = count(store, StockMove), count(store, AuditEntry)

    value(receive_stock(uow, product, "7", user_id=manager.id, reason="Tedarikçi irsaliyesi 42"))

    assert count(store, StockMove) == moves_before + 1
    assert count(store, AuditEntry) == audit_before + 1
    assert moves(store, product) == [(MoveKind.RECEIVE, 7, "Tedarikçi irsaliyesi 42", manager.id)]
    [entry] = stock_audit(store)
    assert (entry.action, entry.user_id, entry.entity_id) == (
        "stock.receive",
        manager.id,
        str(product),
    )
    details = json.loads(entry.details)
    assert (details["quantity"], details["reason"]) == (7, "Tedarikçi irsaliyesi 42")


def test_receiving_again_adds_up(uow, shelf: Shelf, cashier, store):
    product = shelf.product(stock=5)

    level = value(receive_stock(uow, product, 3, user_id=cashier.id))

    assert level.available == 8
    assert [move[1] for move in moves(store, product)] == [5, 3]
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize(
    "quantity",
    [0, -1, -5, 1_000_001, 10**30, 1.5, 2.0, "2.5", "abc", "", "-3", "+3", None, True, [1]],
)
def test_receiving_a_quantity_that_is_not_a_positive_whole_number_is_refused(
    uow, shelf: Shelf, manager, store, quantity
):
    product = shelf.product(stock=4)
    before = records(store)

    refused = error(receive_stock(uow, product, quantity, user_id=manager.id))

    assert refused.code is Code.INVALID_QUANTITY
    assert render(refused, "tr") == "Geçersiz adet"
    assert records(store) == before


@pytest.mark.parametrize("user", [999_999, 0, None, "1", True])
def test_receiving_needs_a_known_user(uow, shelf: Shelf, store, user):
    product = shelf.product(stock=4)
    before = records(store)

    assert error(receive_stock(uow, product, 1, user_id=user)).code is Code.USER_NOT_FOUND
    assert records(store) == before


@pytest.mark.parametrize("product", [999_999, 0, -1, "1", None, 2**70])
def test_receiving_an_unknown_product_is_refused(uow, shelf: Shelf, manager, store, product):
    shelf.product(stock=4)
    before = records(store)

    refused = error(receive_stock(uow, product, 1, user_id=manager.id))

    assert refused.code is Code.PRODUCT_UNAVAILABLE
    assert records(store) == before


# -- adjusting ----------------------------------------------------------------------


def test_a_manager_takes_units_away_with_a_reason(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=10)
    audit_before = count(store, AuditEntry)

    level = value(
        adjust_stock(uow, product, -3, reason="damage", note="Kırık şişe", user_id=manager.id)
    )

    assert (level.available, level.reserved) == (7, 0)
    assert moves(store, product)[-1] == (MoveKind.ADJUST, -3, "Kırık şişe", manager.id)
    assert count(store, AuditEntry) == audit_before + 1
    assert stock_audit(store)[-1].action == "stock.adjust"
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize(("delta", "available"), [(4, 14), ("+4", 14), ("-4", 6), (-10, 0)])
def test_an_adjustment_is_signed(uow, shelf: Shelf, manager, store, delta, available):
    product = shelf.product(stock=10)

    level = value(adjust_stock(uow, product, delta, reason="count", user_id=manager.id))

    assert level.available == available
    assert stock_books(store.engine)[product][0] == available
    assert_stock_invariant(store.engine)


def test_a_cashier_may_not_adjust_stock(uow, shelf: Shelf, cashier, store):
    product = shelf.product(stock=10)
    before = records(store)

    refused = error(adjust_stock(uow, product, -1, reason="count", user_id=cashier.id))

    assert refused.code is Code.NOT_PERMITTED
    assert render(refused, "tr") == "Bu işlem için yetkiniz yok"
    assert records(store) == before


@pytest.mark.parametrize("user", [999_999, 0, -1, None, "1", True])
def test_an_adjustment_by_an_unknown_user_is_refused(uow, shelf: Shelf, store, user):
    product = shelf.product(stock=10)
    before = records(store)

    refused = error(adjust_stock(uow, product, -1, reason="count", user_id=user))

    assert refused.code is Code.USER_NOT_FOUND
    assert records(store) == before


def test_a_manager_no_longer_active_may_not_adjust(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=10)
    with store.engine.begin() as connection:
        connection.execute(update(User).where(User.id == manager.id).values(active=False))
    before = records(store)

    refused = error(adjust_stock(uow, product, -1, reason="count", user_id=manager.id))

    assert refused.code is Code.USER_NOT_FOUND
    assert records(store) == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None, 42, "x" * 201, "Sayım", "COUNT"])
def test_an_adjustment_needs_a_reason(uow, shelf: Shelf, manager, store, reason):
    product = shelf.product(stock=10)
    before = records(store)

    refused = error(adjust_stock(uow, product, -1, reason=reason, user_id=manager.id))

    assert refused.code is Code.INVALID_REASON
    assert render(refused, "tr") == "Stok düzeltmesi için bir açıklama gerekli"
    assert records(store) == before


def test_a_note_has_its_whitespace_collapsed(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=10)

    value(
        adjust_stock(uow, product, -1, reason="count", note="  Raf \n sayımı ", user_id=manager.id)
    )

    assert moves(store, product)[-1][2] == "Raf sayımı"


def test_an_adjustment_below_zero_is_refused_with_the_available_count(
    uow, shelf: Shelf, manager, store
):
    product = shelf.product(stock=3)
    before = records(store)

    refused = error(adjust_stock(uow, product, -4, reason="count", user_id=manager.id))

    assert (refused.code, refused.params) == (Code.ADJUSTMENT_BELOW_ZERO, {"available": 3})
    assert render(refused, "tr") == "Düzeltme stoku sıfırın altına düşürür - mevcut: 3"
    assert records(store) == before


def test_units_held_for_a_cart_cannot_be_adjusted_away(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=10)
    cart = value(open_cart(uow)).cart_id
    value(add_to_cart(uow, cart, product, 4))
    before = records(store)

    refused = error(adjust_stock(uow, product, -7, reason="count", user_id=manager.id))

    assert (refused.code, refused.params) == (Code.ADJUSTMENT_BELOW_ZERO, {"available": 6})
    assert records(store) == before
    level = value(adjust_stock(uow, product, -6, reason="count", user_id=manager.id))
    assert (level.available, level.reserved) == (0, 4)
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize(
    "delta", [0, "0", "-0", 1_000_001, -1_000_001, 1.5, -2.0, "-1.5", "abc", "", None, True]
)
def test_an_adjustment_that_is_not_a_whole_non_zero_number_is_refused(
    uow, shelf: Shelf, manager, store, delta
):
    product = shelf.product(stock=10)
    before = records(store)

    refused = error(adjust_stock(uow, product, delta, reason="count", user_id=manager.id))

    assert refused.code is Code.INVALID_QUANTITY
    assert records(store) == before


def test_adjusting_an_unknown_product_is_refused(uow, shelf: Shelf, manager, store):
    shelf.product(stock=10)
    before = records(store)

    refused = error(adjust_stock(uow, 999_999, -1, reason="count", user_id=manager.id))

    assert refused.code is Code.PRODUCT_UNAVAILABLE
    assert records(store) == before


# -- levels -------------------------------------------------------------------------


def test_on_hand_is_what_is_free_plus_what_carts_hold(uow, shelf: Shelf, store):
    product, other = shelf.product(stock=10), shelf.product(stock=2)
    cart = value(open_cart(uow)).cart_id
    value(add_to_cart(uow, cart, product, 3))

    levels = {level.product_id: level for level in value(stock_levels(uow))}

    assert (levels[product].available, levels[product].reserved) == (7, 3)
    assert levels[product].on_hand == 10
    assert (levels[other].available, levels[other].reserved, levels[other].on_hand) == (2, 0, 2)
    assert_stock_invariant(store.engine)


def test_levels_of_chosen_products_ignore_ids_that_are_not_ids(uow, shelf: Shelf):
    product, _other = shelf.product(stock=5), shelf.product(stock=6)

    levels = value(stock_levels(uow, [product, "1", None, -1, 999_999]))

    assert [(level.product_id, level.available) for level in levels] == [(product, 5)]


def test_levels_are_listed_by_sku_up_to_the_limit(uow, shelf: Shelf):
    products = [shelf.product(stock=n + 1) for n in range(3)]

    levels = value(stock_levels(uow, limit=2))

    assert [level.product_id for level in levels] == products[:2]
    assert [level.sku for level in levels] == ["SKU-0001", "SKU-0002"]


def test_the_books_balance_after_receiving_adjusting_and_reserving(uow, shelf: Shelf, manager):
    product = shelf.product(stock=20)
    value(adjust_stock(uow, product, -2, reason="damage", user_id=manager.id))
    cart = value(open_cart(uow)).cart_id
    value(add_to_cart(uow, cart, product, 5))
    value(receive_stock(uow, product, 4, user_id=manager.id))
    value(
        adjust_stock(uow, product, "+1", reason="found", note="Sayım fazlası", user_id=manager.id)
    )
    error(adjust_stock(uow, product, -100, reason="correction", user_id=manager.id))

    [level] = value(stock_levels(uow, [product]))

    assert (level.available, level.reserved, level.on_hand) == (18, 5, 23)
    assert_stock_invariant(uow.engine)
