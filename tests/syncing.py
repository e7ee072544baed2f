"""Offline sales made on a till's replica, for the tests and the benchmark of sending
them home (issue 17): a catalogue on the central store, pulled to a SQLite replica, and
cash sales made there through the till's own use cases."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqlalchemy import Engine, func, select

from pos.services.cart import add_to_cart
from pos.services.offline import went_offline
from pos.store.tables import orders, outbox, receipts, redemptions, sync_conflicts, tills
from pos.store.uow import UnitOfWork
from tests.conftest import value
from tests.sales import pay_cash


def sell_offline(
    off: UnitOfWork,
    products: Sequence[int],
    count: int,
    *,
    lines: int = 2,
    seed: int = 7,
    coupon: str | None = None,
    till_id: int = 1,
) -> None:
    """``count`` cash sales of ``lines`` lines each (a few units of random products),
    made on the replica ``off`` as the till makes them offline."""
    from pos.services.coupons import apply_coupon

    chooser = random.Random(seed)
    from pos.services.cart import open_cart

    value(went_offline(off, till_id))
    for _ in range(count):
        cart = value(open_cart(off, till_id=till_id)).cart_id
        for product in chooser.sample(list(products), min(lines, len(products))):
            value(add_to_cart(off, cart, product, chooser.randint(1, 3)))
        if coupon is not None:
            value(apply_coupon(off, cart, coupon))
        value(pay_cash(off, cart))


def unsent(replica: Engine) -> int:
    with replica.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            ).scalar_one()
        )


def offline_orders(replica: Engine) -> set[object]:
    with replica.connect() as connection:
        return set(connection.execute(select(orders.c.id)).scalars())


def assert_exactly_once(central: Engine, made: set[object]) -> None:
    """Every sale made offline is in the central store once, with its receipt, and each
    till's series runs from 1 without a gap or a repeat up to its counter."""
    with central.connect() as connection:
        there = list(connection.execute(select(orders.c.id)).scalars())
        assert len(there) == len(set(there))
        assert made <= set(there), len(made - set(there))
        series = connection.execute(
            select(receipts.c.till_id, receipts.c.number).order_by(
                receipts.c.till_id, receipts.c.number
            )
        ).all()
        counters = dict(connection.execute(select(tills.c.id, tills.c.last_receipt_number)).all())
        conflicts = connection.execute(select(func.count()).select_from(sync_conflicts)).scalar()
        over = connection.execute(
            select(func.count()).select_from(redemptions).where(redemptions.c.over_limit)
        ).scalar()
    by_till: dict[int, list[int]] = {}
    for till_id, number in series:
        by_till.setdefault(till_id, []).append(number)
    for till_id, numbers in by_till.items():
        assert numbers == list(range(1, len(numbers) + 1)), (till_id, numbers[:5])
        assert counters[till_id] == len(numbers), (till_id, counters[till_id], len(numbers))
    assert conflicts == 0
    del over
