"""Coupons: what a code may look like, when a coupon applies, and what it takes off.

The seed's ApplyCoupon checks, in its order: the coupon exists and is usable now
("Kupon geçersiz"), the cart reaches its minimum ("Sepet tutarı kupon için
yetersiz"), and it has uses left ("Kupon kullanım limiti dolmuş"). The last check
here is only for the message: the use is claimed at checkout by a conditional
UPDATE, which is what actually stops two tills spending the last one.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from pos.domain.pricing import BASIS_POINTS, round_half_up
from pos.domain.results import Code
from pos.domain.text import trimmed

MAX_CODE_LENGTH = 32
_CODE = re.compile(rf"[A-Z0-9][A-Z0-9_-]{{0,{MAX_CODE_LENGTH - 1}}}")
# Cashiers type on Turkish keyboards: "indirim", "İNDİRİM" and "ındırım" are one code.
_TURKISH_CAPITALS = str.maketrans({"İ": "I"})


class CouponKind(enum.StrEnum):
    PERCENT = "percent"
    """``value`` is basis points of the subtotal: 1000 is 10 %."""
    FIXED = "fixed"
    """``value`` is an amount in minor units."""


class RedemptionState(enum.StrEnum):
    HELD = "held"
    """Claimed at checkout while the payment is in flight: it counts as a use."""
    CONFIRMED = "confirmed"
    RELEASED = "released"


def clean_coupon_code(value: object) -> str | None:
    """The canonical form of a coupon code (trimmed, upper case), or None if it is not one."""
    text = trimmed(value)
    if text is None or len(text) > 4 * MAX_CODE_LENGTH:
        return None
    # Normalised again after upper-casing: "i" + combining dot becomes one "İ".
    upper = unicodedata.normalize("NFKC", text).strip().upper()
    code = unicodedata.normalize("NFKC", upper).translate(_TURKISH_CAPITALS)
    return code if _CODE.fullmatch(code) else None


@dataclass(frozen=True)
class CouponTerms:
    """A coupon as the rules see it."""

    code: str
    kind: CouponKind
    value: int
    min_cart_minor: int = 0
    cap_minor: int | None = None
    """The most a percent coupon takes off; None for no cap."""
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    """The instant the coupon stops working (exclusive); None for no end."""
    active: bool = True
    usage_limit: int | None = None
    """None is unlimited."""
    times_used: int = 0


def terms_problem(terms: CouponTerms) -> Code | None:
    """What is wrong with a coupon a manager defines, or None."""
    if terms.kind is CouponKind.PERCENT and not 0 < terms.value <= BASIS_POINTS:
        return Code.INVALID_COUPON_VALUE
    if terms.kind is CouponKind.FIXED and terms.value <= 0:
        return Code.INVALID_COUPON_VALUE
    if terms.min_cart_minor < 0 or (terms.cap_minor is not None and terms.cap_minor <= 0):
        return Code.INVALID_COUPON_VALUE
    if terms.kind is CouponKind.FIXED and terms.cap_minor is not None:
        return Code.INVALID_COUPON_VALUE  # a fixed amount is its own cap
    if terms.usage_limit is not None and terms.usage_limit < 0:
        return Code.INVALID_COUPON_VALUE
    if terms.valid_from and terms.valid_to and terms.valid_to <= terms.valid_from:
        return Code.INVALID_COUPON_DATES
    return None


def usable_now(terms: CouponTerms, now: datetime) -> bool:
    if not terms.active:
        return False
    if terms.valid_from is not None and now < terms.valid_from:
        return False
    return terms.valid_to is None or now < terms.valid_to


def has_uses_left(terms: CouponTerms) -> bool:
    return terms.usage_limit is None or terms.times_used < terms.usage_limit


def coupon_problem(terms: CouponTerms, subtotal_minor: int, now: datetime) -> Code | None:
    """Why this coupon cannot go on a cart of ``subtotal_minor`` now, in the seed's order."""
    if not usable_now(terms, now):
        return Code.COUPON_INVALID
    if subtotal_minor < terms.min_cart_minor:
        return Code.COUPON_BELOW_MINIMUM
    if not has_uses_left(terms):
        return Code.COUPON_LIMIT_REACHED
    return None


def discount_for(terms: CouponTerms, subtotal_minor: int) -> int:
    """What the coupon takes off a subtotal: never more than the subtotal."""
    if subtotal_minor <= 0:
        return 0
    if terms.kind is CouponKind.PERCENT:
        discount = round_half_up(subtotal_minor * terms.value, BASIS_POINTS)
        if terms.cap_minor is not None:
            discount = min(discount, terms.cap_minor)
    else:
        discount = terms.value
    return min(discount, subtotal_minor)
