"""The back office's product list: pages of a million products by key, never by offset,
searched by barcode, SKU prefix or name words. Search texts are typed ``object``,
checked at run time: they are typed by the manager."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    func,
    or_,
    select,
)

from pos.domain.catalogue import (
    MAX_SEARCH_WORDS,
    MAX_WORD_LENGTH,
    clean_barcode,
    clean_sku,
    search_words,
)
from pos.domain.results import Code, Ok, Refused, Result
from pos.domain.text import readable
from pos.services._support import is_id, use_case
from pos.services.catalogue import LIST_LIMIT, MAX_LIST_LIMIT, MAX_QUERY_LENGTH
from pos.services.name_search import name_hits, prefix_match
from pos.services.users import acting_user
from pos.store.models import (
    DEFAULT_LOCATION_ID,
    ProductWord,
    Role,
    table_of,
)
from pos.store.tables import inventory, products
from pos.store.uow import UnitOfWork

product_words = table_of(ProductWord)


@dataclass(frozen=True)
class ProductRow:
    """A product as the back office lists it, with its stock on the shop floor."""

    id: int
    sku: str
    barcode: str | None
    name: str
    price_minor: int
    currency: str
    tax_rate_bp: int
    active: bool
    min_stock: int
    on_hand: int
    """Units in the shop: free to sell plus held for carts at the tills."""
    sale_unit: str = "piece"
    """``piece``, or ``kg``/``l``/``m``: then ``on_hand`` and ``min_stock`` are grams/ml/mm."""
    scale_code: str | None = None


@dataclass(frozen=True)
class ProductCursor:
    """Where a page of ``list_products`` ended; handed back as ``after`` for the next."""

    query: str
    phase: int
    sku: str = ""
    word: str = ""
    product_id: int = 0


@dataclass(frozen=True)
class ProductPage:
    rows: tuple[ProductRow, ...]
    next: ProductCursor | None
    """None on the last page."""


_BARCODE, _SKU, _NAME = 0, 1, 2
"""The parts of a search's answer, in the order they are listed: the product with that
barcode, the products whose SKU starts with it, the products with name words like it."""


@use_case
def list_products(
    uow: UnitOfWork,
    *,
    manager_id: int,
    query: object = "",
    after: ProductCursor | None = None,
    limit: int = LIST_LIMIT,
    include_inactive: bool = True,
) -> Result[ProductPage]:
    """A page of the catalogue for a manager: all products by SKU, or those a search finds.

    Pages follow each other by key (the cursor of the last row shown), never by
    offset, so the thousandth page costs what the first does. A search lists the
    product whose barcode is the text, then those whose SKU starts with it (as typed),
    then those with name words starting with its words, each product once.
    """
    if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH or not readable(query):
        raise Refused(Code.INVALID_FILTER)
    if not isinstance(limit, int) or not is_id(limit) or limit > MAX_LIST_LIMIT:
        raise Refused(Code.INVALID_FILTER)
    if not isinstance(include_inactive, bool):
        raise Refused(Code.INVALID_FILTER)
    text = query.strip()
    phases = _phases(text)
    if after is not None and not _cursor_fits(after, text, phases):
        raise Refused(Code.INVALID_FILTER)
    cursor = after if isinstance(after, ProductCursor) else None
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        found: list[tuple[ProductRow, ProductCursor]] = []
        for phase in phases:
            if cursor is not None and phase < cursor.phase:
                continue
            start = cursor if cursor is not None and cursor.phase == phase else None
            wanted = limit + 1 - len(found)  # one more than the page: is there a next?
            found += _listed(uow.connection, text, phase, start, wanted, include_inactive)
            if len(found) > limit:
                break
    rows = tuple(row for row, _ in found[:limit])
    following = found[limit - 1][1] if len(found) > limit else None
    return Ok(ProductPage(rows, following))


def _phases(text: str) -> tuple[int, ...]:
    if not text:
        return (_SKU,)
    phases = []
    if clean_barcode(text) is not None:
        phases.append(_BARCODE)
    if clean_sku(text) == text:
        phases.append(_SKU)
    if search_words(text):
        phases.append(_NAME)
    return tuple(phases)


def _cursor_fits(cursor: object, text: str, phases: tuple[int, ...]) -> bool:
    """A cursor this list gave out for this very search (anything else is refused)."""
    return (
        isinstance(cursor, ProductCursor)
        and cursor.query == text
        and cursor.phase in phases
        and isinstance(cursor.sku, str)
        and len(cursor.sku) <= 64
        and isinstance(cursor.word, str)
        and len(cursor.word) <= MAX_WORD_LENGTH
        and isinstance(cursor.product_id, int)
        and 0 <= cursor.product_id < 2**31
    )


def _listing() -> Select[Any]:
    on_hand = func.coalesce(inventory.c.available + inventory.c.reserved, 0)
    return select(
        products.c.id,
        products.c.sku,
        products.c.barcode,
        products.c.name,
        products.c.price_minor,
        products.c.currency,
        products.c.tax_rate_bp,
        products.c.active,
        products.c.min_stock,
        on_hand.label("on_hand"),
        products.c.sale_unit,
        products.c.scale_code,
    )


def _on_hand_join(left: Any) -> Any:
    return left.outerjoin(
        inventory,
        and_(
            inventory.c.product_id == products.c.id,
            inventory.c.location_id == DEFAULT_LOCATION_ID,
        ),
    )


def _listed(
    connection: Connection,
    text: str,
    phase: int,
    start: ProductCursor | None,
    wanted: int,
    include_inactive: bool,
) -> list[tuple[ProductRow, ProductCursor]]:
    """Up to ``wanted`` rows of one part of the list, after ``start`` (a cursor in it)."""
    # A product listed as the barcode's is left out of the later parts.
    barcode = clean_barcode(text) if _BARCODE in _phases(text) else None
    if phase == _NAME:
        return _named(connection, text, start, wanted, include_inactive, barcode)
    query = _listing().select_from(_on_hand_join(products))
    if not include_inactive:
        query = query.where(products.c.active.is_(True))
    if phase == _BARCODE:
        if start is not None:
            return []
        rows = connection.execute(query.where(products.c.barcode == barcode))
        return [(_row(row), ProductCursor(text, phase, product_id=row.id)) for row in rows]
    if text:
        query = query.where(prefix_match(products.c.sku, text))
    if barcode is not None:
        query = query.where(or_(products.c.barcode.is_(None), products.c.barcode != barcode))
    if start is not None:
        query = query.where(products.c.sku > start.sku)
    rows = connection.execute(query.order_by(products.c.sku).limit(wanted))
    return [(_row(row), ProductCursor(text, phase, sku=row.sku)) for row in rows]


def _named(
    connection: Connection,
    text: str,
    start: ProductCursor | None,
    wanted: int,
    include_inactive: bool,
    barcode: str | None,
) -> list[tuple[ProductRow, ProductCursor]]:
    """The name part: products with a word starting with each typed word, in the order
    ``pos.services.name_search`` finds them (by key, so a page follows the last one
    shown), less those listed in an earlier part."""
    words = search_words(text)[:MAX_SEARCH_WORDS]
    sku_prefix = text if _SKU in _phases(text) else None
    after = (start.word, start.product_id) if start is not None else None
    found: list[tuple[ProductRow, ProductCursor]] = []
    while len(found) < wanted:
        # A few more than wanted: some may be left out below.
        step = wanted + 10
        hits = name_hits(
            connection, words, wanted=step, after=after, active_only=not include_inactive
        )
        if not hits:
            break
        rows = {
            row.id: row
            for row in connection.execute(
                _listing()
                .select_from(_on_hand_join(products))
                .where(products.c.id.in_([product_id for _, product_id in hits]))
            )
        }
        for hit_word, product_id in hits:
            row = rows[product_id]
            if barcode is not None and row.barcode == barcode:
                continue  # listed first, as the barcode's product
            if sku_prefix is not None and row.sku.startswith(sku_prefix):
                continue  # listed among the SKUs
            found.append((_row(row), ProductCursor(text, _NAME, word=hit_word, product_id=row.id)))
            if len(found) == wanted:
                break
        if len(hits) < step:
            break
        after = hits[-1]
    return found


def _row(row: Any) -> ProductRow:
    return ProductRow(
        id=row.id,
        sku=row.sku,
        barcode=row.barcode,
        name=row.name,
        price_minor=row.price_minor,
        currency=row.currency,
        tax_rate_bp=row.tax_rate_bp,
        active=row.active,
        min_stock=row.min_stock,
        on_hand=int(row.on_hand),
        sale_unit=row.sale_unit,
        scale_code=row.scale_code,
    )


# -- shared by the use cases ----------------------------------------------------------
