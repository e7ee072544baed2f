"""Line discounts at the till: a percentage or an amount off one line, with a reason.

How they combine with a coupon and the tax is one rule, written in
``pos.domain.discounts``. A discount over the giver's limit (a shop setting per role,
``ShopSettings.discount_limit_bp``) is refused ``DISCOUNT_OVER_LIMIT`` unless
``approved_by`` names an active manager, whose PIN the till has checked
(``pos.services.approvals.approve``); the audit row names both people.

The kind, the value and the reason are typed ``object`` and checked at run time: they
come as the cashier typed them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from pos.domain.discounts import (
    DiscountKind,
    LineDiscount,
    over_limit,
    read_discount,
    read_reason,
)
from pos.domain.money import MAX_PRICE_MINOR, Money, minor_digits
from pos.domain.pricing import BASIS_POINTS
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import audit, is_id, use_case
from pos.services.cart import CartLine, CartState, CartSummary, lock_cart, summarise
from pos.services.shop import read_settings
from pos.services.users import acting_user
from pos.store.models import CartStatus, Role
from pos.store.tables import cart_items
from pos.store.uow import UnitOfWork

_NO_DISCOUNT = {
    "discount_kind": None,
    "discount_value": None,
    "discount_reason": None,
    "discount_by": None,
    "discount_approved_by": None,
}


@use_case
def discount_line(
    uow: UnitOfWork,
    cart_id: int,
    product_id: int,
    kind: object,
    value: object,
    reason: object,
    *,
    user_id: int,
    approved_by: int | None = None,
) -> Result[CartSummary]:
    """Take ``value`` off the line of ``product_id``: a percentage (``kind="percent"``,
    ``"12,5"`` is 12,5 %) or an amount (``kind="amount"``, in the currency's major unit),
    for ``reason``. It replaces the line's discount, if it had one."""
    with uow:
        connection, now = uow.connection, uow.now()
        cart, line = _open_line(uow, cart_id, product_id)
        giver = acting_user(uow.session, user_id)
        gross = line.quantity * line.unit_price_minor
        digits = minor_digits(cart.currency)
        read = read_discount(kind, value, reason, gross_minor=gross, minor_digits=digits)
        if not isinstance(read, LineDiscount):
            code, _ = read
            raise Refused(code, line=Money(gross, cart.currency))
        limit = read_settings(uow, cart.location_id).discount_limit_bp(giver.role)
        manager = None
        if over_limit(read, gross, limit):
            if approved_by is None:
                raise Refused(Code.DISCOUNT_OVER_LIMIT, limit=Decimal(limit) / 100)
            # Checked in this transaction: a manager demoted since typing the PIN approves nothing.
            manager = acting_user(uow.session, approved_by, role=Role.MANAGER)
        connection.execute(
            update(cart_items)
            .where(cart_items.c.id == line.id)
            .values(
                discount_kind=read.kind.value,
                discount_value=read.value,
                discount_reason=read.reason,
                discount_by=giver.id,
                discount_approved_by=manager.id if manager else None,
            )
        )
        audit(
            uow.session,
            at=now,
            user_id=giver.id,
            approved_by=manager.id if manager else None,
            action="cart.line_discount",
            entity="cart",
            entity_id=cart.id,
            product_id=line.product_id,
            currency=cart.currency,
            kind=read.kind.value,
            value=read.value,
            discount_minor=read.amount_for(gross),
            reason=read.reason,
        )
        summary = summarise(connection, cart, now)
        uow.commit()
    return Ok(summary, Changed.CART)


@use_case
def remove_discount(
    uow: UnitOfWork, cart_id: int, product_id: int, *, user_id: int
) -> Result[CartSummary]:
    """Take the line's own discount off it; the line is charged in full again."""
    with uow:
        connection, now = uow.connection, uow.now()
        cart, line = _open_line(uow, cart_id, product_id)
        giver = acting_user(uow.session, user_id)
        if line.discount_kind is not None:
            connection.execute(
                update(cart_items).where(cart_items.c.id == line.id).values(**_NO_DISCOUNT)
            )
            audit(
                uow.session,
                at=now,
                user_id=giver.id,
                action="cart.line_discount_removed",
                entity="cart",
                entity_id=cart.id,
                product_id=line.product_id,
                reason=line.discount_reason,
            )
        summary = summarise(connection, cart, now)
        uow.commit()
    return Ok(summary, Changed.CART)


def keep_discount(connection: Connection, cart_id: int, line: CartLine) -> None:
    """Give the line of a cart carried over to the replica the discount it had
    (``pos.services.offline.carry_over``); one that is no discount is refused."""
    discount = line.discount
    if (
        not isinstance(discount, LineDiscount)
        or not isinstance(discount.kind, DiscountKind)
        or isinstance(discount.value, bool)
        or not isinstance(discount.value, int)
        or not 0
        < discount.value
        <= (BASIS_POINTS if discount.kind is DiscountKind.PERCENT else MAX_PRICE_MINOR)
        or read_reason(discount.reason) != discount.reason
    ):
        raise Refused(Code.DISCOUNT_KIND_UNKNOWN)
    connection.execute(
        update(cart_items)
        .where(cart_items.c.cart_id == cart_id, cart_items.c.product_id == line.product_id)
        .values(
            discount_kind=discount.kind.value,
            discount_value=discount.value,
            discount_reason=discount.reason,
        )
    )


def _open_line(uow: UnitOfWork, cart_id: int, product_id: object) -> tuple[CartState, Any]:
    cart = lock_cart(uow.connection, cart_id, uow.now())
    if cart.status is not CartStatus.OPEN:
        raise Refused(Code.CART_NOT_OPEN)
    line = (
        uow.connection.execute(
            select(
                cart_items.c.id,
                cart_items.c.product_id,
                cart_items.c.quantity,
                cart_items.c.unit_price_minor,
                cart_items.c.discount_kind,
                cart_items.c.discount_reason,
            ).where(cart_items.c.cart_id == cart.id, cart_items.c.product_id == product_id)
        ).first()
        if is_id(product_id)
        else None
    )
    if line is None:
        raise Refused(Code.LINE_NOT_FOUND)
    return cart, line
