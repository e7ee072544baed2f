"""The catalogue: products, their codes, and finding them fast among a million. Codes
and search texts are typed ``object``, checked at run time: they are scanned or typed."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pos.domain.catalogue import (
    DEFAULT_TAX_RATE_BP,
    MAX_SEARCH_WORDS,
    clean_barcode,
    clean_name,
    clean_sku,
    search_words,
    valid_tax_rate,
)
from pos.domain.money import (
    DEFAULT_CURRENCY,
    MAX_PRICE_MINOR,
    is_currency,
)
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.scale_barcodes import normal_scale_code
from pos.domain.text import readable, trimmed
from pos.domain.units import SaleUnit, sale_unit
from pos.services._support import audit, product_or_refuse, use_case
from pos.services.name_search import name_hits
from pos.services.users import acting_user
from pos.store.models import (
    DEFAULT_LOCATION_ID,
    Product,
    ProductWord,
    Role,
    table_of,
)
from pos.store.products import ScannedProduct, product_on_sale
from pos.store.tables import inventory, products
from pos.store.uow import UnitOfWork

SEARCH_LIMIT = 50

LIST_LIMIT = 50
MAX_LIST_LIMIT = 200
MAX_QUERY_LENGTH = 200

product_words = table_of(ProductWord)


@dataclass(frozen=True)
class ProductDraft:
    """What a manager types, or a CSV row says, about a product."""

    sku: str
    name: str
    price_minor: int
    barcode: str | None = None
    tax_rate_bp: int = DEFAULT_TAX_RATE_BP
    currency: str = DEFAULT_CURRENCY
    active: bool | None = None
    """None: a new product goes on sale and an existing one keeps its state."""
    sale_unit: object = None
    """``piece``, ``kg``, ``l`` or ``m``; None: a new product is sold by the piece and an
    existing one keeps its unit."""
    scale_code: object = None
    """The item code the shop's scale prints (digits); blank: none; None: a new product has
    none and an existing one keeps its own."""


@dataclass(frozen=True)
class ProductView:
    id: int
    sku: str
    barcode: str | None
    name: str
    price_minor: int
    currency: str
    tax_rate_bp: int
    active: bool
    sale_unit: str = SaleUnit.PIECE.value
    scale_code: str | None = None


def validate_draft(draft: ProductDraft) -> ProductDraft | Err:
    """The draft with its fields cleaned, or the first thing wrong with it."""
    sku = clean_sku(draft.sku)
    if sku is None:
        return Err(Code.INVALID_SKU)
    name = clean_name(draft.name)
    if name is None:
        return Err(Code.INVALID_NAME)
    barcode = None
    blank = isinstance(draft.barcode, str) and draft.barcode.strip(" ") == ""
    if draft.barcode is not None and not blank:
        barcode = clean_barcode(draft.barcode)
        if barcode is None:
            return Err(Code.INVALID_BARCODE)
    price = draft.price_minor
    if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= MAX_PRICE_MINOR:
        return Err(Code.INVALID_PRICE)
    tax_rate = valid_tax_rate(draft.tax_rate_bp)
    if tax_rate is None:
        return Err(Code.INVALID_TAX_RATE)
    if not is_currency(draft.currency):
        return Err(Code.INVALID_CURRENCY)
    if draft.active is not None and not isinstance(draft.active, bool):
        return Err(Code.INVALID_ACTIVE_FLAG)
    unit = sale_unit(draft.sale_unit) if draft.sale_unit is not None else None
    if draft.sale_unit is not None and unit is None:
        return Err(Code.INVALID_SALE_UNIT)
    try:
        scale_code = None if draft.scale_code is None else normal_scale_code(draft.scale_code) or ""
    except ValueError:
        return Err(Code.INVALID_SCALE_CODE)
    return replace(
        draft,
        sku=sku,
        name=name,
        barcode=barcode,
        tax_rate_bp=tax_rate,
        sale_unit=unit.value if unit else None,
        scale_code=scale_code,
    )


# -- one product at a time ------------------------------------------------------------
#
# ``user_id`` is the manager at the back office; None is the store itself (the demo
# loader, the ``pos`` command), which answers to whoever runs it.


@use_case
def create_product(
    uow: UnitOfWork, draft: ProductDraft, *, user_id: int | None = None
) -> Result[ProductView]:
    clean = _valid(draft)
    with uow:
        refuse_unless_manager(uow.session, user_id)
        view = _insert(uow, clean)
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action="product.create",
            entity="product",
            entity_id=view.id,
            after=_fields(view),
        )
        uow.commit()
    return Ok(view, Changed.CATALOGUE)


@use_case
def update_product(
    uow: UnitOfWork, product_id: int, draft: ProductDraft, *, user_id: int | None = None
) -> Result[ProductView]:
    """Replace a product's SKU, barcode, name, price and tax rate with the draft's (and
    put it on or off sale if the draft says so)."""
    clean = _valid(draft)
    with uow:
        refuse_unless_manager(uow.session, user_id)
        before = _view(product_or_refuse(uow.session, product_id))
        _refuse_duplicates(uow.connection, clean, before.id)
        after = _apply(uow, before, clean)
        if after == before:
            return Ok(after)
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action="product.update",
            entity="product",
            entity_id=after.id,
            before=_changed_fields(before, after, old=True),
            after=_changed_fields(before, after, old=False),
        )
        uow.commit()
    return Ok(after, Changed.CATALOGUE)


@use_case
def deactivate_product(
    uow: UnitOfWork, product_id: int, *, user_id: int | None = None
) -> Result[ProductView]:
    """Stop selling a product; it stays for history and can be found again by a manager."""
    return _set_active(uow, product_id, False, user_id)


@use_case
def reactivate_product(
    uow: UnitOfWork, product_id: int, *, user_id: int | None = None
) -> Result[ProductView]:
    """Put a deactivated product on sale again."""
    return _set_active(uow, product_id, True, user_id)


def _set_active(
    uow: UnitOfWork, product_id: int, active: bool, user_id: int | None
) -> Result[ProductView]:
    with uow:
        refuse_unless_manager(uow.session, user_id)
        product = product_or_refuse(uow.session, product_id)
        if product.active is not active:
            product.active = active
            product.updated_at = uow.now()
            audit(
                uow.session,
                at=uow.now(),
                user_id=user_id,
                action="product.reactivate" if active else "product.deactivate",
                entity="product",
                entity_id=product.id,
                before={"active": not active},
                after={"active": active},
            )
        view = _view(product)
        uow.commit()
    return Ok(view, Changed.CATALOGUE)


@use_case
def find_product(uow: UnitOfWork, code: object) -> Result[ProductView]:
    """The active product whose barcode or SKU is ``code`` (what the scanner or keypad sent)."""
    text = scanned_code(code)
    if text is None:
        raise Refused(Code.PRODUCT_UNAVAILABLE)
    with uow.reading():
        found = product_on_sale(uow.connection, text)
        if found is None:
            raise Refused(Code.PRODUCT_UNAVAILABLE)
        return Ok(_view(found))


def scanned_code(code: object) -> str | None:
    """The code as sent, trimmed (a scanner ends its code with a line break); None where
    it cannot name a product. Control characters are refused: the scan was misread."""
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        return None
    text = trimmed(code)
    if text is None:
        raise Refused(Code.BARCODE_UNREADABLE)
    return text


@use_case
def search_products(
    uow: UnitOfWork, text: object, *, limit: int = SEARCH_LIMIT, include_inactive: bool = False
) -> Result[tuple[ProductView, ...]]:
    """Products any of whose name words starts with each typed word, first ``limit`` hits
    (in the order ``pos.services.name_search`` gives them).

    "coc col" finds "Coca Cola 1 L"; "seker" finds "Toz Şeker".
    """
    if isinstance(text, str) and (len(text) > MAX_QUERY_LENGTH or not readable(text)):
        raise Refused(Code.INVALID_FILTER)
    words = search_words(text)[:MAX_SEARCH_WORDS] if isinstance(text, str) else []
    if not words:
        return Ok(())
    limit = max(1, min(limit, 200))
    with uow.reading():
        hits = name_hits(uow.connection, words, wanted=limit, active_only=not include_inactive)
        if not hits:
            return Ok(())
        ids = [product_id for _word, product_id in hits]
        found = {
            row.id: ProductView(*row)
            for row in uow.connection.execute(select(*_VIEW_COLUMNS).where(products.c.id.in_(ids)))
        }
        return Ok(tuple(found[product_id] for product_id in ids))


# -- the back office's list -----------------------------------------------------------


def product_row(draft: ProductDraft) -> dict[str, object]:
    """The product columns a draft sets, as one row for an INSERT."""
    return {
        "sku": draft.sku,
        "barcode": draft.barcode,
        "name": draft.name,
        "price_minor": draft.price_minor,
        "currency": draft.currency,
        "tax_rate_bp": draft.tax_rate_bp,
        "sale_unit": draft.sale_unit or SaleUnit.PIECE.value,
        "scale_code": _scale_code(draft) or None,
    }


def _scale_code(draft: ProductDraft) -> str | None:
    """A checked draft's scale item code: digits, ``""`` to clear it, None to keep it."""
    return draft.scale_code if isinstance(draft.scale_code, str) else None


