"""Tenders: a sale paid by several payments, part cash, part card, two cards (DESIGN.md §4).

Each tender is a payment with its own state machine and idempotency key. Settling a
payment and settling the order are separate: ``finalise_paid`` settles the tender,
and pays the order only when its settled tenders cover the total, in the transaction
of the tender that completes it. Checkout takes the first tender; ``add_tender``
takes the next ones while the order is open at the till, one at a time: while a
card tender is in flight the sale takes no other ("Terminal başka bir ödemeyi
bekliyor"), so what is due is always known when a tender is taken.

Cash may be given above what is due only by the tender that settles the rest: the
change is that tender's. A card takes what is due or a part of it, never more.
The amounts are typed ``object`` and checked at run time: they come as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, bindparam, func, insert, literal_column, select
from sqlalchemy.exc import IntegrityError

from pos.domain.money import MAX_PRICE_MINOR, Money
from pos.domain.payments import (
    MAX_PROVIDER_LENGTH,
    UNRESOLVED,
    PaymentMethod,
    PaymentStatus,
    Settler,
)
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.domain.tenders import part_problem
from pos.services._support import is_id, use_case
from pos.services.payments import (
    SaleToPay,
    Settlement,
    finalise_paid,
    lock_order,
    receipt_of,
    settled_changes,
    settled_minor,
)
from pos.services.receipts import order_key
from pos.store.models import OrderStatus
from pos.store.prepared import Prepared
from pos.store.tables import orders, payments, refunds
from pos.store.uow import UnitOfWork

MAX_KEY_LENGTH = 255
MAX_TENDERED_MINOR = 100 * MAX_PRICE_MINOR


@dataclass(frozen=True)
class Cash:
    given_minor: int
    """What the customer handed over."""
    amount_minor: int | None = None
    """What this cash pays towards the sale; None: all that is still due."""


@dataclass(frozen=True)
class Card:
    provider: str = "terminal"
    amount_minor: int | None = None
    """What the card is charged; None: all that is still due."""


Tender = Cash | Card


@dataclass(frozen=True)
class Sale:
    """What taking a tender answers: the order, this tender's payment and where both stand."""

    order_id: UUID
    payment_id: int
    status: PaymentStatus
    """This tender's payment."""
    total_minor: int
    currency: str
    change_minor: int | None = None
    receipt: str | None = None
    """Set once the sale is paid in full: its receipt number."""
    amount_minor: int | None = None
    """What this tender pays towards the sale."""
    due_minor: int = 0
    """What the sale still wants once this tender settles (0 when it is paid)."""

    @property
    def paid(self) -> bool:
        """The whole sale is paid, not only this tender."""
        return self.receipt is not None


@dataclass(frozen=True)
class TenderLine:
    """One tender of a sale, as the till, the receipt and the back office show it."""

    payment_id: int
    method: PaymentMethod
    status: PaymentStatus
    amount_minor: int
    tendered_minor: int | None
    change_minor: int | None
    refunded_minor: int = 0
    """What went back on this tender (refunds that succeeded)."""


@dataclass(frozen=True)
class SaleTenders:
    """Where an order's money stands: its total, what is settled, what is due."""

    order_id: UUID
    status: OrderStatus
    total_minor: int
    currency: str
    tenders: tuple[TenderLine, ...]
    voiding: bool = False
    """The cashier voided it: its settled tenders are going back."""

    @property
    def settled_minor(self) -> int:
        return sum(t.amount_minor for t in self.tenders if t.status is PaymentStatus.PAID)

    @property
    def due_minor(self) -> int:
        if self.status is not OrderStatus.PENDING:
            return 0
        return max(self.total_minor - self.settled_minor, 0)

    @property
    def in_flight(self) -> bool:
        return any(t.status in UNRESOLVED for t in self.tenders)


