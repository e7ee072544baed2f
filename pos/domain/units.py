"""How a product is sold: by the piece, or weighed (kg), poured (litre) or cut (metre).

A quantity is always an integer of the product's smallest unit: pieces, grams,
millilitres or millimetres. Stock, holds, sold and returned quantities are these
integers, so every UPDATE and every invariant of the stock stays exact; only the
screen, the receipt and what the cashier types know about the decimal point.

The rule for a typed weight (``read_measure``): the decimal sign is the comma, as in
Turkish (``1,250`` is one kilo and 250 grams). A dot is read as the decimal sign only
where it cannot be a Turkish thousands separator: ``1.5`` is 1,5 kg, but ``1.250`` could
be either and is refused, never guessed at. At most three decimals (a gram).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import format_decimal

from pos.domain.quantities import MAX_QUANTITY, parse_delta, parse_quantity
from pos.domain.results import Code, Err

DECIMALS = 3
"""A weighed, poured or cut quantity has three decimals: grams, millilitres, millimetres."""


class SaleUnit(enum.StrEnum):
    """What a product's price is per, and what its quantities count."""

    PIECE = "piece"
    KG = "kg"
    LITRE = "l"
    METRE = "m"

    @property
    def per_unit(self) -> int:
        """Smallest units in one priced unit: 1 for a piece, 1000 for the others."""
        return 1 if self is SaleUnit.PIECE else 10**DECIMALS

    @property
    def measured(self) -> bool:
        """Sold by weight, volume or length: its quantity is typed, read or scanned."""
        return self is not SaleUnit.PIECE

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {SaleUnit.PIECE: "", SaleUnit.KG: "kg", SaleUnit.LITRE: "L", SaleUnit.METRE: "m"}


def sale_unit(value: object) -> SaleUnit | None:
    """The sale unit ``value`` names (``kg``, ``piece``, ``adet``, ``l``...), or None."""
    if isinstance(value, SaleUnit):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().casefold()
    return _UNIT_NAMES.get(text)


_UNIT_NAMES = {
    "": SaleUnit.PIECE,
    "piece": SaleUnit.PIECE,
    "adet": SaleUnit.PIECE,
    "kg": SaleUnit.KG,
    "l": SaleUnit.LITRE,
    "lt": SaleUnit.LITRE,
    "litre": SaleUnit.LITRE,
    "m": SaleUnit.METRE,
    "metre": SaleUnit.METRE,
}


@dataclass(frozen=True)
class Measure:
    """A quantity of a product as the cashier reads it: ``1,250 kg``, or ``3`` pieces."""

    quantity: int
    """In the unit's smallest units."""
    unit: SaleUnit = SaleUnit.PIECE

    def text(self, locale: str) -> str:
        return format_quantity(self.quantity, self.unit, locale)


def format_quantity(quantity: int, unit: SaleUnit, locale: str, *, symbol: bool = True) -> str:
    """``3`` for three pieces; ``1,250 kg`` for 1250 grams in Turkish (``1.250 kg`` in
    English): always three decimals, so a weight never reads as a count."""
    return _format_quantity(quantity, unit, locale, symbol)


@lru_cache(maxsize=4096)
def _format_quantity(quantity: int, unit: SaleUnit, locale: str, symbol: bool) -> str:
    """Remembered, like money: the cart's table asks at every paint."""
    if not unit.measured:
        return format_decimal(quantity, locale=locale)
    whole, part = divmod(quantity, unit.per_unit)
    number = format_decimal(whole, locale=locale, group_separator=False)
    decimal = "." if locale.startswith("en") else ","
    text = f"{number}{decimal}{part:0{DECIMALS}d}"
    return f"{text} {unit.symbol}" if symbol else text


_MEASURE = re.compile(r"(?P<sign>[-+]?)(?P<whole>[0-9]{0,6})(?:(?P<sep>[,.])(?P<part>[0-9]*))?")


def read_measure(
    value: object, unit: SaleUnit, maximum: int, *, allow_zero: bool = False
) -> int | Err:
    """The smallest units of ``unit`` that ``value`` stands for, or why it is not one.

    A string is what the cashier typed, in the priced unit (``1,250`` kg is 1250 g); an
    int is already in smallest units (a scale's or a barcode's reading). Refused: zero
    or less, more than ``maximum`` smallest units (the scale's capacity), more than three
    decimals, a dot that could be a thousands separator, anything not a number.
    ``allow_zero`` takes a zero (``0``, ``0,``): none of a line comes back.
    """
    if isinstance(value, bool):
        return Err(Code.WEIGHT_NOT_A_NUMBER)
    if isinstance(value, int):
        quantity = value
    elif isinstance(value, str):
        match = _MEASURE.fullmatch(value.strip())
        if match is None or not (match["whole"] or match["part"]):
            return Err(Code.WEIGHT_NOT_A_NUMBER)
        part = match["part"] or ""
        if match["sep"] == "." and len(part) == DECIMALS:
            return Err(Code.WEIGHT_AMBIGUOUS, {"typed": value.strip()[:16]})
        if len(part) > DECIMALS:
            return Err(Code.WEIGHT_TOO_PRECISE)
        quantity = int(match["whole"] or "0") * unit.per_unit
        quantity += int(part.ljust(DECIMALS, "0")) if part else 0
        if match["sign"] == "-":
            quantity = -quantity
    else:
        return Err(Code.WEIGHT_NOT_A_NUMBER)
    if quantity == 0 and allow_zero:
        return 0
    if quantity <= 0:
        return Err(Code.WEIGHT_NOT_POSITIVE)
    if quantity > maximum:
        return Err(Code.WEIGHT_OVER_MAXIMUM, {"maximum": Measure(maximum, unit)})
    return quantity


def read_stock_quantity(
    value: object, unit: SaleUnit, *, signed: bool = False, allow_zero: bool = False
) -> int | Err:
    """What a manager typed for a product's stock, in its smallest units, or why not.

    Pieces are whole numbers as ever (``parse_quantity``, or ``parse_delta`` when
    ``signed``). A weighed (poured, cut) product's quantity is read as the till reads a
    weight (``read_measure``): ``12,5`` kg is 12 500 g, an int is grams already; ``signed``
    takes a leading minus (``-0,5`` takes half a kilo off) or a plus.
    """
    if not unit.measured:
        whole = parse_delta(value) if signed else parse_quantity(value, allow_zero=allow_zero)
        return Err(Code.INVALID_QUANTITY) if whole is None else whole
    sign = 1
    if signed and isinstance(value, str) and value.strip()[:1] in ("-", "+"):
        sign, value = (-1 if value.strip()[0] == "-" else 1), value.strip()[1:]
    elif signed and isinstance(value, int) and not isinstance(value, bool) and value < 0:
        sign, value = -1, -value
    read = read_measure(value, unit, MAX_QUANTITY, allow_zero=allow_zero and not signed)
    if isinstance(read, Err):
        if read.code is Code.WEIGHT_OVER_MAXIMUM:
            return Err(Code.WEIGHT_TOO_LARGE, read.params)
        return read
    return sign * read
