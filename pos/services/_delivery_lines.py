"""What the lines of a delivery name: a product by its id, or the barcode or SKU printed
on the delivery note (a barcode first, as at the till, then a SKU), and each product's
unit, which says how its quantity reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.domain.catalogue import clean_barcode
from pos.domain.text import trimmed
from pos.domain.units import SaleUnit
from pos.services._support import is_id
from pos.store.models import Product

MAX_CODE_LENGTH = 64


def product_key(ref: object) -> int | str | None:
    """What a delivery line names: a product id, or a code as typed (trimmed)."""
    if is_id(ref):
        assert isinstance(ref, int)
        return ref
    # Control characters never name a product (and a NUL would upset PostgreSQL).
    code = trimmed(ref)
    if code is not None and 0 < len(code) <= MAX_CODE_LENGTH:
        return code
    return None


def known_products(session: Session, lines: Sequence[object]) -> dict[int | str, int]:
    """The products the lines name that exist: id or code -> product id.

    A code is a barcode first, as at the till, then a SKU.
    """
    ids: set[int] = set()
    codes: set[str] = set()
    for line in lines:
        if isinstance(line, list | tuple) and len(line) == 2:
            key = product_key(line[0])
            if isinstance(key, int):
                ids.add(key)
            elif isinstance(key, str):
                codes.add(key)
    known: dict[int | str, int] = {}
    if ids:
        found = session.execute(select(Product.id).where(Product.id.in_(ids))).scalars()
        known.update({product: product for product in found})
    if codes:
        by_barcode: dict[str, list[str]] = defaultdict(list)
        for code in codes:
            barcode = clean_barcode(code)
            if barcode is not None:
                by_barcode[barcode].append(code)
        for barcode, product in session.execute(
            select(Product.barcode, Product.id).where(Product.barcode.in_(by_barcode))
        ):
            known.update({code: product for code in by_barcode[barcode or ""]})
        for sku, product in session.execute(
            select(Product.sku, Product.id).where(Product.sku.in_(codes))
        ):
            known.setdefault(sku, product)
    return known


def units_of(session: Session, products: Iterable[int]) -> dict[int, SaleUnit]:
    """How each product's quantities read: pieces, or kg typed and grams kept."""
    rows = session.execute(
        select(Product.id, Product.sale_unit).where(Product.id.in_(set(products)))
    )
    return {product: SaleUnit(unit) for product, unit in rows}
