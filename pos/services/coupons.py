"""Coupons: a manager defines, edits, retires and deletes them; a cashier puts one on a sale.

``apply_coupon`` is the seed's ApplyCoupon: it answers with the seed's texts and,
on success, the cart's new total. A coupon on a cart is only a choice: its use is
claimed at checkout (``pos.services.checkout``), and the cart's summary re-prices
it every time, so a cart that drops under the minimum shows why the discount went.

A coupon that has been used (it has a redemption, whatever its state) keeps its
code, kind, value and currency, and cannot be deleted: its redemptions, orders and
receipts speak of the offer customers were given, and another offer under the same
row would make that history say something else. Its minimum, cap, dates, usage
limit and active flag stay editable, so a campaign can be extended, capped or
stopped; other terms are a new coupon.

The manager's changes lock the coupon's row first. A checkout claiming a use
updates the same row, so the two take turns and a lowered usage limit is checked
against a times-used count that no till is moving.

A coupon code at the till and the manager's search are typed ``object`` and checked at
run time: they come as typed (or scanned).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeGuard
from uuid import UUID

from sqlalchemy import Connection, exists, select, update
from sqlalchemy.exc import IntegrityError

from pos.domain.coupons import CouponKind, CouponTerms, clean_coupon_code, terms_problem
from pos.domain.money import DEFAULT_CURRENCY, is_currency
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.domain.text import trimmed
from pos.services._offline import check_offline_coupon
from pos.services._pricing import COUPON_COLUMNS, StoredCoupon, load_coupon, stored_coupon
from pos.services._support import audit, is_id, use_case
from pos.services.cart import CartSummary, lock_cart, summarise
from pos.services.users import acting_user
from pos.store.models import CartStatus, OrderStatus, RedemptionState, Role
from pos.store.tables import carts, coupons, orders, redemptions, tills
from pos.store.uow import UnitOfWork

_LIVE = coupons.c.deleted_at.is_(None)
"""Not deleted: a deleted coupon keeps its row, for the tills' replicas to hear of it."""

LIST_LIMIT = 200
"""Coupons or redemptions a list shows at once unless asked for fewer."""
MAX_LIST_LIMIT = 500


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


CouponView = StoredCoupon
"""A coupon as the back office and the till see it: its id, currency and terms."""


@dataclass(frozen=True)
class CouponApplied:
    code: str
    new_total_minor: int
    cart: CartSummary


@dataclass(frozen=True)
class RedemptionView:
    """One use of a coupon: the sale that claimed it and what became of the claim."""

    id: int
    state: RedemptionState
    order_id: UUID
    order_status: OrderStatus
    till_code: str
    receipt_number: int | None
    """The sale's receipt, once it is paid."""
    total_minor: int
    discount_minor: int
    currency: str
    created_at: datetime
    ended_at: datetime | None


def _checked_terms(draft: CouponDraft) -> CouponTerms:
    """The terms a manager typed, refused with the first thing wrong with them."""
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
    return terms


@use_case
def create_coupon(uow: UnitOfWork, draft: CouponDraft, *, user_id: int) -> Result[CouponView]:
    """Define a coupon (managers only)."""
    terms = _checked_terms(draft)
    code = terms.code
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


@use_case
def update_coupon(
    uow: UnitOfWork, coupon_id: int, draft: CouponDraft, *, manager_id: int
) -> Result[CouponView]:
    """Give a coupon the terms of ``draft`` (all of them, as the manager's form holds them).

    A used coupon keeps its code, kind, value and currency (``COUPON_TERMS_IN_USE``),
    and its usage limit cannot drop below its times used (``COUPON_LIMIT_BELOW_USES``).
    Nothing to change is answered with the coupon as it is, and not audited.
    """
    terms = _checked_terms(draft)
    with uow:
        connection, now = uow.connection, uow.now()
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        before = _lock_coupon(connection, coupon_id)
        used = before.terms.times_used
        after = CouponView(before.id, draft.currency, replace(terms, times_used=used))
        if _identity(after) != _identity(before) and _used(connection, before):
            raise Refused(Code.COUPON_TERMS_IN_USE)
        if terms.usage_limit is not None and terms.usage_limit < used:
            raise Refused(Code.COUPON_LIMIT_BELOW_USES, used=used)
        old, new = _terms_of(before), _terms_of(after)
        changed = [name for name in new if new[name] != old[name]]
        if not changed:
            return Ok(before)
        if terms.code != before.terms.code and _code_taken(connection, terms.code, before.id):
            raise Refused(Code.DUPLICATE_COUPON, coupon=terms.code)
        try:
            with connection.begin_nested():
                connection.execute(
                    update(coupons)
                    .where(coupons.c.id == before.id)
                    .values(**{name: new[name] for name in changed}, updated_at=now)
                )
        except IntegrityError:  # another manager took the code since it was checked
            raise Refused(Code.DUPLICATE_COUPON, coupon=terms.code) from None
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="coupon.updated",
            entity="coupon",
            entity_id=before.id,
            code=terms.code,
            before={name: old[name] for name in changed},
            after={name: new[name] for name in changed},
        )
        uow.commit()
    return Ok(after, Changed.COUPONS)


