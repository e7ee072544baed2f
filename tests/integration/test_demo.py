"""The demo corner shop that ``pos run --demo`` opens."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from pos.domain.catalogue import clean_barcode, gtin_check_digit_ok
from pos.domain.results import Changed, Code, Ok
from pos.services.cart import add_scanned, add_to_cart, open_cart
from pos.services.catalogue import find_product
from pos.services.coupons import find_coupon
from pos.services.demo import (
    DEMO_CASHIER,
    DEMO_COUPONS,
    DEMO_MANAGER,
    DEMO_RECEIPT_HEADER,
    demo_catalogue,
    load_demo_store,
)
from pos.services.receipts import receipt_text
from pos.services.stock import low_stock
from pos.services.users import create_user, list_users, sign_in
from pos.store.models import (
    AuditEntry,
    Coupon,
    Inventory,
    Product,
    Role,
    StockMove,
    User,
)
from tests.conftest import error, value
from tests.invariants import assert_stock_invariant
from tests.sales import pay_cash

ROWS = list(csv.DictReader(io.StringIO(demo_catalogue())))
TABLES = (Product, Inventory, StockMove, User, Coupon, AuditEntry)


def snapshot(store) -> dict[str, list[tuple[object, ...]]]:
    with store.engine.connect() as connection:
        return {
            model.__tablename__: [
                tuple(row)
                for row in connection.execute(
                    select(model.__table__).order_by(*model.__table__.primary_key.columns)
                )
            ]
            for model in TABLES
        }


def stock(store) -> dict[str, int]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(Product.sku, Inventory.available).join(
                Inventory, Inventory.product_id == Product.id
            )
        )
        return {sku: available for sku, available in rows}


@pytest.fixture
def demo(uow, store):
    result = load_demo_store(uow)
    assert isinstance(result, Ok)
    return result


def test_the_catalogue_file_keeps_the_import_header():
    header = "sku,barcode,name,price,tax_rate,stock,min_stock,unit,scale_code"
    assert demo_catalogue().splitlines()[0] == header
    assert 55 <= len(ROWS) <= 70


def test_every_demo_barcode_is_a_valid_turkish_ean13():
    barcodes = [row["barcode"] for row in ROWS]

    assert len(set(barcodes)) == len(barcodes)
    for code in barcodes:
        assert (len(code), code[:3]) == (13, "869"), code
        assert gtin_check_digit_ok(code), code
        assert clean_barcode(code) == code, code


def test_no_demo_price_sets_off_a_terminal_scenario():
    # Amounts ending in 91-96 kuruş make the terminal simulator decline, time out, etc.
    for row in ROWS:
        kurus = int(row["price"].split(",")[1])
        assert not 91 <= kurus <= 96, row["sku"]


def test_the_demo_loads_every_product_with_its_stock(demo, uow, store):
    assert demo.value == len(ROWS)
    assert demo.changed == Changed.CATALOGUE | Changed.STOCK | Changed.USERS | Changed.COUPONS
    # A weighed product's stock is in grams: 50 kg of tomatoes is 50,000 g.
    grams = {"kg": 1000, "": 1}
    assert stock(store) == {row["sku"]: int(row["stock"]) * grams[row["unit"]] for row in ROWS}
    assert_stock_invariant(store.engine)


def test_the_demo_products_are_found_by_barcode_with_their_price_and_kdv(demo, uow):
    milk = value(find_product(uow, "SUT-1L"))
    found = value(find_product(uow, milk.barcode))

    assert found == milk
    assert (milk.name, milk.price_minor, milk.currency, milk.tax_rate_bp) == (
        "Pınar Tam Yağlı Süt 1 L",
        32_50,
        "TRY",
        100,
    )


def test_the_demo_uses_the_three_kdv_rates(demo, store):
    with store.engine.connect() as connection:
        rates = set(connection.execute(select(Product.tax_rate_bp)).scalars())
    assert rates == {100, 1000, 2000}


def test_some_demo_products_are_short_to_show_the_limits(demo, uow, store):
    levels = stock(store)
    assert {0, 1, 2} <= set(levels.values())
    sold_out = next(sku for sku, available in levels.items() if available == 0)
    cart = value(open_cart(uow)).cart_id

    refused = error(add_to_cart(uow, cart, value(find_product(uow, sold_out)).id, 1))

    assert refused.code is Code.INSUFFICIENT_STOCK


def test_the_demo_low_stock_list_shows_the_products_under_their_minimum(demo, uow):
    manager = next(u for u in value(list_users(uow)) if u.username == DEMO_MANAGER[0])

    low = value(low_stock(uow, manager_id=manager.id))

    expected = {row["sku"] for row in ROWS if int(row["stock"]) < int(row["min_stock"] or 0)}
    assert 3 <= len(expected) <= 10  # something to see, not the whole shop
    assert {product.sku for product in low} == expected


@pytest.mark.parametrize(
    ("user", "role"), [(DEMO_CASHIER, Role.CASHIER), (DEMO_MANAGER, Role.MANAGER)]
)
def test_the_demo_users_sign_in_with_their_pins(demo, uow, user, role):
    username, display_name, pin = user
    listed = {u.username: u for u in value(list_users(uow))}

    signed_in = value(sign_in(uow, listed[username].id, pin))

    assert (signed_in.username, signed_in.display_name, signed_in.role) == (
        username,
        display_name,
        role,
    )


def test_the_demo_has_its_two_users_and_no_old_pin(demo, uow):
    listed = value(list_users(uow))

    assert [(u.username, u.role) for u in listed] == [
        ("kasiyer", Role.CASHIER),
        ("mudur", Role.MANAGER),
    ]
    manager = next(u for u in listed if u.role is Role.MANAGER)
    assert error(sign_in(uow, manager.id, "0000")).code is Code.WRONG_PIN


def test_the_demo_has_three_coupons_within_reach_of_its_prices(demo, uow):
    prices = sorted(int(row["price"].replace(",", "")) for row in ROWS)

    for draft in DEMO_COUPONS:
        coupon = value(find_coupon(uow, draft.code))
        assert (coupon.terms.kind, coupon.terms.value) == (draft.kind, draft.value)
        assert coupon.terms.min_cart_minor == draft.min_cart_minor
        # Reachable with a few of the shop's items, not by buying one of everything.
        assert coupon.terms.min_cart_minor <= sum(prices[-3:])
    assert len(DEMO_COUPONS) == 3
    assert value(find_coupon(uow, "HOSGELDIN10")).terms.min_cart_minor > prices[len(prices) // 2]


def test_loading_the_demo_twice_changes_nothing(demo, uow, store):
    before = snapshot(store)

    again = load_demo_store(uow)

    assert again == Ok(0)
    assert snapshot(store) == before


def test_a_store_with_products_is_left_alone(uow, store, shelf):
    shelf.product(stock=3)
    before = snapshot(store)

    assert load_demo_store(uow) == Ok(0)
    assert snapshot(store) == before


def test_a_load_interrupted_after_the_users_finishes_on_the_next_start(uow, store):
    username, display_name, pin = DEMO_MANAGER
    manager = value(create_user(uow, username, display_name, Role.MANAGER, pin))

    assert value(load_demo_store(uow)) == len(ROWS)
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(User)).scalar_one() == 2
    assert {u.username: u.id for u in value(list_users(uow))}["mudur"] == manager.id


def test_the_demo_receipt_starts_with_the_shops_name_and_address(demo, uow):
    sold = value(add_scanned(uow, value(open_cart(uow)).cart_id, "8691035011738", 1))
    sale = value(pay_cash(uow, sold.cart_id))

    receipt = value(receipt_text(uow, sale.order_id)).splitlines()

    assert [line.strip() for line in receipt[:3]] == DEMO_RECEIPT_HEADER.splitlines()
