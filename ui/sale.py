"""Operation factories for the sale: what the till asks of the store, run on the worker.

Each function opens its own units of work through ``till.uow()`` and returns plain
results; none of them touches a widget (they run off the GUI thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pos.bootstrap import Till
from pos.domain.results import Err, Ok, Result, Warn
from pos.services.cart import (
    CartSummary,
    add_scanned,
    add_to_cart,
    cart_summary,
    open_cart,
    override_price,
    remove_line,
    set_quantity,
    void_sale,
)
from pos.services.catalogue import ProductView, search_products
from pos.services.checkout import Cash, Sale, checkout
from pos.services.coupons import CouponApplied, apply_coupon, remove_coupon
from pos.services.receipts import receipt_text
from pos.services.shop import check_store

SEARCH_LIMIT = 20


def new_sale(till: Till, cashier_id: int | None) -> Result[CartSummary]:
    return open_cart(till.uow(), cashier_id=cashier_id, currency=till.settings.currency)


def summary(till: Till, cart_id: int) -> Result[CartSummary]:
    return cart_summary(till.uow(), cart_id)


def ring_up(till: Till, cart_id: int, code: str, quantity: int) -> Result[CartSummary]:
    return add_scanned(till.uow(), cart_id, code, quantity)


def add_product(till: Till, cart_id: int, product_id: int, quantity: int) -> Result[CartSummary]:
    return add_to_cart(till.uow(), cart_id, product_id, quantity)


def change_quantity(
    till: Till, cart_id: int, product_id: int, quantity: int
) -> Result[CartSummary]:
    return set_quantity(till.uow(), cart_id, product_id, quantity)


def remove(till: Till, cart_id: int, product_id: int) -> Result[CartSummary]:
    return remove_line(till.uow(), cart_id, product_id)


def search(till: Till, text: str, limit: int = SEARCH_LIMIT) -> Result[tuple[ProductView, ...]]:
    return search_products(till.uow(), text, limit=limit)


def use_coupon(till: Till, cart_id: int, code: str) -> Result[CouponApplied]:
    return apply_coupon(till.uow(), cart_id, code)


def drop_coupon(till: Till, cart_id: int) -> Result[CartSummary]:
    return remove_coupon(till.uow(), cart_id)


def void(
    till: Till, cart_id: int, user_id: int | None, approved_by: int | None = None
) -> Result[Any]:
    return void_sale(till.uow(), cart_id, user_id=user_id, approved_by=approved_by)


def set_price(
    till: Till, cart_id: int, product_id: int, price_minor: int, user_id: int, approved_by: int
) -> Result[CartSummary]:
    return override_price(
        till.uow(), cart_id, product_id, price_minor, user_id=user_id, approved_by=approved_by
    )


@dataclass(frozen=True)
class Payment:
    """What paying answered: the sale (or the refusal) and, once paid, its receipt."""

    result: Result[Sale]
    receipt: str | None = None


def pay_cash(
    till: Till,
    cart_id: int,
    *,
    shown_total_minor: int,
    given_minor: int,
    key: str,
    locale: str,
    cashier_id: int | None = None,
) -> Payment:
    result = checkout(
        till.uow(),
        cart_id,
        shown_total_minor=shown_total_minor,
        tender=Cash(given_minor),
        idempotency_key=key,
        cashier_id=cashier_id,
    )
    if isinstance(result, Err) or result.value.receipt is None:
        return Payment(result)
    return Payment(result, receipt_or_none(till, result.value.order_id, locale))


def receipt_or_none(till: Till, order_id: UUID, locale: str) -> str | None:
    text = receipt_text(till.uow(), order_id, locale=locale)
    return text.value if isinstance(text, Ok | Warn) else None


def store_answers(till: Till) -> bool:
    """True once the store answered; an unreachable store raises instead."""
    return not isinstance(check_store(till.uow()), Err)
