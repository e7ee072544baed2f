"""The back office's products: the manager's list, edits with their audit trail, and
the CSV import with its limits, on both stores."""

from __future__ import annotations

import codecs
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from pos.cli import main
from pos.domain.messages import render
from pos.domain.money import MAX_PRICE_MINOR
from pos.domain.results import Changed, Code, Err, Ok
from pos.services import product_import
from pos.services.cart import add_to_cart
from pos.services.catalogue import (
    ProductDraft,
    create_product,
    deactivate_product,
    find_product,
    reactivate_product,
    search_products,
    update_product,
)
from pos.services.product_import import (
    MAX_IMPORT_ERRORS,
    MAX_LINE_BYTES,
    ImportReport,
    import_products,
)
from pos.services.product_list import ProductCursor, ProductPage, list_products
from pos.services.users import UserView, create_user
from pos.store.models import AuditEntry, Inventory, Product, ProductWord, Role, User
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, error, value
from tests.invariants import assert_stock_invariant
from tests.sales import new_cart

SUGAR = ProductDraft(
    sku="SEKER-1", name="Toz Şeker 1 kg", price_minor=5450, barcode="8690000000005"
)
TEA = ProductDraft(sku="CAY-1", name="Çaykur Rize Çayı 1 kg", price_minor=18990)

EAN_13, EAN_8, UPC_A = "4006381333931", "96385074", "036000291452"
"""A valid code of each length the tills scan."""


