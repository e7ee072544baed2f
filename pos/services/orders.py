"""The day's sales for a manager: the list with its filters, one sale in full, a reprint.

A day is the shop's local day (midnight to midnight where the shop is), turned into
an interval of instants before it reaches the store, so the ``created_at`` index
answers it on both dialects. The list pages by keyset on (created_at, id), newest
first, and never reads more than a page and one row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from uuid import UUID

from sqlalchemy import Connection, and_, distinct, exists, func, or_, select

from pos.domain.messages import LOCALES
from pos.domain.payments import PaymentMethod, PaymentStatus, RefundStatus
from pos.domain.receipt import DEFAULT_LOCALE, receipt_label, render_receipt
from pos.domain.results import Code, Ok, Refused, Result
from pos.services._support import audit, is_id, use_case
from pos.services.receipts import load_receipt, order_key
from pos.services.shop import zone_of_shop
from pos.services.tenders import refunded_by_payment
from pos.services.users import acting_user
from pos.store.models import EventOutcome, OrderStatus, Role
from pos.store.tables import (
    order_items,
    orders,
    payment_events,
    payments,
    refunds,
    tills,
    users,
)
from pos.store.uow import UnitOfWork

ORDERS_LIMIT = 100
MAX_ORDERS_LIMIT = 500
MAX_EVENTS = 200
"""Events shown with one sale: a sale's payments never hear nearly so many."""
MAX_CHOICES = 1000
_RECEIPT_NUMBERS = 2**63
MIXED = "mixed"
"""The orders list's method filter for a sale settled partly one way, partly another."""
_SETTLED = (PaymentStatus.PAID.value, PaymentStatus.REFUNDED.value)
"""A tender that took the money (a refunded one did, before it went back)."""


@dataclass(frozen=True)
class OrderCursor:
    """Where a page of the day's orders ended: the next page starts after it."""

    created_at: datetime
    order_id: UUID


@dataclass(frozen=True)
class OrderRow:
    order_id: UUID
    created_at: datetime
    till_id: int
    till_code: str
    receipt: str | None
    """``T01-000042`` once paid; None before."""
    cashier_id: int | None
    cashier: str | None
    status: OrderStatus
    total_minor: int
    currency: str
    methods: tuple[PaymentMethod, ...]
    """How the sale was tendered, every way tried, in a fixed order."""


@dataclass(frozen=True)
class OrdersOfDay:
    rows: tuple[OrderRow, ...]
    next_after: OrderCursor | None
    """Pass as ``after`` for the next page; None on the last one."""


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    discount_minor: int
    total_minor: int
    tax_rate_bp: int
    sale_unit: str = "piece"
    """What ``quantity`` counts: pieces, or grams of a line sold by the kg."""


@dataclass(frozen=True)
class OrderPayment:
    payment_id: int
    method: PaymentMethod
    status: PaymentStatus
    amount_minor: int
    currency: str
    settled_by: str | None
    provider_payment_id: str | None
    review_reason: str | None
    tendered_minor: int | None
    change_minor: int | None
    created_at: datetime
    refunded_minor: int = 0
    """What went back on this tender (its refunds that succeeded)."""


@dataclass(frozen=True)
class OrderRefund:
    """Money given back on one tender of the sale: from the drawer, or by the terminal."""

    refund_id: int
    payment_id: int
    method: PaymentMethod
    status: RefundStatus
    amount_minor: int
    currency: str
    reason: str
    settled_by: str | None
    failure_code: str | None
    created_at: datetime


@dataclass(frozen=True)
class OrderEvent:
    id: int
    payment_id: int | None
    event_id: str
    type: str
    outcome: EventOutcome
    source: str
    amount_minor: int | None
    currency: str | None
    terminal_payment_id: str | None
    received_at: datetime


@dataclass(frozen=True)
class OrderDetail:
    order_id: UUID
    created_at: datetime
    paid_at: datetime | None
    ended_at: datetime | None
    till_code: str
    receipt: str | None
    cashier: str | None
    status: OrderStatus
    currency: str
    prices_include_tax: bool
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    coupon_code: str | None
    lines: tuple[OrderLine, ...]
    payments: tuple[OrderPayment, ...]
    events: tuple[OrderEvent, ...]
    """What the terminal reported about the sale's payments, oldest first."""
    refunds: tuple[OrderRefund, ...] = ()
    line_discount_minor: int = 0
    """The part of ``discount_minor`` given on lines one by one; the rest is the coupon's."""
    """What went back on its tenders, oldest first."""


