"""Weighed goods (issue 22): grams in the store, kilos on the screen and the receipt; a
typed weight, a scale's, or a scale barcode's; every wrong weight refused with nothing
changed. Both stores."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from pos.domain.messages import render
from pos.domain.policy import Policy, ScalePolicy
from pos.domain.results import Code
from pos.domain.return_receipt import render_return_receipt
from pos.domain.scale_barcodes import PRESETS, scale_barcode
from pos.services.cart import add_scanned, add_to_cart, cart_summary, set_quantity
from pos.services.catalogue import ProductDraft, find_product, update_product
from pos.services.ingest import ingest_sale
from pos.services.offline import went_offline
from pos.services.product_import import import_products_csv
from pos.services.receipts import receipt_text
from pos.services.return_receipts import return_receipt_data
from pos.services.returns import ReturnRequest, return_items, returnable_sale
from pos.services.stock import receive_stock
from pos.store.tables import order_items, outbox
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, error, value
from tests.integration.test_catalogue import bad_rows, csv_file
from tests.invariants import assert_invariants, assert_stock_invariant, stock_books
from tests.offline import offline_uow, pull, replica_engine
from tests.sales import new_cart, pay_cash

pytestmark = pytest.mark.usefixtures("manager")

WEIGHT = PRESETS["27-weight"]
PRICE = PRESETS["29-price"]


def tomatoes(shelf: Shelf, grams: int = 50_000, price: int = 3490) -> int:
    return shelf.product(
        stock=grams, price_minor=price, name="Domates", sale_unit="kg", scale_code="101"
    )


def test_a_typed_weight_holds_its_grams_and_is_priced_once_half_up(uow, store, shelf):
    product = tomatoes(shelf)
    cart = new_cart(uow)

    summary = value(add_to_cart(uow, cart, product, "1,250"))

    line = summary.lines[0]
    assert (line.quantity, line.reserved, line.sale_unit.value) == (1250, 1250, "kg")
    assert line.line_total_minor == 4363  # 1,250 x 34,90 = 43,625: rounded once, up
    assert summary.total_minor == 4363
    assert summary.item_count == 1  # a weighed line is one item
    assert stock_books(store.engine)[product][:2] == (48_750, 1250)
    assert_stock_invariant(store.engine)


def test_a_weighed_product_scanned_without_a_weight_asks_for_one_and_holds_nothing(
    uow, store, shelf
):
    product = tomatoes(shelf)
    cart = new_cart(uow)
    before = stock_books(store.engine)

    asked = error(add_scanned(uow, cart, f"SKU-{shelf.count:04d}", None))

    assert asked.code is Code.WEIGHT_REQUIRED
    assert render(asked, "tr").startswith("Domates tartılarak satılır")
    assert render(asked, "en").startswith("Domates is sold by weight")
    assert stock_books(store.engine) == before
    assert value(cart_summary(uow, cart)).lines == ()
    assert product in before


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("0", Code.WEIGHT_NOT_POSITIVE),
        ("0,000", Code.WEIGHT_NOT_POSITIVE),
        ("-1,250", Code.WEIGHT_NOT_POSITIVE),
        (-5, Code.WEIGHT_NOT_POSITIVE),
        ("30,001", Code.WEIGHT_OVER_MAXIMUM),
        (30_001, Code.WEIGHT_OVER_MAXIMUM),
        ("1,2345", Code.WEIGHT_TOO_PRECISE),
        ("1.250", Code.WEIGHT_AMBIGUOUS),
        ("bir kilo", Code.WEIGHT_NOT_A_NUMBER),
        ("", Code.WEIGHT_NOT_A_NUMBER),
        (True, Code.WEIGHT_NOT_A_NUMBER),
        (1.25, Code.WEIGHT_NOT_A_NUMBER),
    ],
)
def test_a_wrong_weight_is_refused_in_both_languages_and_changes_nothing(
    uow, store, shelf, typed, code
):
    product = tomatoes(shelf)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, "0,500"))
    before = stock_books(store.engine)

    refusals = [error(add_to_cart(uow, cart, product, typed))]
    if typed not in ("0", "0,000"):  # setting a line to nothing takes it off
        refusals.append(error(set_quantity(uow, cart, product, typed)))
    for refused in refusals:
        assert refused.code is code
        assert render(refused, "tr") != render(refused, "en")
    assert stock_books(store.engine) == before
    assert value(cart_summary(uow, cart)).lines[0].quantity == 500


def test_the_scales_maximum_is_the_shops_setting(store, clock, shelf):
    small = UnitOfWork(store.engine, clock, policy=Policy(scale=ScalePolicy(max_weight=6000)))
    product = tomatoes(shelf)
    cart = new_cart(small)

    refused = error(add_to_cart(small, cart, product, "6,001"))

    assert refused.code is Code.WEIGHT_OVER_MAXIMUM
    assert render(refused, "tr").endswith("en çok: 6,000 kg")
    assert render(refused, "en").endswith("at most: 6.000 kg")
    assert value(add_to_cart(small, cart, product, "6")).lines[0].quantity == 6000


def test_a_weight_on_a_piece_product_is_refused_as_not_whole(uow, store, shelf):
    milk = shelf.product(stock=10)
    cart = new_cart(uow)
    before = stock_books(store.engine)

    refused = error(add_scanned(uow, cart, f"SKU-{shelf.count:04d}", "1,250"))

    assert refused.code is Code.QUANTITY_NOT_WHOLE
    assert stock_books(store.engine) == before
    assert milk in before


def test_setting_a_weighed_line_reserves_or_releases_the_grams_and_zero_removes_it(
    uow, store, shelf
):
    product = tomatoes(shelf)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, "1,250"))

    assert value(set_quantity(uow, cart, product, "0,8")).lines[0].quantity == 800
    assert stock_books(store.engine)[product][:2] == (49_200, 800)
    assert value(set_quantity(uow, cart, product, "0,000")).lines == ()
    assert stock_books(store.engine)[product][:2] == (50_000, 0)
    assert_stock_invariant(store.engine)


def test_a_weight_barcode_rings_up_its_item_and_grams(uow, store, shelf):
    product = tomatoes(shelf)
    cart = new_cart(uow)

    line = value(add_scanned(uow, cart, scale_barcode(WEIGHT, "101", 1250), None)).lines[0]

    assert (line.product_id, line.quantity, line.line_total_minor) == (product, 1250, 4363)
    assert stock_books(store.engine)[product][:2] == (48_750, 1250)


def test_a_price_barcode_rings_up_the_grams_its_price_buys(uow, store, shelf):
    product = tomatoes(shelf)
    cart = new_cart(uow)

    summary = value(add_scanned(uow, cart, scale_barcode(PRICE, "101", 4363), None))

    assert (summary.lines[0].quantity, summary.total_minor) == (1250, 4363)
    assert stock_books(store.engine)[product][:2] == (48_750, 1250)


def scale_refusals(shelf: Shelf) -> list[tuple[str, Code]]:
    tomatoes(shelf)
    shelf.product(stock=10, name="Süt", scale_code="102")  # a piece product
    # Saffron at ₺50.000/kg: a gram is ₺50, so a label of ₺123,45 fits no whole gram.
    shelf.product(
        stock=1000, price_minor=5_000_000, name="Safran", sale_unit="kg", scale_code="103"
    )
    good = scale_barcode(WEIGHT, "101", 1250)
    return [
        (good[:12] + str((int(good[12]) + 1) % 10), Code.SCALE_BARCODE_CHECK_DIGIT),
        (scale_barcode(WEIGHT, "999", 1250), Code.SCALE_ITEM_UNKNOWN),
        (scale_barcode(WEIGHT, "102", 1250), Code.WEIGHT_ON_PIECE_PRODUCT),
        (scale_barcode(WEIGHT, "101", 0), Code.WEIGHT_NOT_POSITIVE),
        (scale_barcode(WEIGHT, "101", 30_001), Code.WEIGHT_OVER_MAXIMUM),
        (scale_barcode(PRICE, "103", 12345), Code.SCALE_PRICE_DISAGREES),
        (scale_barcode(PRICE, "101", 0), Code.WEIGHT_NOT_POSITIVE),
    ]


def test_every_wrong_scale_barcode_is_refused_clearly_and_changes_nothing(uow, store, shelf):
    cases = scale_refusals(shelf)
    cart = new_cart(uow)
    before = stock_books(store.engine)

    for code, expected in cases:
        refused = error(add_scanned(uow, cart, code, None))
        assert refused.code is expected, code
        assert render(refused, "tr") != render(refused, "en")

    assert stock_books(store.engine) == before
    assert value(cart_summary(uow, cart)).lines == ()


def test_the_label_price_that_disagrees_names_both_prices(uow, shelf):
    scale_refusals(shelf)
    cart = new_cart(uow)

    refused = error(add_scanned(uow, cart, scale_barcode(PRICE, "103", 12345), None))

    assert render(refused, "tr") == (
        "Etiketteki fiyat (₺123,45) raf fiyatıyla (₺100,00) uyuşmuyor: ürünü yeniden tartın"
    )


def test_the_shop_may_allow_a_label_a_little_off(store, clock, shelf):
    scale_refusals(shelf)
    lenient = UnitOfWork(
        store.engine, clock, policy=Policy(scale=ScalePolicy(price_tolerance_minor=5000))
    )
    cart = new_cart(lenient)

    summary = value(add_scanned(lenient, cart, scale_barcode(PRICE, "103", 12345), None))

    assert (summary.lines[0].quantity, summary.total_minor) == (2, 10000)


def test_a_weighed_sale_keeps_its_grams_and_unit_and_its_receipt_shows_kilos(
    uow, store, shelf, cashier
):
    product = tomatoes(shelf)
    milk = shelf.product(stock=10, price_minor=3250, name="Süt")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, "1,250"))
    value(add_to_cart(uow, cart, milk, 2))

    sale = value(pay_cash(uow, cart))

    with store.engine.connect() as connection:
        lines = connection.execute(
            select(order_items.c.quantity, order_items.c.sale_unit, order_items.c.total_minor)
            .where(order_items.c.order_id == sale.order_id)
            .order_by(order_items.c.line_no)
        ).all()
    assert [tuple(line) for line in lines] == [(1250, "kg", 4363), (2, "piece", 6500)]
    assert stock_books(store.engine)[product][0] == 48_750
    text = value(receipt_text(uow, sale.order_id))
    assert "1,250 kg x ₺34,90" in text
    assert "2 x ₺32,50" in text
    assert "1.250 kg x ₺34.90" in value(receipt_text(uow, sale.order_id, locale="en"))
    assert_invariants(store.engine)

    back = value(
        return_items(
            uow,
            sale.receipt,
            [ReturnRequest(1, 500)],
            reason="Çürük çıktı",
            user_id=cashier.id,
        )
    )
    assert back.total_minor == 1745  # 500 g of the line's 1250 g: 4363 x 0,4, floored
    slip = render_return_receipt(value(return_receipt_data(uow, back.return_id)), "tr")
    assert "  0,500 kg x (" in slip
    assert stock_books(store.engine)[product][0] == 49_250
    assert_invariants(store.engine)


def test_more_of_a_weighed_line_than_is_left_is_refused_in_kilos(uow, store, shelf, cashier):
    product = tomatoes(shelf)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, "1,250"))
    sale = value(pay_cash(uow, cart))
    line = value(returnable_sale(uow, sale.receipt)).lines[0]
    assert (line.quantity, line.unit.value) == (1250, "kg")

    refused = error(
        return_items(uow, sale.receipt, [ReturnRequest(1, 1251)], reason="x", user_id=cashier.id)
    )

    assert refused.code is Code.RETURN_TOO_MUCH
    assert render(refused, "tr") == (
        "İade miktarı satılandan fazla: Domates için en çok 1,250 kg iade edilebilir"
    )
    assert (
        render(refused, "en") == "More than was sold: at most 1.250 kg of Domates can be returned"
    )
    assert render(line.too_many(), "tr") == render(refused, "tr")
    assert stock_books(store.engine)[product][0] == 48_750
    assert_invariants(store.engine)


def test_a_units_change_is_refused_while_the_product_has_stock(uow, shelf, manager):
    product = tomatoes(shelf)
    draft = ProductDraft(sku=f"SKU-{shelf.count:04d}", name="Domates", price_minor=3490)

    refused = error(update_product(uow, product, _as(draft, sale_unit="piece"), user_id=manager.id))

    assert refused.code is Code.SALE_UNIT_CHANGE_WITH_STOCK
    empty = shelf.product(name="Boş")
    changed = value(
        update_product(
            uow,
            empty,
            ProductDraft(sku=f"SKU-{shelf.count:04d}", name="Boş", price_minor=1, sale_unit="kg"),
            user_id=manager.id,
        )
    )
    assert changed.sale_unit == "kg"


def _as(draft: ProductDraft, **changes: Any) -> ProductDraft:
    return replace(draft, **changes)


def test_a_scale_code_belongs_to_one_product(uow, shelf):
    tomatoes(shelf)

    refused = error(
        update_product(
            uow,
            shelf.product(name="Biber"),
            ProductDraft(
                sku=f"SKU-{shelf.count:04d}", name="Biber", price_minor=1, scale_code="101"
            ),
        )
    )

    assert refused.code is Code.DUPLICATE_SCALE_CODE


@pytest.fixture
def replica(sqlite_template, tmp_path):
    engine = replica_engine(sqlite_template, tmp_path)
    yield engine
    engine.dispose()


def weighed_sale_offline(store, replica, clock) -> dict[str, Any]:
    """2,345 kg of tomatoes (their scale barcode) sold and paid offline: the sale's payload."""
    pull(store.engine, replica)
    off = offline_uow(replica, clock)
    value(went_offline(off, 1))
    cart = new_cart(off)
    value(add_scanned(off, cart, scale_barcode(WEIGHT, "101", 2345), None))
    value(pay_cash(off, cart))
    with replica.connect() as connection:
        payload: dict[str, Any] = json.loads(
            connection.execute(select(outbox.c.payload)).scalar_one()
        )
    return payload


