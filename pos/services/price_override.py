"""A line's price set by hand at the till, with a manager's approval and a reason."""

from __future__ import annotations

from sqlalchemy import (
    select,
    update,
)

from pos.domain.approvals import price_override_needs_reason
from pos.domain.money import MAX_PRICE_MINOR
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.domain.stock import clean_note
from pos.services._support import audit, is_id, use_case
from pos.services.cart import CartSummary, open_cart_for_update, summarise
from pos.services.users import acting_user
from pos.store.models import (
    Role,
)
from pos.store.tables import cart_items
from pos.store.uow import UnitOfWork


@use_case
def override_price(
    uow: UnitOfWork,
    cart_id: int,
    product_id: int,
    price_minor: object,
    *,
    user_id: int,
    approved_by: int,
    reason: object = None,
) -> Result[CartSummary]:
    """Set a line's unit price by hand, approved by a manager (``approved_by``).

    The line keeps the price through quantity changes and checkout (which would
    otherwise take the catalogue's); what the line holds in stock does not change.
    Audited with the cashier (``user_id``), the approving manager and the ``reason``,
    which giving the item away (a price of 0) must have.
    """
    if (
        not isinstance(price_minor, int)
        or isinstance(price_minor, bool)
        or not 0 <= price_minor <= MAX_PRICE_MINOR
    ):
        raise Refused(Code.INVALID_PRICE)
    why = clean_note(reason)
    if price_override_needs_reason(price_minor) and not why:
        raise Refused(Code.FREE_ITEM_NEEDS_REASON)
    if why is None:
        raise Refused(Code.INVALID_NOTE)
    with uow:
        connection, now = uow.connection, uow.now()
        cart = open_cart_for_update(connection, cart_id, now)
        cashier = acting_user(uow.session, user_id)
        if approved_by is None:
            raise Refused(Code.APPROVAL_REQUIRED)
        manager = acting_user(uow.session, approved_by, role=Role.MANAGER)
        line = (
            connection.execute(
                select(cart_items.c.id, cart_items.c.unit_price_minor).where(
                    cart_items.c.cart_id == cart.id, cart_items.c.product_id == product_id
                )
            ).first()
            if is_id(product_id)
            else None
        )
        if line is None:
            raise Refused(Code.LINE_NOT_FOUND)
        connection.execute(
            update(cart_items)
            .where(cart_items.c.id == line.id)
            .values(unit_price_minor=price_minor, price_overridden_by=manager.id)
        )
        audit(
            uow.session,
            at=now,
            user_id=cashier.id,
            approved_by=manager.id,
            action="cart.price_override",
            entity="cart",
            entity_id=cart.id,
            product_id=product_id,
            currency=cart.currency,
            before={"unit_price_minor": line.unit_price_minor},
            after={"unit_price_minor": price_minor},
            **({"reason": why} if why else {}),
        )
        summary = summarise(connection, cart, now)
        uow.commit()
    return Ok(summary, Changed.CART)
