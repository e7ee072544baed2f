"""Parked sales: a sale put aside at the till while its customer runs back for milk.

A parked sale is an open cart with ``parked_at`` set; it reads as ``parked``, so no
ring-up, coupon, void or checkout touches it until it is recalled. Its holds stay as
they were, with their time limit: the sweeper gives them back when they lapse, as for
any cart left alone, and recalling holds each line again, line by line. A line whose
units are no longer there is taken off the sale and named in the seed's words; the
rest comes back.

The rules a shop would expect, and why:

- **Per till.** A parked sale is listed and recalled at the till that parked it: the
  basket stands at that counter, and that till's day is the one it will be paid into.
- **A limit** (``policy.parked_limit``, 5 by default): a forgotten sale is noticed.
- **Nothing empty**: parking an empty sale is refused ``PARK_EMPTY``.
- **One sale on the screen.** Recalling while a sale with lines is on the screen is
  refused ``SALE_IN_PROGRESS`` (park it first, or finish it); an empty one on the
  screen is closed in the same transaction, so no empty carts pile up.
- **Exactly once.** Recall is ``UPDATE ... WHERE parked_at IS NOT NULL`` with
  RETURNING: of two tills or two clicks, one gets the sale, the other is told it is
  gone (``PARKED_SALE_NOT_FOUND``).
- **The day.** A Z is refused while sales are parked at the till
  (``PARKED_SALES_AT_CLOSE``, in ``pos.services.cash_sessions``), so none of their holds
  is left hanging past the close; parking takes the till's open session as checkout
  does, so a park and a close at the same till go one after the other.
- **Offline** (the till on its replica) a sale parks and comes back the same way, and
  reserves nothing: a recalled line the last known stock does not cover comes back
  with the seed's warning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, delete, select, update

from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn
from pos.services._offline import stock_known_to_cover
from pos.services._support import audit, is_id, use_case
from pos.services.cart import (
    CART_COLUMNS,
    CartState,
    CartSummary,
    cart_state,
    lock_cart,
    start_cart,
    summarise,
)
from pos.services.cash_sessions import hold_session, parked_count
from pos.services.reservations import (
    end_reservation,
    hold_cart_reservations,
    reserve_line,
)
from pos.services.users import acting_user
from pos.store.models import CartStatus, ReservationStatus
from pos.store.tables import cart_items, carts, users
from pos.store.uow import UnitOfWork


@dataclass(frozen=True)
class ParkedSale:
    """A sale waiting at the till, as the cashier's list shows it."""

    cart_id: int
    parked_at: datetime
    parked_by: str
    """The cashier who parked it."""
    item_count: int
    total_minor: int
    currency: str
    coupon_code: str | None
    held_until: datetime | None
    """When the first of its holds lapses; None when none is held (offline, or all lapsed)."""
    all_held: bool
    """Every unit of every line is still held: recalling it cannot come up short."""


@dataclass(frozen=True)
class Parked:
    """The sale just parked, and the empty sale the till goes on with."""

    parked: ParkedSale
    next_sale: CartSummary
    waiting: int
    """Sales parked at the till now, this one with them."""


@dataclass(frozen=True)
class ShortLine:
    """A line a recall could not hold again, so it was taken off the sale."""

    product_id: int
    name: str
    quantity: int
    available: int

    def problem(self) -> Err:
        """What is short, in the seed's words ("Yeterli stok yok - mevcut: 2")."""
        return Err(Code.INSUFFICIENT_STOCK, {"available": self.available})


@dataclass(frozen=True)
class Recalled:
    """The sale back on the screen, and the lines that could not come back with it."""

    summary: CartSummary
    short: tuple[ShortLine, ...] = ()
    waiting: int = 0
    """Sales still parked at the till."""


