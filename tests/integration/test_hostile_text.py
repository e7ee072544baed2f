"""Hostile text through every service that takes text: refused, typed, and the store untouched.

A barcode scanner can send anything, and so can a pasted note or a CSV cell: a NUL
(PostgreSQL refuses to store it), a lone surrogate (no database can encode it), an ESC
(``ESC p`` opens the cash drawer on an ESC/POS printer), a C1 control, a bidi override
that makes a name read as something else, zero-width characters, or far too much text.
Each service answers with its own typed refusal and changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from pos.domain.coupons import CouponKind
from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Err
from pos.services import (
    approvals,
    audit_log,
    card_payments,
    cart,
    catalogue,
    checkout,
    coupons,
    oversells,
    payments,
    product_import,
    product_list,
    shop,
    stock,
    users,
)
from pos.services.catalogue import ProductDraft
from pos.services.coupons import CouponDraft
from pos.services.receipts import receipt_text
from pos.services.users import UserView, create_user
from pos.store.models import Base, Role, User
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, value
from tests.sales import key, new_cart, pay_cash

HOSTILE_CHARS = (
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\ud800", "\udbff", "\udc00", "\udfff"]
    + ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202d", "\u202e"]
    + ["\u2066", "\u2069", "\ufeff", "\u00ad", "\u2028", "\u2029", "\ue000", "\U000e0001"]
)
PLAIN = st.text(alphabet="abcXYZ019 -._ıİşŞ", max_size=6)
hostile_text = st.one_of(
    st.tuples(PLAIN, st.sampled_from(HOSTILE_CHARS), PLAIN).map("".join),
    # Longer than any field takes (a customer's address, the longest, takes 1000).
    st.integers(min_value=1_001, max_value=5_000).map(lambda n: "4" * n),
)
HOSTILE = settings(
    max_examples=6,
    deadline=None,
    # The store is checked unchanged after each example, so the fixture's store serves
    # them all; a busy CI machine is no reason to fail.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Shop:
    uow: UnitOfWork
    manager: UserView
    cashier: UserView
    product: int
    cart: int
    payment: int
    """A card payment left initiated, for the manager's forced resolution."""


@pytest.fixture
def shop_floor(uow: UnitOfWork, manager: UserView, cashier: UserView, shelf: Shelf) -> Shop:
    product = shelf.product(stock=10)
    card_cart = new_cart(uow)
    value(cart.add_to_cart(uow, card_cart, product, 1))
    sale = value(
        checkout.checkout(
            uow,
            card_cart,
            shown_total_minor=value(cart.cart_summary(uow, card_cart)).total_minor,
            tender=checkout.Card(),
            idempotency_key=key(),
        )
    )
    open_cart = new_cart(uow)
    value(cart.add_to_cart(uow, open_cart, product, 1))
    return Shop(uow, manager, cashier, product, open_cart, sale.payment_id)


def draft(**changed: Any) -> ProductDraft:
    return ProductDraft(**{"sku": "SKU-9", "name": "Ayran", "price_minor": 990, **changed})


def coupon(**changed: Any) -> CouponDraft:
    return CouponDraft(**{"code": "YAZ10", "kind": CouponKind.PERCENT, "value": 1000, **changed})


def csv(row: str) -> io.StringIO:
    return io.StringIO(f"sku,name,price,barcode\n{row}\n")


Call = Callable[[Shop, str], Any]
IMPORT_REFUSALS = frozenset(
    {Code.IMPORT_REJECTED, Code.IMPORT_LINE_TOO_LONG, Code.IMPORT_BAD_ENCODING}
)
"""A NUL or a lone surrogate in a CSV is a file in another encoding, not a bad cell."""

