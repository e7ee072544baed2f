"""Oversells: units a paid sale took that were no longer on the shelf.

A payment that succeeds after its holds were released still makes a paid sale
(DESIGN.md §3); where the shelf was short, the sale records an oversell for a
manager, who lists them and marks each sorted out. The manager's note is typed
``object`` and checked at run time: it comes as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select, update
from sqlalchemy.orm import aliased

from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.domain.text import clean_text
from pos.services._support import LIST_PAGE, audit, is_id, page_size, use_case
from pos.services.users import acting_user
from pos.store.models import Order, Oversell, Product, Role, TillRow, User
from pos.store.uow import UnitOfWork

MAX_RESOLUTION_LENGTH = 500


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


@use_case
def list_oversells(
    uow: UnitOfWork,
    *,
    manager_id: int,
    include_resolved: bool = False,
    before: int | None = None,
    limit: int = LIST_PAGE,
) -> Result[tuple[OversellView, ...]]:
    """Oversells newest first, unresolved only unless asked; ``before`` is the last id seen."""
    size = page_size(limit)
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
    uow: UnitOfWork, oversell_id: int, note: object, *, manager_id: int
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


_RESOLVER = aliased(User)
_OVERSELLS = (
    select(
        Oversell.id,
        Oversell.order_id,
        TillRow.code.label("till_code"),
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
    .outerjoin(TillRow, TillRow.id == Order.till_id)
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
