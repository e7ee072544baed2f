"""How much of a product a scan or a typed quantity rings up: pieces, or the grams of a
weighed product typed, read from the scale or printed in a scale barcode.

Ringing up calls these inside its unit of work; each answers the quantity in the
product's smallest units or the refusal the cashier reads, before anything is written.
"""

from __future__ import annotations

from sqlalchemy import Connection

from pos.domain.money import Money
from pos.domain.policy import ScalePolicy
from pos.domain.pricing import line_amount, round_half_up
from pos.domain.quantities import read_quantity
from pos.domain.results import Code, Err, Refused
from pos.domain.scale_barcodes import Embedded, ScaleCode, read_scale_code
from pos.domain.units import SaleUnit, read_measure
from pos.store.products import ScannedProduct, product_by_scale_code, product_on_sale


def unit_of(value: object) -> SaleUnit:
    """A stored sale unit (the column's check keeps it one of ours)."""
    return SaleUnit(str(value))


def line_quantity(
    name: str, unit: SaleUnit, quantity: object, scale: ScalePolicy, *, allow_zero: bool = False
) -> int:
    """``quantity`` of a product in its smallest units, or refused as the cashier reads it.

    For a piece: a whole number (None: one). For a weighed product: a typed weight in kg
    (``"1,250"``) or grams as an int; None asks for the weight (``WEIGHT_REQUIRED``).
    """
    if not unit.measured:
        # A weight typed for a piece ("1,5") is refused as the seed words it: not whole.
        counted = read_quantity(1 if quantity is None else quantity, allow_zero=allow_zero)
        if isinstance(counted, Err):
            raise Refused.because(counted)
        return counted
    if quantity is None:
        raise Refused(Code.WEIGHT_REQUIRED, name=name)
    if allow_zero and _is_zero(quantity):
        return 0  # a weighed line set to nothing is taken off, as a piece line set to 0
    weighed = read_measure(quantity, unit, scale.max_weight)
    if isinstance(weighed, Err):
        raise Refused.because(weighed)
    return weighed


def _is_zero(quantity: object) -> bool:
    if isinstance(quantity, str):
        text = quantity.strip()
        return bool(text) and text[0].isdigit() and not text.strip("0,.")
    return quantity == 0 and not isinstance(quantity, bool)


def scanned_line(
    connection: Connection, text: str, quantity: object, scale: ScalePolicy
) -> tuple[ScannedProduct, int] | Err:
    """The product a scan names and how much of it: a scale barcode's item and weight
    (or price), else a barcode or SKU with ``quantity``; the refusal if neither."""
    coded = read_scale_code(text, scale.layouts)
    if isinstance(coded, Err):
        return coded
    if coded is not None:
        return _from_scale_code(connection, coded, scale)
    product = product_on_sale(connection, text)
    if product is None:
        return Err(Code.BARCODE_NOT_FOUND, {"code": text[:64]})
    return product, line_quantity(product.name, unit_of(product.sale_unit), quantity, scale)


def _from_scale_code(
    connection: Connection, coded: ScaleCode, scale: ScalePolicy
) -> tuple[ScannedProduct, int] | Err:
    product = product_by_scale_code(connection, coded.item_code)
    if product is None:
        return Err(Code.SCALE_ITEM_UNKNOWN, {"item": coded.item_code})
    unit = unit_of(product.sale_unit)
    if not unit.measured:
        return Err(Code.WEIGHT_ON_PIECE_PRODUCT, {"name": product.name})
    if coded.embeds is Embedded.WEIGHT:
        return product, line_quantity(product.name, unit, coded.value, scale)
    # A price label: the grams its price buys at the shelf price, and that those grams
    # come to the label's price within what the shop allows (a scale with an old price,
    # or a price no whole number of grams makes, is refused).
    if coded.value <= 0 or product.price_minor <= 0:
        return Err(Code.WEIGHT_NOT_POSITIVE)
    grams = round_half_up(coded.value * unit.per_unit, product.price_minor)
    charged = line_amount(product.price_minor, grams, unit.per_unit)
    if grams <= 0 or abs(charged - coded.value) > scale.price_tolerance_minor:
        return Err(
            Code.SCALE_PRICE_DISAGREES,
            {
                "label": Money(coded.value, product.currency),
                "shelf": Money(charged, product.currency),
            },
        )
    return product, line_quantity(product.name, unit, grams, scale)
