"""Stock on hand: goods received, counted and corrected, each change on the record.

Beside the changes, what a manager looks at: a product's stock and movements, the
products below their minimum, and the product a delivery note's code names. Every
change a manager makes writes its audit row in the same transaction. The units held
for carts are in ``pos.services.holds``, the oversells paid sales left behind in
``pos.services.oversells``.

Quantities, counts, minimums, notes and delivery codes are typed ``object`` and checked
at run time: they come from the manager's cells, a delivery note or the scanner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, literal_column, or_, select, update
from sqlalchemy.orm import Session

from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.stock import AdjustReason, clean_note, parse_adjust_reason
from pos.domain.text import clean_line
from pos.domain.units import Measure, SaleUnit, read_stock_quantity
from pos.services._delivery_lines import known_products, product_key, units_of
from pos.services._support import LIST_PAGE, audit, is_id, page_size, product_or_refuse, use_case
from pos.services.reservations import available_now
from pos.services.users import acting_user
from pos.store.models import (
    DEFAULT_LOCATION_ID,
    Inventory,
    MoveKind,
    Product,
    Role,
    StockMove,
    User,
)
from pos.store.uow import UnitOfWork

MAX_REASON_LENGTH = 200
MAX_DELIVERY_LINES = 500
"""A delivery note of more lines than this is an import, not a delivery."""
HISTORY_PAGE = 50


@dataclass(frozen=True)
class StockLevel:
    product_id: int
    sku: str
    name: str
    available: int
    """Free to sell."""
    reserved: int
    """Held for carts at the tills."""
    sale_unit: str = SaleUnit.PIECE.value
    """What the quantities count: pieces, or grams (ml, mm) of a weighed product."""

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved

    @property
    def unit(self) -> SaleUnit:
        return SaleUnit(self.sale_unit)


@dataclass(frozen=True)
class ProductStock:
    """A product's stock as a manager sees it: with its minimum."""

    product_id: int
    sku: str
    barcode: str | None
    name: str
    active: bool
    available: int
    reserved: int
    min_stock: int
    """0 means no minimum: the product never shows as low."""
    sale_unit: str = SaleUnit.PIECE.value

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved

    @property
    def unit(self) -> SaleUnit:
        return SaleUnit(self.sale_unit)

    @property
    def low(self) -> bool:
        return self.available < self.min_stock


@dataclass(frozen=True)
class StockMoveView:
    """One line of a product's history."""

    id: int
    at: datetime
    kind: MoveKind
    quantity: int
    reason_code: AdjustReason | None
    """Why it was adjusted; None for a delivery."""
    note: str
    user_name: str

    @property
    def cursor(self) -> tuple[datetime, int]:
        """Hand it back as ``before`` for the older movements."""
        return (self.at, self.id)


# -- changing the stock --------------------------------------------------------------


