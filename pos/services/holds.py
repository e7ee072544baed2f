"""Units held for carts at the tills, as a manager sees them and gives them back.

The holds themselves are made and ended in ``pos.services.reservations``; here a
manager reads a product's holds, runs the sweep now (the sweeper's own loop, with an
audit row per batch) or releases one expired hold by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import LIST_PAGE, audit, is_id, page_size, product_or_refuse, use_case
from pos.services.reservations import (
    IS_ACTIVE,
    Expired,
    SweepReport,
    end_reservation,
    expire_due,
    sweep,
)
from pos.services.users import acting_user
from pos.store.models import Cart, CartStatus, Reservation, ReservationStatus, Role, TillRow
from pos.store.uow import UnitOfWork


@dataclass(frozen=True)
class ReservationView:
    """Units a till holds for an open sale."""

    id: int
    cart_id: int
    till_code: str | None
    quantity: int
    expires_at: datetime
    expired: bool
    """Past its time: the sweeper (or a manager) may give the units back."""
    paying: bool
    """The sale is waiting for its payment: its holds stay until the payment ends."""


@use_case
def product_reservations(
    uow: UnitOfWork,
    product_id: int,
    *,
    manager_id: int,
    after: int | None = None,
    limit: int = LIST_PAGE,
) -> Result[tuple[ReservationView, ...]]:
    """The active reservations of a product: which till, which cart, how many, until when."""
    size = page_size(limit)
    if after is not None and not (is_id(after) or after == 0):
        raise Refused(Code.INVALID_FILTER)
    query = (
        select(
            Reservation.id,
            Reservation.cart_id,
            TillRow.code,
            Reservation.quantity,
            Reservation.expires_at,
            Cart.status,
        )
        .join(Cart, Cart.id == Reservation.cart_id)
        .outerjoin(TillRow, TillRow.id == Cart.till_id)
        .where(IS_ACTIVE)
        .order_by(Reservation.id)
        .limit(size)
    )
    if after:
        query = query.where(Reservation.id > after)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        product = product_or_refuse(uow.session, product_id)
        now = uow.now()
        rows = uow.session.execute(query.where(Reservation.product_id == product.id)).all()
    return Ok(
        tuple(
            ReservationView(
                id=row.id,
                cart_id=row.cart_id,
                till_code=row.code,
                quantity=row.quantity,
                expires_at=row.expires_at,
                expired=row.expires_at <= now,
                paying=row.status is CartStatus.CHECKING_OUT,
            )
            for row in rows
        )
    )


@use_case
def release_expired_reservations(
    uow: UnitOfWork, *, manager_id: int, product_id: int | None = None
) -> Result[SweepReport]:
    """A manager runs the sweeper now: for one product, or for the whole shop.

    The same sweep as ``pos.services.reservations.release_expired``: only holds past
    their time, never those of a sale whose payment is in flight, each exactly once
    whoever else sweeps at the same moment. Each batch that returned stock is audited
    with the reservations it ended; a sweep that found nothing writes nothing.
    """
    if product_id is not None and not is_id(product_id):
        raise Refused(Code.PRODUCT_UNAVAILABLE)

    def one_batch(unit: UnitOfWork) -> tuple[int, list[Expired]]:
        manager = acting_user(unit.session, manager_id, role=Role.MANAGER)
        only = None
        if product_id is not None:
            only = product_or_refuse(unit.session, product_id).id
        now = unit.now()
        seen, batch = expire_due(unit.connection, now, product_id=only)
        if batch:
            audit(
                unit.session,
                at=now,
                user_id=manager.id,
                action="stock.release_expired",
                entity="product" if only is not None else "shop",
                entity_id=only if only is not None else "all",
                released=[
                    {
                        "reservation": r.reservation_id,
                        "product": r.product_id,
                        "quantity": r.quantity,
                    }
                    for r in batch
                ],
                units=sum(r.quantity for r in batch),
            )
        return seen, batch

    return sweep(uow, one_batch)


@use_case
def release_reservation(
    uow: UnitOfWork, reservation_id: int, *, manager_id: int
) -> Result[SweepReport]:
    """A manager gives one expired hold back to the shelf now.

    Refused while it has not expired (a live cart at a till must not lose its units)
    and while its sale's payment is in flight; an ended one is no longer there to
    release. The units come back exactly once, as when the sweeper ends it.
    """
    if not is_id(reservation_id):
        raise Refused(Code.RESERVATION_NOT_FOUND)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        now = uow.now()
        row = uow.session.execute(
            select(
                Reservation.id,
                Reservation.product_id,
                Reservation.quantity,
                Reservation.status,
                Reservation.expires_at,
                Cart.status.label("cart_status"),
            )
            .join(Cart, Cart.id == Reservation.cart_id)
            .where(Reservation.id == reservation_id)
            .with_for_update(of=Reservation)
        ).first()
        if row is None or row.status is not ReservationStatus.ACTIVE:
            raise Refused(Code.RESERVATION_NOT_FOUND)
        if row.expires_at > now:
            raise Refused(Code.RESERVATION_NOT_EXPIRED)
        if row.cart_status is CartStatus.CHECKING_OUT:
            raise Refused(Code.PAYMENT_IN_PROGRESS)
        returned = end_reservation(uow.connection, row.id, ReservationStatus.EXPIRED, now)
        if not returned:  # pragma: no cover - the row is locked; a sweeper cannot get there first
            raise Refused(Code.RESERVATION_NOT_FOUND)
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="stock.release_reservation",
            entity="reservation",
            entity_id=row.id,
            product_id=row.product_id,
            quantity=returned,
            before={"status": ReservationStatus.ACTIVE},
            after={"status": ReservationStatus.EXPIRED},
        )
        uow.commit()
    return Ok(SweepReport(1, returned), Changed.STOCK | Changed.CART)