SERVICES: dict[str, tuple[Call, frozenset[Code]]] = {
    # The till: what the scanner or the keypad sends.
    "find_product": (
        lambda s, t: catalogue.find_product(s.uow, t),
        frozenset({Code.BARCODE_UNREADABLE, Code.PRODUCT_UNAVAILABLE}),
    ),
    "add_scanned": (
        lambda s, t: cart.add_scanned(s.uow, s.cart, t, 1),
        frozenset({Code.BARCODE_UNREADABLE, Code.BARCODE_NOT_FOUND}),
    ),
    "search_products": (
        lambda s, t: catalogue.search_products(s.uow, t),
        frozenset({Code.INVALID_FILTER}),
    ),
    "apply_coupon": (
        lambda s, t: coupons.apply_coupon(s.uow, s.cart, t),
        frozenset({Code.COUPON_CODE_MALFORMED}),
    ),
    "find_coupon": (
        lambda s, t: coupons.find_coupon(s.uow, t),
        frozenset({Code.COUPON_CODE_MALFORMED}),
    ),
    "checkout_key": (
        lambda s, t: pay_cash(s.uow, s.cart, idempotency_key=t),
        frozenset({Code.INVALID_IDEMPOTENCY_KEY}),
    ),
    "checkout_customer": (
        lambda s, t: pay_cash(s.uow, s.cart, details=checkout.SaleDetails(customer=t)),
        frozenset({Code.INVALID_DETAILS}),
    ),
    "checkout_card_provider": (
        lambda s, t: checkout.checkout(
            s.uow,
            s.cart,
            shown_total_minor=value(cart.cart_summary(s.uow, s.cart)).total_minor,
            tender=checkout.Card(provider=t),
            idempotency_key=key(),
        ),
        frozenset({Code.INVALID_TENDER}),
    ),
    "mark_pending_provider_id": (
        lambda s, t: payments.mark_pending(s.uow, s.payment, provider_payment_id=t),
        frozenset({Code.INVALID_PROVIDER_ID}),
    ),
    # People and PINs.
    "sign_in_pin": (
        lambda s, t: users.sign_in(s.uow, s.cashier.id, t),
        frozenset({Code.INVALID_PIN}),
    ),
    "create_user_username": (
        lambda s, t: create_user(
            s.uow, t, "Ali Veli", Role.CASHIER, "5555", by_user_id=s.manager.id
        ),
        frozenset({Code.INVALID_USERNAME}),
    ),
    "create_user_display_name": (
        lambda s, t: create_user(s.uow, "ali", t, Role.CASHIER, "5555", by_user_id=s.manager.id),
        frozenset({Code.INVALID_USERNAME}),
    ),
    "create_user_pin": (
        lambda s, t: create_user(s.uow, "ali", "Ali", Role.CASHIER, t, by_user_id=s.manager.id),
        frozenset({Code.INVALID_PIN}),
    ),
    "reset_pin": (
        lambda s, t: users.reset_pin(s.uow, s.cashier.id, t, manager_id=s.manager.id),
        frozenset({Code.INVALID_PIN}),
    ),
    "list_all_users_after": (
        lambda s, t: users.list_all_users(s.uow, manager_id=s.manager.id, after=t),
        frozenset({Code.INVALID_FILTER}),
    ),
    "approve_action": (
        lambda s, t: approvals.approve(
            s.uow, s.manager.id, "4321", cashier_id=s.cashier.id, action=t
        ),
        frozenset({Code.INVALID_FILTER}),
    ),
    "approve_reason": (
        lambda s, t: approvals.approve(
            s.uow, s.manager.id, "4321", cashier_id=s.cashier.id, action="sale.void", reason=t
        ),
        frozenset({Code.INVALID_NOTE}),
    ),
    # The catalogue.
    "create_product_sku": (
        lambda s, t: catalogue.create_product(s.uow, draft(sku=t), user_id=s.manager.id),
        frozenset({Code.INVALID_SKU}),
    ),
    "create_product_name": (
        lambda s, t: catalogue.create_product(s.uow, draft(name=t), user_id=s.manager.id),
        frozenset({Code.INVALID_NAME}),
    ),
    "create_product_barcode": (
        lambda s, t: catalogue.create_product(s.uow, draft(barcode=t), user_id=s.manager.id),
        frozenset({Code.INVALID_BARCODE}),
    ),
    "create_product_currency": (
        lambda s, t: catalogue.create_product(s.uow, draft(currency=t), user_id=s.manager.id),
        frozenset({Code.INVALID_CURRENCY}),
    ),
    "update_product_name": (
        lambda s, t: catalogue.update_product(
            s.uow, s.product, draft(name=t), user_id=s.manager.id
        ),
        frozenset({Code.INVALID_NAME}),
    ),
    "list_products_query": (
        lambda s, t: product_list.list_products(s.uow, manager_id=s.manager.id, query=t),
        frozenset({Code.INVALID_FILTER}),
    ),
    "import_name": (
        lambda s, t: product_import.import_products_csv(
            s.uow, csv(f'A-1,"{t}",1,'), user_id=s.manager.id
        ),
        IMPORT_REFUSALS,
    ),
    "import_sku": (
        lambda s, t: product_import.import_products_csv(
            s.uow, csv(f'"{t}",Ayran,1,'), user_id=s.manager.id
        ),
        IMPORT_REFUSALS,
    ),
    "import_barcode": (
        lambda s, t: product_import.import_products_csv(
            s.uow, csv(f'A-1,Ayran,1,"{t}"'), user_id=s.manager.id
        ),
        IMPORT_REFUSALS,
    ),
    "import_path": (
        lambda s, t: product_import.import_products(s.uow, t, user_id=s.manager.id),
        frozenset({Code.IMPORT_UNREADABLE}),
    ),
    # Coupons.
    "create_coupon_code": (
        lambda s, t: coupons.create_coupon(s.uow, coupon(code=t), user_id=s.manager.id),
        frozenset({Code.COUPON_CODE_MALFORMED}),
    ),
    "create_coupon_currency": (
        lambda s, t: coupons.create_coupon(s.uow, coupon(currency=t), user_id=s.manager.id),
        frozenset({Code.INVALID_CURRENCY}),
    ),
    "list_coupons_query": (
        lambda s, t: coupons.list_coupons(s.uow, manager_id=s.manager.id, query=t),
        frozenset({Code.INVALID_FILTER}),
    ),
    "list_coupons_after": (
        lambda s, t: coupons.list_coupons(s.uow, manager_id=s.manager.id, after=t),
        frozenset({Code.INVALID_FILTER}),
    ),
    # The shop's receipt header.
    "shop_header": (
        lambda s, t: shop.update_shop_settings(s.uow, user_id=s.manager.id, receipt_header=t),
        frozenset({Code.INVALID_SETTING}),
    ),
    # Stock: reasons and notes.
    "receive_stock_reason": (
        lambda s, t: stock.receive_stock(s.uow, s.product, 1, user_id=s.manager.id, reason=t),
        frozenset({Code.INVALID_REASON}),
    ),
    "receive_delivery_code": (
        lambda s, t: stock.receive_delivery(s.uow, [(t, 1)], user_id=s.manager.id),
        frozenset({Code.DELIVERY_REJECTED}),
    ),
    "receive_delivery_note": (
        lambda s, t: stock.receive_delivery(s.uow, [(s.product, 1)], user_id=s.manager.id, note=t),
        frozenset({Code.INVALID_STOCK_NOTE}),
    ),
    "adjust_stock_reason": (
        lambda s, t: stock.adjust_stock(s.uow, s.product, -1, reason=t, user_id=s.manager.id),
        frozenset({Code.INVALID_REASON}),
    ),
    "adjust_stock_note": (
        lambda s, t: stock.adjust_stock(
            s.uow, s.product, -1, reason="damage", note=t, user_id=s.manager.id
        ),
        frozenset({Code.INVALID_STOCK_NOTE}),
    ),
    "count_stock_note": (
        lambda s, t: stock.count_stock(s.uow, s.product, 3, note=t, user_id=s.manager.id),
        frozenset({Code.INVALID_STOCK_NOTE}),
    ),
    "resolve_oversell_note": (
        lambda s, t: oversells.resolve_oversell(s.uow, 1, t, manager_id=s.manager.id),
        frozenset({Code.INVALID_NOTE}),
    ),
    # Payments a manager settles by hand, and the audit log.
    "force_resolve_note": (
        lambda s, t: card_payments.force_resolve(
            s.uow, s.payment, PaymentStatus.FAILED, manager_id=s.manager.id, note=t
        ),
        frozenset({Code.INVALID_NOTE}),
    ),
    "audit_entries_action": (
        lambda s, t: audit_log.audit_entries(s.uow, manager_id=s.manager.id, action=t),
        frozenset({Code.INVALID_FILTER}),
    ),
}