@use_case
def park_sale(uow: UnitOfWork, cart_id: int, *, user_id: int) -> Result[Parked]:
    """Put the open sale aside, its holds as they are, and start an empty one."""
    with uow:
        connection, now = uow.connection, uow.now()
        cart = lock_cart(connection, cart_id, now)
        if cart.status is CartStatus.PARKED:
            raise Refused(Code.SALE_PARKED)  # a second press of the key
        if cart.status is CartStatus.CHECKING_OUT:
            raise Refused(Code.PAYMENT_IN_PROGRESS)
        if cart.status is not CartStatus.OPEN or cart.till_id is None:
            raise Refused(Code.CART_NOT_OPEN)
        user = acting_user(uow.session, user_id)
        summary = summarise(connection, cart, now)
        if not summary.lines:
            raise Refused(Code.PARK_EMPTY)
        # A close of the day waits for this park (and then counts it), as for a sale.
        hold_session(connection, cart.till_id)
        waiting = parked_count(connection, cart.till_id)
        if waiting >= uow.policy.parked_limit:
            raise Refused(Code.PARKED_LIMIT_REACHED, limit=uow.policy.parked_limit)
        connection.execute(
            update(carts).where(carts.c.id == cart.id).values(parked_at=now, parked_by=user.id)
        )
        audit(
            uow.session,
            at=now,
            user_id=user.id,
            action="sale.parked",
            entity="cart",
            entity_id=cart.id,
            lines=[
                {"product": line.product_id, "quantity": line.quantity} for line in summary.lines
            ],
            total_minor=summary.total_minor,
            currency=cart.currency,
            offline=uow.offline,
        )
        next_sale = start_cart(
            uow, cashier_id=cart.cashier_id, currency=cart.currency, till_id=cart.till_id
        )
        parked = _parked_sale(cart.id, now, user.display_name, summary)
        uow.commit()
    return Ok(Parked(parked, next_sale, waiting + 1), Changed.CART)


def _parked_sale(cart_id: int, at: datetime, by: str, summary: CartSummary) -> ParkedSale:
    held = [line.reserved_until for line in summary.lines if line.reserved_until is not None]
    return ParkedSale(
        cart_id=cart_id,
        parked_at=at,
        parked_by=by,
        item_count=summary.item_count,
        total_minor=summary.total_minor,
        currency=summary.currency,
        coupon_code=summary.coupon_code,
        held_until=min(held) if held else None,
        all_held=all(line.reserved >= line.quantity for line in summary.lines),
    )


@use_case
def parked_sales(uow: UnitOfWork, till_id: int) -> Result[tuple[ParkedSale, ...]]:
    """The sales parked at the till, oldest first, with their time, cashier and total."""
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    with uow.reading():
        connection, now = uow.connection, uow.now()
        rows = connection.execute(
            select(*CART_COLUMNS, carts.c.parked_by, users.c.display_name)
            .join(users, users.c.id == carts.c.parked_by)
            .where(carts.c.till_id == till_id, carts.c.parked_at.is_not(None))
            .order_by(carts.c.parked_at, carts.c.id)
        ).all()
        found = []
        for row in rows:
            summary = summarise(connection, cart_state(cast("Row[Any]", row)), now)
            # A hold past its time counts as gone, whether or not the sweeper came yet.
            summary = _without_lapsed(summary, now)
            found.append(_parked_sale(row.id, row.parked_at, row.display_name, summary))
    return Ok(tuple(found))


def _without_lapsed(summary: CartSummary, now: datetime) -> CartSummary:
    lines = tuple(
        line
        if line.reserved_until is None or line.reserved_until > now
        else replace(line, reserved=0, reserved_until=None)
        for line in summary.lines
    )
    return replace(summary, lines=lines)


