"""The invariants of DESIGN.md §2, checked straight against the tables.

Stock: ``available + reserved = received + adjustments - sold + returned``, where the
units a paid sale took that were not on the shelf (its oversells) were never in
``available``, ``returned`` is what returns put back on the shelf (matched by their stock
moves), and ``reserved`` is the sum of the active reservations. Coupons: every coupon's
times-used equals its confirmed plus held redemptions, less those an offline sale made
past the coupon's limit (kept, flagged ``over_limit``, never counted past the limit).
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pos.services import books
from pos.store.models import Coupon, CouponRedemption, RedemptionState


def stock_books(engine: Engine) -> dict[int, tuple[int, int, int, int]]:
    """Per product: (available, reserved, received + adjustments - sold from the shelf +
    returned to it, active reservation units); the same sums ``pos backup verify`` checks
    a backup by."""
    with engine.connect() as connection:
        return books.stock_books(connection)


def assert_stock_invariant(engine: Engine) -> None:
    for product_id, (available, reserved, moved, held) in stock_books(engine).items():
        assert available >= 0, product_id
        assert reserved >= 0, product_id
        assert available + reserved == moved, (product_id, available, reserved, moved)
        assert reserved == held, (product_id, reserved, held)
    with engine.connect() as connection:
        faults = books.stock_faults(connection)
    assert not faults, faults


def assert_coupon_invariant(engine: Engine) -> None:
    """Every coupon's times-used is its confirmed plus held redemptions, never over its limit."""
    counted = (
        select(func.count())
        .where(
            CouponRedemption.coupon_id == Coupon.id,
            CouponRedemption.state.in_([RedemptionState.CONFIRMED, RedemptionState.HELD]),
            CouponRedemption.over_limit.is_(False),
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