@use_case
def set_coupon_active(
    uow: UnitOfWork, coupon_id: int, active: bool, *, manager_id: int
) -> Result[CouponView]:
    """Retire a coupon (the till then refuses it) or bring it back."""
    if not isinstance(active, bool):
        raise Refused(Code.INVALID_COUPON_VALUE)
    with uow:
        connection, now = uow.connection, uow.now()
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        before = _lock_coupon(connection, coupon_id)
        if before.terms.active is active:
            return Ok(before)
        connection.execute(
            update(coupons).where(coupons.c.id == before.id).values(active=active, updated_at=now)
        )
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="coupon.reactivated" if active else "coupon.deactivated",
            entity="coupon",
            entity_id=before.id,
            code=before.terms.code,
            before={"active": not active},
            after={"active": active},
        )
        uow.commit()
    return Ok(replace(before, terms=replace(before.terms, active=active)), Changed.COUPONS)


@use_case
def delete_coupon(uow: UnitOfWork, coupon_id: int, *, manager_id: int) -> Result[CouponView]:
    """Delete a coupon no sale ever claimed; a used one is refused (``COUPON_IN_USE``).
    Its code is free for a new coupon at once; the row stays, marked deleted.

    An open sale that has it only chose it: it comes off that sale, as if the cashier
    had removed it.
    """
    with uow:
        connection, now = uow.connection, uow.now()
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        if not is_id(coupon_id):
            raise Refused(Code.COUPON_NOT_FOUND)
        # The carts first, then the coupon: the order checkout takes them in, so the two
        # wait for each other instead of deadlocking.
        holding = connection.execute(
            select(carts.c.id)
            .where(carts.c.coupon_id == coupon_id)
            .order_by(carts.c.id)
            .with_for_update()
        ).all()
        coupon = _lock_coupon(connection, coupon_id, for_delete=True)
        if _used(connection, coupon):
            raise Refused(Code.COUPON_IN_USE)
        if holding:
            connection.execute(
                update(carts).where(carts.c.coupon_id == coupon.id).values(coupon_id=None)
            )
        # Kept as a row, inactive and out of every list: a deletion could not reach the
        # tills' replicas, which pull changed rows.
        connection.execute(
            update(coupons)
            .where(coupons.c.id == coupon.id)
            .values(active=False, deleted_at=now, updated_at=now)
        )
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="coupon.deleted",
            entity="coupon",
            entity_id=coupon.id,
            code=coupon.terms.code,
            before=_terms_of(coupon),
            carts=[row.id for row in holding],
        )
        uow.commit()
    return Ok(coupon, Changed.COUPONS | Changed.CART)


@use_case
def list_coupons(
    uow: UnitOfWork,
    *,
    manager_id: int,
    query: object = "",
    include_inactive: bool = True,
    after: str | None = None,
    limit: int = LIST_LIMIT,
) -> Result[tuple[CouponView, ...]]:
    """Coupons by code, with their times used, for the manager's list.

    ``query`` finds codes containing it (read as a code is: any case, trimmed);
    ``after`` is the last code of the previous page.
    """
    text = trimmed(query)
    needle = clean_coupon_code(text) if text else ""
    start = clean_coupon_code(after) if after is not None else ""
    if (
        text is None
        or needle is None
        or start is None
        or not isinstance(include_inactive, bool)
        or not _limit_ok(limit)
    ):
        raise Refused(Code.INVALID_FILTER)
    wanted = select(*COUPON_COLUMNS).where(_LIVE).order_by(coupons.c.code).limit(limit)
    if needle:
        wanted = wanted.where(coupons.c.code.contains(needle, autoescape=True))
    if start:
        wanted = wanted.where(coupons.c.code > start)
    if not include_inactive:
        wanted = wanted.where(coupons.c.active.is_(True))
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        found = tuple(stored_coupon(row) for row in uow.connection.execute(wanted))
    return Ok(found)


