"""Coupons: a manager defines them, a cashier puts one on a sale.

``apply_coupon`` is the seed's ApplyCoupon: it answers with the seed's texts and,
on success, the cart's new total. A coupon on a cart is only a choice: its use is
claimed at checkout (``pos.services.checkout``), and the cart's summary re-prices
it every time, so a cart that drops under the minimum shows why the discount went.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pos.domain.coupons import CouponKind, CouponTerms, clean_coupon_code, terms_problem
from pos.domain.money import DEFAULT_CURRENCY, is_currency
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._pricing import load_coupon
from pos.services._support import audit, use_case
from pos.services.cart import CartSummary, lock_cart, summarise
from pos.services.users import acting_user
from pos.store.models import CartStatus, Role
from pos.store.tables import carts, coupons
from pos.store.uow import UnitOfWork


@dataclass(frozen=True)
class CouponDraft:
    """A coupon as a manager types it. ``value`` is basis points for a percentage
    (1000 is 10 %) and minor units for a fixed amount."""

    code: str
    kind: CouponKind
    value: int
    min_cart_minor: int = 0
    cap_minor: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    usage_limit: int | None = None
    currency: str = DEFAULT_CURRENCY
    active: bool = True


@dataclass(frozen=True)
class CouponView:
    id: int
    currency: str
    terms: CouponTerms


@dataclass(frozen=True)
class CouponApplied:
    code: str
    new_total_minor: int
    cart: CartSummary


@use_case
def create_coupon(uow: UnitOfWork, draft: CouponDraft, *, user_id: int) -> Result[CouponView]:
    """Define a coupon (managers only)."""
    code = clean_coupon_code(draft.code)
    if code is None:
        raise Refused(Code.COUPON_CODE_MALFORMED)
    if not is_currency(draft.currency):
        raise Refused(Code.INVALID_CURRENCY)
    for bound in (draft.valid_from, draft.valid_to):
        if bound is not None and (not isinstance(bound, datetime) or bound.tzinfo is None):
            raise Refused(Code.INVALID_COUPON_DATES)
    if draft.kind not in tuple(CouponKind) or not isinstance(draft.active, bool):
        raise Refused(Code.INVALID_COUPON_VALUE)
    amounts = (draft.value, draft.min_cart_minor)
    optional = (draft.cap_minor, draft.usage_limit)
    if not all(_whole(n) for n in amounts) or not all(n is None or _whole(n) for n in optional):
        raise Refused(Code.INVALID_COUPON_VALUE)
    terms = CouponTerms(
        code=code,
        kind=CouponKind(draft.kind),
        value=draft.value,
        min_cart_minor=draft.min_cart_minor,
        cap_minor=draft.cap_minor,
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        active=draft.active,
        usage_limit=draft.usage_limit,
    )
    problem = terms_problem(terms)
    if problem is not None:
        raise Refused(problem)
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        now = uow.now()
        try:
            with uow.connection.begin_nested():
                coupon_id = uow.connection.execute(
                    coupons.insert()
                    .values(
                        code=code,
                        kind=terms.kind,
                        value=terms.value,
                        currency=draft.currency,
                        min_cart_minor=terms.min_cart_minor,
                        cap_minor=terms.cap_minor,
                        valid_from=terms.valid_from,
                        valid_to=terms.valid_to,
                        active=terms.active,
                        usage_limit=terms.usage_limit,
                        times_used=0,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(coupons.c.id)
                ).scalar_one()
        except IntegrityError:
            raise Refused(Code.DUPLICATE_COUPON, coupon=code) from None
        audit(
            uow.session,
            at=now,
            user_id=user.id,
            action="coupon.created",
            entity="coupon",
            entity_id=coupon_id,
            code=code,
            kind=terms.kind,
            value=terms.value,
            usage_limit=terms.usage_limit,
        )
        uow.commit()
    return Ok(CouponView(coupon_id, draft.currency, terms), Changed.COUPONS)


def _whole(value: object) -> bool:
    """A whole number a coupon can hold: no bools, floats or text, within 64 bits."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62


@use_case
def apply_coupon(uow: UnitOfWork, cart_id: object, code: object) -> Result[CouponApplied]:
    """Put a coupon on an open sale, replacing any other; answers the new total."""
    clean = clean_coupon_code(code)
    if clean is None:
        raise Refused(Code.COUPON_CODE_MALFORMED)
    with uow:
        connection, now = uow.connection, uow.now()
        cart = lock_cart(connection, cart_id, now)
        if cart.status is not CartStatus.OPEN:
            raise Refused(Code.CART_NOT_OPEN)
        coupon_id = connection.execute(
            select(coupons.c.id).where(coupons.c.code == clean)
        ).scalar_one_or_none()
        if coupon_id is None:
            raise Refused(Code.COUPON_INVALID)
        summary = summarise(connection, replace(cart, coupon_id=coupon_id), now)
        if summary.coupon_problem is not None:
            raise Refused(summary.coupon_problem)
        connection.execute(update(carts).where(carts.c.id == cart.id).values(coupon_id=coupon_id))
        uow.commit()
    return Ok(CouponApplied(clean, summary.total_minor, summary), Changed.CART)


@use_case
def remove_coupon(uow: UnitOfWork, cart_id: object) -> Result[CartSummary]:
    """Take the coupon off an open sale (nothing to do if it has none)."""
    with uow:
        connection, now = uow.connection, uow.now()
        cart = lock_cart(connection, cart_id, now)
        if cart.status is not CartStatus.OPEN:
            raise Refused(Code.CART_NOT_OPEN)
        connection.execute(update(carts).where(carts.c.id == cart.id).values(coupon_id=None))
        summary = summarise(connection, replace(cart, coupon_id=None), now)
        uow.commit()
    return Ok(summary, Changed.CART)


@use_case
def find_coupon(uow: UnitOfWork, code: object) -> Result[CouponView]:
    clean = clean_coupon_code(code)
    if clean is None:
        raise Refused(Code.COUPON_CODE_MALFORMED)
    with uow.reading():
        coupon_id = uow.connection.execute(
            select(coupons.c.id).where(coupons.c.code == clean)
        ).scalar_one_or_none()
        coupon = load_coupon(uow.connection, coupon_id) if coupon_id is not None else None
        if coupon is None:
            raise Refused(Code.COUPON_INVALID)
        return Ok(CouponView(coupon.id, coupon.currency, coupon.terms))
