"""Stock on hand: goods received, counted and corrected, each change on the record.

Beside the changes, what a manager looks at: a product's movements, the products
below their minimum, the units held for carts at the tills, and the oversells that
paid sales left behind. Every change a manager makes writes its audit row in the
same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, and_, func, insert, literal_column, or_, select, update
from sqlalchemy.orm import Session, aliased

from pos.domain.catalogue import clean_barcode
from pos.domain.quantities import parse_delta, parse_quantity
from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.stock import AdjustReason, clean_note, parse_adjust_reason
from pos.domain.text import clean_line, clean_text, trimmed
from pos.services._support import audit, is_id, product_or_refuse, use_case
from pos.services.reservations import (
    IS_ACTIVE,
    SWEEP_BATCH,
    SweepReport,
    available_now,
    end_reservation,
    expire_due,
)
from pos.services.users import acting_user
from pos.store.models import (
    DEFAULT_LOCATION_ID,
    Cart,
    CartStatus,
    Inventory,
    MoveKind,
    Order,
    Oversell,
    Product,
    Reservation,
    ReservationStatus,
    Role,
    StockMove,
    Till,
    User,
)
from pos.store.uow import UnitOfWork

MAX_REASON_LENGTH = 200
MAX_DELIVERY_LINES = 500
"""A delivery note of more lines than this is an import, not a delivery."""
MAX_CODE_LENGTH = 64
MAX_RESOLUTION_LENGTH = 500
HISTORY_PAGE = 50
LIST_PAGE = 100
MOST_PER_PAGE = 500


@dataclass(frozen=True)
class StockLevel:
    product_id: int
    sku: str
    name: str
    available: int
    """Free to sell."""
    reserved: int
    """Held for carts at the tills."""

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved


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

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved

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


@dataclass(frozen=True)
class ReservationView:
    """Units a till holds for an open sale."""

    id: int
    cart_id: int
    till_code: str | None
    quantity: int
    expires_at: datetime
    expired: bool
    """Past its time: the sweeper (or a manager) may give the units back."""
    paying: bool
    """The sale is waiting for its payment: its holds stay until the payment ends."""


@dataclass(frozen=True)
class OversellView:
    """Units a paid sale took that were no longer on the shelf."""

    id: int
    order_id: UUID
    receipt: str | None
    product_id: int
    sku: str
    name: str
    quantity: int
    at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


# -- changing the stock --------------------------------------------------------------


@use_case
def receive_stock(
    uow: UnitOfWork,
    product_id: object,
    quantity: object,
    *,
    user_id: object,
    reason: str = "goods received",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """Goods came in: ``quantity`` more units are free to sell."""
    received = parse_quantity(quantity)
    if received is None:
        raise Refused(Code.INVALID_QUANTITY)
    note = _reason(reason)
    with uow:
        user = acting_user(uow.session, user_id)
        product = product_or_refuse(uow.session, product_id)
        _move(uow, product.id, location_id, MoveKind.RECEIVE, received, note, user.id)
        level = _level(uow.session, product, location_id)
        uow.commit()
    return Ok(level, Changed.STOCK)


@use_case
def receive_delivery(
    uow: UnitOfWork,
    lines: Sequence[tuple[object, object]],
    *,
    user_id: object,
    note: object = "",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[tuple[StockLevel, ...]]:
    """A delivery of several lines, received all at once or not at all.

    Each line is (product, quantity): the product by its id, or by the barcode or
    SKU printed on the delivery note. Every bad line is named in the refusal's
    details (``DELIVERY_BAD_LINE``), so the manager fixes them all in one go.
    A product on two lines is received once with the quantities summed, as a
    delivery note often splits one product over cartons: one stock move and one
    audit row per product, which names the lines it came from.
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
        known = _known_products(uow.session, lines)
        totals: dict[int, int] = defaultdict(int)
        numbers: dict[int, list[int]] = defaultdict(list)
        bad: list[Err] = []
        for number, line in enumerate(lines, start=1):
            pair = tuple(line) if isinstance(line, list | tuple) else ()
            key = _product_key(pair[0]) if len(pair) == 2 else None
            product = known.get(key) if key is not None else None
            quantity = parse_quantity(pair[1]) if len(pair) == 2 else None
            if product is None or quantity is None:
                problem = Code.PRODUCT_UNAVAILABLE if product is None else Code.INVALID_QUANTITY
                bad.append(Err(Code.DELIVERY_BAD_LINE, {"line": number, "problem": Err(problem)}))
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
    product_id: object,
    delta: object,
    *,
    reason: object,
    user_id: object,
    note: object = "",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """A manager's correction, signed, with its reason (``AdjustReason``) and a free note.

    It can take away only units that are free; units held for a cart are the
    customer's until the cart lets them go.
    """
    change = parse_delta(delta)
    if change is None:
        raise Refused(Code.INVALID_QUANTITY)
    why = parse_adjust_reason(reason)
    if why is None:
        raise Refused(Code.INVALID_REASON)
    text = clean_note(note)
    if text is None:
        raise Refused(Code.INVALID_STOCK_NOTE)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        _move(uow, product.id, location_id, MoveKind.ADJUST, change, text, user.id, reason_code=why)
        level = _level(uow.session, product, location_id)
        uow.commit()
    return Ok(level, Changed.STOCK)


