"""Reservations: units held for a cart line, and the sweeper that expires them.

Every transition out of ``active`` is a conditional UPDATE ``... AND status =
'active'`` with RETURNING, and the inventory changes only for the rows it
returned. Whoever races for a reservation (the cashier, a sweeper, later a
payment), exactly one of them moves it and the stock changes exactly once.

The statements are built once at import and run on the unit of work's connection:
they are the till's hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, insert, literal_column, or_, select, update

from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import use_case
from pos.store.models import (
    CartStatus,
    ReservationStatus,
)
from pos.store.prepared import Prepared
from pos.store.tables import carts, inventory, reservations
from pos.store.uow import UnitOfWork

SWEEP_BATCH = 500


# A literal, not a bound value, so both dialects can use the partial index on active rows.
IS_ACTIVE = reservations.c.status == literal_column("'active'")

_AVAILABLE = Prepared(
    select(inventory.c.available).where(
        inventory.c.location_id == bindparam("b_location"),
        inventory.c.product_id == bindparam("b_product"),
    )
)
_TAKE = Prepared(
    update(inventory)
    .where(
        inventory.c.location_id == bindparam("b_location"),
        inventory.c.product_id == bindparam("b_product"),
        inventory.c.available >= bindparam("b_quantity"),
    )
    .values(
        available=inventory.c.available - bindparam("b_quantity"),
        reserved=inventory.c.reserved + bindparam("b_quantity"),
    )
    .returning(inventory.c.product_id)
)
_RETURN = Prepared(
    update(inventory)
    .where(
        inventory.c.location_id == bindparam("b_location"),
        inventory.c.product_id == bindparam("b_product"),
    )
    .values(
        available=inventory.c.available + bindparam("b_quantity"),
        reserved=inventory.c.reserved - bindparam("b_quantity"),
    )
)
_HOLD = Prepared(
    update(reservations)
    .where(reservations.c.cart_id == bindparam("b_cart"), IS_ACTIVE)
    .values(expires_at=bindparam("b_expires"))
    .returning(reservations.c.id, reservations.c.product_id, reservations.c.quantity)
)
# Ringing up one line: the line's own hold, and every other hold whose expiry is below
# now + the hold time (one made since the last renewal, or renewed a tenth of the hold
# time ago), get a fresh expiry; the rest stand as they are. So one scan writes two or
# three rows, not the whole sale's (a write per line per scan left a long sale's index
# full of dead rows).
_KEEP = Prepared(
    update(reservations)
    .where(
        reservations.c.cart_id == bindparam("b_cart"),
        IS_ACTIVE,
        or_(
            reservations.c.expires_at < bindparam("b_due"),
            reservations.c.product_id == bindparam("b_product"),
        ),
    )
    .values(expires_at=bindparam("b_expires"))
    .returning(reservations.c.id, reservations.c.product_id, reservations.c.quantity)
)
_END = Prepared(
    update(reservations)
    .where(reservations.c.id == bindparam("b_id"), IS_ACTIVE)
    .values(status=bindparam("b_status"), ended_at=bindparam("b_now"))
    .returning(reservations.c.location_id, reservations.c.product_id, reservations.c.quantity)
)
_RESIZE = Prepared(
    update(reservations)
    .where(reservations.c.id == bindparam("b_id"))
    .values(quantity=bindparam("b_quantity"))
)
_NEW_RESERVATION = dict(
    cart_id=bindparam("b_cart"),
    product_id=bindparam("b_product"),
    location_id=bindparam("b_location"),
    quantity=bindparam("b_quantity"),
    status=ReservationStatus.ACTIVE,
    expires_at=bindparam("b_expires"),
    created_at=bindparam("b_now"),
)
_CREATE = Prepared(insert(reservations).values(**_NEW_RESERVATION))
# At checkout the cart's holds belong to the order whose payment is in flight.
_CREATE_FOR_ORDER = Prepared(
    insert(reservations).values(**_NEW_RESERVATION, order_id=bindparam("b_order"))
)
_HOLD_FOR_ORDER = Prepared(
    update(reservations)
    .where(reservations.c.cart_id == bindparam("b_cart"), IS_ACTIVE)
    .values(expires_at=bindparam("b_expires"), order_id=bindparam("b_order"))
    .returning(reservations.c.id, reservations.c.product_id, reservations.c.quantity)
)


@dataclass(frozen=True)
class Held:
    """A cart line's active reservation, locked by the current transaction."""

    reservation_id: int
    product_id: int
    quantity: int


