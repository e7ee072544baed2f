"""Pricing a cart as the store sees it: its lines, its coupon, the store's tax mode.

The cart's summary, ``apply_coupon`` and ``checkout`` all price a sale here, so the
screen, the coupon's answer and the order can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from pos.domain.coupons import CouponKind, CouponTerms, coupon_problem, discount_for
from pos.domain.pricing import PriceLine, Quote, quote
from pos.domain.results import Code
from pos.store.prepared import Prepared
from pos.store.tables import coupons

COUPON_COLUMNS = (
    coupons.c.id,
    coupons.c.code,
    coupons.c.kind,
    coupons.c.value,
    coupons.c.currency,
    coupons.c.min_cart_minor,
    coupons.c.cap_minor,
    coupons.c.valid_from,
    coupons.c.valid_to,
    coupons.c.active,
    coupons.c.usage_limit,
    coupons.c.times_used,
)
"""A coupon's stored row as ``stored_coupon`` reads it."""
_COUPON = Prepared(select(*COUPON_COLUMNS).where(coupons.c.id == bindparam("b_coupon")))


@dataclass(frozen=True)
class StoredCoupon:
    id: int
    currency: str
    terms: CouponTerms


def stored_coupon(row: Any) -> StoredCoupon:
    """The coupon in a row of ``COUPON_COLUMNS``."""
    return StoredCoupon(
        id=row.id,
        currency=row.currency,
        terms=CouponTerms(
            code=row.code,
            kind=CouponKind(row.kind),
            value=row.value,
            min_cart_minor=row.min_cart_minor,
            cap_minor=row.cap_minor,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            active=row.active,
            usage_limit=row.usage_limit,
            times_used=row.times_used,
        ),
    )


def load_coupon(connection: Connection, coupon_id: int) -> StoredCoupon | None:
    row = _COUPON.first(connection, {"b_coupon": coupon_id})
    return None if row is None else stored_coupon(row)


@dataclass(frozen=True)
class Priced:
    quote: Quote
    coupon_problem: Code | None
    """Why the cart's coupon takes nothing off right now; None if it applies or there is none."""


def price_sale(
    lines: Sequence[PriceLine],
    coupon: StoredCoupon | None,
    *,
    currency: str,
    prices_include_tax: bool,
    now: datetime,
    use_claimed: bool = False,
) -> Priced:
    """The sale's figures, with the coupon's discount if the coupon applies now: on what
    the lines come to after their own discounts, as ``pos.domain.discounts`` says.

    ``use_claimed``: the sale already holds one of the coupon's uses (its payment is
    in flight or done), so the usage limit no longer stands in its way.
    """
    undiscounted = quote(lines, prices_include_tax=prices_include_tax)
    if coupon is None:
        return Priced(undiscounted, None)
    if coupon.currency != currency:
        return Priced(undiscounted, Code.COUPON_INVALID)
    terms = replace(coupon.terms, usage_limit=None) if use_claimed else coupon.terms
    # The coupon sees the sale after its lines' own discounts (pos.domain.discounts).
    left = undiscounted.subtotal_minor - undiscounted.line_discount_minor
    problem = coupon_problem(terms, left, now)
    if problem is not None:
        return Priced(undiscounted, problem)
    discount = discount_for(coupon.terms, left)
    return Priced(
        quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax), None
    )
