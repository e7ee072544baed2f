"""What a sale costs: line totals, the coupon's discount spread over the lines, tax per rate.

Everything is integer minor units. The one rounding rule of the shop is
:func:`round_half_up`; it is applied once per tax rate, once to a coupon's percentage
and once to each line's own percentage discount, so a receipt's figures always add up.

Discounts combine by one rule (``pos.domain.discounts``): each line's own discount
first, then the coupon on what the lines come to after them, then the tax on what is
left after both.

Two ways to read a shelf price, chosen per store:

- tax-inclusive (the default, and what Turkish shops print on the shelf): the line
  totals are what the customer pays and the tax is the part of them that is KDV;
- tax-exclusive: the line totals are net and the tax is added on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

BASIS_POINTS = 10_000
"""Rates are basis points: 2000 is 20 %."""


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` to the nearest integer, halves away from zero.

    The shop's only rounding rule. Integers throughout, so no float or Decimal
    context can change an answer.
    """
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def allocate(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split ``amount`` over ``weights`` in proportion, by largest remainder.

    The shares add up to ``amount`` exactly. Each share is the floor of its exact
    part, and the units left over go to the largest fractional parts (earlier
    weights first on a tie). With ``0 <= amount <= sum(weights)`` no share exceeds
    its weight.
    """
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amount and weights must not be negative")
    total = sum(weights)
    if total == 0:
        if amount:
            raise ValueError("cannot spread an amount over nothing")
        return tuple(0 for _ in weights)
    exact = [divmod(amount * w, total) for w in weights]
    shares = [floor for floor, _ in exact]
    left = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-exact[i][1], i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return tuple(shares)


def line_amount(unit_price_minor: int, quantity: int, per_unit: int = 1) -> int:
    """What ``quantity`` smallest units cost at ``unit_price_minor`` per priced unit.

    ``per_unit`` is how many smallest units the price is for: 1 for a piece, 1000 for a
    price per kg with the quantity in grams. Rounded once, half up: 1,250 kg at ₺34,90
    is 4362,5 kuruş, so ₺43,63. Every line amount of the shop is this function's.
    """
    return round_half_up(unit_price_minor * quantity, per_unit)


@dataclass(frozen=True)
class PriceLine:
    """One line to price: ``quantity`` smallest units at ``unit_price_minor`` per
    ``per_unit`` of them (a piece, or a kg of 1000 grams)."""

    unit_price_minor: int
    quantity: int
    tax_rate_bp: int
    _: KW_ONLY
    per_unit: int = 1
    line_discount_minor: int = 0
    """This line's own discount, already worked out (``LineDiscount.amount_for``)."""


@dataclass(frozen=True)
class PricedLine:
    unit_price_minor: int
    quantity: int
    tax_rate_bp: int
    gross_minor: int
    """Unit price times quantity (:func:`line_amount`), before the discount."""
    discount_minor: int
    """Everything off this line: its own discount and its share of the coupon's."""
    total_minor: int
    """``gross_minor - discount_minor``: with tax in tax-inclusive mode, net otherwise."""
    line_discount_minor: int = 0
    """The part of ``discount_minor`` that is the line's own discount."""


@dataclass(frozen=True)
class TaxLine:
    """The tax at one rate: ``base_minor`` is the net amount it is charged on."""

    rate_bp: int
    base_minor: int
    tax_minor: int


@dataclass(frozen=True)
class Quote:
    """A whole sale's figures, the same on the screen, in the order and on the receipt."""

    lines: tuple[PricedLine, ...]
    prices_include_tax: bool
    subtotal_minor: int
    discount_minor: int
    """Every discount of the sale: the lines' own and the coupon's."""
    taxes: tuple[TaxLine, ...]
    tax_minor: int
    total_minor: int
    """What the customer pays."""
    line_discount_minor: int = 0
    """The part of ``discount_minor`` given on lines, one by one."""

    @property
    def coupon_discount_minor(self) -> int:
        return self.discount_minor - self.line_discount_minor


def quote(
    lines: Sequence[PriceLine], *, discount_minor: int = 0, prices_include_tax: bool = True
) -> Quote:
    """Price a sale: each line's own discount first, then the coupon's ``discount_minor``
    (capped at what the lines come to after theirs) spread over what is left of them,
    then the tax on the rest."""
    for line in lines:
        if line.unit_price_minor < 0 or line.quantity < 0 or line.per_unit < 1:
            raise ValueError("prices and quantities must not be negative")
        if not 0 <= line.tax_rate_bp <= BASIS_POINTS:
            raise ValueError("tax rates lie between 0 and 100 %")
    gross = [line_amount(line.unit_price_minor, line.quantity, line.per_unit) for line in lines]
    if any(not 0 <= line.line_discount_minor <= g for line, g in zip(lines, gross, strict=True)):
        raise ValueError("a line's own discount lies between zero and the line")
    left = [g - line.line_discount_minor for line, g in zip(lines, gross, strict=True)]
    subtotal = sum(gross)
    discount = min(max(discount_minor, 0), sum(left))
    shares = allocate(discount, left) if discount else (0,) * len(gross)
    priced = tuple(
        PricedLine(
            unit_price_minor=line.unit_price_minor,
            quantity=line.quantity,
            tax_rate_bp=line.tax_rate_bp,
            gross_minor=g,
            discount_minor=line.line_discount_minor + share,
            total_minor=rest - share,
            line_discount_minor=line.line_discount_minor,
        )
        for line, g, rest, share in zip(lines, gross, left, shares, strict=True)
    )
    line_discount = subtotal - sum(left)
    per_rate: dict[int, int] = {}
    for priced_line in priced:
        rate = priced_line.tax_rate_bp
        per_rate[rate] = per_rate.get(rate, 0) + priced_line.total_minor
    taxes = tuple(
        _tax_at(rate, amount, prices_include_tax) for rate, amount in sorted(per_rate.items())
    )
    tax = sum(t.tax_minor for t in taxes)
    lines_total = subtotal - line_discount - discount
    return Quote(
        lines=priced,
        prices_include_tax=prices_include_tax,
        subtotal_minor=subtotal,
        discount_minor=line_discount + discount,
        line_discount_minor=line_discount,
        taxes=taxes,
        tax_minor=tax,
        total_minor=lines_total if prices_include_tax else lines_total + tax,
    )


def _tax_at(rate_bp: int, amount: int, prices_include_tax: bool) -> TaxLine:
    if prices_include_tax:
        # amount = base * (1 + rate): the tax is the rate's share of the gross.
        tax = round_half_up(amount * rate_bp, BASIS_POINTS + rate_bp)
        return TaxLine(rate_bp, amount - tax, tax)
    return TaxLine(rate_bp, amount, round_half_up(amount * rate_bp, BASIS_POINTS))


def line_amounts_paid(
    lines: Sequence[tuple[int, int]], *, prices_include_tax: bool
) -> tuple[int, ...]:
    """What the customer paid for each line of a sale, from its lines as stored: each
    ``(total_minor, tax_rate_bp)``, the total after the line's share of the discount.

    Tax-inclusive, that is the line's total. Tax-exclusive, the line's total plus its
    share of its rate's tax: the tax rounded once per rate, as :func:`quote` did, then
    spread over the rate's lines by :func:`allocate`. Either way they add up to the
    sale's ``total_minor`` exactly, so a return can give back every kuruş and no more.
    """
    if prices_include_tax:
        return tuple(total for total, _rate in lines)
    per_rate: dict[int, list[int]] = {}
    for index, (_total, rate) in enumerate(lines):
        per_rate.setdefault(rate, []).append(index)
    paid = [total for total, _rate in lines]
    for rate, indices in per_rate.items():
        bases = [lines[i][0] for i in indices]
        tax = _tax_at(rate, sum(bases), prices_include_tax=False).tax_minor
        for i, share in zip(indices, allocate(tax, bases), strict=True):
            paid[i] += share
    return tuple(paid)