@dataclass(frozen=True)
class TillChoice:
    id: int
    code: str


@dataclass(frozen=True)
class PersonChoice:
    id: int
    display_name: str
    active: bool


@dataclass(frozen=True)
class OrderChoices:
    """What the filters of the orders list offer."""

    tills: tuple[TillChoice, ...]
    people: tuple[PersonChoice, ...]
    """Everyone who may have rung up a sale, former staff too."""


@use_case
def orders_of_day(
    uow: UnitOfWork,
    *,
    manager_id: int,
    day: date,
    tz: tzinfo | None = None,
    status: OrderStatus | None = None,
    till_id: int | None = None,
    cashier_id: int | None = None,
    method: PaymentMethod | str | None = None,
    receipt_number: int | None = None,
    after: OrderCursor | None = None,
    limit: int = ORDERS_LIMIT,
) -> Result[OrdersOfDay]:
    """The sales begun on ``day`` in ``tz`` (the shop's zone if None), newest first.

    Every filter given must hold; ``after`` is the cursor of the page before. ``method``
    is a way a sale was tendered (tried), or ``MIXED``: settled by more than one way.
    """
    wanted = _checked_day(day, tz)
    if status is not None and not isinstance(status, OrderStatus):
        raise Refused(Code.INVALID_FILTER)
    if method is not None and not isinstance(method, PaymentMethod) and method != MIXED:
        raise Refused(Code.INVALID_FILTER)
    if any(value is not None and not is_id(value) for value in (till_id, cashier_id)):
        raise Refused(Code.INVALID_FILTER)
    if receipt_number is not None and not (
        type(receipt_number) is int and 0 < receipt_number < _RECEIPT_NUMBERS
    ):
        raise Refused(Code.INVALID_FILTER)
    if after is not None and not (
        isinstance(after, OrderCursor)
        and isinstance(after.created_at, datetime)
        and after.created_at.tzinfo is not None
        and isinstance(after.order_id, UUID)
    ):
        raise Refused(Code.INVALID_FILTER)
    if type(limit) is not int or not 0 < limit <= MAX_ORDERS_LIMIT:
        raise Refused(Code.INVALID_FILTER)
    query = (
        select(
            orders.c.id,
            orders.c.created_at,
            orders.c.till_id,
            tills.c.code,
            orders.c.receipt_number,
            orders.c.cashier_id,
            users.c.display_name,
            orders.c.status,
            orders.c.total_minor,
            orders.c.currency,
        )
        .join(tills, tills.c.id == orders.c.till_id)
        .outerjoin(users, users.c.id == orders.c.cashier_id)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(orders.c.status == status)
    if till_id is not None:
        query = query.where(orders.c.till_id == till_id)
    if cashier_id is not None:
        query = query.where(orders.c.cashier_id == cashier_id)
    if receipt_number is not None:
        query = query.where(orders.c.receipt_number == receipt_number)
    if method == MIXED:
        ways = (
            select(func.count(distinct(payments.c.method)))
            .where(payments.c.order_id == orders.c.id, payments.c.status.in_(_SETTLED))
            .scalar_subquery()
        )
        query = query.where(ways > 1)
    elif method is not None:
        query = query.where(
            exists().where(payments.c.order_id == orders.c.id, payments.c.method == method)
        )
    if isinstance(after, OrderCursor):
        query = query.where(
            or_(
                orders.c.created_at < after.created_at,
                and_(orders.c.created_at == after.created_at, orders.c.id < after.order_id),
            )
        )
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        zone = tz if isinstance(tz, tzinfo) else zone_of_shop(uow.connection)
        start, end = _local_day(wanted, zone)
        query = query.where(orders.c.created_at >= start, orders.c.created_at < end)
        found = uow.connection.execute(query).all()
        page = found[:limit]
        methods = _methods(uow.connection, [row.id for row in page])
    rows = tuple(
        OrderRow(
            order_id=row.id,
            created_at=row.created_at,
            till_id=row.till_id,
            till_code=row.code,
            receipt=(
                receipt_label(row.code, row.receipt_number)
                if row.receipt_number is not None
                else None
            ),
            cashier_id=row.cashier_id,
            cashier=row.display_name,
            status=OrderStatus(row.status),
            total_minor=row.total_minor,
            currency=row.currency,
            methods=methods.get(row.id, ()),
        )
        for row in page
    )
    more = len(found) > limit
    last = rows[-1] if rows else None
    cursor = OrderCursor(last.created_at, last.order_id) if more and last is not None else None
    return Ok(OrdersOfDay(rows, cursor))


@use_case
def order_detail(uow: UnitOfWork, order_id: UUID | str, *, manager_id: int) -> Result[OrderDetail]:
    """One sale in full: its lines as sold, its payments, and what terminals said of them."""
    key = order_key(order_id)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        return Ok(_detail(uow.connection, key))


@use_case
def order_cart(uow: UnitOfWork, order_id: UUID | str) -> Result[int]:
    """The cart a sale was checked out from: a till takes a sale it left part paid up
    again with its lines (``tenders.part_paid_sales`` names the sale)."""
    key = order_key(order_id)
    with uow.reading():
        cart_id = uow.connection.execute(
            select(orders.c.cart_id).where(orders.c.id == key)
        ).scalar_one_or_none()
    if cart_id is None:
        raise Refused(Code.ORDER_NOT_FOUND)
    return Ok(cart_id)


@use_case
def reprint_receipt(
    uow: UnitOfWork,
    order_id: UUID | str,
    *,
    manager_id: int,
    locale: str = DEFAULT_LOCALE,
) -> Result[str]:
    """The paid sale's receipt again, marked as a copy. Audited; an unpaid sale has none."""
    if not isinstance(locale, str) or locale not in LOCALES:
        raise Refused(Code.INVALID_FILTER)
    key = order_key(order_id)
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        data = load_receipt(uow.connection, key)
        text = render_receipt(data, locale, copy=True)
        audit(
            uow.session,
            at=uow.now(),
            user_id=manager.id,
            action="receipt.reprint",
            entity="order",
            entity_id=key,
            receipt=data.number_label,
        )
        uow.commit()
    return Ok(text)


@use_case
def order_choices(uow: UnitOfWork, *, manager_id: int) -> Result[OrderChoices]:
    """The tills and the people the orders list can be filtered by."""
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        connection = uow.connection
        found_tills = connection.execute(
            select(tills.c.id, tills.c.code).order_by(tills.c.code).limit(MAX_CHOICES)
        ).all()
        found_people = connection.execute(
            select(users.c.id, users.c.display_name, users.c.active)
            .order_by(users.c.id)
            .limit(MAX_CHOICES)
        ).all()
    people = sorted(
        (PersonChoice(row.id, row.display_name, row.active) for row in found_people),
        # Active staff first; sorted here, as the dialects collate Turkish letters apart.
        key=lambda person: (not person.active, person.display_name.casefold(), person.id),
    )
    return Ok(
        OrderChoices(
            tuple(TillChoice(row.id, row.code) for row in found_tills),
            tuple(people),
        )
    )


# -- the steps ----------------------------------------------------------------------


def _checked_day(day: object, tz: object) -> date:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise Refused(Code.INVALID_FILTER)
    if tz is not None and not isinstance(tz, tzinfo):
        raise Refused(Code.INVALID_FILTER)
    return day


def _local_day(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``day`` in ``zone``, in UTC: never in the machine's zone."""
    try:
        following = day + timedelta(days=1)
        start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(following, time.min, tzinfo=zone).astimezone(UTC)
    except (OverflowError, OSError, ValueError):
        raise Refused(Code.INVALID_FILTER) from None
    return start, end


def _methods(
    connection: Connection, order_ids: list[UUID]
) -> dict[UUID, tuple[PaymentMethod, ...]]:
    if not order_ids:
        return {}
    found: dict[UUID, set[PaymentMethod]] = {}
    for row in connection.execute(
        select(payments.c.order_id, payments.c.method)
        .where(payments.c.order_id.in_(order_ids))
        .distinct()
    ):
        found.setdefault(row.order_id, set()).add(PaymentMethod(row.method))
    order = list(PaymentMethod)
    return {key: tuple(sorted(used, key=order.index)) for key, used in found.items()}


def _detail(connection: Connection, order_id: UUID) -> OrderDetail:
    order = connection.execute(
        select(orders, tills.c.code.label("till_code"), users.c.display_name.label("cashier"))
        .join(tills, tills.c.id == orders.c.till_id)
        .outerjoin(users, users.c.id == orders.c.cashier_id)
        .where(orders.c.id == order_id)
    ).first()
    if order is None:
        raise Refused(Code.ORDER_NOT_FOUND)
    lines = tuple(
        OrderLine(
            line_no=row.line_no,
            sku=row.sku,
            name=row.name,
            quantity=row.quantity,
            unit_price_minor=row.unit_price_minor,
            discount_minor=row.discount_minor,
            total_minor=row.total_minor,
            tax_rate_bp=row.tax_rate_bp,
            sale_unit=row.sale_unit,
        )
        for row in connection.execute(
            select(order_items)
            .where(order_items.c.order_id == order_id)
            .order_by(order_items.c.line_no)
        )
    )
    paid_with = tuple(
        OrderPayment(
            payment_id=row.id,
            method=PaymentMethod(row.method),
            status=PaymentStatus(row.status),
            amount_minor=row.amount_minor,
            currency=row.currency,
            settled_by=row.settled_by,
            provider_payment_id=row.provider_payment_id,
            review_reason=row.review_reason,
            tendered_minor=row.tendered_minor,
            change_minor=row.change_minor,
            created_at=row.created_at,
        )
        for row in connection.execute(
            select(payments).where(payments.c.order_id == order_id).order_by(payments.c.id)
        )
    )
    given_back = tuple(
        OrderRefund(
            refund_id=row.id,
            payment_id=row.payment_id,
            method=PaymentMethod(row.method),
            status=RefundStatus(row.status),
            amount_minor=row.amount_minor,
            currency=row.currency,
            reason=row.reason,
            settled_by=row.settled_by,
            failure_code=row.failure_code,
            created_at=row.created_at,
        )
        for row in connection.execute(
            select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.id)
        )
    )
    back = refunded_by_payment(connection, order_id)
    paid_with = tuple(
        replace(payment, refunded_minor=back.get(payment.payment_id, 0)) for payment in paid_with
    )
    ids = [payment.payment_id for payment in paid_with]
    events: tuple[OrderEvent, ...] = ()
    if ids:
        heard = connection.execute(
            select(payment_events)
            .where(
                or_(
                    payment_events.c.payment_id.in_(ids),
                    # Kept unmatched, naming one of these payments (from another terminal).
                    and_(
                        payment_events.c.outcome == EventOutcome.UNMATCHED,
                        payment_events.c.claimed_payment_id.in_(ids),
                    ),
                )
            )
            .order_by(payment_events.c.received_at, payment_events.c.id)
            .limit(MAX_EVENTS)
        )
        events = tuple(
            OrderEvent(
                id=row.id,
                payment_id=row.payment_id,
                event_id=row.event_id,
                type=row.type,
                outcome=EventOutcome(row.outcome),
                source=row.source,
                amount_minor=row.amount_minor,
                currency=row.currency,
                terminal_payment_id=row.terminal_payment_id,
                received_at=row.received_at,
            )
            for row in heard
        )
    return OrderDetail(
        order_id=order.id,
        created_at=order.created_at,
        paid_at=order.paid_at,
        ended_at=order.ended_at,
        till_code=order.till_code,
        receipt=(
            receipt_label(order.till_code, order.receipt_number)
            if order.receipt_number is not None
            else None
        ),
        cashier=order.cashier,
        status=OrderStatus(order.status),
        currency=order.currency,
        prices_include_tax=order.prices_include_tax,
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        tax_minor=order.tax_minor,
        total_minor=order.total_minor,
        coupon_code=order.coupon_code,
        lines=lines,
        payments=paid_with,
        events=events,
        refunds=given_back,
        line_discount_minor=order.line_discount_minor,
    )