def test_a_weighed_sale_made_offline_goes_home_in_grams(uow, store, replica, clock, shelf):
    product = tomatoes(shelf)
    payload = weighed_sale_offline(store, replica, clock)
    assert [(line["quantity"], line["sale_unit"]) for line in payload["lines"]] == [(2345, "kg")]

    value(ingest_sale(uow, payload))

    with store.engine.connect() as connection:
        assert connection.execute(select(order_items.c.quantity, order_items.c.sale_unit)).all()
        stored = connection.execute(select(order_items.c.sale_unit)).scalar_one()
    assert stored == "kg"
    assert stock_books(store.engine)[product][0] == 50_000 - 2345
    assert_invariants(store.engine)


def test_an_offline_sale_from_before_weighed_goods_reads_as_pieces(
    uow, store, replica, clock, shelf
):
    milk = shelf.product(stock=10)
    pull(store.engine, replica)
    off = offline_uow(replica, clock)
    value(went_offline(off, 1))
    cart = new_cart(off)
    value(add_to_cart(off, cart, milk, 2))
    value(pay_cash(off, cart))
    with replica.connect() as connection:
        payload: dict[str, Any] = json.loads(
            connection.execute(select(outbox.c.payload)).scalar_one()
        )
    for line in payload["lines"]:
        del line["sale_unit"]

    value(ingest_sale(uow, payload))

    with store.engine.connect() as connection:
        assert connection.execute(select(order_items.c.sale_unit)).scalar_one() == "piece"
    assert stock_books(store.engine)[milk][0] == 8