@dataclass(frozen=True)
class CartRow:
    """The columns of a cart that reserving needs."""

    id: int
    location_id: int


def available_now(connection: Connection, location_id: int, product_id: int) -> int:
    """Units free to sell right now: for messages only, never as the stock check."""
    row = _AVAILABLE.first(connection, {"b_location": location_id, "b_product": product_id})
    return int(row.available) if row else 0


def take_stock(connection: Connection, location_id: int, product_id: int, quantity: int) -> bool:
    """Move ``quantity`` from available to reserved if that many are free; the only
    stock check that counts."""
    params = {"b_location": location_id, "b_product": product_id, "b_quantity": quantity}
    return _TAKE.first(connection, params) is not None


def return_stock(connection: Connection, location_id: int, product_id: int, quantity: int) -> None:
    """Move ``quantity`` back from reserved to available (CHECK reserved >= 0 guards it)."""
    params = {"b_location": location_id, "b_product": product_id, "b_quantity": quantity}
    _RETURN.execute(connection, params)


def hold_cart_reservations(
    connection: Connection, cart_id: int, expires_at: datetime, order_id: UUID | None = None
) -> dict[int, Held]:
    """Lock the cart's active reservations and give them a fresh expiry.

    A cashier working on a sale keeps the whole sale held. On PostgreSQL the UPDATE
    waits for a sweeper that is expiring one of these rows, then skips it because its
    status is no longer 'active'; the line is then reserved afresh. At checkout,
    ``order_id`` ties the holds to the order being paid.
    """
    params = {"b_cart": cart_id, "b_expires": expires_at}
    if order_id is None:
        rows = _HOLD.execute(connection, params)
    else:
        rows = _HOLD_FOR_ORDER.execute(connection, {**params, "b_order": order_id})
    return {row.product_id: Held(row.id, row.product_id, row.quantity) for row in rows}


def keep_cart_held(
    connection: Connection, cart_id: int, product_id: int, now: datetime, ttl: timedelta
) -> Held | None:
    """Keep a cart a cashier is working on held, and lock the hold of the line being rung
    up (None if it has none: never held, or lapsed).

    Every line stays held at least ``ttl`` after this moment: a hold that would lapse
    sooner gets ``ttl`` and a tenth more, so it is written again only once that tenth
    has passed. A cart held this way is held for ``ttl`` to ``ttl * 1.1`` after its last
    change, and ringing up a line writes its own hold and the few that have aged.
    """
    params = {
        "b_cart": cart_id,
        "b_product": product_id,
        "b_due": now + ttl,
        "b_expires": now + ttl + ttl / 10,
    }
    for row in _KEEP.execute(connection, params):
        if row.product_id == product_id:
            return Held(row.id, row.product_id, row.quantity)
    return None


def end_reservation(
    connection: Connection, reservation_id: int, status: ReservationStatus, now: datetime
) -> int:
    """Move one reservation out of 'active' and give its units back; 0 if someone else did."""
    # "AND status = 'active'" is the whole guarantee: of all racers, one UPDATE hits.
    ended = _END.first(connection, {"b_id": reservation_id, "b_status": status, "b_now": now})
    if ended is None:
        return 0
    quantity: int = ended.quantity
    return_stock(connection, ended.location_id, ended.product_id, quantity)
    return quantity


def release_holds(connection: Connection, held_by: Any, now: datetime) -> int:
    """Release every active reservation ``held_by`` selects (a cart's, an order's), in
    product order as everywhere, each exactly once; the units given back."""
    held = connection.execute(
        select(reservations.c.id).where(held_by, IS_ACTIVE).order_by(reservations.c.product_id)
    ).scalars()
    return sum(
        end_reservation(connection, reservation_id, ReservationStatus.RELEASED, now)
        for reservation_id in list(held)
    )


