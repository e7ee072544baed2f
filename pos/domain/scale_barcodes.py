"""Scale barcodes: EAN-13 codes a shop's own scale prints, with the item and its weight
or price in the digits.

GS1 leaves the prefixes 20-29 to each shop. A layout says which prefix a shop's scale
prints, how many digits of item code follow (the scale's PLU number, the product's
``scale_code``), and whether the five or so digits after it are the weight (grams, three
decimals of a kg) or the price (kuruş, two decimals). The last digit is the EAN-13
check digit, which is always checked: a misread code is refused, never sold.

The presets are the layouts Turkish shop scales (CAS, Dibal, Bizerba, Tunaylar) are most
often set up with: ``27`` + five digits of item + five of weight, ``28`` the same, ``29`` +
five of item + five of price (up to ₺999,99).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from pos.domain.results import Code, Err


class Embedded(enum.StrEnum):
    """What a scale barcode's value digits are."""

    WEIGHT = "weight"
    PRICE = "price"


EAN13_LENGTH = 13


@dataclass(frozen=True)
class ScaleLayout:
    """One shape of scale barcode: ``prefix`` + item code + value + check digit."""

    prefix: str
    item_digits: int
    embeds: Embedded
    decimals: int = 3
    """Weight: 3 (the value is grams); price: 2 (the value is kuruş)."""

    def __post_init__(self) -> None:
        if not (
            len(self.prefix) == 2
            and self.prefix.isdigit()
            and self.prefix.isascii()
            and 20 <= int(self.prefix) <= 29
        ):
            raise ValueError("a scale barcode's prefix is two digits from 20 to 29")
        if not 4 <= self.item_digits <= 6:
            raise ValueError("a scale barcode's item code has 4 to 6 digits")
        if self.decimals != (3 if self.embeds is Embedded.WEIGHT else 2):
            raise ValueError("a weight has three decimals (grams), a price two (kuruş)")

    @property
    def value_digits(self) -> int:
        return EAN13_LENGTH - 1 - len(self.prefix) - self.item_digits


PRESETS: dict[str, ScaleLayout] = {
    "27-weight": ScaleLayout("27", 5, Embedded.WEIGHT, 3),
    "28-weight": ScaleLayout("28", 5, Embedded.WEIGHT, 3),
    "29-price": ScaleLayout("29", 5, Embedded.PRICE, 2),
    "20-price": ScaleLayout("20", 5, Embedded.PRICE, 2),
    "21-weight-4": ScaleLayout("21", 4, Embedded.WEIGHT, 3),
}
"""Layouts by name, for the settings' ``[scale] layouts``."""

DEFAULT_LAYOUTS = (PRESETS["27-weight"], PRESETS["29-price"])


@dataclass(frozen=True)
class ScaleCode:
    """What a scale barcode says: an item code and a weight (grams) or a price (kuruş)."""

    item_code: str
    embeds: Embedded
    value: int


def ean13_check_digit(first_twelve: str) -> int:
    """The EAN-13 check digit of twelve digits: weights 1, 3 from the left."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return (10 - total % 10) % 10


def read_scale_code(code: str, layouts: Sequence[ScaleLayout]) -> ScaleCode | Err | None:
    """The item and value a scale barcode holds; None if ``code`` is no scale barcode of
    the shop's layouts (it is then looked up as any barcode); refused with its wrong check
    digit named if the scanner misread it."""
    if len(code) != EAN13_LENGTH or not (code.isdigit() and code.isascii()):
        return None
    layout = next((each for each in layouts if code.startswith(each.prefix)), None)
    if layout is None:
        return None
    if ean13_check_digit(code[:12]) != int(code[12]):
        return Err(Code.SCALE_BARCODE_CHECK_DIGIT, {"code": code})
    start = len(layout.prefix)
    item = code[start : start + layout.item_digits]
    value = int(code[start + layout.item_digits : 12])
    return ScaleCode(item.lstrip("0") or "0", layout.embeds, value)


def scale_barcode(layout: ScaleLayout, item_code: str, value: int) -> str:
    """The barcode a scale prints for ``item_code`` with ``value`` (grams or kuruş)."""
    body = f"{layout.prefix}{int(item_code):0{layout.item_digits}d}{value:0{layout.value_digits}d}"
    if len(body) != EAN13_LENGTH - 1:
        raise ValueError("the item code or the value has too many digits for the layout")
    return body + str(ean13_check_digit(body))


def normal_scale_code(value: object) -> str | None:
    """A product's scale item code as stored: digits without leading zeros, or None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if not (text.isdigit() and text.isascii()) or len(text) > 6:
        raise ValueError("a scale item code is 1 to 6 digits")
    return text.lstrip("0") or "0"
