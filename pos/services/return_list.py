"""Returns for a manager: the day's refund receipts, and the returns of one sale.

Read only. A day is the shop's local day, as on the orders list (``orders_of_day``);
the day's returns come newest first, at most ``MAX_RETURNS`` of them (a shop takes back
far fewer goods in a day than it sells, so they are not paged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from pos.domain.receipt import receipt_label
from pos.domain.results import Code, Ok, Refused, Result
from pos.domain.return_receipt import return_label
from pos.services._support import use_case
from pos.services.orders import _checked_day, _local_day
from pos.services.receipts import order_key
from pos.services.shop import zone_of_shop
from pos.services.users import acting_user
from pos.store.models import Role
from pos.store.tables import orders, sale_returns, tills, users
from pos.store.uow import UnitOfWork

MAX_RETURNS = 500


@dataclass(frozen=True)
class ReturnRow:
    """One return as the back office lists it."""

    return_id: UUID
    order_id: UUID | None
    number_label: str
    """Its refund receipt's number (``T01-I-000007``)."""
    created_at: datetime
    sale_receipt: str | None
    """The receipt number of the sale it returned goods of."""
    total_minor: int
    currency: str
    cashier: str | None
    approved_by: str | None
    """The manager who allowed it (cash instead of the card), if one had to."""
    reason: str


@use_case
def returns_of_day(
    uow: UnitOfWork, *, manager_id: int, day: date, tz: tzinfo | None = None
) -> Result[tuple[ReturnRow, ...]]:
    """The returns made on ``day`` in ``tz`` (the shop's zone if None), newest first."""
    wanted = _checked_day(day, tz)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        zone = tz if isinstance(tz, tzinfo) else zone_of_shop(uow.connection)
        start, end = _local_day(wanted, zone)
        query = (
            _listed()
            .where(sale_returns.c.created_at >= start, sale_returns.c.created_at < end)
            .order_by(sale_returns.c.created_at.desc(), sale_returns.c.number.desc())
            .limit(MAX_RETURNS)
        )
        return Ok(tuple(_row(row) for row in uow.connection.execute(query)))


@use_case
def order_returns(
    uow: UnitOfWork, order_id: UUID | str, *, manager_id: int
) -> Result[tuple[ReturnRow, ...]]:
    """The returns of one sale, oldest first; ORDER_NOT_FOUND for no such order."""
    key = order_key(order_id)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        if uow.connection.execute(select(orders.c.id).where(orders.c.id == key)).first() is None:
            raise Refused(Code.ORDER_NOT_FOUND)
        query = (
            _listed()
            .where(sale_returns.c.order_id == key)
            .order_by(sale_returns.c.created_at, sale_returns.c.number)
        )
        return Ok(tuple(_row(row) for row in uow.connection.execute(query)))


def _listed() -> Select[Any]:
    manager = aliased(users)
    return (
        select(
            sale_returns.c.id,
            sale_returns.c.order_id,
            sale_returns.c.number,
            sale_returns.c.created_at,
            sale_returns.c.total_minor,
            sale_returns.c.currency,
            sale_returns.c.reason,
            tills.c.code,
            orders.c.receipt_number,
            users.c.display_name.label("cashier"),
            manager.c.display_name.label("manager"),
        )
        .join(tills, tills.c.id == sale_returns.c.till_id)
        .outerjoin(orders, orders.c.id == sale_returns.c.order_id)
        .outerjoin(users, users.c.id == sale_returns.c.cashier_id)
        .outerjoin(manager, manager.c.id == sale_returns.c.approved_by)
    )


def _row(row: Any) -> ReturnRow:
    """A listed row (its columns by name) as the back office shows it."""
    return ReturnRow(
        return_id=row.id,
        order_id=row.order_id,
        number_label=return_label(row.code, row.number),
        created_at=row.created_at,
        sale_receipt=(
            receipt_label(row.code, row.receipt_number) if row.receipt_number is not None else None
        ),
        total_minor=row.total_minor,
        currency=row.currency,
        cashier=row.cashier,
        approved_by=row.manager,
        reason=row.reason,
    )