@use_case
def receive_stock(
    uow: UnitOfWork,
    product_id: int,
    quantity: object,
    *,
    user_id: int,
    reason: str = "goods received",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """Goods came in: ``quantity`` more units are free to sell (typed: kg of a weighed
    product, ``read_stock_quantity``)."""
    note = _reason(reason)
    with uow:
        user = acting_user(uow.session, user_id)
        product = product_or_refuse(uow.session, product_id)
        received = _typed(quantity, product)
        _move(uow, product.id, location_id, MoveKind.RECEIVE, received, note, user.id)
        (level,) = _levels(uow.session, [product.id], location_id)
        uow.commit()
    return Ok(level, Changed.STOCK)


@use_case
def receive_delivery(
    uow: UnitOfWork,
    lines: Sequence[tuple[object, object]],
    *,
    user_id: int,
    note: object = "",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[tuple[StockLevel, ...]]:
    """A delivery of several lines, received all at once or not at all.

    Each line is (product, quantity): the product by its id, or by the barcode or
    SKU printed on the delivery note. Every bad line is named in the refusal's
    details (``DELIVERY_BAD_LINE``), so the manager fixes them all in one go.
    A product on two lines is received once with the quantities summed, as a
    delivery note often splits one product over cartons: one stock move and one
    audit row per product, which names the lines it came from. A weighed product's
    quantity is typed in kg (``12,5``) and received in grams.
    """
    text = clean_note(note)
    if text is None:
        raise Refused(Code.INVALID_STOCK_NOTE)
    if not isinstance(lines, list | tuple) or not lines:
        raise Refused(Code.DELIVERY_EMPTY)
    if len(lines) > MAX_DELIVERY_LINES:
        raise Refused(Code.DELIVERY_TOO_LARGE, limit=MAX_DELIVERY_LINES)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        known = known_products(uow.session, lines)
        units = units_of(uow.session, known.values())
        totals: dict[int, int] = defaultdict(int)
        numbers: dict[int, list[int]] = defaultdict(list)
        bad: list[Err] = []
        for number, line in enumerate(lines, start=1):
            pair = tuple(line) if isinstance(line, list | tuple) else ()
            key = product_key(pair[0]) if len(pair) == 2 else None
            product = known.get(key) if key is not None else None
            quantity = read_stock_quantity(pair[1], units[product]) if product is not None else None
            if product is None or not isinstance(quantity, int):
                problem = quantity if isinstance(quantity, Err) else Err(Code.PRODUCT_UNAVAILABLE)
                bad.append(Err(Code.DELIVERY_BAD_LINE, {"line": number, "problem": problem}))
                continue
            totals[product] += quantity
            numbers[product].append(number)
        if bad:
            raise Refused(Code.DELIVERY_REJECTED, tuple(bad), count=len(bad))
        for product in sorted(totals):  # product order, as everywhere: no deadlocks
            _move(
                uow,
                product,
                location_id,
                MoveKind.RECEIVE,
                totals[product],
                text,
                user.id,
                lines=numbers[product],
            )
        levels = _levels(uow.session, sorted(totals), location_id)
        uow.commit()
    return Ok(levels, Changed.STOCK)


@use_case
def adjust_stock(
    uow: UnitOfWork,
    product_id: int,
    delta: object,
    *,
    reason: AdjustReason,
    user_id: int,
    note: object = "",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """A manager's correction, signed, with its reason (``AdjustReason``) and a free note.

    It can take away only units that are free; units held for a cart are the
    customer's until the cart lets them go.
    """
    why = parse_adjust_reason(reason)
    if why is None:
        raise Refused(Code.INVALID_REASON)
    text = clean_note(note)
    if text is None:
        raise Refused(Code.INVALID_STOCK_NOTE)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        change = _typed(delta, product, signed=True)
        _move(uow, product.id, location_id, MoveKind.ADJUST, change, text, user.id, reason_code=why)
        (level,) = _levels(uow.session, [product.id], location_id)
        uow.commit()
    return Ok(level, Changed.STOCK)


@use_case
def count_stock(
    uow: UnitOfWork,
    product_id: int,
    counted: object,
    *,
    user_id: int,
    note: object = "",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """A manager counted ``counted`` units on the shelf: the free units become that many.

    Units held for open sales are at the tills, not on the shelf, so the count is of
    what is free; the difference is recorded as a count adjustment. A count that
    matches changes nothing but is still on the audit log: the shelf was checked.
    """
    text = clean_note(note)
    if text is None:
        raise Refused(Code.INVALID_STOCK_NOTE)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        shelf = _typed(counted, product, allow_zero=True)
        _ensure_inventory_row(uow.session, location_id, product.id)
        # Locked, so no till takes a unit between reading the books and writing the count.
        available = uow.session.execute(
            select(Inventory.available)
            .where(Inventory.location_id == location_id, Inventory.product_id == product.id)
            .with_for_update()
        ).scalar_one()
        change = shelf - available
        if change:
            _move(
                uow,
                product.id,
                location_id,
                MoveKind.ADJUST,
                change,
                text,
                user.id,
                reason_code=AdjustReason.COUNT,
                counted=shelf,
            )
        else:
            audit(
                uow.session,
                at=uow.now(),
                user_id=user.id,
                action="stock.adjust",
                entity="product",
                entity_id=product.id,
                quantity=0,
                reason=text,
                reason_code=AdjustReason.COUNT,
                counted=shelf,
                location_id=location_id,
                before={"available": available},
                after={"available": available},
            )
        (level,) = _levels(uow.session, [product.id], location_id)
        uow.commit()
    return Ok(level, Changed.STOCK if change else Changed.NOTHING)


@use_case
def set_min_stock(
    uow: UnitOfWork,
    product_id: int,
    minimum: object,
    *,
    user_id: int,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[ProductStock]:
    """Below ``minimum`` free units the product shows on the low-stock list; 0 takes it off.
    A weighed product's minimum is typed in kg, as its stock is."""
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        unit = SaleUnit(product.sale_unit)
        wanted = read_stock_quantity(minimum, unit, allow_zero=True)
        if isinstance(wanted, Err):
            raise Refused.because(wanted if unit.measured else Err(Code.INVALID_MINIMUM))
        # Locked, so of two managers setting it at once each audits the other's value.
        before = uow.session.execute(
            select(Product.min_stock).where(Product.id == product.id).with_for_update()
        ).scalar_one()
        changed = Changed.NOTHING
        if wanted != before:
            now = uow.now()
            uow.session.execute(
                update(Product)
                .where(Product.id == product.id)
                .values(min_stock=wanted, updated_at=now)
            )
            audit(
                uow.session,
                at=now,
                user_id=user.id,
                action="stock.set_minimum",
                entity="product",
                entity_id=product.id,
                before={"min_stock": before},
                after={"min_stock": wanted},
            )
            changed = Changed.STOCK
        stock = _product_stock(uow.session, product.id, location_id)
        uow.commit()
    return Ok(stock, changed)


# -- reading the stock ---------------------------------------------------------------


@use_case
def stock_levels(
    uow: UnitOfWork,
    product_ids: Sequence[int] | None = None,
    *,
    location_id: int = DEFAULT_LOCATION_ID,
    limit: int = 200,
) -> Result[tuple[StockLevel, ...]]:
    """Current stock of the given products, or of the first ``limit`` by SKU."""
    query = _levels_query(location_id).order_by(Product.sku)
    if product_ids is not None:
        query = query.where(Product.id.in_([p for p in product_ids if is_id(p)]))
    else:
        query = query.limit(max(1, min(limit, 10_000)))
    with uow.reading():
        rows = uow.session.execute(query).all()
    return Ok(tuple(StockLevel(*row) for row in rows))


@use_case
def product_stock(
    uow: UnitOfWork,
    product_id: int,
    *,
    manager_id: int,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[ProductStock]:
    """One product's free and held units and its minimum."""
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        return Ok(_product_stock(uow.session, product.id, location_id))


@use_case
def delivery_product(
    uow: UnitOfWork,
    code: object,
    *,
    manager_id: int,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[ProductStock]:
    """The product a delivery line's code names, read as ``receive_delivery`` reads it
    (a barcode first, then a SKU), with its stock: the manager sees what was typed."""
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        key = product_key(code)
        product = known_products(uow.session, [(code, 0)]).get(key) if key is not None else None
        if product is None:
            raise Refused(Code.PRODUCT_UNAVAILABLE)
        return Ok(_product_stock(uow.session, product, location_id))


@use_case
def stock_history(
    uow: UnitOfWork,
    product_id: int,
    *,
    manager_id: int,
    before: tuple[datetime, int] | None = None,
    limit: int = HISTORY_PAGE,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[tuple[StockMoveView, ...]]:
    """A product's movements, newest first, a page at a time.

    ``before`` is the ``cursor`` of the last movement of the previous page.
    """
    size = page_size(limit)
    if before is not None and not _move_cursor(before):
        raise Refused(Code.INVALID_FILTER)
    query = (
        select(
            StockMove.id,
            StockMove.created_at,
            StockMove.kind,
            StockMove.quantity,
            StockMove.reason_code,
            StockMove.reason,
            User.display_name,
        )
        .join(User, User.id == StockMove.user_id)
        .where(StockMove.location_id == location_id)
        .order_by(StockMove.created_at.desc(), StockMove.id.desc())
        .limit(size)
    )
    if before is not None:
        at, last = before
        query = query.where(
            or_(
                StockMove.created_at < at,
                and_(StockMove.created_at == at, StockMove.id < last),
            )
        )
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        rows = uow.session.execute(query.where(StockMove.product_id == product.id)).all()
    return Ok(
        tuple(
            StockMoveView(
                id=row.id,
                at=row.created_at,
                kind=row.kind,
                quantity=row.quantity,
                reason_code=parse_adjust_reason(row.reason_code),
                note=row.reason,
                user_name=row.display_name,
            )
            for row in rows
        )
    )


@use_case
def low_stock(
    uow: UnitOfWork,
    *,
    manager_id: int,
    after: int | None = None,
    limit: int = LIST_PAGE,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[tuple[ProductStock, ...]]:
    """Products with a minimum whose free units are below it, by id, a page at a time.

    Free units, not on hand: a unit held for a sale at a till is as good as sold, and
    the shelf should be refilled before it is empty, not after. ``after`` is the
    last product id of the previous page.
    """
    size = page_size(limit)
    if after is not None and not (is_id(after) or after == 0):
        raise Refused(Code.INVALID_FILTER)
    query = (
        _stock_query(location_id)
        .where(
            # Literal, as in the partial index ix_products_min_stock, so it can be used.
            Product.min_stock > literal_column("0"),
            func.coalesce(Inventory.available, 0) < Product.min_stock,
        )
        # "id + 0", not "id": ordered by the bare id, both planners walk the whole
        # catalogue in key order hoping to fill the page early; this way they read the
        # few products with a minimum from the partial index and sort those.
        .order_by(Product.id + literal_column("0"))
        .limit(size)
    )
    if after:
        query = query.where(Product.id > after)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        rows = uow.session.execute(query).all()
    return Ok(tuple(ProductStock(*row) for row in rows))


# -- the books -----------------------------------------------------------------------


def _reason(reason: object) -> str:
    text = clean_line(reason, MAX_REASON_LENGTH)
    if text is None:
        raise Refused(Code.INVALID_REASON)
    return text


def _move(
    uow: UnitOfWork,
    product_id: int,
    location_id: int,
    kind: MoveKind,
    quantity: int,
    note: str,
    user_id: int,
    *,
    reason_code: AdjustReason | None = None,
    **details: object,
) -> None:
    session = uow.session
    _ensure_inventory_row(session, location_id, product_id)
    # Conditional, like a reservation: a change that would go below zero changes nothing.
    after = session.execute(
        update(Inventory)
        .where(
            Inventory.location_id == location_id,
            Inventory.product_id == product_id,
            Inventory.available + quantity >= 0,
        )
        .values(available=Inventory.available + quantity)
        .returning(Inventory.available)
    ).scalar()
    if after is None:
        available = available_now(uow.connection, location_id, product_id)
        unit = units_of(session, [product_id])[product_id]
        free = Measure(available, unit) if unit.measured else available  # "4,750 kg"
        raise Refused(Code.ADJUSTMENT_BELOW_ZERO, available=free)
    now = uow.now()
    session.execute(
        insert(StockMove).values(
            location_id=location_id,
            product_id=product_id,
            kind=kind,
            quantity=quantity,
            reason=note,
            reason_code=reason_code,
            user_id=user_id,
            created_at=now,
        )
    )
    row: dict[str, Any] = {
        "quantity": quantity,
        "reason": note,
        "reason_code": reason_code,
        "location_id": location_id,
        "before": {"available": after - quantity},
        "after": {"available": after},
        **details,
    }
    audit(
        session,
        at=now,
        user_id=user_id,
        action=f"stock.{kind.value}",
        entity="product",
        entity_id=product_id,
        **row,
    )


def _typed(value: object, product: Product, **how: bool) -> int:
    """A quantity a manager typed for ``product``, in its smallest units; refused if none."""
    read = read_stock_quantity(value, SaleUnit(product.sale_unit), **how)
    if isinstance(read, Err):
        raise Refused.because(read)
    return read


def _ensure_inventory_row(session: Session, location_id: int, product_id: int) -> None:
    exists = session.execute(
        select(Inventory.product_id).where(
            Inventory.location_id == location_id, Inventory.product_id == product_id
        )
    ).first()
    if exists is None:
        session.add(
            Inventory(location_id=location_id, product_id=product_id, available=0, reserved=0)
        )
        session.flush()


def _levels_query(location_id: int) -> Select[int, str, str, int, int, str]:
    return (
        select(
            Product.id,
            Product.sku,
            Product.name,
            Inventory.available,
            Inventory.reserved,
            Product.sale_unit,
        )
        .join(Inventory, Inventory.product_id == Product.id)
        .where(Inventory.location_id == location_id)
    )


def _levels(session: Session, product_ids: list[int], location_id: int) -> tuple[StockLevel, ...]:
    query = _levels_query(location_id).where(Product.id.in_(product_ids)).order_by(Product.id)
    return tuple(StockLevel(*row) for row in session.execute(query))


def _stock_query(location_id: int) -> Select[*tuple[Any, ...]]:
    return select(
        Product.id,
        Product.sku,
        Product.barcode,
        Product.name,
        Product.active,
        func.coalesce(Inventory.available, 0),
        func.coalesce(Inventory.reserved, 0),
        Product.min_stock,
        Product.sale_unit,
    ).outerjoin(
        Inventory,
        and_(Inventory.product_id == Product.id, Inventory.location_id == location_id),
    )


def _product_stock(session: Session, product_id: int, location_id: int) -> ProductStock:
    row = session.execute(_stock_query(location_id).where(Product.id == product_id)).one()
    return ProductStock(*row)


# -- cursors ---------------------------------------------------------------------------


def _move_cursor(before: object) -> bool:
    return (
        isinstance(before, tuple)
        and len(before) == 2
        and isinstance(before[0], datetime)
        and before[0].tzinfo is not None
        and is_id(before[1])
    )