def reserve_line(
    connection: Connection,
    *,
    cart: CartRow,
    product_id: int,
    quantity: int,
    held: Held | None,
    now: datetime,
    ttl: timedelta,
    order_id: UUID | None = None,
) -> None:
    """Make the line's active reservation cover exactly ``quantity`` units.

    Only the difference from what is already held moves in the inventory; a line
    whose reservation expired is reserved again in full.
    """
    if quantity == 0:
        if held is not None:
            end_reservation(connection, held.reservation_id, ReservationStatus.RELEASED, now)
        return
    already = held.quantity if held is not None else 0
    difference = quantity - already
    if difference > 0 and not take_stock(connection, cart.location_id, product_id, difference):
        raise Refused(
            Code.INSUFFICIENT_STOCK,
            available=available_now(connection, cart.location_id, product_id),
        )
    if difference < 0:
        return_stock(connection, cart.location_id, product_id, -difference)
    if held is not None:
        if difference:
            _RESIZE.execute(connection, {"b_id": held.reservation_id, "b_quantity": quantity})
        return
    params = {
        "b_cart": cart.id,
        "b_product": product_id,
        "b_location": cart.location_id,
        "b_quantity": quantity,
        "b_expires": now + ttl,
        "b_now": now,
    }
    if order_id is None:
        _CREATE.execute(connection, params)
    else:
        _CREATE_FOR_ORDER.execute(connection, {**params, "b_order": order_id})


@dataclass(frozen=True)
class SweepReport:
    expired: int
    units_returned: int


@dataclass(frozen=True)
class Expired:
    """A reservation a sweep moved to 'expired', its units back on the shelf."""

    reservation_id: int
    product_id: int
    quantity: int


def expire_due(
    connection: Connection, at: datetime, *, product_id: int | None = None
) -> tuple[int, list[Expired]]:
    """One batch of the sweep: how many due reservations it looked at, and those it expired.

    Due means active, past ``at``, and not held for a payment in flight. Rows another
    transaction holds are skipped (SKIP LOCKED on PostgreSQL) for the next sweep.
    ``product_id`` narrows the sweep to one product's reservations.
    """
    due = (
        select(reservations.c.id, reservations.c.product_id)
        .join(carts, carts.c.id == reservations.c.cart_id)
        .where(
            IS_ACTIVE,
            reservations.c.expires_at <= at,
            carts.c.status != CartStatus.CHECKING_OUT,
        )
        .order_by(reservations.c.product_id, reservations.c.id)
        .limit(SWEEP_BATCH)
        .with_for_update(of=reservations, skip_locked=True)
    )
    if product_id is not None:
        due = due.where(reservations.c.product_id == product_id)
    rows = connection.execute(due).all()
    expired = []
    for row in rows:
        returned = end_reservation(connection, row.id, ReservationStatus.EXPIRED, at)
        if returned:
            expired.append(Expired(row.id, row.product_id, returned))
    return len(rows), expired


def sweep(
    uow: UnitOfWork, one_batch: Callable[[UnitOfWork], tuple[int, list[Expired]]]
) -> Ok[SweepReport]:
    """The sweep's one loop, whoever sweeps: batch after batch, each in its own
    transaction, until a batch finds fewer than ``SWEEP_BATCH`` due holds.

    ``one_batch`` runs inside the open unit of work: ``expire_due`` and whatever must
    be written in the same transaction as the holds it ended.
    """
    expired = units = 0
    while True:
        with uow:
            seen, batch = one_batch(uow)
            expired += len(batch)
            units += sum(item.quantity for item in batch)
            uow.commit()
        if seen < SWEEP_BATCH:
            break
    changed = Changed.STOCK | Changed.CART if expired else Changed.NOTHING
    return Ok(SweepReport(expired, units), changed)


@use_case
def release_expired(uow: UnitOfWork, now: datetime | None = None) -> Result[SweepReport]:
    """The sweeper: expire every active reservation past its time, exactly once.

    Carts in the middle of a payment are left alone: stock is never released while
    a payment's outcome is unknown. On PostgreSQL rows another transaction holds are
    skipped (SKIP LOCKED) and picked up by the next sweep, so the sweeper never
    waits on a cashier. Units go back in product order, so two sweepers never
    deadlock on inventory rows.
    """
    return sweep(uow, lambda unit: expire_due(unit.connection, now or unit.now()))