_INSERT_PAYMENT = Prepared(
    insert(payments)
    .values(
        order_id=bindparam("b_order"),
        method=bindparam("b_method"),
        provider=bindparam("b_provider"),
        idempotency_key=bindparam("b_key"),
        status=PaymentStatus.INITIATED,
        amount_minor=bindparam("b_amount"),
        currency=bindparam("b_currency"),
        tendered_minor=bindparam("b_tendered"),
        change_minor=bindparam("b_change"),
        created_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
    .returning(payments.c.id)
)
_BY_KEY = Prepared(
    select(
        payments.c.id,
        payments.c.order_id,
        payments.c.method,
        payments.c.amount_minor,
        payments.c.tendered_minor,
    ).where(payments.c.idempotency_key == bindparam("b_key"))
)
_UNRESOLVED_OF = Prepared(
    select(payments.c.id)
    .where(
        payments.c.order_id == bindparam("b_order"),
        # Literals, so the statement is the same text every time it runs.
        payments.c.status.in_([literal_column(f"'{state}'") for state in sorted(UNRESOLVED)]),
    )
    .limit(1)
)


def check_tender(tender: object) -> Tender:
    """The tender if it is one the store can take; refused otherwise (nothing is written)."""
    if not isinstance(tender, Cash | Card):
        raise Refused(Code.INVALID_TENDER)
    if isinstance(tender, Card) and not _is_provider(tender.provider):
        raise Refused(Code.INVALID_TENDER)
    if isinstance(tender, Cash):
        amount(tender.given_minor)
    if tender.amount_minor is not None and amount(tender.amount_minor) == 0:
        raise Refused(Code.INVALID_AMOUNT)
    return tender


def refuse_offline_card(uow: UnitOfWork, tender: Tender) -> None:
    """Offline, cash always; a card only where the offline policy allows it (whether the
    terminal answers is the terminal's own affair: it has its own network)."""
    if uow.offline and isinstance(tender, Card) and not uow.policy.offline.card:
        raise Refused(Code.CARD_NOT_OFFLINE)


def tender_amounts(
    tender: Tender, due_minor: int, currency: str
) -> tuple[int, int | None, int | None]:
    """What the tender pays towards a sale that wants ``due_minor``, the cash handed over
    and the change; refused if it pays more than is due, or cash falls short of what it
    pays, or cash gives change without settling the rest."""
    paying = due_minor
    if tender.amount_minor is not None:
        paying = tender.amount_minor
        problem = part_problem(paying, due_minor, currency)
        if problem is not None:
            raise Refused.because(problem)
    if not isinstance(tender, Cash):
        return paying, None, None
    if tender.given_minor < paying:
        raise Refused(Code.CASH_SHORT, total=Money(paying, currency))
    if tender.given_minor > paying and paying < due_minor:
        raise Refused(Code.CHANGE_ONLY_ON_LAST)
    return paying, tender.given_minor, tender.given_minor - paying


def take_tender(
    connection: Connection,
    now: datetime,
    *,
    order_id: UUID,
    due_minor: int,
    currency: str,
    tender: Tender,
    key: str,
    fresh: SaleToPay | None = None,
) -> tuple[int, Settlement | None]:
    """Write the tender's payment for an order whose row the caller holds locked.

    A cash tender is settled at once, in the caller's transaction (the money is in the
    drawer); a card tender is left ``initiated`` for the terminal. Returns the payment
    and, for cash, how it settled. ``fresh``: the sale, when the caller's transaction
    has just written it and this is its first tender (``finalise_paid``).
    """
    paying, tendered, change = tender_amounts(tender, due_minor, currency)
    payment_id = _INSERT_PAYMENT.one(
        connection,
        {
            "b_order": order_id,
            "b_method": PaymentMethod.CASH if isinstance(tender, Cash) else PaymentMethod.CARD,
            "b_provider": tender.provider if isinstance(tender, Card) else None,
            "b_key": key,
            "b_amount": paying,
            "b_currency": currency,
            "b_tendered": tendered,
            "b_change": change,
            "b_now": now,
        },
    ).id
    if isinstance(tender, Card):
        return payment_id, None
    settled = finalise_paid(connection, payment_id, now, Settler.CASH, fresh=fresh)
    assert isinstance(settled, Settlement), settled  # it was made initiated above
    return payment_id, settled


def tender_answer(
    order_id: UUID,
    payment_id: int,
    settled: Settlement | None,
    *,
    total_minor: int,
    due_minor: int,
    currency: str,
    tender: Tender,
) -> Sale:
    """What taking the tender answers, from what the transaction that took it knows."""
    paying = due_minor if tender.amount_minor is None else tender.amount_minor
    if settled is None:  # a card, waiting for the terminal
        return Sale(
            order_id,
            payment_id,
            PaymentStatus.INITIATED,
            total_minor,
            currency,
            None,
            None,
            paying,
            due_minor - paying,
        )
    return Sale(
        order_id,
        payment_id,
        PaymentStatus.PAID,
        total_minor,
        currency,
        settled.change_minor,
        settled.receipt,
        paying,
        settled.due_minor,
    )


@use_case
def add_tender(
    uow: UnitOfWork, order_id: UUID | str, tender: Tender, *, idempotency_key: str
) -> Result[Sale]:
    """Take one more tender for a sale that is open at the till with something still due.

    Refused while another tender of the sale is in flight, for a sale already covered,
    paid, voided or failed, and for an amount above what is due. The same key again
    answers the same tender; the same key for another tender is refused.
    """
    key = clean_key(idempotency_key)
    checked = check_tender(tender)
    refuse_offline_card(uow, checked)
    oid = order_key(order_id)
    try:
        with uow:
            connection, now = uow.connection, uow.now()
            replayed = _replay(connection, key, oid, checked)
            if replayed is not None:
                return Ok(replayed)
            order = lock_order(connection, oid)
            if order is None:
                raise Refused(Code.ORDER_NOT_FOUND)
            status = OrderStatus(order.status)
            if status is OrderStatus.PAID:
                raise Refused(Code.SALE_ALREADY_COVERED)
            if status is not OrderStatus.PENDING:
                raise Refused(Code.SALE_NOT_OPEN)
            if order.void_requested_at is not None:
                raise Refused(Code.SALE_BEING_VOIDED)
            if _UNRESOLVED_OF.first(connection, {"b_order": oid}) is not None:
                raise Refused(Code.TERMINAL_BUSY)
            due = order.total_minor - settled_minor(connection, oid)
            if due <= 0:
                raise Refused(Code.SALE_ALREADY_COVERED)
            payment_id, settled = take_tender(
                connection, now, order_id=oid, due_minor=due, currency=order.currency,
                tender=checked, key=key,
            )  # fmt: skip
            sale = tender_answer(
                oid,
                payment_id,
                settled,
                total_minor=order.total_minor,
                due_minor=due,
                currency=order.currency,
                tender=checked,
            )
            uow.commit()
    except IntegrityError:
        # The same key won the insert on another thread: answer as its retry would.
        with uow.reading():
            replayed = _replay(uow.connection, key, oid, checked)
        if replayed is None:
            raise
        return Ok(replayed)
    changed = settled_changes(settled) if settled is not None else Changed.ORDERS
    return Ok(sale, changed)


@use_case
def sale_tenders(uow: UnitOfWork, order_id: UUID | str) -> Result[SaleTenders]:
    """The order's total, its tenders, what is settled and what is still due."""
    oid = order_key(order_id)
    with uow.reading():
        return Ok(load_tenders(uow.connection, oid))


def load_tenders(connection: Connection, order_id: UUID) -> SaleTenders:
    order = connection.execute(
        select(
            orders.c.status, orders.c.total_minor, orders.c.currency, orders.c.void_requested_at
        ).where(orders.c.id == order_id)
    ).first()
    if order is None:
        raise Refused(Code.ORDER_NOT_FOUND)
    back = refunded_by_payment(connection, order_id)
    rows = connection.execute(
        select(
            payments.c.id,
            payments.c.method,
            payments.c.status,
            payments.c.amount_minor,
            payments.c.tendered_minor,
            payments.c.change_minor,
        )
        .where(payments.c.order_id == order_id)
        .order_by(payments.c.id)
    ).all()
    return SaleTenders(
        order_id,
        OrderStatus(order.status),
        order.total_minor,
        order.currency,
        tuple(
            TenderLine(
                row.id,
                PaymentMethod(row.method),
                PaymentStatus(row.status),
                row.amount_minor,
                row.tendered_minor,
                row.change_minor,
                back.get(row.id, 0),
            )
            for row in rows
        ),
        voiding=order.void_requested_at is not None,
    )


def refunded_by_payment(connection: Connection, order_id: UUID) -> dict[int, int]:
    """What went back on each of the order's tenders, by refunds that succeeded."""
    rows = connection.execute(
        select(refunds.c.payment_id, func.sum(refunds.c.amount_minor).label("back"))
        .where(refunds.c.order_id == order_id, refunds.c.status == "succeeded")
        .group_by(refunds.c.payment_id)
    ).all()
    return {row.payment_id: int(row.back) for row in rows}


def sale_of(connection: Connection, payment_id: int) -> Sale:
    """The sale as a tender's answer gives it, from the store as it is now."""
    row = connection.execute(
        select(
            payments.c.order_id,
            payments.c.status,
            payments.c.amount_minor,
            payments.c.change_minor,
            orders.c.total_minor,
            orders.c.currency,
            orders.c.status.label("order_status"),
        )
        .join(orders, orders.c.id == payments.c.order_id)
        .where(payments.c.id == payment_id)
    ).one()
    paid = OrderStatus(row.order_status) is OrderStatus.PAID
    due = 0
    if OrderStatus(row.order_status) is OrderStatus.PENDING:
        due = row.total_minor - settled_minor(connection, row.order_id)
        if PaymentStatus(row.status) in UNRESOLVED:
            due -= row.amount_minor  # what will be left once this tender settles
        due = max(due, 0)
    return Sale(
        row.order_id,
        payment_id,
        PaymentStatus(row.status),
        row.total_minor,
        row.currency,
        row.change_minor,
        receipt_of(connection, row.order_id) if paid else None,
        row.amount_minor,
        due,
    )


def _replay(connection: Connection, key: str, order_id: UUID, tender: Tender) -> Sale | None:
    row = _BY_KEY.first(connection, {"b_key": key})
    if row is None:
        return None
    method = PaymentMethod.CASH if isinstance(tender, Cash) else PaymentMethod.CARD
    same = (
        row.order_id == order_id
        and PaymentMethod(row.method) is method
        and tender.amount_minor in (None, row.amount_minor)
        and (not isinstance(tender, Cash) or tender.given_minor == row.tendered_minor)
    )
    if not same:
        raise Refused(Code.IDEMPOTENCY_KEY_REUSED)
    return sale_of(connection, row.id)


def _is_provider(value: object) -> bool:
    """A card provider's name as the payments table keeps it."""
    return isinstance(value, str) and 0 < len(value) <= MAX_PROVIDER_LENGTH and value.isprintable()


def clean_key(value: object) -> str:
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_KEY_LENGTH
        or not value.isprintable()
        or value != value.strip()
    ):
        raise Refused(Code.INVALID_IDEMPOTENCY_KEY)
    return value


def amount(value: object) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 0 <= value <= MAX_TENDERED_MINOR
    ):
        raise Refused(Code.INVALID_AMOUNT)
    return value


@use_case
def part_paid_sales(uow: UnitOfWork, till_id: int) -> Result[tuple[SaleTenders, ...]]:
    """This till's sales open with a tender settled and the rest still due, oldest first.

    A till that stopped in the middle of taking a sale's tenders finds them here when it
    starts again: the customer's money is in the drawer or on the card, and the goods
    are held for the sale, so the cashier takes the rest or voids it.
    """
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    settled = (
        select(payments.c.id)
        .where(payments.c.order_id == orders.c.id, payments.c.status == PaymentStatus.PAID)
        .exists()
    )
    with uow.reading():
        ids = (
            uow.connection.execute(
                select(orders.c.id)
                .where(orders.c.till_id == till_id, orders.c.status == OrderStatus.PENDING, settled)
                .order_by(orders.c.created_at)
            )
            .scalars()
            .all()
        )
        return Ok(tuple(load_tenders(uow.connection, order_id) for order_id in ids))
