"""The invariants of DESIGN.md §2, checked straight against the tables.

Stock: ``available + reserved = received + adjustments - sold``, where the units a
paid sale took that were not on the shelf (its oversells) were never in ``available``;
and ``reserved`` is the sum of the active reservations. Coupons: every coupon's
times-used equals its confirmed plus held redemptions.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pos.store.models import (
    Coupon,
    CouponRedemption,
    Inventory,
    Order,
    OrderItem,
    OrderStatus,
    Oversell,
    RedemptionState,
    Reservation,
    ReservationStatus,
    StockMove,
)


def stock_books(engine: Engine) -> dict[int, tuple[int, int, int, int]]:
    """Per product: (available, reserved, received + adjustments - sold from the shelf,
    active reservation units)."""
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
        sold = dict(
            connection.execute(
                select(OrderItem.product_id, func.sum(OrderItem.quantity))
                .join(Order, Order.id == OrderItem.order_id)
                .where(Order.status == OrderStatus.PAID)
                .group_by(OrderItem.product_id)
            ).all()
        )
        oversold = dict(
            connection.execute(
                select(Oversell.product_id, func.sum(Oversell.quantity)).group_by(
                    Oversell.product_id
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
        product_id: (
            available,
            reserved,
            moved.get(product_id, 0) - sold.get(product_id, 0) + oversold.get(product_id, 0),
            held.get(product_id, 0),
        )
        for product_id, available, reserved in levels
    }


def assert_stock_invariant(engine: Engine) -> None:
    for product_id, (available, reserved, moved, held) in stock_books(engine).items():
        assert available >= 0, product_id
        assert reserved >= 0, product_id
        assert available + reserved == moved, (product_id, available, reserved, moved)
        assert reserved == held, (product_id, reserved, held)


def assert_coupon_invariant(engine: Engine) -> None:
    """Every coupon's times-used is its confirmed plus held redemptions, never over its limit."""
    counted = (
        select(func.count())
        .where(
            CouponRedemption.coupon_id == Coupon.id,
            CouponRedemption.state.in_([RedemptionState.CONFIRMED, RedemptionState.HELD]),
        )
        .scalar_subquery()
    )
    with engine.connect() as connection:
        rows = connection.execute(
            select(Coupon.code, Coupon.times_used, Coupon.usage_limit, counted)
        ).all()
    for code, times_used, limit, redeemed in rows:
        assert times_used == redeemed, (code, times_used, redeemed)
        assert limit is None or times_used <= limit, (code, times_used, limit)


def assert_invariants(engine: Engine) -> None:
    assert_stock_invariant(engine)
    assert_coupon_invariant(engine)
