"""The till between its two stores: carrying a sale over, the banner, the receipt series.

When the central store goes away the till's runtime switches to the replica
(``UnitOfWork(replica, ..., offline=True)``) and calls, in this order:

- ``went_offline``: notes when, for the offline policy's time limit;
- ``carry_over``: the sale on screen, opened again on the replica as the till showed it;
- ``offline_status`` for the banner, as often as it likes.

The use cases then follow the offline rules on their own (``pos.services._offline``).
When the central store answers again, the sync loop sends the outbox home, then
``rejoin_series`` raises the central store's receipt counters to the till's, and
``back_online`` ends the offline period; only then does the till sell online again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from pos.domain.money import MAX_PRICE_MINOR
from pos.domain.quantities import read_quantity
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn
from pos.services._offline import check_offline_coupon, offline_since, unsent_sales
from pos.services._support import is_id, use_case
from pos.services.cart import (
    CartLine,
    CartSummary,
    lock_cart,
    ring_up_in,
    start_cart,
    summarise,
)
from pos.services.discounts import keep_discount
from pos.store.models import CartStatus, Role
from pos.store.tables import cart_items, carts, coupons, offline_state, tills, users
from pos.store.uow import UnitOfWork


@dataclass(frozen=True)
class OfflineStatus:
    """What the till's banner says while it sells on its replica."""

    unsent_count: int
    """Sales made offline not yet sent to the central store."""
    unsent_total_minor: int
    offline_since: datetime | None
    """When the till lost the central store; None when it is not offline."""


@use_case
def offline_status(uow: UnitOfWork) -> Result[OfflineStatus]:
    """How many offline sales wait to go home, what they add up to, and since when the
    till has been offline (from the replica: it answers without the central store)."""
    with uow.reading():
        count, total = unsent_sales(uow.connection)
        return Ok(OfflineStatus(count, total, offline_since(uow.connection)))


@use_case
def went_offline(
    uow: UnitOfWork, till_id: int, *, at: datetime | None = None
) -> Result[OfflineStatus]:
    """Note on the replica that the till lost the central store ``at`` (now by default).

    An earlier note stands: a link that flaps does not restart the offline time limit.
    """
    with uow:
        connection = uow.connection
        _till_or_refuse(connection, till_id)
        since = at or uow.now()
        noted = connection.execute(
            select(offline_state.c.offline_since).where(offline_state.c.till_id == till_id)
        ).first()
        if noted is None:
            connection.execute(insert(offline_state).values(till_id=till_id, offline_since=since))
        elif noted.offline_since is None:
            connection.execute(
                update(offline_state)
                .where(offline_state.c.till_id == till_id)
                .values(offline_since=since)
            )
        count, total = unsent_sales(connection)
        status = OfflineStatus(count, total, offline_since(connection, till_id))
        uow.commit()
    return Ok(status)


@use_case
def back_online(uow: UnitOfWork, till_id: int) -> Result[OfflineStatus]:
    """End the offline period on the replica, once its sales are home and the receipt
    series rejoined. Refused ``OFFLINE_SALES_UNSENT`` while a sale made offline is not yet
    sent: the till sells online again only after its outbox is drained (DESIGN.md §5)."""
    with uow:
        connection = uow.connection
        _till_or_refuse(connection, till_id)
        count, _total = unsent_sales(connection)
        if count:
            raise Refused(Code.OFFLINE_SALES_UNSENT, count=count)
        connection.execute(
            update(offline_state)
            .where(offline_state.c.till_id == till_id)
            .values(offline_since=None)
        )
        uow.commit()
    return Ok(OfflineStatus(0, 0, None))


@use_case
def carry_over(
    uow: UnitOfWork, summary: CartSummary, *, cashier_id: int | None, till_id: int
) -> Result[CartSummary]:
    """Open the sale in progress, as the till last showed it, as a new cart on the replica.

    Its lines keep their quantities, a manager's price and their own discounts (given,
    and approved if they had to be, at the central store); other lines take the
    replica's price, as checkout would. Its coupon comes along if it is valid offline. Nothing is
    reserved (``uow`` is the replica's); the central cart's holds simply expire.

    All or nothing for what is malformed (a quantity out of range, a price that is none):
    refused, nothing written. A line the replica does not sell (a product it has not
    heard of yet) is left out and named, so the cashier can ring it up again by hand;
    a coupon that cannot be taken offline is left off with the reason.

    A sale whose payment was in flight (``checking_out``) is refused
    ``PAYMENT_IN_PROGRESS``: the card terminal may have taken the money, so the till asks
    the terminal first and carries the sale over (its summary as ``open``) only once the
    payment failed or was cancelled. A paid sale (``closed``) has nothing to carry.
    """
    if not isinstance(summary, CartSummary):
        raise Refused(Code.CART_NOT_FOUND)
    if summary.status is CartStatus.CHECKING_OUT:
        raise Refused(Code.PAYMENT_IN_PROGRESS)
    if summary.status is not CartStatus.OPEN:
        raise Refused(Code.CART_NOT_OPEN)
    lines = tuple(_checked_line(line) for line in summary.lines)
    with uow:
        connection = uow.connection
        cart = start_cart(uow, cashier_id=cashier_id, currency=summary.currency, till_id=till_id)
        left_out: list[str] = []
        covered = True
        for line in lines:
            try:
                covered &= ring_up_in(uow, cart.cart_id, line.product_id, line.quantity)
            except Refused as refusal:
                if refusal.error.code not in (Code.PRODUCT_UNAVAILABLE, Code.CURRENCY_MISMATCH):
                    raise
                left_out.append(line.name)
                continue
            if line.price_overridden:
                _keep_price(connection, cart.cart_id, line)
            if line.discount is not None:
                keep_discount(connection, cart.cart_id, line)
        coupon_problem = None
        if summary.coupon_code is not None:
            coupon_problem = _carry_coupon(uow, cart.cart_id, summary.coupon_code)
        carried = summarise(connection, lock_cart(connection, cart.cart_id, uow.now()), uow.now())
        uow.commit()
    if left_out:
        return Warn(carried, Code.LINES_NOT_CARRIED, {"names": ", ".join(left_out)}, Changed.CART)
    if coupon_problem is not None:
        return Warn(carried, coupon_problem, changed=Changed.CART)
    if not covered:
        return Warn(carried, Code.ADDED_UNVERIFIED, changed=Changed.CART)
    return Ok(carried, Changed.CART)