def refuse_unit_change_with_stock(connection: Connection, product_id: int) -> None:
    """A product's unit changes only while none of it is on hand or held: its stock
    counts pieces or grams, and a number of one is never read as the other."""
    held = connection.execute(
        select(inventory.c.product_id).where(
            inventory.c.product_id == product_id,
            (inventory.c.available != 0) | (inventory.c.reserved != 0),
        )
    ).first()
    if held is not None:
        raise Refused(Code.SALE_UNIT_CHANGE_WITH_STOCK)


def refuse_unless_manager(session: Session, user_id: int | None) -> None:
    if user_id is not None:
        acting_user(session, user_id, role=Role.MANAGER)


def _valid(draft: ProductDraft) -> ProductDraft:
    clean = validate_draft(draft) if isinstance(draft, ProductDraft) else Err(Code.INVALID_SKU)
    if isinstance(clean, Err):
        raise Refused.because(clean)
    return clean


def _refuse_duplicates(
    session: Session | Connection, draft: ProductDraft, owner_id: int | None
) -> None:
    """Refuse a SKU or barcode that another product already has (the UNIQUE constraint
    would too, but as an exception instead of a message the manager can act on)."""
    other = session.execute(
        select(Product.id).where(Product.sku == draft.sku, Product.id != (owner_id or 0))
    ).first()
    if other is not None:
        raise Refused(Code.DUPLICATE_SKU, sku=draft.sku)
    if draft.barcode is not None:
        other = session.execute(
            select(Product.id).where(
                Product.barcode == draft.barcode, Product.id != (owner_id or 0)
            )
        ).first()
        if other is not None:
            raise Refused(Code.DUPLICATE_BARCODE, barcode=draft.barcode)
    if _scale_code(draft):
        other = session.execute(
            select(Product.id).where(
                Product.scale_code == draft.scale_code, Product.id != (owner_id or 0)
            )
        ).first()
        if other is not None:
            raise Refused(Code.DUPLICATE_SCALE_CODE, scale_code=draft.scale_code)


