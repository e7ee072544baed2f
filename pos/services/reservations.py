"""Reservations: units held for a cart line, and the sweeper that expires them.

Every transition out of ``active`` is a conditional UPDATE ``... AND status =
'active'`` with RETURNING, and the inventory changes only for the rows it
returned. Whoever races for a reservation (the cashier, a sweeper, later a
payment), exactly one of them moves it and the stock changes exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import use_case
from pos.store.models import Cart, CartStatus, Inventory, Reservation, ReservationStatus
from pos.store.uow import UnitOfWork

RESERVATION_TTL = timedelta(minutes=15)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Held:
    """A cart line's active reservation, locked by the current transaction."""

    reservation_id: int
    product_id: int
    quantity: int


def available_now(session: Session, location_id: int, product_id: int) -> int:
    """Units free to sell right now: for messages only, never as the stock check."""
    available = session.execute(
        select(Inventory.available).where(
            Inventory.location_id == location_id, Inventory.product_id == product_id
        )
    ).scalar_one_or_none()
    return available or 0


def take_stock(session: Session, location_id: int, product_id: int, quantity: int) -> bool:
    """Move ``quantity`` from available to reserved if that many are free; the only
    stock check that counts."""
    taken = session.execute(
        update(Inventory)
        .where(
            Inventory.location_id == location_id,
            Inventory.product_id == product_id,
            Inventory.available >= quantity,
        )
        .values(available=Inventory.available - quantity, reserved=Inventory.reserved + quantity)
        .returning(Inventory.product_id)
    ).first()
    return taken is not None


def return_stock(session: Session, location_id: int, product_id: int, quantity: int) -> None:
    """Move ``quantity`` back from reserved to available (CHECK reserved >= 0 guards it)."""
    session.execute(
        update(Inventory)
        .where(Inventory.location_id == location_id, Inventory.product_id == product_id)
        .values(available=Inventory.available + quantity, reserved=Inventory.reserved - quantity)
    )


def hold_cart_reservations(session: Session, cart_id: int, expires_at: datetime) -> dict[int, Held]:
    """Lock the cart's active reservations and give them a fresh expiry.

    A cashier working on a sale keeps the whole sale held. On PostgreSQL the UPDATE
    waits for a sweeper that is expiring one of these rows, then skips it because its
    status is no longer 'active'; the line is then reserved afresh.
    """
    rows = session.execute(
        update(Reservation)
        .where(Reservation.cart_id == cart_id, Reservation.status == ReservationStatus.ACTIVE)
        .values(expires_at=expires_at)
        .returning(Reservation.id, Reservation.product_id, Reservation.quantity)
    ).all()
    return {row.product_id: Held(row.id, row.product_id, row.quantity) for row in rows}


def end_reservation(
    session: Session, reservation_id: int, status: ReservationStatus, now: datetime
) -> int:
    """Move one reservation out of 'active' and give its units back; 0 if someone else did."""
    # "AND status = 'active'" is the whole guarantee: of all racers, one UPDATE hits.
    ended = session.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id, Reservation.status == ReservationStatus.ACTIVE)
        .values(status=status, ended_at=now)
        .returning(Reservation.location_id, Reservation.product_id, Reservation.quantity)
    ).first()
    if ended is None:
        return 0
    quantity: int = ended.quantity
    return_stock(session, ended.location_id, ended.product_id, quantity)
    return quantity


def reserve_line(
    session: Session,
    *,
    cart: Cart,
    product_id: int,
    quantity: int,
    held: Held | None,
    now: datetime,
    ttl: timedelta,
) -> None:
    """Make the line's active reservation cover exactly ``quantity`` units.

    Only the difference from what is already held moves in the inventory; a line
    whose reservation expired is reserved again in full.
    """
    if quantity == 0:
        if held is not None:
            end_reservation(session, held.reservation_id, ReservationStatus.RELEASED, now)
        return
    already = held.quantity if held is not None else 0
    difference = quantity - already
    if difference > 0 and not take_stock(session, cart.location_id, product_id, difference):
        raise Refused(
            Code.INSUFFICIENT_STOCK,
            available=available_now(session, cart.location_id, product_id),
        )
    if difference < 0:
        return_stock(session, cart.location_id, product_id, -difference)
    if held is not None:
        session.execute(
            update(Reservation)
            .where(Reservation.id == held.reservation_id)
            .values(quantity=quantity)
        )
    else:
        session.add(
            Reservation(
                cart_id=cart.id,
                product_id=product_id,
                location_id=cart.location_id,
                quantity=quantity,
                status=ReservationStatus.ACTIVE,
                expires_at=now + ttl,
                created_at=now,
            )
        )
        session.flush()


@dataclass(frozen=True)
class SweepReport:
    expired: int
    units_returned: int


@use_case
def release_expired(uow: UnitOfWork, now: datetime | None = None) -> Result[SweepReport]:
    """The sweeper: expire every active reservation past its time, exactly once.

    Carts in the middle of a payment are left alone: stock is never released while
    a payment's outcome is unknown. On PostgreSQL rows another transaction holds are
    skipped (SKIP LOCKED) and picked up by the next sweep, so the sweeper never
    waits on a cashier.
    """
    expired = units = 0
    while True:
        with uow:
            at = now or uow.now()
            due = (
                select(Reservation.id)
                .join(Cart, Cart.id == Reservation.cart_id)
                .where(
                    Reservation.status == ReservationStatus.ACTIVE,
                    Reservation.expires_at <= at,
                    Cart.status != CartStatus.CHECKING_OUT,
                )
                .order_by(Reservation.product_id, Reservation.id)
                .limit(SWEEP_BATCH)
                .with_for_update(of=Reservation, skip_locked=True)
            )
            ids = uow.session.execute(due).scalars().all()
            for reservation_id in ids:
                returned = end_reservation(
                    uow.session, reservation_id, ReservationStatus.EXPIRED, at
                )
                if returned:
                    expired += 1
                    units += returned
            uow.commit()
        if len(ids) < SWEEP_BATCH:
            break
    changed = Changed.STOCK | Changed.CART if expired else Changed.NOTHING
    return Ok(SweepReport(expired, units), changed)