def _checked_line(line: object) -> CartLine:
    if not isinstance(line, CartLine):
        raise Refused(Code.LINE_NOT_FOUND)
    quantity = read_quantity(line.quantity)
    if isinstance(quantity, Err):
        raise Refused.because(quantity)
    price = line.unit_price_minor
    if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= MAX_PRICE_MINOR:
        raise Refused(Code.INVALID_PRICE)
    return line


def _keep_price(connection: Connection, cart_id: int, line: CartLine) -> None:
    """The manager's price stands on the replica, under the same manager if it knows them
    as one; otherwise the line takes the replica's price, as checkout would."""
    manager = line.price_overridden_by
    known = (
        is_id(manager)
        and connection.execute(
            select(users.c.id).where(
                users.c.id == manager, users.c.active.is_(True), users.c.role == Role.MANAGER
            )
        ).first()
        is not None
    )
    if not known:
        return
    connection.execute(
        update(cart_items)
        .where(cart_items.c.cart_id == cart_id, cart_items.c.product_id == line.product_id)
        .values(unit_price_minor=line.unit_price_minor, price_overridden_by=manager)
    )


def _carry_coupon(uow: UnitOfWork, cart_id: int, code: str) -> Code | None:
    """Put the sale's coupon on the replica's cart if it is valid there; why not if not."""
    connection, now = uow.connection, uow.now()
    coupon = connection.execute(
        select(coupons.c.id, coupons.c.usage_limit).where(coupons.c.code == code)
    ).first()
    if coupon is None:
        return Code.COUPON_INVALID
    cart = lock_cart(connection, cart_id, now)
    problem = summarise(connection, replace(cart, coupon_id=coupon.id), now).coupon_problem
    if problem is not None:
        return problem
    try:
        check_offline_coupon(
            connection, coupon.id, coupon.usage_limit, uow.policy.offline.coupon_allowance
        )
    except Refused as refusal:
        return refusal.error.code
    connection.execute(update(carts).where(carts.c.id == cart_id).values(coupon_id=coupon.id))
    return None


@dataclass(frozen=True)
class ReceiptSeries:
    """Where a till's two series stand in both stores after they were joined."""

    till_id: int
    last_receipt_number: int
    last_return_number: int


@use_case
def rejoin_series(
    central_uow: UnitOfWork, replica_uow: UnitOfWork, till_id: int
) -> Result[ReceiptSeries]:
    """Join the till's receipt and refund series across its two stores: each counter in
    each store is raised to the higher of the two, never lowered.

    Run when the till comes back (after its offline sales are home, before it sells
    online again): the central store then goes on after the last number given offline,
    and the replica after the last given online. Each raise is a conditional UPDATE
    (``... WHERE last_receipt_number < :n``), so running it twice, or beside a sale the
    central store is numbering, changes nothing it should not.
    """
    with replica_uow.reading():
        local = _counters(replica_uow.connection, till_id)
    with central_uow:
        _raise_counters(central_uow.connection, till_id, local)
        central = _counters(central_uow.connection, till_id)
        central_uow.commit()
    with replica_uow:
        _raise_counters(replica_uow.connection, till_id, central)
        joined = _counters(replica_uow.connection, till_id)
        replica_uow.commit()
    return Ok(ReceiptSeries(till_id, *joined), Changed.ORDERS)


def _till_or_refuse(connection: Connection, till_id: object) -> None:
    if not is_id(till_id) or (
        connection.execute(select(tills.c.id).where(tills.c.id == till_id)).first() is None
    ):
        raise Refused(Code.TILL_NOT_FOUND)


def _counters(connection: Connection, till_id: object) -> tuple[int, int]:
    row = (
        connection.execute(
            select(tills.c.last_receipt_number, tills.c.last_return_number).where(
                tills.c.id == till_id
            )
        ).first()
        if is_id(till_id)
        else None
    )
    if row is None:
        raise Refused(Code.TILL_NOT_FOUND)
    return int(row.last_receipt_number), int(row.last_return_number)


def _raise_counters(connection: Connection, till_id: int, to: tuple[int, int]) -> None:
    receipts, returns = to
    # Only ever up: a number the till gave is never given again, whichever store asks.
    connection.execute(
        update(tills)
        .where(tills.c.id == till_id, tills.c.last_receipt_number < receipts)
        .values(last_receipt_number=receipts)
    )
    connection.execute(
        update(tills)
        .where(tills.c.id == till_id, tills.c.last_return_number < returns)
        .values(last_return_number=returns)
    )
