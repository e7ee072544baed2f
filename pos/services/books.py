"""The books' own checks, straight against the tables: what a restored backup must pass
before a shop may trust it, and what the tests check after every scenario.

Stock (DESIGN.md §2): ``available + reserved = received + adjustments - sold``, where the
units a paid sale took that were not on the shelf (its oversells) were never in
``available``; and ``reserved`` is the sum of the active reservations. Receipts: each
till's numbers run from 1 with no gap, up to the number the till last gave out.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from pos.store.models import (
    Inventory,
    Order,
    OrderItem,
    OrderStatus,
    Oversell,
    Receipt,
    Reservation,
    ReservationStatus,
    StockMove,
    TillRow,
)


def stock_books(connection: Connection) -> dict[int, tuple[int, int, int, int]]:
    """Per product: (available, reserved, received + adjustments - sold from the shelf,
    active reservation units)."""
    levels = connection.execute(
        select(Inventory.product_id, Inventory.available, Inventory.reserved)
    ).all()
    moved = _sums(connection, select(StockMove.product_id, func.sum(StockMove.quantity)))
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
            moved.get(product_id, 0) - sold.get(product_id, 0) + oversold.get(product_id, 0),
            held.get(product_id, 0),
        )
        for product_id, available, reserved in levels
    }


def _sums(connection: Connection, query: object) -> dict[int, int]:
    grouped = query.group_by(query.selected_columns[0])  # type: ignore[attr-defined]
    return {int(key): int(total) for key, total in connection.execute(grouped).all()}


def stock_faults(connection: Connection) -> list[str]:
    """Each product whose stock does not add up, said in a line (empty: the books balance)."""
    faults = []
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