@use_case
def count_stock(
    uow: UnitOfWork,
    product_id: object,
    counted: object,
    *,
    user_id: object,
    note: object = "",
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """A manager counted ``counted`` units on the shelf: the free units become that many.

    Units held for open sales are at the tills, not on the shelf, so the count is of
    what is free; the difference is recorded as a count adjustment. A count that
    matches changes nothing but is still on the audit log: the shelf was checked.
    """
    shelf = parse_quantity(counted, allow_zero=True)
    if shelf is None:
        raise Refused(Code.INVALID_QUANTITY)
    text = clean_note(note)
    if text is None:
        raise Refused(Code.INVALID_STOCK_NOTE)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
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
        level = _level(uow.session, product, location_id)
        uow.commit()
    return Ok(level, Changed.STOCK if change else Changed.NOTHING)


@use_case
def set_min_stock(
    uow: UnitOfWork,
    product_id: object,
    minimum: object,
    *,
    user_id: object,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[ProductStock]:
    """Below ``minimum`` free units the product shows on the low-stock list; 0 takes it off."""
    wanted = parse_quantity(minimum, allow_zero=True)
    if wanted is None:
        raise Refused(Code.INVALID_MINIMUM)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
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
    query = (
        select(Product.id, Product.sku, Product.name, Inventory.available, Inventory.reserved)
        .join(Inventory, Inventory.product_id == Product.id)
        .where(Inventory.location_id == location_id)
        .order_by(Product.sku)
    )
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
    product_id: object,
    *,
    manager_id: object,
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
    manager_id: object,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[ProductStock]:
    """The product a delivery line's code names, read as ``receive_delivery`` reads it
    (a barcode first, then a SKU), with its stock: the manager sees what was typed."""
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        key = _product_key(code)
        product = _known_products(uow.session, [(code, 0)]).get(key) if key is not None else None
        if product is None:
            raise Refused(Code.PRODUCT_UNAVAILABLE)
        return Ok(_product_stock(uow.session, product, location_id))


@use_case
def stock_history(
    uow: UnitOfWork,
    product_id: object,
    *,
    manager_id: object,
    before: tuple[datetime, int] | None = None,
    limit: int = HISTORY_PAGE,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[tuple[StockMoveView, ...]]:
    """A product's movements, newest first, a page at a time.

    ``before`` is the ``cursor`` of the last movement of the previous page.
    """
    size = _page_size(limit)
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
    manager_id: object,
    after: int | None = None,
    limit: int = LIST_PAGE,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[tuple[ProductStock, ...]]:
    """Products with a minimum whose free units are below it, by id, a page at a time.

    Free units, not on hand: a unit held for a sale at a till is as good as sold, and
    the shelf should be refilled before it is empty, not after. ``after`` is the
    last product id of the previous page.
    """
    size = _page_size(limit)
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


# -- reservations --------------------------------------------------------------------


@use_case
def product_reservations(
    uow: UnitOfWork,
    product_id: object,
    *,
    manager_id: object,
    after: int | None = None,
    limit: int = LIST_PAGE,
) -> Result[tuple[ReservationView, ...]]:
    """The active reservations of a product: which till, which cart, how many, until when."""
    size = _page_size(limit)
    if after is not None and not (is_id(after) or after == 0):
        raise Refused(Code.INVALID_FILTER)
    query = (
        select(
            Reservation.id,
            Reservation.cart_id,
            Till.code,
            Reservation.quantity,
            Reservation.expires_at,
            Cart.status,
        )
        .join(Cart, Cart.id == Reservation.cart_id)
        .outerjoin(Till, Till.id == Cart.till_id)
        .where(IS_ACTIVE)
        .order_by(Reservation.id)
        .limit(size)
    )
    if after:
        query = query.where(Reservation.id > after)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        now = uow.now()
        rows = uow.session.execute(query.where(Reservation.product_id == product.id)).all()
    return Ok(
        tuple(
            ReservationView(
                id=row.id,
                cart_id=row.cart_id,
                till_code=row.code,
                quantity=row.quantity,
                expires_at=row.expires_at,
                expired=row.expires_at <= now,
                paying=row.status is CartStatus.CHECKING_OUT,
            )
            for row in rows
        )
    )


@use_case
def release_expired_reservations(
    uow: UnitOfWork, *, manager_id: object, product_id: object = None
) -> Result[SweepReport]:
    """A manager runs the sweeper now: for one product, or for the whole shop.

    The same sweep as ``pos.services.reservations.release_expired``: only holds past
    their time, never those of a sale whose payment is in flight, each exactly once
    whoever else sweeps at the same moment. Each batch that returned stock is audited
    with the reservations it ended; a sweep that found nothing writes nothing.
    """
    if product_id is not None and not is_id(product_id):
        raise Refused(Code.PRODUCT_UNAVAILABLE)
    expired = units = 0
    while True:
        with uow:
            manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
            only = None
            if product_id is not None:
                only = product_or_refuse(uow.session, product_id).id
            now = uow.now()
            seen, batch = expire_due(uow.connection, now, product_id=only)
            if batch:
                audit(
                    uow.session,
                    at=now,
                    user_id=manager.id,
                    action="stock.release_expired",
                    entity="product" if only is not None else "shop",
                    entity_id=only if only is not None else "all",
                    released=[
                        {
                            "reservation": r.reservation_id,
                            "product": r.product_id,
                            "quantity": r.quantity,
                        }
                        for r in batch
                    ],
                    units=sum(r.quantity for r in batch),
                )
            expired += len(batch)
            units += sum(r.quantity for r in batch)
            uow.commit()
        if seen < SWEEP_BATCH:
            break
    changed = Changed.STOCK | Changed.CART if expired else Changed.NOTHING
    return Ok(SweepReport(expired, units), changed)


@use_case
def release_reservation(
    uow: UnitOfWork, reservation_id: object, *, manager_id: object
) -> Result[SweepReport]:
    """A manager gives one expired hold back to the shelf now.

    Refused while it has not expired (a live cart at a till must not lose its units)
    and while its sale's payment is in flight; an ended one is no longer there to
    release. The units come back exactly once, as when the sweeper ends it.
    """
    if not is_id(reservation_id):
        raise Refused(Code.RESERVATION_NOT_FOUND)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        now = uow.now()
        row = uow.session.execute(
            select(
                Reservation.id,
                Reservation.product_id,
                Reservation.quantity,
                Reservation.status,
                Reservation.expires_at,
                Cart.status.label("cart_status"),
            )
            .join(Cart, Cart.id == Reservation.cart_id)
            .where(Reservation.id == reservation_id)
            .with_for_update(of=Reservation)
        ).first()
        if row is None or row.status is not ReservationStatus.ACTIVE:
            raise Refused(Code.RESERVATION_NOT_FOUND)
        if row.expires_at > now:
            raise Refused(Code.RESERVATION_NOT_EXPIRED)
        if row.cart_status is CartStatus.CHECKING_OUT:
            raise Refused(Code.PAYMENT_IN_PROGRESS)
        returned = end_reservation(uow.connection, row.id, ReservationStatus.EXPIRED, now)
        if not returned:  # pragma: no cover - the row is locked; a sweeper cannot get there first
            raise Refused(Code.RESERVATION_NOT_FOUND)
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="stock.release_reservation",
            entity="reservation",
            entity_id=row.id,
            product_id=row.product_id,
            quantity=returned,
            before={"status": ReservationStatus.ACTIVE},
            after={"status": ReservationStatus.EXPIRED},
        )
        uow.commit()
    return Ok(SweepReport(1, returned), Changed.STOCK | Changed.CART)


# -- oversells -----------------------------------------------------------------------


@use_case
def list_oversells(
    uow: UnitOfWork,
    *,
    manager_id: object,
    include_resolved: bool = False,
    before: int | None = None,
    limit: int = LIST_PAGE,
) -> Result[tuple[OversellView, ...]]:
    """Oversells newest first, unresolved only unless asked; ``before`` is the last id seen."""
    size = _page_size(limit)
    if before is not None and not is_id(before):
        raise Refused(Code.INVALID_FILTER)
    if not isinstance(include_resolved, bool):
        raise Refused(Code.INVALID_FILTER)
    query = _OVERSELLS.order_by(Oversell.id.desc()).limit(size)
    if not include_resolved:
        query = query.where(Oversell.resolved_at.is_(None))
    if before is not None:
        query = query.where(Oversell.id < before)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        rows = uow.session.execute(query).all()
    return Ok(tuple(_oversell_view(row) for row in rows))


@use_case
def resolve_oversell(
    uow: UnitOfWork, oversell_id: object, note: object, *, manager_id: object
) -> Result[OversellView]:
    """A manager marks an oversell as sorted out, saying how.

    It does not touch the stock: the paid sale already took what the shelf had. If
    the shelf's count is wrong, the manager counts it with an adjustment.
    """
    text = clean_text(note, MAX_RESOLUTION_LENGTH, min_length=1, keep_breaks=True)
    if text is None:
        raise Refused(Code.INVALID_NOTE)
    if not is_id(oversell_id):
        raise Refused(Code.OVERSELL_NOT_FOUND)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        now = uow.now()
        # Conditional: of two managers resolving at once, one does it, the other is told.
        resolved = uow.session.execute(
            update(Oversell)
            .where(Oversell.id == oversell_id, Oversell.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=manager.id, resolution_note=text)
            .returning(Oversell.id)
        ).first()
        if resolved is None:
            there = uow.session.execute(select(Oversell.id).where(Oversell.id == oversell_id))
            raise Refused(
                Code.OVERSELL_RESOLVED if there.first() is not None else Code.OVERSELL_NOT_FOUND
            )
        row = uow.session.execute(_OVERSELLS.where(Oversell.id == oversell_id)).one()
        view = _oversell_view(row)
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="stock.resolve_oversell",
            entity="oversell",
            entity_id=view.id,
            order_id=view.order_id,
            product_id=view.product_id,
            quantity=view.quantity,
            before={"resolved_at": None, "note": None},
            after={"resolved_at": now, "note": text},
        )
        uow.commit()
    return Ok(view, Changed.STOCK)


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
        raise Refused(
            Code.ADJUSTMENT_BELOW_ZERO,
            available=available_now(uow.connection, location_id, product_id),
        )
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


def _level(session: Session, product: Product, location_id: int) -> StockLevel:
    available, reserved = session.execute(
        select(Inventory.available, Inventory.reserved).where(
            Inventory.location_id == location_id, Inventory.product_id == product.id
        )
    ).one()
    return StockLevel(product.id, product.sku, product.name, available, reserved)


def _levels(session: Session, product_ids: list[int], location_id: int) -> tuple[StockLevel, ...]:
    rows = session.execute(
        select(Product.id, Product.sku, Product.name, Inventory.available, Inventory.reserved)
        .join(Inventory, Inventory.product_id == Product.id)
        .where(Inventory.location_id == location_id, Product.id.in_(product_ids))
        .order_by(Product.id)
    ).all()
    return tuple(StockLevel(*row) for row in rows)


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
    ).outerjoin(
        Inventory,
        and_(Inventory.product_id == Product.id, Inventory.location_id == location_id),
    )