@use_case
def coupon_redemptions(
    uow: UnitOfWork,
    coupon_id: int,
    *,
    manager_id: int,
    before_id: int | None = None,
    limit: int = LIST_LIMIT,
) -> Result[tuple[RedemptionView, ...]]:
    """A coupon's uses, newest first: held while the sale is paying, then confirmed (paid)
    or released (the payment failed or the sale was voided). ``before_id`` is the last
    redemption of the previous page."""
    if not (before_id is None or is_id(before_id)) or not _limit_ok(limit):
        raise Refused(Code.INVALID_FILTER)
    wanted = (
        select(
            redemptions.c.id,
            redemptions.c.state,
            redemptions.c.order_id,
            orders.c.status.label("order_status"),
            tills.c.code.label("till_code"),
            orders.c.receipt_number,
            orders.c.total_minor,
            (orders.c.discount_minor - orders.c.line_discount_minor).label("discount_minor"),
            orders.c.currency,
            redemptions.c.created_at,
            redemptions.c.ended_at,
        )
        .join(orders, orders.c.id == redemptions.c.order_id)
        .join(tills, tills.c.id == orders.c.till_id)
        .where(redemptions.c.coupon_id == coupon_id)
        .order_by(redemptions.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        wanted = wanted.where(redemptions.c.id < before_id)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        known = (
            is_id(coupon_id)
            and uow.connection.execute(
                select(coupons.c.id).where(coupons.c.id == coupon_id, _LIVE)
            ).first()
        )
        if not known:
            raise Refused(Code.COUPON_NOT_FOUND)
        found = tuple(
            RedemptionView(
                id=row.id,
                state=RedemptionState(row.state),
                order_id=row.order_id,
                order_status=OrderStatus(row.order_status),
                till_code=row.till_code,
                receipt_number=row.receipt_number if row.order_status == OrderStatus.PAID else None,
                total_minor=row.total_minor,
                discount_minor=row.discount_minor,
                currency=row.currency,
                created_at=row.created_at,
                ended_at=row.ended_at,
            )
            for row in uow.connection.execute(wanted)
        )
    return Ok(found)


def _lock_coupon(connection: Connection, coupon_id: int, *, for_delete: bool = False) -> CouponView:
    """The coupon's row, locked until the transaction ends; refused if there is none.

    An edit leaves the key alone, so it takes PostgreSQL's ``FOR NO KEY UPDATE``:
    a cashier putting the coupon on a cart (a foreign key to it) is not held up.
    """
    if not is_id(coupon_id):
        raise Refused(Code.COUPON_NOT_FOUND)
    row = connection.execute(
        select(*COUPON_COLUMNS)
        .where(coupons.c.id == coupon_id, _LIVE)
        .with_for_update(key_share=not for_delete)
    ).first()
    if row is None:
        raise Refused(Code.COUPON_NOT_FOUND)
    return stored_coupon(row)


def _used(connection: Connection, coupon: CouponView) -> bool:
    """A sale claimed it once, whether or not the use was given back later."""
    if coupon.terms.times_used > 0:
        return True
    return bool(
        connection.execute(
            select(exists().where(redemptions.c.coupon_id == coupon.id))
        ).scalar_one()
    )


def _code_taken(connection: Connection, code: str, owner_id: int) -> bool:
    taken = connection.execute(
        select(coupons.c.id).where(coupons.c.code == code, coupons.c.id != owner_id, _LIVE)
    ).first()
    return taken is not None


def _identity(coupon: CouponView) -> tuple[object, ...]:
    """What a used coupon keeps: the offer its customers were given."""
    return (coupon.terms.code, coupon.terms.kind, coupon.terms.value, coupon.currency)


def _terms_of(coupon: CouponView) -> dict[str, Any]:
    """The coupon's columns a manager sets, by name."""
    terms = coupon.terms
    return {
        "code": terms.code,
        "kind": terms.kind,
        "value": terms.value,
        "currency": coupon.currency,
        "min_cart_minor": terms.min_cart_minor,
        "cap_minor": terms.cap_minor,
        "valid_from": terms.valid_from,
        "valid_to": terms.valid_to,
        "usage_limit": terms.usage_limit,
        "active": terms.active,
    }


def _whole(value: object) -> bool:
    """A whole number a coupon can hold: no bools, floats or text, within 64 bits."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62


def _limit_ok(limit: object) -> TypeGuard[int]:
    return isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= MAX_LIST_LIMIT


@use_case
def apply_coupon(uow: UnitOfWork, cart_id: int, code: object) -> Result[CouponApplied]:
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
            select(coupons.c.id).where(coupons.c.code == clean, _LIVE)
        ).scalar_one_or_none()
        if coupon_id is None:
            raise Refused(Code.COUPON_INVALID)
        summary = summarise(connection, replace(cart, coupon_id=coupon_id), now)
        if summary.coupon_problem is not None:
            raise Refused(summary.coupon_problem)
        if uow.offline:  # a coupon counted across tills is taken only up to the allowance
            limit = connection.execute(
                select(coupons.c.usage_limit).where(coupons.c.id == coupon_id)
            ).scalar_one()
            check_offline_coupon(connection, coupon_id, limit, uow.policy.offline.coupon_allowance)
        # A coupon deleted meanwhile is inactive: the sale's summary then says so.
        connection.execute(update(carts).where(carts.c.id == cart.id).values(coupon_id=coupon_id))
        uow.commit()
    return Ok(CouponApplied(clean, summary.total_minor, summary), Changed.CART)


@use_case
def remove_coupon(uow: UnitOfWork, cart_id: int) -> Result[CartSummary]:
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
            select(coupons.c.id).where(coupons.c.code == clean, _LIVE)
        ).scalar_one_or_none()
        coupon = load_coupon(uow.connection, coupon_id) if coupon_id is not None else None
        if coupon is None:
            raise Refused(Code.COUPON_INVALID)
        return Ok(CouponView(coupon.id, coupon.currency, coupon.terms))
