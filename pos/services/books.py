"""The books' own checks, straight against the tables: what a restored backup must pass
before a shop may trust it, and what the tests check after every scenario.

Stock (DESIGN.md §2): ``available + reserved = received + adjustments - sold + returned``,
where the units a paid sale took that were not on the shelf (its oversells) were never in
``available``, ``returned`` counts the units returns put back on the shelf (damaged ones
are written off and never come back), and ``reserved`` is the sum of the active
reservations. The stock moves the returns made must say the same as the returns. Receipts: each
till's numbers run from 1 with no gap, up to the number the till last gave out.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, or_, select

from pos.domain.stock import RETURN_REASON
from pos.store.models import (
    Inventory,
    Order,
    OrderItem,
    OrderStatus,
    Oversell,
    Receipt,
    Reservation,
    ReservationStatus,
    ReturnLine,
    StockMove,
    TillRow,
)


def stock_books(connection: Connection) -> dict[int, tuple[int, int, int, int]]:
    """Per product: (available, reserved, received + adjustments - sold from the shelf +
    returned to it, active reservation units)."""
    levels = connection.execute(
        select(Inventory.product_id, Inventory.available, Inventory.reserved)
    ).all()
    not_returns = or_(StockMove.reason_code.is_(None), StockMove.reason_code != RETURN_REASON)
    moved = _sums(
        connection,
        select(StockMove.product_id, func.sum(StockMove.quantity)).where(not_returns),
    )
    returned = _sums(
        connection,
        select(ReturnLine.product_id, func.sum(ReturnLine.quantity)).where(ReturnLine.restock),
    )
    sold = _sums(
        connection,
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.status == OrderStatus.PAID),
    )
    oversold = _sums(connection, select(Oversell.product_id, func.sum(Oversell.quantity)))
    held = _sums(
        connection,
        select(Reservation.product_id, func.sum(Reservation.quantity)).where(
            Reservation.status == ReservationStatus.ACTIVE
        ),
    )
    return {
        product_id: (
            available,
            reserved,
            moved.get(product_id, 0)
            - sold.get(product_id, 0)
            + oversold.get(product_id, 0)
            + returned.get(product_id, 0),
            held.get(product_id, 0),
        )
        for product_id, available, reserved in levels
    }


def _returns_against_moves(connection: Connection) -> dict[int, tuple[int, int]]:
    """Per product: units returns put back on the shelf, and their stock moves' units."""
    returned = _sums(
        connection,
        select(ReturnLine.product_id, func.sum(ReturnLine.quantity)).where(ReturnLine.restock),
    )
    moved = _sums(
        connection,
        select(StockMove.product_id, func.sum(StockMove.quantity)).where(
            StockMove.reason_code == RETURN_REASON
        ),
    )
    return {
        product: (returned.get(product, 0), moved.get(product, 0))
        for product in returned.keys() | moved.keys()
    }


def _sums(connection: Connection, query: object) -> dict[int, int]:
    grouped = query.group_by(query.selected_columns[0])  # type: ignore[attr-defined]
    return {int(key): int(total) for key, total in connection.execute(grouped).all()}


def stock_faults(connection: Connection) -> list[str]:
    """Each product whose stock does not add up, said in a line (empty: the books balance)."""
    faults = [
        f"product {product_id}: returns put {returned} back, their stock moves {moved}"
        for product_id, (returned, moved) in _returns_against_moves(connection).items()
        if returned != moved
    ]
    for product_id, (available, reserved, moved, held) in stock_books(connection).items():
        if available < 0 or reserved < 0 or available + reserved != moved or reserved != held:
            faults.append(
                f"product {product_id}: available {available} + reserved {reserved}"
                f" against {moved} moved, {held} held"
            )
    return faults


def receipt_gaps(connection: Connection) -> list[str]:
    """Each till whose receipt numbers skip or run past its counter (empty: none do)."""
    counted = connection.execute(
        select(
            TillRow.code,
            TillRow.last_receipt_number,
            func.count(Receipt.number),
            func.coalesce(func.min(Receipt.number), 0),
            func.coalesce(func.max(Receipt.number), 0),
        )
        .outerjoin(Receipt, Receipt.till_id == TillRow.id)
        .group_by(TillRow.id, TillRow.code, TillRow.last_receipt_number)
    ).all()
    gaps = []
    for code, last, count, lowest, highest in counted:
        if count and (lowest != 1 or highest != count):
            gaps.append(f"till {code}: {count} receipts numbered {lowest} to {highest}")
        elif highest != last:
            gaps.append(f"till {code}: receipts up to {highest}, counter at {last}")
    return gaps