def _product_stock(session: Session, product_id: int, location_id: int) -> ProductStock:
    row = session.execute(_stock_query(location_id).where(Product.id == product_id)).one()
    return ProductStock(*row)


# -- delivery lines ------------------------------------------------------------------


def _product_key(ref: object) -> int | str | None:
    """What a delivery line names: a product id, or a code as typed (trimmed)."""
    if is_id(ref):
        assert isinstance(ref, int)
        return ref
    # Control characters never name a product (and a NUL would upset PostgreSQL).
    code = trimmed(ref)
    if code is not None and 0 < len(code) <= MAX_CODE_LENGTH:
        return code
    return None


def _known_products(session: Session, lines: Sequence[object]) -> dict[int | str, int]:
    """The products the lines name that exist: id or code -> product id.

    A code is a barcode first, as at the till, then a SKU.
    """
    ids: set[int] = set()
    codes: set[str] = set()
    for line in lines:
        if isinstance(line, list | tuple) and len(line) == 2:
            key = _product_key(line[0])
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


# -- cursors and pages ---------------------------------------------------------------


def _page_size(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise Refused(Code.INVALID_FILTER)
    return max(1, min(limit, MOST_PER_PAGE))


def _move_cursor(before: object) -> bool:
    return (
        isinstance(before, tuple)
        and len(before) == 2
        and isinstance(before[0], datetime)
        and before[0].tzinfo is not None
        and is_id(before[1])
    )


_RESOLVER = aliased(User)
_OVERSELLS = (
    select(
        Oversell.id,
        Oversell.order_id,
        Till.code.label("till_code"),
        Order.receipt_number,
        Oversell.product_id,
        Product.sku,
        Product.name,
        Oversell.quantity,
        Oversell.created_at,
        Oversell.resolved_at,
        _RESOLVER.display_name.label("resolved_by"),
        Oversell.resolution_note,
    )
    .join(Product, Product.id == Oversell.product_id)
    .join(Order, Order.id == Oversell.order_id)
    .outerjoin(Till, Till.id == Order.till_id)
    .outerjoin(_RESOLVER, _RESOLVER.id == Oversell.resolved_by)
)


def _oversell_view(row: Row[*tuple[Any, ...]]) -> OversellView:
    number = row.receipt_number
    return OversellView(
        id=row.id,
        order_id=row.order_id,
        receipt=receipt_label(row.till_code, number) if row.till_code and number else None,
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        quantity=row.quantity,
        at=row.created_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        note=row.resolution_note,
    )