def test_the_replica_carries_the_unit(store, replica, shelf):
    from pos.store.tables import products

    tomatoes(shelf)
    pull(store.engine, replica)

    with replica.connect() as connection:
        row = connection.execute(select(products.c.sale_unit, products.c.scale_code)).one()
    assert tuple(row) == ("kg", "101")


def test_the_product_file_says_which_products_are_sold_by_weight(uow, store, shelf, manager):
    value(import_products_csv(uow, csv_file(
        "sku,name,price,unit",
        'DOMATES-KG,Domates,"34,90",kg',
        'SUT-1L,Süt,"32,50",',
        'PEYNIR-KG,Peynir,"320,00",adet',
    )))  # fmt: skip
    units = {sku: value(find_product(uow, sku)).sale_unit for sku in ("DOMATES-KG", "SUT-1L")}
    assert units == {"DOMATES-KG": "kg", "SUT-1L": "piece"}
    cheese = value(find_product(uow, "PEYNIR-KG")).id
    value(receive_stock(uow, cheese, 5, user_id=manager.id))

    refused = error(
        import_products_csv(
            uow, csv_file("sku,name,price,unit", 'PEYNIR-KG,Peynir,"320,00",kg', "SUT-1L,Süt,1,")
        )
    )

    # The cheese has stock counted in pieces: the file is refused, saying why.
    assert bad_rows(refused) == [(2, Code.SALE_UNIT_CHANGE_WITH_STOCK)]
    assert value(find_product(uow, "PEYNIR-KG")).sale_unit == "piece"
    value(import_products_csv(uow, csv_file("sku,name,price,unit", "SUT-1L,Süt,1,")))
    assert value(find_product(uow, "SUT-1L")).sale_unit == "piece"  # blank: kept
    bad = error(import_products_csv(uow, csv_file("sku,name,price,unit", "X-1,X,1,ton")))
    assert bad_rows(bad) == [(2, Code.INVALID_SALE_UNIT)]