COUNTED = {"sign_in_pin"}
"""Where a malformed but readable PIN counts as a wrong one (``test_users``)."""


def everything(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: a refusal leaves all of them as they were."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_hostile_text_is_refused_with_a_typed_error_and_changes_nothing(
    store: Store, shop_floor: Shop, service: str
) -> None:
    call, codes = SERVICES[service]
    before = everything(store)

    @HOSTILE
    @example(text="12\x0034")
    @example(text="abc\ud800")
    @example(text="Ali\x1bp")
    @example(text="\x9b31m")
    @example(text="Süt\u202e1 kg")
    @example(text="4" * 5_000)
    @example(text="\x0b")  # whitespace to str.strip(): must not trim away to nothing
    @example(text="\x1f0")  # nor to the code it hid
    @given(text=hostile_text)
    def refused(text: str) -> None:
        if service in COUNTED and text.isdigit():
            return  # a long run of digits is a wrong guess, counted as one by design
        result = call(shop_floor, text)

        assert isinstance(result, Err), f"{service}({text!r}) was accepted: {result!r}"
        assert result.code in codes, f"{service}({text!r}): {result!r}"
        assert everything(store) == before, f"{service}({text!r}) changed the store"

    refused()


def test_a_scanned_code_with_a_nul_says_the_barcode_is_unreadable(shop_floor: Shop) -> None:
    result = cart.add_scanned(shop_floor.uow, shop_floor.cart, "12\x0034", 1)

    assert isinstance(result, Err)
    assert result.code is Code.BARCODE_UNREADABLE


def test_a_users_old_name_with_esc_p_does_not_reach_the_receipt(
    store: Store, shop_floor: Shop
) -> None:
    # A row stored before names were checked, or written by hand.
    with store.engine.begin() as connection:
        connection.execute(
            update(User).where(User.id == shop_floor.cashier.id).values(display_name="Ali\x1bp")
        )
    sale_cart = value(cart.open_cart(shop_floor.uow, cashier_id=shop_floor.cashier.id)).cart_id
    value(cart.add_to_cart(shop_floor.uow, sale_cart, shop_floor.product, 1))
    order = value(pay_cash(shop_floor.uow, sale_cart)).order_id

    text = value(receipt_text(shop_floor.uow, order))

    assert "\x1b" not in text
    assert "Alip" in text
