"""The manager's stock work: deliveries, adjustments with reasons, counts, history, low
stock, the tills' reservations and oversells, each on the audit log and the books."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from pos.domain.catalogue import gtin_check_digit_ok
from pos.domain.messages import render
from pos.domain.policy import Policy
from pos.domain.results import Changed, Code, Err, Ok, Result
from pos.domain.stock import AdjustReason
from pos.services.cart import add_to_cart
from pos.services.catalogue import ProductDraft, create_product
from pos.services.holds import (
    product_reservations,
    release_expired_reservations,
    release_reservation,
)
from pos.services.oversells import (
    list_oversells,
    resolve_oversell,
)
from pos.services.payments import mark_paid
from pos.services.reservations import release_expired
from pos.services.stock import (
    MAX_DELIVERY_LINES,
    adjust_stock,
    count_stock,
    delivery_product,
    low_stock,
    product_stock,
    receive_delivery,
    set_min_stock,
    stock_history,
)
from pos.services.users import UserView, create_user
from pos.store.engine import make_engine
from pos.store.models import (
    AuditEntry,
    MoveKind,
    Oversell,
    Product,
    Reservation,
    Role,
    StockMove,
    User,
)
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.integration.test_payments import lapse
from tests.integration.test_races import LowestAvailable
from tests.invariants import assert_invariants, assert_stock_invariant, stock_books
from tests.sales import count, new_cart, pay_by_card, rows


def ean13(first_twelve: str) -> str:
    return next(
        code
        for code in (first_twelve + str(digit) for digit in range(10))
        if gtin_check_digit_ok(code)
    )


def records(store: Store) -> tuple[object, ...]:
    """Everything a refused stock action must leave as it was."""
    with store.engine.connect() as connection:
        holds = connection.execute(
            select(Reservation.id, Reservation.status).order_by(Reservation.id)
        ).all()
        oversells = connection.execute(
            select(Oversell.id, Oversell.resolved_at, Oversell.resolution_note)
        ).all()
        minimums = connection.execute(
            select(Product.id, Product.min_stock).order_by(Product.id)
        ).all()
    return (
        stock_books(store.engine),
        count(store, StockMove),
        count(store, AuditEntry),
        holds,
        oversells,
        minimums,
    )


def audit_rows(store: Store, action: str) -> list[tuple[AuditEntry, dict[str, object]]]:
    found = rows(store, AuditEntry, AuditEntry.action == action, order_by=AuditEntry.id)
    return [(entry, json.loads(entry.details)) for entry in found]


def moves(store: Store, product_id: int) -> list[tuple[object, ...]]:
    found = rows(store, StockMove, StockMove.product_id == product_id, order_by=StockMove.id)
    return [(m.kind, m.quantity, m.reason_code, m.reason, m.user_id) for m in found]


@pytest.fixture
def second_manager(uow: UnitOfWork) -> UserView:
    return value(create_user(uow, "mudur2", "Can Öztürk", Role.MANAGER, "5678"))


# -- deliveries ---------------------------------------------------------------------


def test_a_delivery_of_three_lines_is_received_at_once(uow, shelf: Shelf, manager, store):
    by_id = shelf.product(stock=2)
    by_sku = shelf.product()
    barcode = ean13("869123400001")
    by_barcode = value(
        create_product(uow, ProductDraft("PEYNIR-1", "Beyaz Peynir", 15000, barcode=barcode))
    ).id
    audit_before = count(store, AuditEntry)

    result = receive_delivery(
        uow,
        [(by_id, 10), ("SKU-0002", "4"), (f" {barcode} ", 6)],
        user_id=manager.id,
        note="İrsaliye  A-17",
    )

    assert isinstance(result, Ok)
    assert result.changed == Changed.STOCK
    assert [(level.product_id, level.available) for level in result.value] == [
        (by_id, 12),
        (by_sku, 4),
        (by_barcode, 6),
    ]
    assert moves(store, by_id)[-1] == (MoveKind.RECEIVE, 10, None, "İrsaliye A-17", manager.id)
    assert moves(store, by_sku) == [(MoveKind.RECEIVE, 4, None, "İrsaliye A-17", manager.id)]
    assert moves(store, by_barcode) == [(MoveKind.RECEIVE, 6, None, "İrsaliye A-17", manager.id)]
    assert count(store, AuditEntry) == audit_before + 3
    received = audit_rows(store, "stock.receive")[-3:]
    assert [(entry.entity_id, entry.user_id) for entry, _ in received] == [
        (str(by_id), manager.id),
        (str(by_sku), manager.id),
        (str(by_barcode), manager.id),
    ]
    assert [details["lines"] for _, details in received] == [[1], [2], [3]]
    assert (received[0][1]["before"], received[0][1]["after"]) == (
        {"available": 2},
        {"available": 12},
    )
    assert received[0][1]["reason"] == "İrsaliye A-17"
    assert_invariants(store.engine)


def test_a_delivery_lines_code_shows_its_product_and_stock_as_the_delivery_reads_it(
    uow, shelf: Shelf, manager, store
):
    by_sku = shelf.product(stock=7, name="Tam Yağlı Süt")
    barcode = ean13("869123400002")
    by_barcode = value(
        create_product(uow, ProductDraft("PEYNIR-2", "Beyaz Peynir", 15000, barcode=barcode))
    ).id
    before = records(store)

    milk = value(delivery_product(uow, " SKU-0001 ", manager_id=manager.id))
    cheese = value(delivery_product(uow, barcode, manager_id=manager.id))

    assert (milk.product_id, milk.name, milk.available) == (by_sku, "Tam Yağlı Süt", 7)
    assert (cheese.product_id, cheese.available) == (by_barcode, 0)
    assert records(store) == before


@pytest.mark.parametrize("code", ["YOK-1", "", "   ", "\x00", "x" * 65, 12])
def test_a_code_that_names_no_product_is_refused_as_on_the_delivery(uow, shelf, manager, code):
    shelf.product()

    refused = error(delivery_product(uow, code, manager_id=manager.id))

    assert refused.code is Code.PRODUCT_UNAVAILABLE
    assert render(refused, "tr") == "Ürün mevcut değil"


def test_a_cashier_may_not_look_up_a_delivery_line(uow, shelf, cashier):
    shelf.product()

    assert error(delivery_product(uow, "SKU-0001", manager_id=cashier.id)).code is (
        Code.NOT_PERMITTED
    )


def test_a_product_on_two_lines_is_received_once_with_the_quantities_summed(
    uow, shelf: Shelf, manager, store
):
    product, other = shelf.product(stock=1), shelf.product()

    levels = value(
        receive_delivery(uow, [(product, 12), (other, 1), ("SKU-0001", 12)], user_id=manager.id)
    )

    assert [(level.product_id, level.available) for level in levels] == [(product, 25), (other, 1)]
    assert moves(store, product)[-1] == (MoveKind.RECEIVE, 24, None, "", manager.id)
    [(_entry, details)] = [
        row for row in audit_rows(store, "stock.receive") if row[0].entity_id == str(product)
    ][-1:]
    assert (details["quantity"], details["lines"]) == (24, [1, 3])
    assert_stock_invariant(store.engine)


def test_a_delivery_with_two_bad_lines_names_both_and_receives_nothing(
    uow, shelf: Shelf, manager, store
):
    good, also_good = shelf.product(stock=3), shelf.product()
    before = records(store)

    refused = error(
        receive_delivery(
            uow,
            [(good, 5), ("YOK-123", 2), (also_good, 0), (also_good, 1)],
            user_id=manager.id,
        )
    )

    assert (refused.code, refused.params) == (Code.DELIVERY_REJECTED, {"count": 2})
    assert [(d.code, d.params["line"]) for d in refused.details] == [
        (Code.DELIVERY_BAD_LINE, 2),
        (Code.DELIVERY_BAD_LINE, 3),
    ]
    assert render(refused, "tr") == "Teslimat alınmadı: 2 satır hatalı"
    assert [render(d, "tr") for d in refused.details] == [
        "Satır 2: Ürün mevcut değil",
        "Satır 3: Geçersiz adet",
    ]
    assert records(store) == before


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (("SKU\x00-1", 1), Code.PRODUCT_UNAVAILABLE),
        (("x" * 65, 1), Code.PRODUCT_UNAVAILABLE),
        (("   ", 1), Code.PRODUCT_UNAVAILABLE),
        ((True, 1), Code.PRODUCT_UNAVAILABLE),
        ((999_999, 1), Code.PRODUCT_UNAVAILABLE),
        ((2**40, 1), Code.PRODUCT_UNAVAILABLE),
        ((-1, 1), Code.PRODUCT_UNAVAILABLE),
        ((None, 1), Code.PRODUCT_UNAVAILABLE),
        ((1.0, 1), Code.PRODUCT_UNAVAILABLE),
        (("SKU-0001", -4), Code.INVALID_QUANTITY),
        (("SKU-0001", 1_000_001), Code.INVALID_QUANTITY),
        (("SKU-0001", 2.5), Code.INVALID_QUANTITY),
        (("SKU-0001", "1e3"), Code.INVALID_QUANTITY),
        (("SKU-0001", None), Code.INVALID_QUANTITY),
        (("SKU-0001", True), Code.INVALID_QUANTITY),
        (("SKU-0001",), Code.PRODUCT_UNAVAILABLE),
        (("SKU-0001", 1, 2), Code.PRODUCT_UNAVAILABLE),
        ("SKU-0001", Code.PRODUCT_UNAVAILABLE),
        (None, Code.PRODUCT_UNAVAILABLE),
    ],
)
def test_a_hostile_delivery_line_is_named_and_nothing_is_received(
    uow, shelf: Shelf, manager, store, line, problem
):
    shelf.product(stock=3)
    before = records(store)

    refused = error(receive_delivery(uow, [("SKU-0001", 1), line], user_id=manager.id))

    assert refused.code is Code.DELIVERY_REJECTED
    [detail] = refused.details
    assert detail.params["line"] == 2
    assert detail.params["problem"] == Err(problem)
    assert records(store) == before


@pytest.mark.parametrize(
    ("lines", "note", "code"),
    [
        ([], "", Code.DELIVERY_EMPTY),
        ((), "", Code.DELIVERY_EMPTY),
        (None, "", Code.DELIVERY_EMPTY),
        ("SKU-0001", "", Code.DELIVERY_EMPTY),
        ({"SKU-0001": 1}, "", Code.DELIVERY_EMPTY),
        ([("SKU-0001", 1)] * (MAX_DELIVERY_LINES + 1), "", Code.DELIVERY_TOO_LARGE),
        ([("SKU-0001", 1)], "x" * 201, Code.INVALID_STOCK_NOTE),
        ([("SKU-0001", 1)], "kutu\x00", Code.INVALID_STOCK_NOTE),
        ([("SKU-0001", 1)], 42, Code.INVALID_STOCK_NOTE),
    ],
)
def test_a_delivery_that_is_not_a_list_of_lines_is_refused(
    uow, shelf: Shelf, manager, store, lines, note, code
):
    shelf.product(stock=3)
    before = records(store)

    assert error(receive_delivery(uow, lines, user_id=manager.id, note=note)).code is code
    assert records(store) == before


# -- adjustments --------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(AdjustReason))
def test_each_reason_is_kept_on_the_move_and_the_audit_row(
    uow, shelf: Shelf, manager, store, reason
):
    product = shelf.product(stock=10)

    level = value(adjust_stock(uow, product, -2, reason=reason, note="Raf 3", user_id=manager.id))

    assert level.available == 8
    assert moves(store, product)[-1] == (MoveKind.ADJUST, -2, reason.value, "Raf 3", manager.id)
    entry, details = audit_rows(store, "stock.adjust")[-1]
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "product", str(product))
    assert details["reason_code"] == reason.value
    assert (details["before"], details["after"]) == ({"available": 10}, {"available": 8})
    assert_invariants(store.engine)


def test_a_reason_may_be_given_by_its_code_and_the_note_left_out(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=1)

    value(adjust_stock(uow, product, "+3", reason="found", user_id=manager.id))

    assert moves(store, product)[-1] == (MoveKind.ADJUST, 3, "found", "", manager.id)


@pytest.mark.parametrize("note", ["x" * 201, "a\x00b", "\u200b", 7, ["not", "text"]])
def test_an_adjustment_with_a_bad_note_is_refused(uow, shelf: Shelf, manager, store, note):
    product = shelf.product(stock=10)
    before = records(store)

    refused = error(adjust_stock(uow, product, -1, reason="damage", note=note, user_id=manager.id))

    assert refused.code is Code.INVALID_STOCK_NOTE
    assert records(store) == before


def test_an_adjustment_below_zero_changes_no_stock_move_or_audit_row(
    uow, shelf: Shelf, manager, store
):
    product = shelf.product(stock=3)
    before = records(store)

    refused = error(adjust_stock(uow, product, -4, reason="theft", user_id=manager.id))

    assert (refused.code, refused.params) == (Code.ADJUSTMENT_BELOW_ZERO, {"available": 3})
    assert render(refused, "tr") == "Düzeltme stoku sıfırın altına düşürür - mevcut: 3"
    assert records(store) == before


def test_units_held_for_a_sale_are_never_adjusted_or_counted_away(
    uow, shelf: Shelf, manager, store
):
    product = shelf.product(stock=10)
    value(add_to_cart(uow, new_cart(uow), product, 4))
    before = records(store)

    refused = error(adjust_stock(uow, product, -7, reason="damage", user_id=manager.id))

    assert (refused.code, refused.params) == (Code.ADJUSTMENT_BELOW_ZERO, {"available": 6})
    assert records(store) == before
    level = value(count_stock(uow, product, 0, user_id=manager.id))
    assert (level.available, level.reserved) == (0, 4)
    assert_invariants(store.engine)


# -- counts -------------------------------------------------------------------------


def test_a_count_sets_the_free_units_to_what_is_on_the_shelf(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=10)
    value(add_to_cart(uow, new_cart(uow), product, 3))  # 7 free, 3 at a till

    level = value(count_stock(uow, product, "5", user_id=manager.id, note="Sabah sayımı"))

    assert (level.available, level.reserved) == (5, 3)
    assert moves(store, product)[-1] == (MoveKind.ADJUST, -2, "count", "Sabah sayımı", manager.id)
    _entry, details = audit_rows(store, "stock.adjust")[-1]
    assert (details["counted"], details["quantity"], details["reason_code"]) == (5, -2, "count")
    assert (details["before"], details["after"]) == ({"available": 7}, {"available": 5})
    assert_invariants(store.engine)


def test_a_count_that_finds_more_adds_them(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=2)

    assert value(count_stock(uow, product, 9, user_id=manager.id)).available == 9
    assert moves(store, product)[-1][:3] == (MoveKind.ADJUST, 7, "count")
    assert_invariants(store.engine)


def test_a_count_that_matches_moves_nothing_but_is_on_the_audit_log(
    uow, shelf: Shelf, manager, store
):
    product = shelf.product(stock=6)
    moves_before = count(store, StockMove)

    result = count_stock(uow, product, 6, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.NOTHING
    assert count(store, StockMove) == moves_before
    entry, details = audit_rows(store, "stock.adjust")[-1]
    assert (entry.user_id, details["counted"], details["quantity"]) == (manager.id, 6, 0)
    assert_invariants(store.engine)


@pytest.mark.parametrize("counted", [-1, "-1", 1_000_001, 1.5, "abc", "", None, True])
def test_a_count_that_is_not_a_whole_number_is_refused(uow, shelf: Shelf, manager, store, counted):
    product = shelf.product(stock=6)
    before = records(store)

    assert error(count_stock(uow, product, counted, user_id=manager.id)).code is (
        Code.INVALID_QUANTITY
    )
    assert records(store) == before


# -- history ------------------------------------------------------------------------


def test_the_history_is_newest_first_with_who_did_each_move(
    uow, shelf: Shelf, manager, second_manager, clock: FakeClock
):
    product = shelf.product(stock=10)  # by the manager, at the start
    clock.advance(minutes=5)
    value(adjust_stock(uow, product, -1, reason="damage", note="Kırık", user_id=manager.id))
    clock.advance(minutes=5)
    value(count_stock(uow, product, 12, user_id=second_manager.id))
    clock.advance(minutes=5)
    value(receive_delivery(uow, [(product, 3)], user_id=second_manager.id, note="A-18"))

    history = value(stock_history(uow, product, manager_id=manager.id))

    assert [(m.kind, m.quantity, m.reason_code, m.note, m.user_name) for m in history] == [
        (MoveKind.RECEIVE, 3, None, "A-18", "Can Öztürk"),
        (MoveKind.ADJUST, 3, AdjustReason.COUNT, "", "Can Öztürk"),
        (MoveKind.ADJUST, -1, AdjustReason.DAMAGE, "Kırık", "Ayşe Yılmaz"),
        (MoveKind.RECEIVE, 10, None, "goods received", "Ayşe Yılmaz"),
    ]
    assert [m.at for m in history] == sorted((m.at for m in history), reverse=True)
    assert history[-1].at == clock.current - timedelta(minutes=15)


def test_the_history_pages_by_cursor_even_when_moves_share_an_instant(
    uow, shelf: Shelf, manager, clock: FakeClock
):
    product = shelf.product(stock=1)
    for delta in range(2, 9):  # all at one instant: the id breaks the tie
        value(adjust_stock(uow, product, delta, reason="found", user_id=manager.id))
    clock.advance(seconds=1)
    value(adjust_stock(uow, product, 9, reason="found", user_id=manager.id))

    seen: list[int] = []
    before = None
    while True:
        page = value(stock_history(uow, product, manager_id=manager.id, before=before, limit=3))
        seen.extend(m.quantity for m in page)
        if len(page) < 3:
            break
        before = page[-1].cursor

    assert seen == [9, 8, 7, 6, 5, 4, 3, 2, 1]


def test_the_history_shows_only_that_product(uow, shelf: Shelf, manager):
    product, other = shelf.product(stock=1), shelf.product(stock=2)

    history = value(stock_history(uow, other, manager_id=manager.id))

    assert [m.quantity for m in history] == [2]
    assert value(stock_history(uow, product, manager_id=manager.id))[0].quantity == 1


@pytest.mark.parametrize(
    ("product", "kwargs", "code"),
    [
        (999_999, {}, Code.PRODUCT_UNAVAILABLE),
        ("1", {}, Code.PRODUCT_UNAVAILABLE),
        (1, {"before": (None, 3)}, Code.INVALID_FILTER),
        (1, {"before": "2026-01-01"}, Code.INVALID_FILTER),
        (1, {"limit": "10"}, Code.INVALID_FILTER),
        (1, {"limit": True}, Code.INVALID_FILTER),
    ],
)
def test_a_history_asked_wrongly_is_refused(uow, shelf: Shelf, manager, product, kwargs, code):
    shelf.product(stock=1)

    refused = error(stock_history(uow, product, manager_id=manager.id, **kwargs))

    assert refused.code is code


def test_a_history_page_has_a_hard_limit(uow, shelf: Shelf, manager):
    product = shelf.product(stock=1)
    for _ in range(3):
        value(adjust_stock(uow, product, 1, reason="found", user_id=manager.id))

    assert len(value(stock_history(uow, product, manager_id=manager.id, limit=10**9))) == 4
    assert len(value(stock_history(uow, product, manager_id=manager.id, limit=-5))) == 1


# -- minimums and low stock ---------------------------------------------------------


def test_a_minimum_is_set_with_an_audit_row(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=4)

    result = set_min_stock(uow, product, 5, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.STOCK
    assert (result.value.min_stock, result.value.available, result.value.low) == (5, 4, True)
    entry, details = audit_rows(store, "stock.set_minimum")[-1]
    assert (entry.user_id, entry.entity_id) == (manager.id, str(product))
    assert (details["before"], details["after"]) == ({"min_stock": 0}, {"min_stock": 5})
    assert value(product_stock(uow, product, manager_id=manager.id)).min_stock == 5


def test_setting_the_same_minimum_again_writes_nothing(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=4)
    value(set_min_stock(uow, product, "5", user_id=manager.id))
    before = records(store)

    result = set_min_stock(uow, product, 5, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.NOTHING
    assert records(store) == before


@pytest.mark.parametrize(
    "minimum", [-1, "-1", 1_000_001, 10**30, 2.0, "3.5", "", "beş", None, True]
)
def test_a_minimum_that_is_not_a_whole_number_from_zero_is_refused(
    uow, shelf: Shelf, manager, store, minimum
):
    product = shelf.product(stock=4)
    before = records(store)

    refused = error(set_min_stock(uow, product, minimum, user_id=manager.id))

    assert refused.code is Code.INVALID_MINIMUM
    assert render(refused, "tr") == "Geçersiz asgari stok: 0 veya daha büyük bir tam sayı girin"
    assert records(store) == before


def test_low_stock_lists_products_whose_free_units_are_below_their_minimum(
    uow, shelf: Shelf, manager
):
    low = shelf.product(stock=2)
    at_minimum = shelf.product(stock=5)
    held = shelf.product(stock=5)
    no_minimum = shelf.product(stock=0)
    empty = shelf.product(stock=0)
    for product, minimum in ((low, 3), (at_minimum, 5), (held, 5), (empty, 1)):
        value(set_min_stock(uow, product, minimum, user_id=manager.id))
    value(add_to_cart(uow, new_cart(uow), held, 1))  # 4 free, 1 at a till: low

    listed = value(low_stock(uow, manager_id=manager.id))

    assert [(p.product_id, p.available, p.reserved, p.min_stock) for p in listed] == [
        (low, 2, 0, 3),
        (held, 4, 1, 5),
        (empty, 0, 0, 1),
    ]
    assert no_minimum not in [p.product_id for p in listed]
    value(set_min_stock(uow, low, 0, user_id=manager.id))
    assert low not in [p.product_id for p in value(low_stock(uow, manager_id=manager.id))]


def test_low_stock_pages_by_product_id(uow, shelf: Shelf, manager):
    products = [shelf.product() for _ in range(5)]
    for product in products:
        value(set_min_stock(uow, product, 1, user_id=manager.id))

    first = value(low_stock(uow, manager_id=manager.id, limit=2))
    second = value(low_stock(uow, manager_id=manager.id, after=first[-1].product_id, limit=2))
    third = value(low_stock(uow, manager_id=manager.id, after=second[-1].product_id, limit=2))

    assert [p.product_id for p in first + second + third] == products


@pytest.mark.parametrize("after", [-1, "3", 2.5, True])
def test_low_stock_refuses_a_cursor_that_is_not_an_id(uow, manager, after):
    assert error(low_stock(uow, manager_id=manager.id, after=after)).code is Code.INVALID_FILTER


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_low_stock_query_reads_the_partial_index_of_minimums(uow, shelf: Shelf, manager, store):
    shelf.product()
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        value(low_stock(uow, manager_id=manager.id, after=0))
        value(low_stock(uow, manager_id=manager.id, after=1))
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    queries = [(sql, params) for sql, params in statements if "min_stock > 0" in sql]
    assert len(queries) == 2
    with store.engine.connect() as connection:
        for sql, params in queries:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            assert any("ix_products_min_stock" in str(row) for row in plan), plan


# -- reservations -------------------------------------------------------------------


def test_the_reservations_of_a_product_show_till_cart_quantity_and_expiry(
    uow, shelf: Shelf, manager, clock: FakeClock
):
    product, other = shelf.product(stock=10), shelf.product(stock=10)
    first = new_cart(uow)
    value(add_to_cart(uow, first, product, 2))
    clock.advance(minutes=10)
    second = new_cart(uow)
    value(add_to_cart(uow, second, product, 3))
    value(add_to_cart(uow, second, other, 1))
    clock.advance(minutes=6)  # the first cart's hold has lapsed, the second's has not

    held = value(product_reservations(uow, product, manager_id=manager.id))

    assert [(r.cart_id, r.till_code, r.quantity, r.expired, r.paying) for r in held] == [
        (first, "T01", 2, True, False),
        (second, "T01", 3, False, False),
    ]
    assert held[0].expires_at == clock.current - timedelta(minutes=16) + Policy().cart_hold


def test_a_sale_waiting_for_its_card_shows_as_paying(uow, shelf: Shelf, manager):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    value(pay_by_card(uow, cart))

    [held] = value(product_reservations(uow, product, manager_id=manager.id))

    assert (held.cart_id, held.paying) == (cart, True)


def expired_and_live(uow: UnitOfWork, shelf: Shelf, clock: FakeClock) -> tuple[int, int, int]:
    """A product with 2 units in a lapsed cart and 3 in a live one, and another product
    with 1 lapsed unit. Returns the product, the other, and the live cart."""
    product, other = shelf.product(stock=10), shelf.product(stock=5)
    lapsed = new_cart(uow)
    value(add_to_cart(uow, lapsed, product, 2))
    value(add_to_cart(uow, lapsed, other, 1))
    clock.advance(minutes=10)
    live = new_cart(uow)
    value(add_to_cart(uow, live, product, 3))
    clock.advance(minutes=6)
    return product, other, live


def test_a_manager_releases_a_products_expired_holds_once(
    uow, shelf: Shelf, manager, store, clock: FakeClock
):
    product, other, _live = expired_and_live(uow, shelf, clock)

    report = value(release_expired_reservations(uow, manager_id=manager.id, product_id=product))

    assert (report.expired, report.units_returned) == (1, 2)
    books = stock_books(store.engine)
    assert (books[product][:2], books[other][:2]) == ((7, 3), (4, 1))
    entry, details = audit_rows(store, "stock.release_expired")[-1]
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "product", str(product))
    assert details["units"] == 2
    assert [r["quantity"] for r in details["released"]] == [2]
    assert_invariants(store.engine)
    # Run again, and by the sweeper: nothing more comes back, nothing more is written.
    before = records(store)
    again = value(release_expired_reservations(uow, manager_id=manager.id, product_id=product))
    assert (again.expired, again.units_returned) == (0, 0)
    assert records(store) == before


def test_a_manager_releases_the_whole_shops_expired_holds(
    uow, shelf: Shelf, manager, store, clock: FakeClock
):
    product, other, _live = expired_and_live(uow, shelf, clock)

    report = value(release_expired_reservations(uow, manager_id=manager.id))

    assert (report.expired, report.units_returned) == (2, 3)
    books = stock_books(store.engine)
    assert (books[product][:2], books[other][:2]) == ((7, 3), (5, 0))
    entry, _details = audit_rows(store, "stock.release_expired")[-1]
    assert (entry.entity, entry.entity_id) == ("shop", "all")
    assert value(release_expired(uow)).expired == 0  # the sweeper finds nothing left
    assert_invariants(store.engine)


def test_the_expired_holds_of_a_sale_being_paid_are_not_released(
    uow, shelf: Shelf, manager, store, clock: FakeClock
):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    value(pay_by_card(uow, cart))
    clock.advance(hours=2)
    before = records(store)

    report = value(release_expired_reservations(uow, manager_id=manager.id))

    assert report.expired == 0
    assert records(store) == before
    [held] = value(product_reservations(uow, product, manager_id=manager.id))
    refused = error(release_reservation(uow, held.id, manager_id=manager.id))
    assert refused.code is Code.PAYMENT_IN_PROGRESS
    assert records(store) == before


def test_one_expired_hold_is_released_and_a_live_one_is_refused(
    uow, shelf: Shelf, manager, store, clock: FakeClock
):
    product, _other, live = expired_and_live(uow, shelf, clock)
    lapsed_hold, live_hold = value(product_reservations(uow, product, manager_id=manager.id))
    before = records(store)

    refused = error(release_reservation(uow, live_hold.id, manager_id=manager.id))

    assert refused.code is Code.RESERVATION_NOT_EXPIRED
    assert render(refused, "tr") == "Rezervasyonun süresi dolmadı: sepet hâlâ kullanımda olabilir"
    assert records(store) == before
    report = value(release_reservation(uow, lapsed_hold.id, manager_id=manager.id))
    assert (report.expired, report.units_returned) == (1, 2)
    assert stock_books(store.engine)[product][:2] == (7, 3)
    entry, details = audit_rows(store, "stock.release_reservation")[-1]
    assert (entry.user_id, entry.entity_id, details["quantity"]) == (
        manager.id,
        str(lapsed_hold.id),
        2,
    )
    assert_invariants(store.engine)
    # Gone now: a second release finds nothing, and neither does the sweeper.
    after = records(store)
    again = error(release_reservation(uow, lapsed_hold.id, manager_id=manager.id))
    assert again.code is Code.RESERVATION_NOT_FOUND
    assert value(release_expired(uow)).expired == 1  # only the other product's lapsed hold
    assert stock_books(store.engine)[product] == after[0][product]
    assert live in [
        r.cart_id for r in value(product_reservations(uow, product, manager_id=manager.id))
    ]


@pytest.mark.parametrize("reservation", [999_999, 0, -1, "1", None, 2**40])
def test_releasing_an_unknown_reservation_is_refused(uow, manager, store, reservation):
    before = records(store)

    refused = error(release_reservation(uow, reservation, manager_id=manager.id))

    assert refused.code is Code.RESERVATION_NOT_FOUND
    assert records(store) == before


# -- oversells ----------------------------------------------------------------------


def an_oversell(uow: UnitOfWork, shelf: Shelf) -> tuple[int, object]:
    """A card sale of 2 paid after its holds lapsed and another cart took all but one
    unit: one unit oversold. Returns the product and the order id."""
    product = shelf.product(stock=3, name="Son Simit")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    sale = value(pay_by_card(uow, cart))
    lapse(uow, cart)
    value(add_to_cart(uow, new_cart(uow), product, 2))
    assert value(mark_paid(uow, sale.payment_id)).oversold == 1
    return product, sale.order_id


def test_oversells_are_listed_and_resolved_without_touching_the_stock(
    uow, shelf: Shelf, manager, store
):
    product, order_id = an_oversell(uow, shelf)
    books = stock_books(store.engine)

    [open_one] = value(list_oversells(uow, manager_id=manager.id))

    assert (open_one.product_id, open_one.name, open_one.quantity, open_one.order_id) == (
        product,
        "Son Simit",
        1,
        order_id,
    )
    assert (open_one.receipt, open_one.resolved) == ("T01-000001", False)

    resolved = value(
        resolve_oversell(uow, open_one.id, "  Sayıldı, raf boş ", manager_id=manager.id)
    )

    assert (resolved.resolved, resolved.resolved_by, resolved.note) == (
        True,
        "Ayşe Yılmaz",
        "Sayıldı, raf boş",
    )
    assert stock_books(store.engine) == books
    entry, details = audit_rows(store, "stock.resolve_oversell")[-1]
    assert (entry.user_id, entry.entity, entry.entity_id) == (
        manager.id,
        "oversell",
        str(open_one.id),
    )
    assert details["after"]["note"] == "Sayıldı, raf boş"
    assert value(list_oversells(uow, manager_id=manager.id)) == ()
    assert value(list_oversells(uow, manager_id=manager.id, include_resolved=True)) == (resolved,)
    assert_invariants(store.engine)


def test_an_oversell_resolved_twice_is_refused_the_second_time(uow, shelf: Shelf, manager, store):
    an_oversell(uow, shelf)
    [oversell] = value(list_oversells(uow, manager_id=manager.id))
    value(resolve_oversell(uow, oversell.id, "Tamam", manager_id=manager.id))
    before = records(store)

    refused = error(resolve_oversell(uow, oversell.id, "Yine", manager_id=manager.id))

    assert refused.code is Code.OVERSELL_RESOLVED
    assert render(refused, "tr") == "Bu fazla satış zaten çözüldü"
    assert records(store) == before


@pytest.mark.parametrize(
    ("oversell", "note", "code"),
    [
        (999_999, "Tamam", Code.OVERSELL_NOT_FOUND),
        ("1", "Tamam", Code.OVERSELL_NOT_FOUND),
        (None, "Tamam", Code.OVERSELL_NOT_FOUND),
        (1, "", Code.INVALID_NOTE),
        (1, "   ", Code.INVALID_NOTE),
        (1, None, Code.INVALID_NOTE),
        (1, "x" * 501, Code.INVALID_NOTE),
        (1, "a\x00b", Code.INVALID_NOTE),
    ],
)
def test_resolving_wrongly_is_refused(uow, shelf: Shelf, manager, store, oversell, note, code):
    an_oversell(uow, shelf)
    before = records(store)

    assert error(resolve_oversell(uow, oversell, note, manager_id=manager.id)).code is code
    assert records(store) == before


def test_oversells_page_newest_first(uow, shelf: Shelf, manager, store):
    an_oversell(uow, shelf)
    an_oversell(uow, shelf)
    newest, oldest = value(list_oversells(uow, manager_id=manager.id))

    assert newest.id > oldest.id
    page = value(list_oversells(uow, manager_id=manager.id, before=newest.id))
    assert page == (oldest,)


# -- who may --------------------------------------------------------------------------


def everything_a_manager_does(product: int) -> list[Callable[[UnitOfWork, int], Result[object]]]:
    return [
        lambda uow, user: receive_delivery(uow, [(product, 1)], user_id=user),
        lambda uow, user: adjust_stock(uow, product, -1, reason="damage", user_id=user),
        lambda uow, user: count_stock(uow, product, 1, user_id=user),
        lambda uow, user: set_min_stock(uow, product, 3, user_id=user),
        lambda uow, user: product_stock(uow, product, manager_id=user),
        lambda uow, user: stock_history(uow, product, manager_id=user),
        lambda uow, user: low_stock(uow, manager_id=user),
        lambda uow, user: product_reservations(uow, product, manager_id=user),
        lambda uow, user: release_expired_reservations(uow, manager_id=user),
        lambda uow, user: release_expired_reservations(uow, manager_id=user, product_id=product),
        lambda uow, user: release_reservation(uow, 1, manager_id=user),
        lambda uow, user: list_oversells(uow, manager_id=user),
        lambda uow, user: resolve_oversell(uow, 1, "Tamam", manager_id=user),
    ]


@pytest.mark.parametrize("action", range(13))
def test_a_cashier_is_refused_everywhere(
    uow, shelf: Shelf, manager, cashier, store, clock: FakeClock, action
):
    product, _order = an_oversell(uow, shelf)
    clock.advance(hours=1)  # the other cart's holds have lapsed
    before = records(store)
    act = everything_a_manager_does(product)[action]

    refused = error(act(uow, cashier.id))

    assert refused.code is Code.NOT_PERMITTED
    assert render(refused, "tr") == "Bu işlem için yetkiniz yok"
    assert records(store) == before
    for user in (999_999, None, "1"):
        assert error(act(uow, user)).code is Code.USER_NOT_FOUND
    assert records(store) == before


def test_a_manager_no_longer_active_is_refused(uow, shelf: Shelf, manager, store):
    product = shelf.product(stock=5)
    with store.engine.begin() as connection:
        connection.execute(update(User).where(User.id == manager.id).values(active=False))
    before = records(store)

    for act in everything_a_manager_does(product):
        assert error(act(uow, manager.id)).code is Code.USER_NOT_FOUND
    assert records(store) == before


# -- races ----------------------------------------------------------------------------


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_two_managers_adjusting_at_once_never_take_stock_below_zero(
    uow, shelf: Shelf, manager, second_manager, store
):
    product = shelf.product(stock=10)
    engine = make_engine(store.url, pool_size=16, max_overflow=0)
    managers = [manager.id, second_manager.id] * 8
    start = threading.Barrier(len(managers))
    outcomes: list[str] = []

    def adjust(user: int) -> None:
        start.wait()
        result = adjust_stock(UnitOfWork(engine), product, -3, reason="damage", user_id=user)
        outcomes.append("ok" if isinstance(result, Ok) else result.code.value)

    with LowestAvailable(store, product) as watch:
        threads = [threading.Thread(target=adjust, args=(user,)) for user in managers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    engine.dispose()

    assert Counter(outcomes) == {"ok": 3, "adjustment_below_zero": len(managers) - 3}
    assert stock_books(store.engine)[product][:2] == (1, 0)
    assert count(store, StockMove) == 1 + 3
    assert len(audit_rows(store, "stock.adjust")) == 3
    assert watch.lowest >= 0
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_count_racing_adjustments_and_tills_keeps_the_books(
    uow, shelf: Shelf, manager, second_manager, store
):
    product = shelf.product(stock=10)
    carts = [new_cart(uow) for _ in range(4)]
    engine = make_engine(store.url, pool_size=16, max_overflow=0)
    actions: list[Callable[[UnitOfWork], Result[object]]] = [
        lambda u: count_stock(u, product, 4, user_id=manager.id),
        lambda u: adjust_stock(u, product, -2, reason="theft", user_id=second_manager.id),
        lambda u: adjust_stock(u, product, -2, reason="damage", user_id=manager.id),
        *[(lambda u, c=cart: add_to_cart(u, c, product, 2)) for cart in carts],
    ]
    start = threading.Barrier(len(actions))

    def run(action: Callable[[UnitOfWork], Result[object]]) -> None:
        start.wait()
        action(UnitOfWork(engine))

    with LowestAvailable(store, product) as watch:
        threads = [threading.Thread(target=run, args=(action,)) for action in actions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    engine.dispose()

    assert watch.lowest >= 0
    assert_stock_invariant(store.engine)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_managers_and_sweepers_releasing_at_once_return_each_hold_once(
    uow, shelf: Shelf, manager, second_manager, store, clock: FakeClock
):
    product = shelf.product(stock=20)
    carts = [new_cart(uow) for _ in range(4)]
    for quantity, cart in enumerate(carts, start=1):
        value(add_to_cart(uow, cart, product, quantity))  # 10 units held in all
    clock.advance(hours=1)
    holds = [h.id for h in value(product_reservations(uow, product, manager_id=manager.id))]
    engine = make_engine(store.url, pool_size=16, max_overflow=0)
    actions: list[Callable[[UnitOfWork], Result[object]]] = [
        lambda u: release_expired(u),
        lambda u: release_expired(u),
        lambda u: release_expired_reservations(u, manager_id=manager.id, product_id=product),
        lambda u: release_expired_reservations(u, manager_id=second_manager.id),
        *[(lambda u, h=h: release_reservation(u, h, manager_id=manager.id)) for h in holds],
    ]
    start = threading.Barrier(len(actions))
    returned: list[int] = []

    def run(action: Callable[[UnitOfWork], Result[object]]) -> None:
        start.wait()
        result = action(UnitOfWork(engine, clock))
        if isinstance(result, Ok):
            returned.append(result.value.units_returned)
        else:
            assert result.code is Code.RESERVATION_NOT_FOUND

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()

    assert sum(returned) == 10
    assert stock_books(store.engine)[product][:2] == (20, 0)
    released = [
        r["reservation"]
        for _entry, details in audit_rows(store, "stock.release_expired")
        for r in details["released"]
    ] + [int(e.entity_id) for e, _d in audit_rows(store, "stock.release_reservation")]
    assert set(released) <= set(holds)  # the sweeper's own returns are not audited
    assert len(set(released)) == len(released)
    assert_invariants(store.engine)
