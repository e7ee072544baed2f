"""The catalogue: products created, changed, found, searched and imported, on both stores."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from pos.domain.messages import render
from pos.domain.money import MAX_PRICE_MINOR
from pos.domain.results import Changed, Code, Err, Ok
from pos.services.catalogue import (
    ProductDraft,
    create_product,
    deactivate_product,
    find_product,
    search_products,
    update_product,
)
from pos.services.product_import import (
    ImportReport,
    import_products_csv,
)
from pos.store.models import AuditEntry, Product, ProductWord
from pos.store.uow import UnitOfWork
from tests.conftest import error, value

SUGAR = ProductDraft(
    sku="SEKER-1", name="Toz Şeker 1 kg", price_minor=5450, barcode="8690000000005"
)
TEA = ProductDraft(sku="CAY-1", name="Çaykur Rize Çayı 1 kg", price_minor=18990, tax_rate_bp=2000)


def products(store) -> list[tuple[object, ...]]:
    """Every product row as the database holds it."""
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(Product).order_by(Product.id))]


def product_count(store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Product)).scalar_one()


def index_words(store) -> list[tuple[str, int]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(ProductWord.word, ProductWord.product_id).order_by(
                ProductWord.product_id, ProductWord.word
            )
        )
        return [tuple(row) for row in rows]


def audit_rows(store, action: str) -> list[AuditEntry]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def names(result) -> set[str]:
    return {product.name for product in value(result)}


def add(uow: UnitOfWork, draft: ProductDraft) -> int:
    return value(create_product(uow, draft)).id


# -- create and find ----------------------------------------------------------------


def test_a_created_product_is_returned_with_its_cleaned_fields(uow, store):
    result = create_product(
        uow,
        ProductDraft(sku=" SEKER-1 ", name="  Toz   Şeker 1 kg ", price_minor=5450, barcode=" "),
    )

    assert isinstance(result, Ok)
    assert result.changed == Changed.CATALOGUE
    product = result.value
    assert (product.sku, product.name, product.barcode) == ("SEKER-1", "Toz Şeker 1 kg", None)
    assert (product.price_minor, product.currency, product.tax_rate_bp) == (5450, "TRY", 2000)
    assert product.active
    assert product_count(store) == 1


def test_creating_a_product_writes_one_audit_row(uow, store):
    product = add(uow, SUGAR)

    [entry] = audit_rows(store, "product.create")
    assert (entry.entity, entry.entity_id) == ("product", str(product))
    assert json.loads(entry.details) == {
        "after": {
            "sku": "SEKER-1",
            "barcode": "8690000000005",
            "name": "Toz Şeker 1 kg",
            "price_minor": 5450,
            "currency": "TRY",
            "tax_rate_bp": 2000,
            "active": True,
        }
    }


def test_a_product_is_found_by_its_barcode(uow):
    product = add(uow, SUGAR)

    found = value(find_product(uow, "8690000000005"))

    assert (found.id, found.name) == (product, "Toz Şeker 1 kg")


def test_a_product_is_found_by_its_sku(uow):
    product = add(uow, SUGAR)

    assert value(find_product(uow, "SEKER-1")).id == product


def test_a_scanned_code_is_trimmed_and_an_in_store_label_matches_in_any_case(uow):
    product = add(uow, replace(SUGAR, barcode="RAF-7"))

    assert value(find_product(uow, " raf-7\n")).id == product
    assert value(find_product(uow, "SEKER-1\r\n")).id == product


def test_a_barcode_wins_over_an_sku_that_reads_the_same(uow):
    add(uow, ProductDraft(sku="96385074", name="Kod gibi SKU", price_minor=100))
    scanned = add(
        uow, ProductDraft(sku="B-1", name="Barkodlu", price_minor=100, barcode="96385074")
    )

    assert value(find_product(uow, "96385074")).id == scanned


@pytest.mark.parametrize(
    "code",
    ["NOPE-1", "4006381333931", "", "   ", None, 42, "A" * 65, "' OR 1=1 --", "%", "seker-1"],
)
def test_an_unknown_code_finds_nothing(uow, code):
    add(uow, SUGAR)

    refused = error(find_product(uow, code))

    assert refused.code is Code.PRODUCT_UNAVAILABLE
    assert render(refused, "tr") == "Ürün mevcut değil"


def test_an_inactive_product_is_not_found_by_barcode_or_sku(uow):
    product = add(uow, SUGAR)
    value(deactivate_product(uow, product))

    assert error(find_product(uow, "8690000000005")).code is Code.PRODUCT_UNAVAILABLE
    assert error(find_product(uow, "SEKER-1")).code is Code.PRODUCT_UNAVAILABLE


def test_a_name_with_an_apostrophe_is_stored_verbatim_and_found(uow, store):
    draft = ProductDraft(sku="LOREAL-1", name="L'Oréal Şampuan", price_minor=14900)
    product = add(uow, draft)

    assert products(store)[0][3] == "L'Oréal Şampuan"
    assert value(find_product(uow, "LOREAL-1")).name == "L'Oréal Şampuan"
    assert [p.id for p in value(search_products(uow, "l'oréal"))] == [product]
    assert [p.id for p in value(search_products(uow, "sampuan"))] == [product]


def test_limits_of_the_fields_are_accepted(uow):
    draft = ProductDraft(
        sku="S" * 64,
        name="N" * 200,
        price_minor=MAX_PRICE_MINOR,
        barcode="B" * 32,
        tax_rate_bp=10_000,
        currency="EUR",
    )

    product = value(create_product(uow, draft))

    assert (product.sku, product.name, product.barcode) == ("S" * 64, "N" * 200, "B" * 32)
    assert (product.price_minor, product.tax_rate_bp, product.currency) == (
        MAX_PRICE_MINOR,
        10_000,
        "EUR",
    )
    assert value(create_product(uow, ProductDraft("FREE", "Poşet", 0, tax_rate_bp=0)))


# -- what a product may not be ------------------------------------------------------

INVALID_FIELDS = [
    ("sku", "", Code.INVALID_SKU),
    ("sku", "   ", Code.INVALID_SKU),
    ("sku", "S" * 65, Code.INVALID_SKU),
    ("sku", "x'; DROP TABLE products;--", Code.INVALID_SKU),
    ("sku", "ÇAY 1", Code.INVALID_SKU),
    ("sku", None, Code.INVALID_SKU),
    ("name", "", Code.INVALID_NAME),
    ("name", "  ", Code.INVALID_NAME),
    ("name", "N" * 201, Code.INVALID_NAME),
    ("name", "Süt\x00", Code.INVALID_NAME),
    ("name", "\x1b[2JSüt", Code.INVALID_NAME),
    ("name", "Süt\u202e1 kg", Code.INVALID_NAME),
    ("name", None, Code.INVALID_NAME),
    ("barcode", "8690000000001", Code.INVALID_BARCODE),  # the check digit should be 5
    ("barcode", "96385075", Code.INVALID_BARCODE),
    ("barcode", "B" * 33, Code.INVALID_BARCODE),
    ("barcode", "'; DROP TABLE products;--", Code.INVALID_BARCODE),
    ("barcode", 8690000000005, Code.INVALID_BARCODE),  # a number, not the text a scanner sends
    ("price_minor", -1, Code.INVALID_PRICE),
    ("price_minor", MAX_PRICE_MINOR + 1, Code.INVALID_PRICE),
    ("price_minor", 10**30, Code.INVALID_PRICE),
    ("price_minor", 12.5, Code.INVALID_PRICE),
    ("price_minor", "1250", Code.INVALID_PRICE),
    ("price_minor", True, Code.INVALID_PRICE),
    ("price_minor", None, Code.INVALID_PRICE),
    ("tax_rate_bp", -1, Code.INVALID_TAX_RATE),
    ("tax_rate_bp", 10_001, Code.INVALID_TAX_RATE),
    ("tax_rate_bp", 20.0, Code.INVALID_TAX_RATE),
    ("tax_rate_bp", "2000", Code.INVALID_TAX_RATE),
    ("tax_rate_bp", None, Code.INVALID_TAX_RATE),
    ("currency", "try", Code.INVALID_CURRENCY),
    ("currency", "TL", Code.INVALID_CURRENCY),
    ("currency", "₺", Code.INVALID_CURRENCY),
    ("currency", "", Code.INVALID_CURRENCY),
    ("currency", None, Code.INVALID_CURRENCY),
    ("currency", "ZZZ", Code.INVALID_CURRENCY),  # three letters, but no ISO 4217 currency
]


@pytest.mark.parametrize(("field", "bad", "code"), INVALID_FIELDS)
def test_creating_a_product_with_an_invalid_field_is_refused(uow, store, field, bad, code):
    add(uow, TEA)
    before = products(store)

    refused = error(create_product(uow, replace(SUGAR, **{field: bad})))

    assert refused.code is code
    assert products(store) == before
    assert product_count(store) == 1


# One of each kind for updates: they are checked by the same function as creations.
INVALID_UPDATES = [
    ("sku", "x'; DROP TABLE products;--", Code.INVALID_SKU),
    ("name", "Süt\x00", Code.INVALID_NAME),
    ("barcode", "8690000000001", Code.INVALID_BARCODE),
    ("price_minor", -1, Code.INVALID_PRICE),
    ("price_minor", MAX_PRICE_MINOR + 1, Code.INVALID_PRICE),
    ("tax_rate_bp", 10_001, Code.INVALID_TAX_RATE),
    ("currency", "ZZZ", Code.INVALID_CURRENCY),
]


@pytest.mark.parametrize(("field", "bad", "code"), INVALID_UPDATES)
def test_updating_a_product_with_an_invalid_field_is_refused(uow, store, field, bad, code):
    product = add(uow, SUGAR)
    before, words = products(store), index_words(store)

    refused = error(update_product(uow, product, replace(SUGAR, **{field: bad})))

    assert refused.code is code
    assert products(store) == before
    assert index_words(store) == words


def test_a_duplicate_sku_is_refused_on_create(uow, store):
    add(uow, SUGAR)
    before = products(store)

    refused = error(create_product(uow, replace(TEA, sku="SEKER-1")))

    assert (refused.code, refused.params) == (Code.DUPLICATE_SKU, {"sku": "SEKER-1"})
    assert render(refused, "tr") == "Bu stok kodu başka bir üründe kayıtlı: SEKER-1"
    assert products(store) == before


def test_a_duplicate_barcode_is_refused_on_create_whatever_its_case(uow, store):
    add(uow, replace(SUGAR, barcode="RAF-7"))
    before = products(store)

    refused = error(create_product(uow, replace(TEA, barcode=" raf-7 ")))

    assert (refused.code, refused.params) == (Code.DUPLICATE_BARCODE, {"barcode": "RAF-7"})
    assert products(store) == before


def test_another_products_sku_is_refused_on_update(uow, store):
    add(uow, SUGAR)
    tea = add(uow, TEA)
    before = products(store)

    refused = error(update_product(uow, tea, replace(TEA, sku="SEKER-1")))

    assert (refused.code, refused.params) == (Code.DUPLICATE_SKU, {"sku": "SEKER-1"})
    assert products(store) == before


def test_another_products_barcode_is_refused_on_update(uow, store):
    add(uow, SUGAR)
    tea = add(uow, TEA)
    before = products(store)

    refused = error(update_product(uow, tea, replace(TEA, barcode="8690000000005")))

    assert refused.code is Code.DUPLICATE_BARCODE
    assert products(store) == before


# -- update and deactivate ----------------------------------------------------------


def test_an_update_changes_every_field(uow):
    product = add(uow, SUGAR)
    draft = ProductDraft(
        sku="SEKER-2",
        name="Küp Şeker 500 g",
        price_minor=3990,
        barcode="4006381333931",
        tax_rate_bp=100,
        currency="EUR",
    )

    result = update_product(uow, product, draft)

    assert isinstance(result, Ok)
    assert result.changed == Changed.CATALOGUE
    found = value(find_product(uow, "4006381333931"))
    assert found == result.value
    assert (found.id, found.sku, found.name) == (product, "SEKER-2", "Küp Şeker 500 g")
    assert (found.price_minor, found.tax_rate_bp, found.currency) == (3990, 100, "EUR")
    assert error(find_product(uow, "SEKER-1")).code is Code.PRODUCT_UNAVAILABLE
    assert error(find_product(uow, "8690000000005")).code is Code.PRODUCT_UNAVAILABLE


def test_an_update_may_keep_the_products_own_sku_and_barcode(uow):
    product = add(uow, SUGAR)

    updated = value(update_product(uow, product, replace(SUGAR, price_minor=5990)))

    assert (updated.sku, updated.barcode, updated.price_minor) == (
        "SEKER-1",
        "8690000000005",
        5990,
    )


def test_renaming_a_product_reindexes_it_for_search(uow):
    product = add(uow, SUGAR)
    add(uow, TEA)

    value(update_product(uow, product, replace(SUGAR, name="Pudra Şekeri 250 g")))

    assert value(search_products(uow, "toz")) == ()
    assert [p.id for p in value(search_products(uow, "pudra"))] == [product]
    assert [p.id for p in value(search_products(uow, "sekeri"))] == [product]


def test_an_update_is_audited_with_the_fields_it_changed(uow, store, manager):
    product = add(uow, SUGAR)

    value(update_product(uow, product, replace(SUGAR, price_minor=5990), user_id=manager.id))

    [entry] = audit_rows(store, "product.update")
    assert entry.user_id == manager.id
    assert json.loads(entry.details) == {
        "before": {"price_minor": 5450},
        "after": {"price_minor": 5990},
    }


@pytest.mark.parametrize("product", [999_999, 0, -1, "1", None, 2**70])
def test_updating_an_unknown_product_is_refused(uow, store, product):
    add(uow, SUGAR)
    before = products(store)

    assert error(update_product(uow, product, TEA)).code is Code.PRODUCT_UNAVAILABLE
    assert error(deactivate_product(uow, product)).code is Code.PRODUCT_UNAVAILABLE
    assert products(store) == before


def test_deactivating_is_audited_once_and_can_be_repeated(uow, store, manager):
    product = add(uow, SUGAR)

    first = value(deactivate_product(uow, product, user_id=manager.id))
    second = value(deactivate_product(uow, product, user_id=manager.id))

    assert (first.active, second.active) == (False, False)
    [entry] = audit_rows(store, "product.deactivate")
    assert (entry.user_id, entry.entity_id) == (manager.id, str(product))
    assert product_count(store) == 1


# -- name search --------------------------------------------------------------------


@pytest.fixture
def groceries(uow: UnitOfWork) -> dict[str, int]:
    drafts = [
        ProductDraft("P-1", "Toz Şeker 1 kg", 5450),
        ProductDraft("P-2", "Çaykur Rize Çayı 1 kg", 18990),
        ProductDraft("P-3", "Toz Biber 100 g", 2500),
        ProductDraft("P-4", "İçim Süt 1 L", 3200),
        ProductDraft("P-5", "Ilık Su Termosu", 29900),
        ProductDraft("P-6", "Coca-Cola 1 L", 4500),
    ]
    return {draft.name: add(uow, draft) for draft in drafts}


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("seker", {"Toz Şeker 1 kg"}),
        ("ŞEKER", {"Toz Şeker 1 kg"}),
        ("sek", {"Toz Şeker 1 kg"}),
        ("cay", {"Çaykur Rize Çayı 1 kg"}),
        ("cayi", {"Çaykur Rize Çayı 1 kg"}),
        ("rize", {"Çaykur Rize Çayı 1 kg"}),
        ("icim", {"İçim Süt 1 L"}),
        ("ilik", {"Ilık Su Termosu"}),
        ("cola", {"Coca-Cola 1 L"}),
        ("toz", {"Toz Şeker 1 kg", "Toz Biber 100 g"}),
        (
            "1",
            {
                "Toz Şeker 1 kg",
                "Çaykur Rize Çayı 1 kg",
                "Toz Biber 100 g",
                "İçim Süt 1 L",
                "Coca-Cola 1 L",
            },
        ),
    ],
)
def test_any_word_of_the_name_is_found_by_its_folded_prefix(uow, groceries, typed, found):
    assert names(search_products(uow, typed)) == found


def test_two_words_narrow_the_results(uow, groceries):
    assert names(search_products(uow, "toz")) == {"Toz Şeker 1 kg", "Toz Biber 100 g"}
    assert names(search_products(uow, "toz sek")) == {"Toz Şeker 1 kg"}
    assert names(search_products(uow, "sek toz")) == {"Toz Şeker 1 kg"}
    assert names(search_products(uow, "toz cay")) == set()


def test_a_word_inside_another_word_does_not_match(uow, groceries):
    assert names(search_products(uow, "eker")) == set()


@pytest.mark.parametrize("typed", ["", "   ", None, "%", "_", "%%", "'", "--", 42, ["toz"]])
def test_search_text_without_words_finds_nothing(uow, groceries, typed):
    assert value(search_products(uow, typed)) == ()


def test_hostile_search_text_finds_only_what_its_words_match(uow, groceries):
    add(uow, ProductDraft("P-7", "Organik Yumurta 10'lu", 8900))

    # The words of "%' OR 1=1 --" are "or" and "1": only a name with both matches.
    assert names(search_products(uow, "%' OR 1=1 --")) == {"Organik Yumurta 10'lu"}
    assert names(search_products(uow, "toz%")) == names(search_products(uow, "toz"))


def test_inactive_products_are_searched_only_when_asked(uow, groceries):
    value(deactivate_product(uow, groceries["Toz Biber 100 g"]))

    assert names(search_products(uow, "toz")) == {"Toz Şeker 1 kg"}
    assert names(search_products(uow, "toz", include_inactive=True)) == {
        "Toz Şeker 1 kg",
        "Toz Biber 100 g",
    }


def test_search_returns_at_most_the_limit(uow):
    for n in range(60):
        add(uow, ProductDraft(f"SU-{n:02d}", f"Doğal Kaynak Suyu {n}", 900))

    assert len(value(search_products(uow, "kaynak"))) == 50
    assert len(value(search_products(uow, "kaynak", limit=7))) == 7
    assert len(set(value(search_products(uow, "kaynak")))) == 50


def test_the_limit_counts_products_even_when_several_of_their_words_match(uow):
    # Each chocolate has three words starting with "ka"; each cheese has one.
    for n in range(30):
        add(uow, ProductDraft(f"KK-{n:02d}", f"Kakaolu Karamelli Kahve {n}", 9900))
    for n in range(30):
        add(uow, ProductDraft(f"KS-{n:02d}", f"Kaşar Peyniri {n}", 19900))

    found = value(search_products(uow, "ka"))

    assert len(found) == 50
    assert len({product.id for product in found}) == 50


# -- CSV import ---------------------------------------------------------------------


def csv_file(*lines: str) -> io.StringIO:
    return io.StringIO("\n".join(lines) + "\n")


def bad_rows(refused: Err) -> list[tuple[int, Code]]:
    assert refused.code is Code.IMPORT_REJECTED
    assert all(detail.code is Code.IMPORT_BAD_ROW for detail in refused.details)
    return [(detail.params["line"], detail.params["problem"].code) for detail in refused.details]


def test_an_import_creates_the_products_of_the_file(uow, store):
    source = csv_file(
        "sku,name,price,barcode,tax_rate,currency",
        'CAY-1,Çaykur Rize Çayı 1 kg,"189,90",8690000000005,20,TRY',
        "SEKER-1,Toz Şeker 1 kg,54.50,,10,",
        "LOREAL-1,L'Oréal Şampuan,149,,,",
    )

    result = import_products_csv(uow, source)

    assert isinstance(result, Ok)
    assert result.value == ImportReport(created=3, updated=0)
    assert result.changed == Changed.CATALOGUE
    tea = value(find_product(uow, "8690000000005"))
    assert (tea.sku, tea.name, tea.price_minor, tea.tax_rate_bp) == (
        "CAY-1",
        "Çaykur Rize Çayı 1 kg",
        18990,
        2000,
    )
    sugar = value(find_product(uow, "SEKER-1"))
    assert (sugar.price_minor, sugar.tax_rate_bp, sugar.currency) == (5450, 1000, "TRY")
    shampoo = value(find_product(uow, "LOREAL-1"))
    assert (shampoo.name, shampoo.price_minor, shampoo.tax_rate_bp) == (
        "L'Oréal Şampuan",
        14900,
        2000,
    )
    assert names(search_products(uow, "cay")) == {"Çaykur Rize Çayı 1 kg"}
    assert len(audit_rows(store, "product.import")) == 1


def test_importing_again_updates_the_products_by_sku(uow, store):
    value(
        import_products_csv(
            uow,
            csv_file(
                "sku,name,price,barcode",
                "CAY-1,Çaykur Rize Çayı 1 kg,189.90,8690000000005",
                "SEKER-1,Toz Şeker 1 kg,54.50,",
            ),
        )
    )
    ids = {row[1]: row[0] for row in products(store)}

    report = value(
        import_products_csv(
            uow,
            csv_file(
                "sku,name,price,barcode",
                "CAY-1,Çaykur Rize Çayı 1 kg,199.90,8690000000005",
                "SEKER-1,Küp Şeker 1 kg,59.50,",
                "BIBER-1,Toz Biber 100 g,25,",
            ),
        )
    )

    assert report == ImportReport(created=1, updated=2)
    assert product_count(store) == 3
    assert value(find_product(uow, "CAY-1")).price_minor == 19990
    sugar = value(find_product(uow, "SEKER-1"))
    assert (sugar.id, sugar.name, sugar.price_minor) == (ids["SEKER-1"], "Küp Şeker 1 kg", 5950)
    assert names(search_products(uow, "kup")) == {"Küp Şeker 1 kg"}
    assert names(search_products(uow, "toz")) == {"Toz Biber 100 g"}


@pytest.mark.parametrize(
    ("price", "minor"), [('"12,50"', 1250), ("12.50", 1250), ("12", 1200), ('"0,5"', 50)]
)
def test_an_imported_price_may_use_a_comma_or_a_point(uow, price, minor):
    value(import_products_csv(uow, csv_file("sku,name,price", f"A-1,Ürün,{price}")))

    assert value(find_product(uow, "A-1")).price_minor == minor


@pytest.mark.parametrize(
    ("rate", "basis_points"),
    [("20", 2000), ('"10,0"', 1000), ("1.0", 100), ("%20", 2000), ("0", 0), ("", 2000)],
)
def test_an_imported_tax_rate_is_a_percentage(uow, rate, basis_points):
    value(import_products_csv(uow, csv_file("sku,name,price,tax_rate", f"A-1,Ürün,1,{rate}")))

    assert value(find_product(uow, "A-1")).tax_rate_bp == basis_points


def test_a_header_in_another_case_and_spacing_is_understood(uow):
    value(import_products_csv(uow, csv_file(" SKU , Name ,PRICE", "A-1,Ürün,1")))

    assert value(find_product(uow, "A-1")).name == "Ürün"


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(uow, store):
    add(uow, SUGAR)
    before = products(store)
    source = csv_file(
        "sku,name,price,barcode,tax_rate,currency",
        "OK-1,İyi Ürün,10.00,,20,TRY",
        "bad sku!,Ürün,10.00,,20,TRY",
        "OK-2,Ürün,-5,,20,TRY",
        "OK-3,Ürün,5.00,8690000000001,20,TRY",
        "OK-4,Ürün,5.00,,101,TRY",
        "OK-5,Ürün,5.00,,20,XYZW",
        "OK-6,,5.00,,20,TRY",
        "OK-1,Yine OK-1,1.00,,20,TRY",
        "OK-7,Son İyi Ürün,7.00,,20,TRY",
    )

    refused = error(import_products_csv(uow, source))

    assert bad_rows(refused) == [
        (3, Code.INVALID_SKU),
        (4, Code.INVALID_PRICE),
        (5, Code.INVALID_BARCODE),
        (6, Code.INVALID_TAX_RATE),
        (7, Code.INVALID_CURRENCY),
        (8, Code.INVALID_NAME),
        (9, Code.DUPLICATE_SKU),
    ]
    assert refused.params == {"count": 7}
    assert render(refused, "tr") == "İçe aktarma yapılmadı: 7 satır hatalı"
    assert (
        render(refused.details[-1], "tr") == "Satır 9: Bu stok kodu başka bir üründe kayıtlı: OK-1"
    )
    assert products(store) == before
    assert audit_rows(store, "product.import") == []


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(uow, store):
    source = csv_file(
        "sku,name,price",
        "",
        'A-1,"Çok satırlı',
        'ürün adı",1.00',
        "A-2,Ürün,abc",
    )

    # A receipt prints a name on one line, so the quoted line break is refused too; the
    # record is reported at the line where it ends.
    assert bad_rows(error(import_products_csv(uow, source))) == [
        (4, Code.INVALID_NAME),
        (5, Code.INVALID_PRICE),
    ]
    assert product_count(store) == 0


def test_a_duplicate_barcode_within_the_file_is_refused(uow, store):
    source = csv_file(
        "sku,name,price,barcode",
        "A-1,Ürün,1,8690000000005",
        "A-2,Ürün,1, 8690000000005 ",
    )

    refused = error(import_products_csv(uow, source))

    assert bad_rows(refused) == [(3, Code.DUPLICATE_BARCODE)]
    assert refused.details[0].params["problem"].params == {"barcode": "8690000000005"}
    assert product_count(store) == 0


def test_a_barcode_of_another_existing_product_rejects_the_file(uow, store):
    add(uow, SUGAR)
    before = products(store)
    source = csv_file(
        "sku,name,price,barcode",
        "YENI-1,Yeni Ürün,1,",
        "YENI-2,Barkodu Alınmış,1,8690000000005",
    )

    refused = error(import_products_csv(uow, source))

    assert bad_rows(refused) == [(3, Code.DUPLICATE_BARCODE)]
    assert render(refused.details[0], "en") == (
        "Line 3: Another product already has this barcode: 8690000000005"
    )
    assert products(store) == before


def test_a_row_with_more_cells_than_the_header_is_refused(uow, store):
    source = csv_file("sku,name,price", "A-1,Ürün,1", "A-2,Ürün,2,fazla")

    refused = error(import_products_csv(uow, source))

    assert [detail.params["line"] for detail in refused.details] == [3]
    assert isinstance(refused.details[0].params["problem"], Err)
    assert product_count(store) == 0


def test_a_row_with_fewer_cells_than_the_header_lacks_its_price(uow, store):
    source = csv_file("sku,name,price", "A-1,Ürün")

    assert bad_rows(error(import_products_csv(uow, source))) == [(2, Code.INVALID_PRICE)]
    assert product_count(store) == 0


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("sku,title,cost", "name, price"),
        ("name,price", "sku"),
        ("sku|name|price", "sku, name, price"),
        ("", "sku, name, price"),
    ],
)
def test_a_header_without_the_required_columns_is_refused(uow, store, header, missing):
    source = io.StringIO(f"{header}\nA-1,Ürün,1\n" if header else "")

    refused = error(import_products_csv(uow, source))

    assert (refused.code, refused.params) == (Code.IMPORT_BAD_HEADER, {"missing": missing})
    assert render(refused, "tr") == f"CSV başlığı eksik sütunlar içeriyor: {missing}"
    assert product_count(store) == 0


def test_an_empty_file_with_a_header_imports_nothing(uow, store):
    assert value(import_products_csv(uow, csv_file("sku,name,price"))) == ImportReport(0, 0)
    assert product_count(store) == 0


def test_a_name_that_reads_like_sql_is_only_ever_text(uow, store):
    # Shop names carry quotes, semicolons and dashes; parameters keep them inert, so the
    # name is stored as typed instead of being refused.
    hostile = "Robert'); DROP TABLE products;-- Çay"
    draft = ProductDraft(sku="SQL-1", name=hostile, price_minor=100)

    created = value(create_product(uow, draft))

    assert created.name == hostile
    assert value(find_product(uow, "SQL-1")).name == hostile
    assert [p.name for p in value(search_products(uow, "drop table"))] == [hostile]
    assert product_count(store) == 1