# -- what the store holds -----------------------------------------------------------


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a product action may touch: a refusal must leave all of them alone."""
    with store.engine.connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(query)]
            for name, query in {
                "products": select(Product).order_by(Product.id),
                "words": select(ProductWord.word, ProductWord.product_id).order_by(
                    ProductWord.product_id, ProductWord.word
                ),
                "inventory": select(Inventory).order_by(Inventory.product_id),
                "audit": select(AuditEntry.id).order_by(AuditEntry.id),
            }.items()
        }


def audit_rows(store: Store, action: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def product_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Product)).scalar_one()


def add(uow: UnitOfWork, draft: ProductDraft) -> int:
    return value(create_product(uow, draft)).id


@pytest.fixture
def other_manager(uow: UnitOfWork) -> UserView:
    return value(create_user(uow, "mudur2", "Zeynep Kaya", Role.MANAGER, "5678"))


# -- the list -----------------------------------------------------------------------


def page(uow: UnitOfWork, manager: UserView, **kwargs: Any) -> ProductPage:
    return value(list_products(uow, manager_id=manager.id, **kwargs))


def every_page(uow: UnitOfWork, manager: UserView, **kwargs: Any) -> list[list[str]]:
    """The SKUs of each page, following the cursors to the end."""
    pages: list[list[str]] = []
    after = None
    while True:
        shown = page(uow, manager, after=after, **kwargs)
        pages.append([row.sku for row in shown.rows])
        if shown.next is None:
            return pages
        assert len(pages) < 100, "the cursors go round in circles"
        after = shown.next


def test_the_list_pages_through_every_product_by_sku(uow, manager):
    for n in (5, 2, 7, 1, 3, 6, 4):
        add(uow, ProductDraft(f"URUN-{n}", f"Ürün {n}", 100 * n))

    assert every_page(uow, manager, limit=3) == [
        ["URUN-1", "URUN-2", "URUN-3"],
        ["URUN-4", "URUN-5", "URUN-6"],
        ["URUN-7"],
    ]
    assert every_page(uow, manager, limit=7) == [[f"URUN-{n}" for n in range(1, 8)]]
    assert every_page(uow, manager, limit=50) == [[f"URUN-{n}" for n in range(1, 8)]]


def test_an_empty_catalogue_is_one_empty_page(uow, manager):
    shown = page(uow, manager)

    assert shown == ProductPage((), None)


def test_a_row_shows_the_stock_on_hand_its_minimum_and_whether_it_is_on_sale(
    uow, store, manager, shelf: Shelf
):
    product = shelf.product(stock=5, price_minor=1250, name="Ayran 300 ml")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))  # two held for a cart are still in the shop
    with store.engine.begin() as connection:
        connection.execute(update(Product).where(Product.id == product).values(min_stock=8))
    value(deactivate_product(uow, product, user_id=manager.id))

    [row] = page(uow, manager).rows

    assert (row.id, row.sku, row.name, row.barcode) == (product, "SKU-0001", "Ayran 300 ml", None)
    assert (row.price_minor, row.currency, row.tax_rate_bp) == (1250, "TRY", 2000)
    assert (row.on_hand, row.min_stock, row.active) == (5, 8, False)
    assert_stock_invariant(store.engine)


def test_inactive_products_are_listed_unless_left_out(uow, manager):
    add(uow, SUGAR)
    tea = add(uow, TEA)
    value(deactivate_product(uow, tea, user_id=manager.id))

    assert [row.sku for row in page(uow, manager).rows] == ["CAY-1", "SEKER-1"]
    assert [row.sku for row in page(uow, manager, include_inactive=False).rows] == ["SEKER-1"]
    assert [row.sku for row in page(uow, manager, query="cay", include_inactive=False).rows] == []


@pytest.fixture
def groceries(uow: UnitOfWork) -> dict[str, int]:
    drafts = [
        ProductDraft("TOZ-1", "Toz Şeker 1 kg", 5450, barcode=EAN_13),
        ProductDraft("TOZ-2", "Toz Biber 100 g", 2500),
        ProductDraft("CAY-1", "Çaykur Rize Çayı 1 kg", 18990, barcode=EAN_8),
        ProductDraft("SUT-1", "İçim Süt 1 L", 3200, barcode=UPC_A),
        ProductDraft("BIS-1", "Tozlu Yol Bisküvi", 1500),
        ProductDraft("KEK-1", "Kek Toz Karışımı", 4200),
    ]
    return {draft.sku: add(uow, draft) for draft in drafts}


def listed(uow: UnitOfWork, manager: UserView, query: str, **kwargs: Any) -> list[str]:
    return [sku for skus in every_page(uow, manager, query=query, **kwargs) for sku in skus]


def test_a_barcode_finds_its_product(uow, manager, groceries):
    assert listed(uow, manager, EAN_13) == ["TOZ-1"]
    assert listed(uow, manager, f"  {EAN_8} ") == ["CAY-1"]
    assert listed(uow, manager, UPC_A) == ["SUT-1"]


def test_a_sku_prefix_finds_the_skus_that_start_with_it_in_order(uow, manager, groceries):
    assert listed(uow, manager, "TOZ-")[:2] == ["TOZ-1", "TOZ-2"]  # then "toz" names
    assert listed(uow, manager, "TOZ-2") == ["TOZ-2"]
    assert listed(uow, manager, "SUT") == ["SUT-1"]


def test_name_words_find_products_by_their_folded_prefixes(uow, manager, groceries):
    assert set(listed(uow, manager, "toz")) == {"TOZ-1", "TOZ-2", "BIS-1", "KEK-1"}
    assert listed(uow, manager, "seker") == ["TOZ-1"]
    assert listed(uow, manager, "ÇAY") == ["CAY-1"]
    assert listed(uow, manager, "toz kek") == ["KEK-1"]
    assert listed(uow, manager, "icim sut") == ["SUT-1"]
    assert listed(uow, manager, "eker") == []


def test_skus_come_before_names_and_no_product_shows_twice(uow, manager, groceries):
    # "TOZ" starts two SKUs, and the name of those two and of two others.
    assert listed(uow, manager, "TOZ", limit=1) == ["TOZ-1", "TOZ-2", "KEK-1", "BIS-1"]
    assert listed(uow, manager, "TOZ") == ["TOZ-1", "TOZ-2", "KEK-1", "BIS-1"]


def test_a_product_matching_by_several_words_is_listed_once_across_pages(uow, manager):
    # Each chocolate has three words starting with "ka"; each cheese has one.
    for n in range(12):
        add(uow, ProductDraft(f"KK-{n:02d}", f"Kakaolu Karamelli Kahve {n}", 9900))
    for n in range(12):
        add(uow, ProductDraft(f"KS-{n:02d}", f"Kaşar Peyniri {n}", 19900))

    for limit in (1, 5, 7, 24, 50):
        found = listed(uow, manager, "ka", limit=limit)
        assert len(found) == 24, limit
        assert set(found) == {f"KK-{n:02d}" for n in range(12)} | {f"KS-{n:02d}" for n in range(12)}


def test_the_last_page_of_a_search_says_there_is_no_next(uow, manager, groceries):
    shown = page(uow, manager, query="toz", limit=4)

    assert len(shown.rows) == 4
    assert shown.next is None


TOZ = ["BIS-1", "KEK-1", "TOZ-1", "TOZ-2"]


@pytest.mark.parametrize(
    ("hostile", "found"),
    [
        ("' OR 1=1 --", []),
        ("%", []),
        ("_", []),
        ("\\", []),
        ("toz%", TOZ),
        ("Robert'); DROP TABLE products;--", []),
        ("🍫", []),
    ],
)
def test_hostile_search_text_finds_only_what_its_words_match(
    uow, store, manager, groceries, hostile, found
):
    before = snapshot(store)

    assert sorted(listed(uow, manager, hostile)) == found
    assert snapshot(store) == before


BAD_LIST_ARGUMENTS = [
    {"limit": 0},
    {"limit": -1},
    {"limit": 201},
    {"limit": 10**30},
    {"limit": "50"},
    {"limit": True},
    {"limit": None},
    {"limit": 2.5},
    {"query": None},
    {"query": 42},
    {"query": ["toz"]},
    {"query": "x" * 201},
    # Control, surrogate and bidi characters: no product name holds them.
    {"query": "\x00"},
    {"query": "toz\x00"},
    {"query": "\ud800"},
    {"query": "\u202etoz"},
    {"include_inactive": "yes"},
    {"include_inactive": None},
    {"after": "TOZ-1"},
    {"after": ("toz", 1)},
    {"after": ProductCursor("other", 1, sku="TOZ-1")},
    {"after": ProductCursor("", 7, sku="TOZ-1")},
    {"after": ProductCursor("", 1, sku=None)},
    {"after": ProductCursor("", 1, sku="S" * 65)},
    {"after": ProductCursor("", 1, product_id=-1)},
    {"after": ProductCursor("", 1, product_id=2**40)},
    {"query": "toz seker", "after": ProductCursor("toz seker", 1, sku="TOZ-1")},  # no SKU
    {"query": "toz", "after": ProductCursor("toz", 2, word="w" * 41)},
]


@pytest.mark.parametrize("arguments", BAD_LIST_ARGUMENTS)
def test_a_malformed_list_request_is_refused(uow, manager, groceries, arguments):
    refused = error(list_products(uow, manager_id=manager.id, **arguments))

    assert refused.code is Code.INVALID_FILTER
    assert render(refused, "tr") == "Geçersiz filtre"


def test_a_cursor_of_one_search_is_refused_by_another(uow, manager, groceries):
    cursor = page(uow, manager, query="toz", limit=1).next
    assert cursor is not None

    assert error(list_products(uow, manager_id=manager.id, query="tozl", after=cursor)).code is (
        Code.INVALID_FILTER
    )
    assert value(list_products(uow, manager_id=manager.id, query=" toz ", after=cursor))


# -- who may do it ------------------------------------------------------------------


def cashier_actions(product: int) -> dict[str, Callable[[UnitOfWork, Any], Any]]:
    """Each product action of the back office, done by ``user``."""
    return {
        "list": lambda uow, user: list_products(uow, manager_id=user),
        "create": lambda uow, user: create_product(uow, TEA, user_id=user),
        "update": lambda uow, user: update_product(
            uow, product, replace(SUGAR, price_minor=1), user_id=user
        ),
        "deactivate": lambda uow, user: deactivate_product(uow, product, user_id=user),
        "reactivate": lambda uow, user: reactivate_product(uow, product, user_id=user),
        "import": lambda uow, user: import_products(
            uow, io.BytesIO(b"sku,name,price\nYENI-1,Yeni,1\n"), user_id=user
        ),
    }


ACTIONS = ["list", "create", "update", "deactivate", "reactivate", "import"]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_cashier_is_refused_and_nothing_changes(uow, store, cashier, action):
    product = add(uow, SUGAR)
    before = snapshot(store)

    refused = error(cashier_actions(product)[action](uow, cashier.id))

    assert refused.code is Code.NOT_PERMITTED
    assert render(refused, "tr") == "Bu işlem için yetkiniz yok"
    assert snapshot(store) == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("user", [999_999, 0, -1, "1", 2**70, 1.0, True])
def test_an_unknown_user_is_refused(uow, store, manager, action, user):
    product = add(uow, SUGAR)
    before = snapshot(store)

    assert error(cashier_actions(product)[action](uow, user)).code is Code.USER_NOT_FOUND
    assert snapshot(store) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_a_deactivated_manager_is_refused(uow, store, manager, other_manager, action):
    product = add(uow, SUGAR)
    with store.engine.begin() as connection:
        connection.execute(update(User).where(User.id == other_manager.id).values(active=False))
    before = snapshot(store)

    assert error(cashier_actions(product)[action](uow, other_manager.id)).code is (
        Code.USER_NOT_FOUND
    )
    assert snapshot(store) == before


def test_the_list_needs_a_manager(uow, manager):
    assert error(list_products(uow, manager_id=None)).code is Code.USER_NOT_FOUND


# -- create, edit, deactivate -------------------------------------------------------


def test_a_manager_creates_a_product_and_the_audit_names_them(uow, store, manager):
    result = create_product(uow, SUGAR, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.CATALOGUE
    [entry] = audit_rows(store, "product.create")
    assert (entry.user_id, entry.entity, entry.entity_id) == (
        manager.id,
        "product",
        str(result.value.id),
    )
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
    assert value(find_product(uow, "8690000000005")).id == result.value.id
    assert_stock_invariant(store.engine)


def test_a_product_may_be_created_off_sale(uow, manager):
    created = value(create_product(uow, replace(TEA, active=False), user_id=manager.id))

    assert not created.active
    assert error(find_product(uow, "CAY-1")).code is Code.PRODUCT_UNAVAILABLE
    assert [row.active for row in page(uow, manager).rows] == [False]


def test_an_edit_is_audited_with_the_fields_before_and_after(uow, store, manager):
    product = add(uow, SUGAR)
    draft = replace(SUGAR, name="Küp Şeker 1 kg", price_minor=5990, tax_rate_bp=100, active=False)

    updated = value(update_product(uow, product, draft, user_id=manager.id))

    assert (updated.name, updated.price_minor, updated.tax_rate_bp, updated.active) == (
        "Küp Şeker 1 kg",
        5990,
        100,
        False,
    )
    [entry] = audit_rows(store, "product.update")
    assert (entry.user_id, entry.entity_id) == (manager.id, str(product))
    assert json.loads(entry.details) == {
        "before": {
            "name": "Toz Şeker 1 kg",
            "price_minor": 5450,
            "tax_rate_bp": 2000,
            "active": True,
        },
        "after": {
            "name": "Küp Şeker 1 kg",
            "price_minor": 5990,
            "tax_rate_bp": 100,
            "active": False,
        },
    }
    assert [p.id for p in value(search_products(uow, "kup", include_inactive=True))] == [product]
    assert value(search_products(uow, "toz", include_inactive=True)) == ()


def test_an_edit_without_an_active_flag_keeps_the_products_state(uow, manager):
    product = add(uow, SUGAR)
    value(deactivate_product(uow, product, user_id=manager.id))

    updated = value(update_product(uow, product, replace(SUGAR, price_minor=1), user_id=manager.id))

    assert (updated.price_minor, updated.active) == (1, False)


def test_an_edit_that_changes_nothing_writes_nothing(uow, store, manager):
    product = add(uow, SUGAR)
    before = snapshot(store)

    result = update_product(uow, product, SUGAR, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.NOTHING
    assert snapshot(store) == before


def test_deactivating_and_reactivating_are_audited_with_before_and_after(uow, store, manager):
    product = add(uow, SUGAR)

    off = value(deactivate_product(uow, product, user_id=manager.id))
    assert error(find_product(uow, "SEKER-1")).code is Code.PRODUCT_UNAVAILABLE
    on = value(reactivate_product(uow, product, user_id=manager.id))
    again = value(reactivate_product(uow, product, user_id=manager.id))

    assert (off.active, on.active, again.active) == (False, True, True)
    assert value(find_product(uow, "SEKER-1")).id == product
    [down] = audit_rows(store, "product.deactivate")
    [up] = audit_rows(store, "product.reactivate")  # the second changed nothing: no row
    assert (down.user_id, down.entity_id, up.user_id, up.entity_id) == (
        manager.id,
        str(product),
        manager.id,
        str(product),
    )
    assert json.loads(down.details) == {"before": {"active": True}, "after": {"active": False}}
    assert json.loads(up.details) == {"before": {"active": False}, "after": {"active": True}}


@pytest.mark.parametrize("product", [999_999, 0, -1, "1", None, 2**70])
def test_reactivating_an_unknown_product_is_refused(uow, store, manager, product):
    add(uow, SUGAR)
    before = snapshot(store)

    refused = error(reactivate_product(uow, product, user_id=manager.id))

    assert refused.code is Code.PRODUCT_UNAVAILABLE
    assert snapshot(store) == before


@pytest.mark.parametrize(("code", "length"), [(EAN_13, 13), (EAN_8, 8), (UPC_A, 12)])
def test_a_valid_code_of_each_length_is_accepted_on_create_and_edit(uow, manager, code, length):
    assert len(code) == length
    tea = value(create_product(uow, replace(TEA, barcode=code), user_id=manager.id))
    sugar = add(uow, replace(SUGAR, barcode=None))

    value(update_product(uow, tea.id, replace(TEA, barcode=None), user_id=manager.id))
    moved = value(update_product(uow, sugar, replace(SUGAR, barcode=code), user_id=manager.id))

    assert (tea.barcode, moved.barcode) == (code, code)
    assert value(find_product(uow, code)).id == sugar


BAD_DRAFTS = [
    ("price_minor", -1, Code.INVALID_PRICE),
    ("price_minor", -(10**12), Code.INVALID_PRICE),
    ("price_minor", MAX_PRICE_MINOR + 1, Code.INVALID_PRICE),
    ("price_minor", 2**63, Code.INVALID_PRICE),
    ("price_minor", float("nan"), Code.INVALID_PRICE),
    ("tax_rate_bp", -1, Code.INVALID_TAX_RATE),
    ("tax_rate_bp", 10_001, Code.INVALID_TAX_RATE),
    ("tax_rate_bp", 2**40, Code.INVALID_TAX_RATE),
    ("barcode", "4006381333932", Code.INVALID_BARCODE),  # EAN-13, check digit should be 1
    ("barcode", "96385075", Code.INVALID_BARCODE),  # EAN-8, should be 4
    ("barcode", "036000291453", Code.INVALID_BARCODE),  # UPC-A, should be 2
    ("barcode", "4006381333931\n", None),  # trimmed: the scanner's Enter is not part of it
    ("barcode", "40063813 33931", Code.INVALID_BARCODE),
    ("barcode", "<script>", Code.INVALID_BARCODE),
    ("barcode", "' OR '1'='1", Code.INVALID_BARCODE),
    ("name", "", Code.INVALID_NAME),
    ("name", " \t ", Code.INVALID_NAME),
    ("name", "Ş" * 201, Code.INVALID_NAME),
    ("name", "Süt\x00", Code.INVALID_NAME),
    ("name", "Süt\nYoğurt", Code.INVALID_NAME),
    ("name", "Süt\x7f", Code.INVALID_NAME),
    ("name", "Süt\u200b", Code.INVALID_NAME),  # zero-width space
    ("name", "Süt\u2028", Code.INVALID_NAME),
    ("name", "\ud800Süt", Code.INVALID_NAME),
    ("sku", "", Code.INVALID_SKU),
    ("sku", "S" * 65, Code.INVALID_SKU),
    ("sku", "x'; DROP TABLE products;--", Code.INVALID_SKU),
    ("sku", "SKU\x00", Code.INVALID_SKU),
    ("currency", "XXXX", Code.INVALID_CURRENCY),
    ("active", "yes", Code.INVALID_ACTIVE_FLAG),
    ("active", 1, Code.INVALID_ACTIVE_FLAG),
]


@pytest.mark.parametrize(("field", "bad", "code"), [c for c in BAD_DRAFTS if c[2] is not None])
def test_a_bad_field_is_refused_on_create_and_nothing_changes(
    uow, store, manager, field, bad, code
):
    add(uow, TEA)
    before = snapshot(store)

    refused = error(create_product(uow, replace(SUGAR, **{field: bad}), user_id=manager.id))

    assert refused.code is code
    assert snapshot(store) == before


@pytest.mark.parametrize(("field", "bad", "code"), [c for c in BAD_DRAFTS if c[2] is not None])
def test_a_bad_field_is_refused_on_edit_and_nothing_changes(uow, store, manager, field, bad, code):
    product = add(uow, SUGAR)
    before = snapshot(store)

    refused = error(
        update_product(uow, product, replace(SUGAR, **{field: bad}), user_id=manager.id)
    )

    assert refused.code is code
    assert snapshot(store) == before


def test_bad_check_digits_read_in_turkish(uow, manager):
    refused = error(create_product(uow, replace(SUGAR, barcode="96385075"), user_id=manager.id))

    assert render(refused, "tr") == "Geçersiz barkod"
    assert render(error(create_product(uow, replace(SUGAR, tax_rate_bp=10_001))), "tr") == (
        "Geçersiz KDV oranı"
    )
    assert render(error(create_product(uow, replace(SUGAR, price_minor=-1))), "tr") == (
        "Geçersiz fiyat"
    )


def test_a_draft_that_is_not_a_draft_is_refused(uow, store, manager):
    before = snapshot(store)

    assert error(create_product(uow, "SEKER-1", user_id=manager.id)).code is Code.INVALID_SKU
    assert snapshot(store) == before


@pytest.mark.parametrize("field", ["sku", "barcode"])
def test_a_duplicate_code_is_refused_on_create_and_edit(uow, store, manager, field):
    add(uow, SUGAR)
    tea = add(uow, replace(TEA, barcode=EAN_8))
    before = snapshot(store)
    taken = getattr(SUGAR, field)

    created = error(
        create_product(uow, replace(TEA, **{"sku": "YENI-1", field: taken}), user_id=manager.id)
    )
    edited = error(update_product(uow, tea, replace(TEA, **{field: taken}), user_id=manager.id))

    expected = Code.DUPLICATE_SKU if field == "sku" else Code.DUPLICATE_BARCODE
    assert (created.code, edited.code) == (expected, expected)
    assert render(edited, "tr").endswith(taken)
    assert snapshot(store) == before


def test_a_sku_saved_by_another_manager_a_moment_earlier_is_refused_as_a_duplicate(
    uow, store, manager, clock
):
    """The check before the INSERT passes, the UNIQUE index catches it: still a refusal."""
    now = clock()
    ours: list[Any] = []
    with store.engine.connect() as theirs:
        with theirs.begin():
            theirs.execute(
                Product.__table__.insert().values(
                    sku="SEKER-1",
                    name="Toz Şeker",
                    price_minor=1,
                    currency="TRY",
                    tax_rate_bp=0,
                    active=True,
                    min_stock=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            worker = threading.Thread(
                target=lambda: ours.append(create_product(uow, SUGAR, user_id=manager.id))
            )
            worker.start()
            if store.dialect == "postgresql":
                # Wait until our INSERT waits on theirs: the check before it found nothing.
                deadline = time.monotonic() + 10
                with store.engine.connect() as watcher:
                    while time.monotonic() < deadline:
                        waiting = watcher.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity"
                                " WHERE datname = current_database()"
                                " AND wait_event_type = 'Lock'"
                                " AND query LIKE 'INSERT INTO products%'"
                            )
                        ).scalar_one()
                        watcher.rollback()  # the statistics are read once a transaction
                        if waiting:
                            break
                        time.sleep(0.02)
                    assert waiting, "our INSERT never waited on theirs"
            else:
                time.sleep(0.2)  # SQLite: ours waits for their write lock
        worker.join(timeout=20)

    [result] = ours
    assert error(result).code is Code.DUPLICATE_SKU
    assert product_count(store) == 1
    assert audit_rows(store, "product.create") == []


# -- CSV import: the good file ------------------------------------------------------

GOOD_CSV = (
    "sku,name,price,barcode,tax_rate,currency\n"
    f'CAY-1,Çaykur Rize Çayı 1 kg,"189,90",{EAN_13},20,TRY\n'
    f"SEKER-1,Toz Şeker 1 kg,54.50,{EAN_8},1,\n"
    f"SUT-1,İçim Süt 1 L,32.00,{UPC_A},,\n"
    "LOREAL-1,L'Oréal Şampuan,149,,,\n"
)


def test_an_import_from_a_file_creates_its_products_and_is_audited(uow, store, manager, tmp_path):
    path = tmp_path / "urunler.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")

    result = import_products(uow, path, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.value == ImportReport(created=4, updated=0)
    assert result.changed == Changed.CATALOGUE
    tea = value(find_product(uow, EAN_13))
    assert (tea.sku, tea.name, tea.price_minor, tea.tax_rate_bp) == (
        "CAY-1",
        "Çaykur Rize Çayı 1 kg",
        18990,
        2000,
    )
    assert value(find_product(uow, EAN_8)).tax_rate_bp == 100
    assert value(find_product(uow, UPC_A)).name == "İçim Süt 1 L"
    assert [p.sku for p in value(search_products(uow, "sampuan"))] == ["LOREAL-1"]
    [entry] = audit_rows(store, "product.import")
    assert entry.user_id == manager.id
    assert json.loads(entry.details) == {"created": 4, "updated": 0, "ignored_columns": []}
    assert_stock_invariant(store.engine)


def test_an_import_takes_a_binary_stream_with_a_byte_order_mark(uow, manager):
    source = io.BytesIO(codecs.BOM_UTF8 + GOOD_CSV.encode() + b"EK-1,Ek,1")  # no last newline

    assert value(import_products(uow, source, user_id=manager.id)) == ImportReport(5, 0)
    assert value(find_product(uow, "EK-1")).price_minor == 100


def test_windows_line_ends_are_read_like_any_other(uow, manager):
    source = io.BytesIO(GOOD_CSV.replace("\n", "\r\n").encode())

    assert value(import_products(uow, source, user_id=manager.id)) == ImportReport(4, 0)
    assert value(find_product(uow, "LOREAL-1")).name == "L'Oréal Şampuan"


TURKISH_EXCEL_CSV = (
    "Sku;Name;Price;Barcode;Tax_Rate\r\n"
    f"CAY-1;Çaykur Rize Çayı 1 kg;189,90;{EAN_13};%20\r\n"
    f"SEKER-1;Toz Şeker 1 kg;54,5;{EAN_8};1\r\n"
    "TV-1;Televizyon;1.234,50;;20\r\n"
    '"KAHVE-1";"Kahve; öğütülmüş";"64,92";;10\r\n'
)
"""What Excel in Turkish saves: semicolons, decimal commas, thousands dots, a byte-order mark."""


def test_a_turkish_excel_file_with_semicolons_and_decimal_commas_is_imported(uow, manager):
    source = io.BytesIO(codecs.BOM_UTF8 + TURKISH_EXCEL_CSV.encode())

    assert value(import_products(uow, source, user_id=manager.id)) == ImportReport(4, 0)
    tea = value(find_product(uow, EAN_13))
    assert (tea.sku, tea.price_minor, tea.tax_rate_bp) == ("CAY-1", 18990, 2000)
    assert value(find_product(uow, EAN_8)).price_minor == 5450
    assert value(find_product(uow, "TV-1")).price_minor == 123450
    coffee = value(find_product(uow, "KAHVE-1"))
    assert (coffee.name, coffee.price_minor, coffee.tax_rate_bp) == ("Kahve; öğütülmüş", 6492, 1000)


def test_a_thousands_dot_is_not_read_in_a_comma_separated_file(uow, store, manager):
    source = io.BytesIO(b"sku,name,price\nTV-1,Televizyon,1.234\n")

    refused = error(import_products(uow, source, user_id=manager.id))

    assert bad_rows(refused) == [(2, Code.INVALID_PRICE)]


def test_a_kdv_rate_the_shop_does_not_use_is_refused_per_row(uow, store, manager):
    before = snapshot(store)
    source = "sku,name,price,tax_rate\nA-1,Bir,1,20\nB-1,İki,1,7\nC-1,Üç,1,8\nD-1,Dört,1,10\n"

    refused = error(import_products(uow, io.BytesIO(source.encode()), user_id=manager.id))

    assert bad_rows(refused) == [(3, Code.TAX_RATE_NOT_USED), (4, Code.TAX_RATE_NOT_USED)]
    assert render(refused.details[0], "tr") == (
        "Satır 3: KDV oranı %7 bu mağazada kullanılmıyor; kullanılan oranlar (%): 0, 1, 10, 20"
    )
    assert render(refused.details[0], "en") == (
        "Line 3: The tax rate 7% is not used in this shop; the rates in use (%): 0, 1, 10, 20"
    )
    assert snapshot(store) == before


def test_columns_the_import_does_not_read_are_named_in_its_report(uow, manager):
    source = "sku,name,price,stock,Raf\nA-1,Bir,1,12,3\n"

    report = value(import_products(uow, io.BytesIO(source.encode()), user_id=manager.id))

    assert report == ImportReport(1, 0, ignored_columns=("stock", "raf"))


def test_importing_again_updates_by_sku_and_reindexes_renamed_products(uow, store, manager):
    value(import_products(uow, io.BytesIO(GOOD_CSV.encode()), user_id=manager.id))
    ids = {row[1]: row[0] for row in snapshot(store)["products"]}
    changed = GOOD_CSV.replace("Toz Şeker 1 kg,54.50", "Küp Şeker 1 kg,59.50").replace(
        "149,,,", "159,,,"
    )

    report = value(import_products(uow, io.BytesIO(changed.encode()), user_id=manager.id))

    assert report == ImportReport(created=0, updated=4)
    sugar = value(find_product(uow, "SEKER-1"))
    assert (sugar.id, sugar.name, sugar.price_minor) == (ids["SEKER-1"], "Küp Şeker 1 kg", 5950)
    assert value(find_product(uow, "LOREAL-1")).price_minor == 15900
    assert [p.sku for p in value(search_products(uow, "kup"))] == ["SEKER-1"]
    assert value(search_products(uow, "toz")) == ()
    assert len(audit_rows(store, "product.import")) == 2


def test_an_import_keeps_a_deactivated_product_off_sale(uow, manager):
    value(import_products(uow, io.BytesIO(GOOD_CSV.encode()), user_id=manager.id))
    sugar = value(find_product(uow, "SEKER-1")).id
    value(deactivate_product(uow, sugar, user_id=manager.id))

    value(import_products(uow, io.BytesIO(GOOD_CSV.encode()), user_id=manager.id))

    assert error(find_product(uow, "SEKER-1")).code is Code.PRODUCT_UNAVAILABLE


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_a_barcode_moved_off_a_product_earlier_in_the_file_may_be_given_to_another(
    uow, store, manager, monkeypatch, batch
):
    monkeypatch.setattr(product_import, "IMPORT_BATCH", batch)
    add(uow, replace(SUGAR, barcode=EAN_13))
    add(uow, replace(TEA, barcode=EAN_8))
    swap = (
        "sku,name,price,barcode\n"
        f"SEKER-1,Toz Şeker 1 kg,54.50,{UPC_A}\n"  # frees EAN_13
        f"CAY-1,Çaykur Rize Çayı 1 kg,189.90,{EAN_13}\n"  # frees EAN_8, takes EAN_13
        f"YENI-1,Yeni Ürün,1,{EAN_8}\n"
    )

    assert value(import_products(uow, io.BytesIO(swap.encode()))) == ImportReport(1, 2)

    assert value(find_product(uow, UPC_A)).sku == "SEKER-1"
    assert value(find_product(uow, EAN_13)).sku == "CAY-1"
    assert value(find_product(uow, EAN_8)).sku == "YENI-1"


@pytest.mark.parametrize("batch", [1, 1000])
def test_a_barcode_taken_before_its_product_lets_it_go_rejects_the_file(
    uow, store, manager, monkeypatch, batch
):
    monkeypatch.setattr(product_import, "IMPORT_BATCH", batch)
    add(uow, replace(SUGAR, barcode=EAN_13))
    before = snapshot(store)
    late = (
        "sku,name,price,barcode\n"
        f"YENI-1,Yeni Ürün,1,{EAN_13}\n"
        f"SEKER-1,Toz Şeker 1 kg,54.50,{UPC_A}\n"
    )

    refused = error(import_products(uow, io.BytesIO(late.encode())))

    assert bad_rows(refused) == [(2, Code.DUPLICATE_BARCODE)]
    assert snapshot(store) == before


# -- CSV import: what is refused ----------------------------------------------------


def bad_rows(refused: Err) -> list[tuple[int, Code]]:
    assert refused.code is Code.IMPORT_REJECTED
    assert all(detail.code is Code.IMPORT_BAD_ROW for detail in refused.details)
    return [(detail.params["line"], detail.params["problem"].code) for detail in refused.details]


def test_a_file_with_bad_rows_imports_nothing_and_names_each_in_the_users_language(
    uow, store, manager
):
    add(uow, replace(SUGAR, barcode=EAN_13))
    before = snapshot(store)
    source = (
        "sku,name,price,barcode,tax_rate\n"
        "OK-1,İyi Ürün,10.00,,20\n"
        "OK-2,Eksi Fiyat,-5,,20\n"
        "OK-3,Yüksek KDV,5.00,,100.01\n"
        f"OK-4,Yanlış EAN-8,5.00,{EAN_8[:-1]}5,20\n"
        f"OK-5,Alınmış Barkod,5.00,{EAN_13},20\n"
        "OK-1,Yine OK-1,1.00,,20\n"
        "OK-6,Son İyi Ürün,7.00,,20\n"
    )

    refused = error(import_products(uow, io.BytesIO(source.encode()), user_id=manager.id))

    assert bad_rows(refused) == [
        (3, Code.INVALID_PRICE),
        (4, Code.INVALID_TAX_RATE),
        (5, Code.INVALID_BARCODE),
        (6, Code.DUPLICATE_BARCODE),
        (7, Code.DUPLICATE_SKU),
    ]
    assert render(refused, "tr") == "İçe aktarma yapılmadı: 5 satır hatalı"
    assert [render(detail, "tr") for detail in refused.details] == [
        "Satır 3: Geçersiz fiyat",
        "Satır 4: Geçersiz KDV oranı",
        "Satır 5: Geçersiz barkod",
        f"Satır 6: Bu barkod başka bir üründe kayıtlı: {EAN_13}",
        "Satır 7: Bu stok kodu başka bir üründe kayıtlı: OK-1",
    ]
    assert render(refused.details[0], "en") == "Line 3: Invalid price"
    assert snapshot(store) == before


def test_the_error_report_stops_at_its_limit(uow, store, manager):
    rows = "".join(f"BAD {n},Ürün,1\n" for n in range(MAX_IMPORT_ERRORS + 50))

    refused = error(import_products(uow, io.BytesIO(b"sku,name,price\n" + rows.encode())))

    assert len(refused.details) == MAX_IMPORT_ERRORS
    assert refused.params == {"count": MAX_IMPORT_ERRORS}
    assert bad_rows(refused)[-1] == (MAX_IMPORT_ERRORS + 1, Code.INVALID_SKU)
    assert product_count(store) == 0


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("sku,title,cost", "name, price"),
        ("ürün,ad,fiyat", "sku, name, price"),
        ("sku|name|price", "sku, name, price"),
        ("", "sku, name, price"),
    ],
)
def test_a_wrong_header_is_refused(uow, store, manager, header, missing):
    before = snapshot(store)
    source = io.BytesIO(f"{header}\nA-1,Ürün,1\n".encode() if header else b"")

    refused = error(import_products(uow, source, user_id=manager.id))

    assert (refused.code, refused.params) == (Code.IMPORT_BAD_HEADER, {"missing": missing})
    assert render(refused, "tr") == f"CSV başlığı eksik sütunlar içeriyor: {missing}"
    assert snapshot(store) == before


TURKISH_ANSI_CSV = (
    "Sku;Name;Price;Tax_Rate\r\n"
    "SEKER-1;Toz Şeker 1 kg;54,50;1\r\n"
    "CAY-1;Çaykur Rize Çayı 1 kg;189,90;%20\r\n"
    "ICECEK-1;İçecek: Ağrı Dağı Suyu 0,5 L;7,25;%1\r\n"
    'KAHVE-1;"Kahve; öğütülmüş, Türk";1.234,50;10\r\n'
).encode("cp1254")
"""What Excel's plain "CSV (noktalı virgülle ayrılmış)" writes on a Turkish Windows: the
ANSI code page (Windows-1254), no byte-order mark, semicolons and decimal commas."""


def test_a_turkish_windows_excel_file_is_read_as_windows_1254(uow, store, manager, tmp_path):
    path = tmp_path / "urunler.csv"
    path.write_bytes(TURKISH_ANSI_CSV)

    report = value(import_products(uow, path, user_id=manager.id))

    assert report == ImportReport(4, 0, encoding="cp1254")
    named = {
        sku: (product.name, product.price_minor)
        for sku in ("SEKER-1", "CAY-1", "ICECEK-1", "KAHVE-1")
        for product in [value(find_product(uow, sku))]
    }
    assert named == {
        "SEKER-1": ("Toz Şeker 1 kg", 5450),
        "CAY-1": ("Çaykur Rize Çayı 1 kg", 18990),
        "ICECEK-1": ("İçecek: Ağrı Dağı Suyu 0,5 L", 725),
        "KAHVE-1": ("Kahve; öğütülmüş, Türk", 123450),
    }
    assert [p.sku for p in value(search_products(uow, "seker"))] == ["SEKER-1"]


def test_a_utf_8_file_says_so_in_its_report(uow, manager):
    rows = "sku,name,price\nSEKER-1,Toz Şeker,1\n".encode()

    report = value(import_products(uow, io.BytesIO(rows), user_id=manager.id))

    assert report.encoding == "utf-8"
    assert value(find_product(uow, "SEKER-1")).name == "Toz Şeker"


def test_a_latin_1_file_of_turkish_letters_reads_the_same_as_windows_1254(uow, manager):
    # The two share every letter Latin-1 has: "Çay", "Süt", "Öğle" without its ğ.
    rows = "sku,name,price\nSUT-1,Süt,1\nCAY-1,Çay,2\n".encode("latin-1")

    report = value(import_products(uow, io.BytesIO(rows), user_id=manager.id))

    assert report == ImportReport(2, 0, encoding="cp1254")
    assert value(find_product(uow, "CAY-1")).name == "Çay"


@pytest.mark.parametrize(
    ("rows", "line"),
    [
        pytest.param("sku,name,price\nSEKER-1,Toz Şeker,1\nCAY-1,Çay,2\n".encode("utf-16"), 1),
        pytest.param(  # without a byte-order mark: ASCII letters with NUL bytes between them
            "sku,name,price\nSEKER-1,Toz Şeker,1\n".encode("utf-16-le"), 1
        ),
        pytest.param("sku,name,price\nSEKER-1,Toz Şeker,1\n".encode("utf-32"), 1),
        pytest.param(  # 0x81: a byte Windows-1254 leaves undefined
            "sku,name,price\nSEKER-1,Toz Şeker,1\n".encode("cp1254") + b"CAY-1,\x81ay,2\n",
            3,
        ),
        pytest.param(  # an ESC (a receipt printer's command) in a Windows-1254 line
            "sku,name,price\nSEKER-1,Toz Şeker,1\nCAY-1,Çay\x1bp,2\n".encode("cp1254"), 3
        ),
        pytest.param(  # UTF-8 first, then a line in Windows-1254: one file, two encodings
            "sku,name,price\nSEKER-1,Toz Şeker,1\n".encode() + "CAY-1,Çay,2\n".encode("cp1254"),
            3,
        ),
    ],
    ids=["utf-16", "utf-16-le", "utf-32", "undefined-byte", "control", "mixed"],
)
def test_a_file_that_is_neither_utf_8_nor_windows_1254_text_is_refused(
    uow, store, manager, tmp_path, rows, line
):
    before = snapshot(store)
    path = tmp_path / "other.csv"
    path.write_bytes(rows)

    refused = error(import_products(uow, path, user_id=manager.id))

    assert (refused.code, refused.params) == (Code.IMPORT_BAD_ENCODING, {"line": line})
    assert render(refused, "tr") == (
        f"Satır {line} okunamadı: dosya UTF-8 ya da Windows-1254 (Türkçe Excel) metni değil;"
        " CSV dosyasını UTF-8 olarak kaydedin"
    )
    assert render(refused, "en") == (
        f"Line {line} cannot be read: the file is not UTF-8 or Windows-1254 (Turkish Excel)"
        " text; save the CSV as UTF-8"
    )
    assert snapshot(store) == before


class Endless(io.RawIOBase):
    """``size`` bytes of ``fill`` after ``head``, made as they are read (never all at once)."""

    def __init__(self, head: bytes, size: int, fill: bytes = b"a") -> None:
        self.head, self.left, self.fill = head, size, fill
        self.handed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            n = min(len(self.head), len(view))
            view[:n] = self.head[:n]
            self.head = self.head[n:]
        else:
            n = min(self.left, len(view))
            view[:n] = self.fill * n
            self.left -= n
        self.handed += n
        return n


HUNDRED_MB = 100 * 1024 * 1024


@pytest.mark.parametrize(("head", "line"), [(b"", 1), (b"sku,name,price\n", 2)])
def test_a_100_mb_line_is_refused_after_reading_little_of_it(uow, store, manager, head, line):
    before = snapshot(store)
    source = Endless(head, HUNDRED_MB)

    refused = error(import_products(uow, source, user_id=manager.id))

    assert (refused.code, refused.params) == (
        Code.IMPORT_LINE_TOO_LONG,
        {"line": line, "limit": MAX_LINE_BYTES},
    )
    assert source.handed < 4 * MAX_LINE_BYTES
    assert render(refused, "en") == f"Line {line} is too long (at most 65,536 bytes)"
    assert snapshot(store) == before


def test_a_line_just_within_the_limit_is_read(uow, store, manager):
    prefix = f"A-1,{'Ş' * 100},1,".encode()
    line = prefix + b"x" * (MAX_LINE_BYTES - len(prefix))
    source = b"sku,name,price,note\n" + line + b"\n"
    assert len(source.splitlines()[1]) == MAX_LINE_BYTES

    report = value(import_products(uow, io.BytesIO(source), user_id=manager.id))

    assert report == ImportReport(1, 0, ignored_columns=("note",))


def test_a_quote_left_open_is_refused_as_a_line_too_long(uow, store, manager):
    rows = "".join(f"A-{n},Ürün,1\n" for n in range(20_000))
    source = f'sku,name,price\nB-1,"Açık tırnak,1\n{rows}'.encode()

    refused = error(import_products(uow, io.BytesIO(source), user_id=manager.id))

    assert refused.code is Code.IMPORT_LINE_TOO_LONG
    assert product_count(store) == 0


def test_a_file_with_more_rows_than_allowed_is_refused(uow, store, manager):
    before = snapshot(store)
    source = b"sku,name,price\n" + b"".join(b"A-%d,Urun,1\n\n" % n for n in range(4))

    refused = error(import_products(uow, io.BytesIO(source), user_id=manager.id, max_rows=3))

    assert (refused.code, refused.params) == (Code.IMPORT_TOO_LARGE, {"limit": 3})
    assert render(refused, "tr") == "Dosya çok büyük (en fazla 3 satır)"
    assert snapshot(store) == before
    # Blank lines are not rows: three products and their blank lines fit.
    three = b"sku,name,price\n" + b"".join(b"A-%d,Urun,1\n\n" % n for n in range(3))
    assert value(import_products(uow, io.BytesIO(three), max_rows=3)) == ImportReport(3, 0)


def test_an_unreadable_file_is_refused(uow, store, manager, tmp_path):
    missing = tmp_path / "yok.csv"

    refused = error(import_products(uow, missing, user_id=manager.id))

    assert (refused.code, refused.params) == (Code.IMPORT_UNREADABLE, {"path": str(missing)})
    assert error(import_products(uow, tmp_path, user_id=manager.id)).code is (
        Code.IMPORT_UNREADABLE
    )


def big_csv(rows: int) -> bytes:
    return b"sku,name,price,barcode\n" + b"".join(
        f"URUN-{n:06d},Ürün {n} Deneme Paketi,{n % 900 + 1}.50,\n".encode() for n in range(rows)
    )


def test_progress_is_told_every_so_often_and_ends_at_the_files_size(uow, manager, tmp_path):
    path = tmp_path / "buyuk.csv"
    path.write_bytes(big_csv(5_000))
    told: list[tuple[int, int]] = []

    value(import_products(uow, path, user_id=manager.id, progress=lambda *p: told.append(p)))

    size = path.stat().st_size
    assert 3 <= len(told) <= 20  # after each batch of rows, not each row
    assert all(total == size for _, total in told)
    done = [done for done, _ in told]
    assert done == sorted(set(done))  # always forward
    assert done[-1] == size


def test_progress_of_a_stream_of_unknown_size_ends_at_what_was_read(uow, manager):
    told: list[tuple[int, int]] = []
    source = Endless(big_csv(2_500), 0)  # neither a file nor seekable

    value(import_products(uow, source, user_id=manager.id, progress=lambda *p: told.append(p)))

    assert told[0][1] == 0
    assert told[-1] == (len(big_csv(2_500)), len(big_csv(2_500)))


def test_cancelling_mid_way_changes_nothing(uow, store, manager):
    add(uow, SUGAR)
    before = snapshot(store)
    told: list[int] = []

    def stop_after_two_batches() -> bool:
        return len(told) >= 3

    refused = error(
        import_products(
            uow,
            io.BytesIO(big_csv(10_000)),
            user_id=manager.id,
            progress=lambda done, total: told.append(done),
            cancelled=stop_after_two_batches,
        )
    )

    assert refused.code is Code.IMPORT_CANCELLED
    assert render(refused, "tr") == "İçe aktarma iptal edildi; hiçbir ürün değişmedi"
    assert 0 < told[-1] < len(big_csv(10_000))  # two batches were written, then undone
    assert snapshot(store) == before


def test_a_large_import_is_written_in_batches_and_found_afterwards(uow, store, manager):
    report = value(import_products(uow, io.BytesIO(big_csv(2_345)), user_id=manager.id))

    assert report == ImportReport(created=2_345, updated=0)
    assert product_count(store) == 2_345
    assert value(find_product(uow, "URUN-002344")).price_minor == 2344 % 900 * 100 + 150
    assert len(listed(uow, manager, "deneme", limit=200)) == 2_345
    assert_stock_invariant(store.engine)


def test_the_text_import_of_the_demo_goes_through_the_same_checks(uow, store):
    refused = error(
        product_import.import_products_csv(uow, io.StringIO("sku,name,price\nA-1,\ud800,1\n"))
    )

    assert (refused.code, refused.params) == (Code.IMPORT_BAD_ENCODING, {"line": 2})
    assert product_count(store) == 0


# -- the ``pos import-products`` command --------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    monkeypatch.setenv("POS_LOCALE", "tr")
    return tmp_path


def test_the_command_refuses_a_utf_16_file_in_turkish(home, tmp_path, capsys):
    path = tmp_path / "unicode.csv"
    path.write_bytes("sku,name,price\nCAY-1,Çay,2\n".encode("utf-16"))
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"

    assert main(["import-products", str(path), "--url", url]) == 1

    assert "Satır 1 okunamadı" in capsys.readouterr().err


def test_the_command_reads_a_file_with_a_byte_order_mark(home, tmp_path, capsys):
    path = tmp_path / "excel.csv"
    path.write_bytes(codecs.BOM_UTF8 + GOOD_CSV.encode())
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"

    assert main(["import-products", str(path), "--url", url]) == 0

    captured = capsys.readouterr()
    assert captured.out.strip() == "4 created, 0 updated"
    assert captured.err == ""  # no progress line when nobody watches a terminal


def test_the_command_names_a_file_it_cannot_read(home, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"

    assert main(["import-products", str(tmp_path / "yok.csv"), "--url", url]) == 1

    assert "Dosya okunamadı" in capsys.readouterr().err