@use_case
def recall_sale(
    uow: UnitOfWork,
    cart_id: int,
    *,
    user_id: int,
    till_id: int,
    current_cart_id: int | None = None,
) -> Result[Recalled]:
    """Bring a parked sale back to the till's screen, holding every line again.

    ``current_cart_id`` is the sale on the screen now: refused ``SALE_IN_PROGRESS`` if it
    has lines or is being paid; closed here if it is empty. Lines whose holds lapsed are
    reserved again, one by one in product order; one the shelf no longer has is taken off
    the sale and answered in ``short`` (with the units free now), and the answer warns
    ``RECALLED_SHORT`` in the seed's words. Offline nothing is reserved: every line comes
    back, with the seed's warning where the last known stock does not cover it.
    """
    if not is_id(cart_id):
        raise Refused(Code.PARKED_SALE_NOT_FOUND)
    with uow:
        connection, now = uow.connection, uow.now()
        user = acting_user(uow.session, user_id)
        current = None
        if current_cart_id is not None and current_cart_id != cart_id:
            current = lock_cart(connection, current_cart_id, now)
            if current.status is CartStatus.CHECKING_OUT or (
                current.status is CartStatus.OPEN
                and connection.execute(
                    select(cart_items.c.id).where(cart_items.c.cart_id == current.id).limit(1)
                ).first()
                is not None
            ):
                raise Refused(Code.SALE_IN_PROGRESS)
        # The one statement that decides who gets the sale: one of all racers hits it.
        row = connection.execute(
            update(carts)
            .where(
                carts.c.id == cart_id,
                carts.c.till_id == till_id,
                carts.c.parked_at.is_not(None),
            )
            .values(parked_at=None, parked_by=None, updated_at=now)
            .returning(*CART_COLUMNS)
        ).first()
        if row is None:
            raise Refused(Code.PARKED_SALE_NOT_FOUND)
        cart = cart_state(row)
        if current is not None and current.status is CartStatus.OPEN:
            # Empty (checked above): it ends here rather than wait for nobody.
            connection.execute(
                update(carts).where(carts.c.id == current.id).values(status=CartStatus.CLOSED)
            )
        short, covered = _hold_again(uow, cart, now)
        summary = summarise(connection, cart, now)
        audit(
            uow.session,
            at=now,
            user_id=user.id,
            action="sale.recalled",
            entity="cart",
            entity_id=cart.id,
            short=[
                {"product": line.product_id, "quantity": line.quantity, "available": line.available}
                for line in short
            ],
            total_minor=summary.total_minor,
            currency=cart.currency,
            offline=uow.offline,
        )
        waiting = parked_count(connection, till_id)
        uow.commit()
    recalled = Recalled(summary, short, waiting)
    changed = Changed.CART if uow.offline else Changed.CART | Changed.STOCK
    if short:
        names = ", ".join(line.name for line in short)
        problem = Err(Code.OUT_OF_STOCK_AT_CHECKOUT, {"name": names})  # "Stok yetersiz: …"
        return Warn(recalled, Code.RECALLED_SHORT, {"short": problem}, changed)
    if not covered:
        return Warn(recalled, Code.ADDED_UNVERIFIED, changed=changed)
    return Ok(recalled, changed)


def _hold_again(
    uow: UnitOfWork, cart: CartState, now: datetime
) -> tuple[tuple[ShortLine, ...], bool]:
    """Hold every line of the recalled sale for the shop's hold time, in product order;
    the lines that could not be held (taken off the sale), and offline whether the last
    known stock covers every line."""
    connection, ttl = uow.connection, uow.policy.cart_hold
    lines = summarise(connection, cart, now).lines
    if uow.offline:
        covered = all(
            stock_known_to_cover(connection, cart.location_id, line.product_id, line.quantity)
            for line in lines
        )
        return (), covered
    held = hold_cart_reservations(connection, cart.id, now + ttl)
    short = []
    for line in sorted(lines, key=lambda line: line.product_id):
        hold = held.get(line.product_id)
        try:
            reserve_line(
                connection,
                cart=cart,
                product_id=line.product_id,
                quantity=line.quantity,
                held=hold,
                now=now,
                ttl=ttl,
            )
        except Refused as refusal:
            if refusal.error.code is not Code.INSUFFICIENT_STOCK:
                raise
            # Nothing was taken (the conditional UPDATE missed); what is left goes back.
            if hold is not None:
                end_reservation(connection, hold.reservation_id, ReservationStatus.RELEASED, now)
            connection.execute(
                delete(cart_items).where(
                    cart_items.c.cart_id == cart.id, cart_items.c.product_id == line.product_id
                )
            )
            available = refusal.error.params.get("available", 0)
            short.append(
                ShortLine(
                    line.product_id,
                    line.name,
                    line.quantity,
                    available if isinstance(available, int) else 0,
                )
            )
    return tuple(short), True
