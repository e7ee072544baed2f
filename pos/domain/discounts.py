"""Line discounts: a percentage or an amount off one line of a sale, with a reason.

**The one rule by which discounts combine** (the README says the same to the shop):

1. Each line's own discount comes off that line first: a percentage of the line's
   amount (unit price times quantity), rounded once for the line, half-up; or an amount, as
   given. It never takes the line below zero.
2. The coupon is worked out on what the lines come to after their own discounts (its
   minimum and its percentage see that sum) and spread over the lines in proportion to
   what is left of each (:func:`pos.domain.pricing.allocate`).
3. The tax is computed last, once per rate, on what the lines come to after both.

So a line's total is ``gross - line discount - coupon share``, never negative, and the
lines add up to the sale's total. A return of a discounted line pays back what the
customer paid for it (``pos.domain.pricing.line_amounts_paid``), not its shelf price.

Values arrive as the cashier typed them (``"12,5"``, a ``Decimal``, an ``int``): a
percentage with at most two decimals, an amount in the currency's major unit with no
more decimals than it has. Each refusal is a :class:`~pos.domain.results.Code`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pos.domain.pricing import BASIS_POINTS, round_half_up
from pos.domain.results import Code
from pos.domain.text import clean_line, readable

PERCENT_DIGITS = 2
"""A percentage is typed with two decimals at most: it is kept in basis points."""
MAX_REASON_LENGTH = 40
"""A reason is printed on the receipt under its line: one short line."""
DEFAULT_REASONS = "Hasarlı ürün\nSon kullanma tarihi yakın\nPersonel indirimi\nMüşteri memnuniyeti"
"""The reasons a new shop's till offers, one a line; the shop keeps its own list."""
MAX_REASONS = 12


class DiscountKind(enum.StrEnum):
    PERCENT = "percent"
    """``value`` is basis points of the line's amount (1250 is 12,5 %)."""
    AMOUNT = "amount"
    """``value`` is minor units off the line."""


@dataclass(frozen=True)
class LineDiscount:
    """A discount given on one line, as the cart keeps it."""

    kind: DiscountKind
    value: int
    reason: str

    def amount_for(self, gross_minor: int) -> int:
        """What this discount takes off a line of ``gross_minor``: a percentage rounded
        once, half-up; never more than the line."""
        if self.kind is DiscountKind.PERCENT:
            off = round_half_up(gross_minor * self.value, BASIS_POINTS)
        else:
            off = self.value
        return max(0, min(off, gross_minor))


def stored_discount(kind: str | None, value: int | None, reason: str | None) -> LineDiscount | None:
    """A cart line's discount from its stored columns; None if it has none."""
    if kind is None or value is None:
        return None
    return LineDiscount(DiscountKind(kind), value, reason or "")


def read_kind(kind: object) -> DiscountKind | Code:
    try:
        return DiscountKind(kind) if isinstance(kind, str) else Code.DISCOUNT_KIND_UNKNOWN
    except ValueError:
        return Code.DISCOUNT_KIND_UNKNOWN


def read_scaled(value: object, digits: int) -> int | Code:
    """``value`` as typed, in units of 10**-digits: ``"12,5"`` with 2 digits is 1250.

    Zero, a negative, text that is no number: ``DISCOUNT_NOT_POSITIVE``; more decimals
    than ``digits`` (a fraction of a kuruş): ``DISCOUNT_FRACTIONAL``.
    """
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        return Code.DISCOUNT_NOT_POSITIVE
    if isinstance(value, str):
        raw = value.strip()
        if not raw or len(raw) > 24 or not readable(raw):
            return Code.DISCOUNT_NOT_POSITIVE
        value = raw.replace(",", ".")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Code.DISCOUNT_NOT_POSITIVE
    if not amount.is_finite() or amount <= 0:
        return Code.DISCOUNT_NOT_POSITIVE
    if amount.as_tuple().exponent < -digits:  # type: ignore[operator]
        return Code.DISCOUNT_FRACTIONAL
    return int(amount.scaleb(digits))


def read_reason(reason: object) -> str | Code:
    """The reason tidied to one printable line; why not if it cannot be one."""
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        return Code.DISCOUNT_NEEDS_REASON
    line = clean_line(reason, MAX_REASON_LENGTH)
    return Code.DISCOUNT_REASON_UNPRINTABLE if line is None else line


def read_discount(
    kind: object, value: object, reason: object, *, gross_minor: int, minor_digits: int
) -> LineDiscount | tuple[Code, int]:
    """The discount the cashier typed for a line of ``gross_minor``, checked; or the code
    of its first fault (with the line's amount, which ``DISCOUNT_OVER_LINE`` names)."""
    what = read_kind(kind)
    if isinstance(what, Code):
        return what, gross_minor
    scaled = read_scaled(value, PERCENT_DIGITS if what is DiscountKind.PERCENT else minor_digits)
    if isinstance(scaled, Code):
        return scaled, gross_minor
    if what is DiscountKind.PERCENT and scaled > BASIS_POINTS:
        return Code.DISCOUNT_OVER_100, gross_minor
    if what is DiscountKind.AMOUNT and scaled > gross_minor:
        return Code.DISCOUNT_OVER_LINE, gross_minor
    why = read_reason(reason)
    if isinstance(why, Code):
        return why, gross_minor
    return LineDiscount(what, scaled, why)


def over_limit(discount: LineDiscount, gross_minor: int, limit_bp: int | None) -> bool:
    """Whether ``discount`` on a line of ``gross_minor`` is more than a role's limit
    (basis points of the line; None: no limit): a percentage by itself, an amount by
    its share of the line."""
    if limit_bp is None:
        return False
    if discount.kind is DiscountKind.PERCENT:
        return discount.value > limit_bp
    return discount.amount_for(gross_minor) * BASIS_POINTS > gross_minor * limit_bp


def read_limit(value: object) -> int | None:
    """A role's limit as a manager sets it, in basis points 0..10000; None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= BASIS_POINTS else None
