"""The stock invariant of DESIGN.md §2, checked straight against the tables."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pos.store.models import Inventory, Reservation, ReservationStatus, StockMove


def stock_books(engine: Engine) -> dict[int, tuple[int, int, int, int]]:
    """Per product: (available, reserved, received + adjustments, active reservation units)."""
    with engine.connect() as connection:
        levels = connection.execute(
            select(Inventory.product_id, Inventory.available, Inventory.reserved)
        ).all()
        moved = dict(
            connection.execute(
                select(StockMove.product_id, func.sum(StockMove.quantity)).group_by(
                    StockMove.product_id
                )
            ).all()
        )
        held = dict(
            connection.execute(
                select(Reservation.product_id, func.sum(Reservation.quantity))
                .where(Reservation.status == ReservationStatus.ACTIVE)
                .group_by(Reservation.product_id)
            ).all()
        )
    return {
        product_id: (available, reserved, moved.get(product_id, 0), held.get(product_id, 0))
        for product_id, available, reserved in levels
    }


def assert_stock_invariant(engine: Engine) -> None:
    for product_id, (available, reserved, moved, held) in stock_books(engine).items():
        assert available >= 0, product_id
        assert reserved >= 0, product_id
        assert available + reserved == moved, (product_id, available, reserved, moved)
        assert reserved == held, (product_id, reserved, held)