def _unique_write(
    uow: UnitOfWork, draft: ProductDraft, owner_id: int | None, statement: Any
) -> Any:
    """Run an INSERT or UPDATE of a product; a SKU or barcode another manager saved a
    moment ago (after our check, before our write) is refused like any other duplicate."""
    try:
        with uow.connection.begin_nested():
            result = uow.connection.execute(statement)
            return result.scalar() if result.returns_rows else None
    except IntegrityError:
        _refuse_duplicates(uow.connection, draft, owner_id)  # theirs is committed by now
        raise


def _insert(uow: UnitOfWork, draft: ProductDraft) -> ProductView:
    _refuse_duplicates(uow.connection, draft, None)
    now = uow.now()
    row = {
        **product_row(draft),
        "active": draft.active is not False,
        "min_stock": 0,
        "created_at": now,
        "updated_at": now,
    }
    product_id = _unique_write(
        uow, draft, None, insert(products).values(row).returning(products.c.id)
    )
    uow.connection.execute(
        insert(inventory).values(
            location_id=DEFAULT_LOCATION_ID, product_id=product_id, available=0, reserved=0
        )
    )
    _index_words(uow.connection, product_id, draft.name, replace_old=False)
    return ProductView(
        id=product_id,
        sku=draft.sku,
        barcode=draft.barcode,
        name=draft.name,
        price_minor=draft.price_minor,
        currency=draft.currency,
        tax_rate_bp=draft.tax_rate_bp,
        active=bool(row["active"]),
        sale_unit=str(row["sale_unit"]),
        scale_code=_scale_code(draft) or None,
    )


