"""The catalogue: products, their codes, and finding them fast among a million."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TextIO

from sqlalchemy import ColumnElement, and_, delete, exists, insert, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from pos.domain.catalogue import (
    DEFAULT_TAX_RATE_BP,
    MAX_SEARCH_WORDS,
    clean_barcode,
    clean_name,
    clean_sku,
    parse_tax_rate,
    search_words,
    valid_tax_rate,
)
from pos.domain.money import DEFAULT_CURRENCY, MAX_PRICE_MINOR, is_currency, parse_price
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.services._support import audit, product_or_refuse, use_case
from pos.store.models import DEFAULT_LOCATION_ID, Inventory, Product, ProductWord, table_of
from pos.store.uow import UnitOfWork

SEARCH_LIMIT = 50
CSV_COLUMNS = ("sku", "name", "price")
"""Required CSV columns; ``barcode``, ``tax_rate`` (percent) and ``currency`` are optional."""
MAX_IMPORT_ERRORS = 100


@dataclass(frozen=True)
class ProductDraft:
    """What a manager types, or a CSV row says, about a product."""

    sku: str
    name: str
    price_minor: int
    barcode: str | None = None
    tax_rate_bp: int = DEFAULT_TAX_RATE_BP
    currency: str = DEFAULT_CURRENCY


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


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


def validate_draft(draft: ProductDraft) -> ProductDraft | Err:
    """The draft with its fields cleaned, or the first thing wrong with it."""
    sku = clean_sku(draft.sku)
    if sku is None:
        return Err(Code.INVALID_SKU)
    name = clean_name(draft.name)
    if name is None:
        return Err(Code.INVALID_NAME)
    barcode = None
    blank = isinstance(draft.barcode, str) and not draft.barcode.strip()
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
    return replace(draft, sku=sku, name=name, barcode=barcode, tax_rate_bp=tax_rate)


@use_case
def create_product(
    uow: UnitOfWork, draft: ProductDraft, *, user_id: int | None = None
) -> Result[ProductView]:
    clean = _valid(draft)
    with uow:
        product = _insert(uow.session, clean, uow)
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action="product.create",
            entity="product",
            entity_id=product.id,
            sku=product.sku,
        )
        view = _view(product)
        uow.commit()
    return Ok(view, Changed.CATALOGUE)


@use_case
def update_product(
    uow: UnitOfWork, product_id: object, draft: ProductDraft, *, user_id: int | None = None
) -> Result[ProductView]:
    """Replace a product's SKU, barcode, name, price and tax rate with the draft's."""
    clean = _valid(draft)
    with uow:
        product = product_or_refuse(uow.session, product_id)
        _refuse_duplicates(uow.session, clean, product.id)
        before = _view(product)
        _apply(uow.session, product, clean, uow)
        after = _view(product)
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action="product.update",
            entity="product",
            entity_id=product.id,
            before=_changed_fields(before, after, old=True),
            after=_changed_fields(before, after, old=False),
        )
        uow.commit()
    return Ok(after, Changed.CATALOGUE)


@use_case
def deactivate_product(
    uow: UnitOfWork, product_id: object, *, user_id: int | None = None
) -> Result[ProductView]:
    """Stop selling a product; it stays for history and can be found again by a manager."""
    with uow:
        product = product_or_refuse(uow.session, product_id)
        if product.active:
            product.active = False
            product.updated_at = uow.now()
            audit(
                uow.session,
                at=uow.now(),
                user_id=user_id,
                action="product.deactivate",
                entity="product",
                entity_id=product.id,
            )
        view = _view(product)
        uow.commit()
    return Ok(view, Changed.CATALOGUE)


@use_case
def find_product(uow: UnitOfWork, code: object) -> Result[ProductView]:
    """The active product whose barcode or SKU is ``code`` (what the scanner or keypad sent)."""
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise Refused(Code.PRODUCT_UNAVAILABLE)
    text = code.strip()
    with uow.reading():
        product = None
        barcode = clean_barcode(text)
        if barcode is not None:
            product = uow.session.execute(
                select(Product).where(Product.barcode == barcode)
            ).scalar_one_or_none()
        if product is None:
            product = uow.session.execute(
                select(Product).where(Product.sku == text)
            ).scalar_one_or_none()
        if product is None or not product.active:
            raise Refused(Code.PRODUCT_UNAVAILABLE)
        return Ok(_view(product))


@use_case
def search_products(
    uow: UnitOfWork, text: object, *, limit: int = SEARCH_LIMIT, include_inactive: bool = False
) -> Result[tuple[ProductView, ...]]:
    """Products any of whose name words starts with each typed word, first ``limit`` hits.

    "coc col" finds "Coca Cola 1 L"; "seker" finds "Toz Şeker". The longest typed word
    drives an index range scan; the others must match some word of the same product.
    """
    words = search_words(text)[:MAX_SEARCH_WORDS] if isinstance(text, str) else []
    if not words:
        return Ok(())
    limit = max(1, min(limit, 200))
    lead, *others = sorted(words, key=len, reverse=True)
    query = (
        select(Product, ProductWord.word)
        .join(ProductWord, ProductWord.product_id == Product.id)
        .where(_prefix(ProductWord.word, lead))
    )
    for word in others:
        other = table_of(ProductWord).alias()
        query = query.where(
            # Correlated with the index row, not the product, so it is checked before
            # the product row is read.
            exists().where(
                other.c.product_id == ProductWord.product_id, _prefix(other.c.word, word)
            )
        )
    if not include_inactive:
        query = query.where(Product.active.is_(True))
    # Walk the (word, product) index in order, a page at a time, until ``limit`` distinct
    # products are found: no sort of all hits, and a product matching by several of its
    # words still counts once.
    query = query.order_by(ProductWord.word, ProductWord.product_id)
    page_size = limit * 2
    with uow.reading():
        seen: dict[int, ProductView] = {}
        after: tuple[str, int] | None = None
        while len(seen) < limit:
            page = query
            if after is not None:
                page = page.where(tuple_(ProductWord.word, ProductWord.product_id) > after)
            rows = uow.session.execute(page.limit(page_size)).all()
            for product, _word in rows:
                seen.setdefault(product.id, _view(product))
                if len(seen) == limit:
                    break
            if len(rows) < page_size:
                break
            last_product, last_word = rows[-1]
            after = (last_word, last_product.id)
        return Ok(tuple(seen.values()))


@dataclass
class _ImportBatch:
    drafts: list[tuple[int, ProductDraft]] = field(default_factory=list)
    errors: list[Err] = field(default_factory=list)


@use_case
def import_products_csv(
    uow: UnitOfWork, source: TextIO, *, user_id: int | None = None
) -> Result[ImportReport]:
    """Create or update products from CSV; all rows go in, or none do.

    A half-imported catalogue is worse than none: prices would disagree with the
    supplier's list and a second run would be needed anyway. So every row is checked
    first, and one bad row rejects the file with an error for each bad row (up to
    ``MAX_IMPORT_ERRORS``), its line number and what is wrong.
    """
    batch = _read_csv(source)
    if batch.errors:
        raise Refused(Code.IMPORT_REJECTED, tuple(batch.errors), count=len(batch.errors))
    created = updated = 0
    with uow:
        existing = _existing_by_sku(uow.session, [d.sku for _, d in batch.drafts])
        for line, draft in batch.drafts:
            product = existing.get(draft.sku)
            owner = product.id if product else None
            try:
                _refuse_duplicates(uow.session, draft, owner)
            except Refused as refusal:
                batch.errors.append(_row_error(line, refusal.error))
                continue
            if product is None:
                existing[draft.sku] = _insert(uow.session, draft, uow)
                created += 1
            else:
                _apply(uow.session, product, draft, uow)
                updated += 1
        if batch.errors:
            raise Refused(Code.IMPORT_REJECTED, tuple(batch.errors), count=len(batch.errors))
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action="product.import",
            entity="product",
            entity_id="*",
            created=created,
            updated=updated,
        )
        uow.commit()
    return Ok(ImportReport(created, updated), Changed.CATALOGUE)


def _read_csv(source: TextIO) -> _ImportBatch:
    batch = _ImportBatch()
    reader = csv.DictReader(source)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise Refused(Code.IMPORT_BAD_HEADER, missing=", ".join(missing))
    reader.fieldnames = header
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        draft = _draft_from_row(row)
        if isinstance(draft, Err):
            batch.errors.append(_row_error(line, draft))
        elif draft.sku in seen_skus:
            batch.errors.append(_row_error(line, Err(Code.DUPLICATE_SKU, {"sku": draft.sku})))
        elif draft.barcode is not None and draft.barcode in seen_barcodes:
            batch.errors.append(
                _row_error(line, Err(Code.DUPLICATE_BARCODE, {"barcode": draft.barcode}))
            )
        else:
            seen_skus[draft.sku] = line
            if draft.barcode is not None:
                seen_barcodes[draft.barcode] = line
            batch.drafts.append((line, draft))
        if len(batch.errors) >= MAX_IMPORT_ERRORS:
            break
    return batch


def _draft_from_row(row: dict[str | None, str | None]) -> ProductDraft | Err:
    if None in row:
        return Err(Code.IMPORT_EXTRA_CELLS)
    currency = (row.get("currency") or DEFAULT_CURRENCY).strip().upper()
    if not is_currency(currency):
        return Err(Code.INVALID_CURRENCY)
    price = parse_price(row.get("price") or "", currency)
    if price is None:
        return Err(Code.INVALID_PRICE)
    tax_text = row.get("tax_rate") or ""
    tax_rate = parse_tax_rate(tax_text) if tax_text.strip() else DEFAULT_TAX_RATE_BP
    if tax_rate is None:
        return Err(Code.INVALID_TAX_RATE)
    draft = ProductDraft(
        sku=row.get("sku") or "",
        name=row.get("name") or "",
        price_minor=price,
        barcode=row.get("barcode") or None,
        tax_rate_bp=tax_rate,
        currency=currency,
    )
    return validate_draft(draft)


def _row_error(line: int, error: Err) -> Err:
    return Err(Code.IMPORT_BAD_ROW, {"line": line, "problem": error})


def _valid(draft: ProductDraft) -> ProductDraft:
    clean = validate_draft(draft)
    if isinstance(clean, Err):
        raise Refused.because(clean)
    return clean


def _refuse_duplicates(session: Session, draft: ProductDraft, owner_id: int | None) -> None:
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


def _insert(session: Session, draft: ProductDraft, uow: UnitOfWork) -> Product:
    _refuse_duplicates(session, draft, None)
    now = uow.now()
    product = Product(
        sku=draft.sku,
        barcode=draft.barcode,
        name=draft.name,
        price_minor=draft.price_minor,
        currency=draft.currency,
        tax_rate_bp=draft.tax_rate_bp,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    session.flush()
    session.add(
        Inventory(location_id=DEFAULT_LOCATION_ID, product_id=product.id, available=0, reserved=0)
    )
    _index_words(session, product.id, product.name, replace_old=False)
    return product


def _apply(session: Session, product: Product, draft: ProductDraft, uow: UnitOfWork) -> None:
    renamed = product.name != draft.name
    product.sku = draft.sku
    product.barcode = draft.barcode
    product.name = draft.name
    product.price_minor = draft.price_minor
    product.currency = draft.currency
    product.tax_rate_bp = draft.tax_rate_bp
    product.updated_at = uow.now()
    session.flush()
    if renamed:
        _index_words(session, product.id, product.name, replace_old=True)


def _index_words(session: Session, product_id: int, name: str, *, replace_old: bool) -> None:
    if replace_old:
        session.execute(delete(ProductWord).where(ProductWord.product_id == product_id))
    words = search_words(name)
    if words:
        session.execute(
            insert(ProductWord), [{"word": word, "product_id": product_id} for word in words]
        )


def _existing_by_sku(session: Session, skus: Sequence[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 500):
        chunk = skus[start : start + 500]
        for product in session.execute(select(Product).where(Product.sku.in_(chunk))).scalars():
            found[product.sku] = product
    return found


def _prefix(
    column: ColumnElement[str] | InstrumentedAttribute[str], word: str
) -> ColumnElement[bool]:
    """``column`` starts with ``word``, as a range an index can scan (no LIKE escaping).

    Words are folded to lower-case letters and digits, so the range is exact under
    the byte-wise collation the column has on both dialects.
    """
    return and_(column >= word, column < word + "\U0010ffff")


def _view(product: Product) -> ProductView:
    return ProductView(
        id=product.id,
        sku=product.sku,
        barcode=product.barcode,
        name=product.name,
        price_minor=product.price_minor,
        currency=product.currency,
        tax_rate_bp=product.tax_rate_bp,
        active=product.active,
    )


def _changed_fields(before: ProductView, after: ProductView, *, old: bool) -> dict[str, object]:
    source = before if old else after
    return {
        name: getattr(source, name)
        for name in ("sku", "barcode", "name", "price_minor", "currency", "tax_rate_bp")
        if getattr(before, name) != getattr(after, name)
    }
