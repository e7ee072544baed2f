"""Operation factories for the sale: what the till asks of the store, run on the worker.

Each function opens its own units of work through ``till.uow()`` and returns plain
results; none of them touches a widget (they run off the GUI thread). A function that
calls one use case has that use case's name, so the window and the services speak of
the same thing with the same word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pos.bootstrap import Till
from pos.domain.results import Err, Ok, Result, Warn
from pos.domain.sales import OrderStatus
from pos.services import (
    cart,
    catalogue,
    coupons,
    discounts,
    orders,
    parked,
    price_override,
    refunds,
    shop,
    tenders,
)
from pos.services.cart import DEFAULT_TILL_ID, CartSummary
from pos.services.catalogue import ProductView
from pos.services.checkout import Cash, Sale, checkout
from pos.services.coupons import CouponApplied
from pos.services.parked import Parked, ParkedSale, Recalled
from pos.services.receipts import receipt_text
from pos.services.refunds import VoidOutcome
from pos.services.tenders import SaleTenders

SEARCH_LIMIT = 20


def open_cart(till: Till, cashier_id: int | None) -> Result[CartSummary]:
    return cart.open_cart(till.uow(), cashier_id=cashier_id, currency=till.settings.currency)


def cart_summary(till: Till, cart_id: int) -> Result[CartSummary]:
    return cart.cart_summary(till.uow(), cart_id)


def add_scanned(till: Till, cart_id: int, code: str, quantity: object) -> Result[CartSummary]:
    return cart.add_scanned(till.uow(), cart_id, code, quantity)


def add_to_cart(till: Till, cart_id: int, product_id: int, quantity: object) -> Result[CartSummary]:
    return cart.add_to_cart(till.uow(), cart_id, product_id, quantity)


def set_quantity(
    till: Till, cart_id: int, product_id: int, quantity: object
) -> Result[CartSummary]:
    return cart.set_quantity(till.uow(), cart_id, product_id, quantity)


def remove_line(till: Till, cart_id: int, product_id: int) -> Result[CartSummary]:
    return cart.remove_line(till.uow(), cart_id, product_id)


def search_products(
    till: Till, text: str, limit: int = SEARCH_LIMIT
) -> Result[tuple[ProductView, ...]]:
    return catalogue.search_products(till.uow(), text, limit=limit)


def apply_coupon(till: Till, cart_id: int, code: str) -> Result[CouponApplied]:
    return coupons.apply_coupon(till.uow(), cart_id, code)


def remove_coupon(till: Till, cart_id: int) -> Result[CartSummary]:
    return coupons.remove_coupon(till.uow(), cart_id)


def void_sale(
    till: Till, cart_id: int, user_id: int | None, approved_by: int | None = None
) -> Result[Any]:
    return cart.void_sale(till.uow(), cart_id, user_id=user_id, approved_by=approved_by)


def override_price(
    till: Till,
    cart_id: int,
    product_id: int,
    price_minor: int,
    user_id: int,
    approved_by: int,
    reason: str | None = None,
) -> Result[CartSummary]:
    return price_override.override_price(
        till.uow(),
        cart_id,
        product_id,
        price_minor,
        user_id=user_id,
        approved_by=approved_by,
        reason=reason,
    )


def park_sale(till: Till, cart_id: int, user_id: int) -> Result[Parked]:
    return parked.park_sale(till.uow(), cart_id, user_id=user_id)


def parked_sales(till: Till) -> Result[tuple[ParkedSale, ...]]:
    """The sales parked at this till (its carts are the default till's, as ``open_cart``)."""
    return parked.parked_sales(till.uow(), DEFAULT_TILL_ID)


def recall_sale(
    till: Till, cart_id: int, user_id: int, current_cart_id: int | None
) -> Result[Recalled]:
    return parked.recall_sale(
        till.uow(),
        cart_id,
        user_id=user_id,
        till_id=DEFAULT_TILL_ID,
        current_cart_id=current_cart_id,
    )


@dataclass(frozen=True)
class Payment:
    """What paying answered: the sale (or the refusal) and, once paid, its receipt."""

    result: Result[Sale]
    receipt: str | None = None
    tenders: SaleTenders | None = None
    """A sale paid in part: its tenders and what is still due."""


def checkout_cash(
    till: Till,
    cart_id: int,
    *,
    shown_total_minor: int,
    given_minor: int,
    key: str,
    locale: str,
    cashier_id: int | None = None,
    amount_minor: int | None = None,
) -> Payment:
    result = checkout(
        till.uow(),
        cart_id,
        shown_total_minor=shown_total_minor,
        tender=Cash(given_minor, amount_minor),
        idempotency_key=key,
        cashier_id=cashier_id,
    )
    return _payment(till, result, locale)


def add_cash(
    till: Till,
    order_id: UUID,
    *,
    given_minor: int,
    amount_minor: int | None,
    key: str,
    locale: str,
) -> Payment:
    """Cash for a sale already part paid (its first tender went through checkout)."""
    result = tenders.add_tender(
        till.uow(), order_id, Cash(given_minor, amount_minor), idempotency_key=key
    )
    return _payment(till, result, locale)


def _payment(till: Till, result: Result[Sale], locale: str) -> Payment:
    if isinstance(result, Err):
        return Payment(result)
    if result.value.receipt is None:
        return Payment(result, tenders=tenders_or_none(till, result.value.order_id))
    return Payment(result, receipt_or_none(till, result.value.order_id, locale))


@dataclass(frozen=True)
class SaleState:
    """Where a sale stands after one of its tenders ended: its tenders, its receipt if paid."""

    tenders: SaleTenders | None
    receipt: str | None = None


def sale_state(till: Till, order_id: UUID, locale: str) -> SaleState:
    found = tenders_or_none(till, order_id)
    if found is None or found.status is not OrderStatus.PAID:
        return SaleState(found)
    return SaleState(found, receipt_or_none(till, order_id, locale))


@dataclass(frozen=True)
class TakenUp:
    """A sale the till left paid in part (a restart): its cart and its tenders."""

    summary: CartSummary
    tenders: SaleTenders


def part_paid_sale(till: Till) -> TakenUp | None:
    """The newest sale this till left part paid, with its cart; None if there is none."""
    found = tenders.part_paid_sales(till.uow(), DEFAULT_TILL_ID)
    if isinstance(found, Err) or not found.value:
        return None
    left = found.value[-1]
    cart_id = orders.order_cart(till.uow(), left.order_id)
    if isinstance(cart_id, Err):
        return None
    summary = cart.cart_summary(till.uow(), cart_id.value)
    if isinstance(summary, Err):
        return None
    return TakenUp(summary.value, left)


def part_paid_or_new_sale(till: Till, cashier_id: int | None) -> TakenUp | Result[CartSummary]:
    """The till's first sale since it started, in one trip to the store: the sale it left
    part paid, or a new one. One trip, so whatever the window asks after it (the backup
    warning at sign-in) is answered after the sale is on screen, not overwritten by it."""
    found = part_paid_sale(till)
    if found is not None:
        return found
    return open_cart(till, cashier_id)


def tenders_or_none(till: Till, order_id: UUID) -> SaleTenders | None:
    found = tenders.sale_tenders(till.uow(), order_id)
    return found.value if isinstance(found, Ok | Warn) else None


def void_tendered_sale(
    till: Till, order_id: UUID, user_id: int | None, approved_by: int | None = None
) -> Result[VoidOutcome]:
    return refunds.void_tendered_sale(
        till.uow(), order_id, user_id=user_id, approved_by=approved_by
    )


def receipt_or_none(till: Till, order_id: UUID, locale: str) -> str | None:
    text = receipt_text(till.uow(), order_id, locale=locale)
    return text.value if isinstance(text, Ok | Warn) else None


def check_store(till: Till) -> Result[bool]:
    """Whether the store answers: ``Err(STORE_UNREACHABLE)`` or ``Err(STORE_BUSY)`` if not."""
    return shop.check_store(till.uow())


def discount_line(
    till: Till,
    cart_id: int,
    product_id: int,
    asked: Any,
    user_id: int,
    approved_by: int | None = None,
) -> Result[CartSummary]:
    """``asked``: the dialog's ``DiscountAsked``, as typed."""
    return discounts.discount_line(
        till.uow(),
        cart_id,
        product_id,
        asked.kind.value,
        asked.value,
        asked.reason,
        user_id=user_id,
        approved_by=approved_by,
    )


def remove_discount(till: Till, cart_id: int, product_id: int, user_id: int) -> Result[CartSummary]:
    return discounts.remove_discount(till.uow(), cart_id, product_id, user_id=user_id)


def shop_settings(till: Till) -> Result[shop.ShopSettings]:
    return shop.shop_settings(till.uow())
