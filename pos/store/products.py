"""The product a till's scan names, read on the hot path.

Ringing up a barcode looks the product up and adds it in one transaction: the lookup
is a prepared statement on the unit of work's connection, like the add, and returns a
typed row, so no use case handles the driver's rows.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, bindparam, select

from pos.domain.catalogue import clean_barcode
from pos.store.prepared import Prepared
from pos.store.tables import products


class ScannedProduct(NamedTuple):
    """A product as the till rings it up (active or not: the caller decides)."""

    # The first five are what ringing up reads, in the order of a lookup by id.
    id: int
    active: bool
    currency: str
    price_minor: int
    tax_rate_bp: int
    sku: str
    barcode: str | None
    name: str
    sale_unit: str
    scale_code: str | None


_COLUMNS = (
    products.c.id,
    products.c.active,
    products.c.currency,
    products.c.price_minor,
    products.c.tax_rate_bp,
    products.c.sku,
    products.c.barcode,
    products.c.name,
    products.c.sale_unit,
    products.c.scale_code,
)
_BY_BARCODE = Prepared(
    select(*_COLUMNS).where(products.c.barcode == bindparam("b_barcode")), ScannedProduct
)
_BY_SKU = Prepared(select(*_COLUMNS).where(products.c.sku == bindparam("b_sku")), ScannedProduct)
_BY_SCALE_CODE = Prepared(
    select(*_COLUMNS).where(products.c.scale_code == bindparam("b_item")), ScannedProduct
)


def product_by_scale_code(connection: Connection, item_code: str) -> ScannedProduct | None:
    """The active product a scale barcode's item code names, or None."""
    found = _BY_SCALE_CODE.first(connection, {"b_item": item_code})
    return found if found is not None and found.active else None


def product_on_sale(connection: Connection, code: str) -> ScannedProduct | None:
    """The active product whose barcode (a valid one) or else SKU is ``code``: a
    barcode first, as the scanner reads it, then what the keypad typed."""
    barcode = clean_barcode(code)
    found = _BY_BARCODE.first(connection, {"b_barcode": barcode}) if barcode is not None else None
    if found is None:
        found = _BY_SKU.first(connection, {"b_sku": code})
    return found if found is not None and found.active else None
