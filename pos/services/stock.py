"""Stock on hand: goods received, counted and corrected, each change on the record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pos.domain.quantities import parse_delta, parse_quantity
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import audit, is_id, product_or_refuse, use_case
from pos.services.reservations import available_now
from pos.services.users import acting_user
from pos.store.models import (
    DEFAULT_LOCATION_ID,
    Inventory,
    MoveKind,
    Product,
    Role,
    StockMove,
)
from pos.store.uow import UnitOfWork

MAX_REASON_LENGTH = 200


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
        _move(uow, product, location_id, MoveKind.RECEIVE, received, note, user.id)
        level = _level(uow.session, product, location_id)
        uow.commit()
    return Ok(level, Changed.STOCK)


@use_case
def adjust_stock(
    uow: UnitOfWork,
    product_id: object,
    delta: object,
    *,
    reason: object,
    user_id: object,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[StockLevel]:
    """A manager's correction (count, damage, theft): signed, with a reason.

    It can take away only units that are free; units held for a cart are the
    customer's until the cart lets them go.
    """
    change = parse_delta(delta)
    if change is None:
        raise Refused(Code.INVALID_QUANTITY)
    note = _reason(reason)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        _move(uow, product, location_id, MoveKind.ADJUST, change, note, user.id)
        level = _level(uow.session, product, location_id)
        uow.commit()
    return Ok(level, Changed.STOCK)


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


def _reason(reason: object) -> str:
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not 1 <= len(text) <= MAX_REASON_LENGTH:
        raise Refused(Code.INVALID_REASON)
    return text


def _move(
    uow: UnitOfWork,
    product: Product,
    location_id: int,
    kind: MoveKind,
    quantity: int,
    reason: str,
    user_id: int,
) -> None:
    session = uow.session
    _ensure_inventory_row(session, location_id, product.id)
    # Conditional, like a reservation: a count that would go below zero changes nothing.
    moved = session.execute(
        update(Inventory)
        .where(
            Inventory.location_id == location_id,
            Inventory.product_id == product.id,
            Inventory.available + quantity >= 0,
        )
        .values(available=Inventory.available + quantity)
        .returning(Inventory.available)
    ).first()
    if moved is None:
        raise Refused(
            Code.ADJUSTMENT_BELOW_ZERO,
            available=available_now(uow.connection, location_id, product.id),
        )
    now = uow.now()
    session.execute(
        insert(StockMove).values(
            location_id=location_id,
            product_id=product.id,
            kind=kind,
            quantity=quantity,
            reason=reason,
            user_id=user_id,
            created_at=now,
        )
    )
    audit(
        session,
        at=now,
        user_id=user_id,
        action=f"stock.{kind.value}",
        entity="product",
        entity_id=product.id,
        quantity=quantity,
        reason=reason,
        location_id=location_id,
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