def _apply(uow: UnitOfWork, before: ProductView, draft: ProductDraft) -> ProductView:
    after = replace(
        before,
        sku=draft.sku,
        barcode=draft.barcode,
        name=draft.name,
        price_minor=draft.price_minor,
        currency=draft.currency,
        tax_rate_bp=draft.tax_rate_bp,
        active=before.active if draft.active is None else draft.active,
        sale_unit=str(draft.sale_unit or before.sale_unit),
        scale_code=before.scale_code if draft.scale_code is None else _scale_code(draft) or None,
    )
    if after == before:
        return after
    if after.sale_unit != before.sale_unit:
        refuse_unit_change_with_stock(uow.connection, before.id)
    _unique_write(
        uow,
        draft,
        before.id,
        update(products)
        .where(products.c.id == before.id)
        .values(
            **{n: getattr(after, n) for n in (*_AUDITED, *_AUDITED_IF_SET)}, updated_at=uow.now()
        ),
    )
    if after.name != before.name:
        _index_words(uow.connection, before.id, after.name, replace_old=True)
    return after


def _index_words(connection: Connection, product_id: int, name: str, *, replace_old: bool) -> None:
    if replace_old:
        connection.execute(delete(product_words).where(product_words.c.product_id == product_id))
    words = search_words(name)
    if words:
        # One statement, not one per word: PostgreSQL's trigger then refreshes the
        # product's search text once (migration 0018).
        connection.execute(
            insert(product_words).values(
                [{"word": word, "product_id": product_id} for word in words]
            )
        )


_VIEW_FIELDS = tuple(field.name for field in fields(ProductView))
_VIEW_COLUMNS = tuple(products.c[name] for name in _VIEW_FIELDS)


def _view(product: Product | ScannedProduct) -> ProductView:
    return ProductView(**{name: getattr(product, name) for name in _VIEW_FIELDS})


_AUDITED = ("sku", "barcode", "name", "price_minor", "currency", "tax_rate_bp", "active")
_AUDITED_IF_SET = {"sale_unit": SaleUnit.PIECE.value, "scale_code": None}
"""Audited where they are not their defaults (a product by the piece audits as before)."""


def _fields(view: ProductView) -> dict[str, object]:
    return {name: getattr(view, name) for name in _AUDITED} | {
        name: getattr(view, name)
        for name, default in _AUDITED_IF_SET.items()
        if getattr(view, name) != default
    }


def _changed_fields(before: ProductView, after: ProductView, *, old: bool) -> dict[str, object]:
    source = before if old else after
    return {
        name: getattr(source, name)
        for name in (*_AUDITED, *_AUDITED_IF_SET)
        if getattr(before, name) != getattr(after, name)
    }
