"""Finalising a payment: the one place a sale becomes paid, failed or cancelled.

Cash at the till, a terminal's webhook, the poller and a manager resolving by hand
all end here. Each outcome is one conditional UPDATE on the payment
(``... WHERE status IN (<the states the machine allows it from>)``); only the
caller whose UPDATE hit the row goes on to move stock, coupons and the cart, so
whoever calls and however often, each of these happens exactly once. A move the
state machine forbids (a late "failed" after "paid") changes nothing and is logged.

A terminal's own payment id is typed ``object`` and checked at run time: it comes from
the network.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, func, insert, literal_column, select, update

from pos.domain.journal import SaleTender
from pos.domain.payments import MAX_TERMINAL_ID_LENGTH, PaymentStatus, Settler, sources_of
from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn
from pos.services import journal
from pos.services._offline import record_offline_sale
from pos.services._support import is_id, use_case
from pos.services.cash_sessions import hold_session, session_of_sale, session_of_till
from pos.services.reservations import IS_ACTIVE
from pos.store.models import (
    CartStatus,
    OrderStatus,
    RedemptionState,
    ReservationStatus,
)
from pos.store.prepared import Prepared, pipelined
from pos.store.tables import (
    carts,
    coupons,
    inventory,
    offline_sales,
    order_items,
    orders,
    outbox,
    oversells,
    payments,
    receipts,
    redemptions,
    reservations,
    tills,
)
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)


TOPIC_ORDER_PAID = "order.paid"
TOPIC_FULFILMENT = "fulfilment.requested"

_ORDER_STATUS = {
    PaymentStatus.PAID: OrderStatus.PAID,
    PaymentStatus.FAILED: OrderStatus.FAILED,
    PaymentStatus.CANCELLED: OrderStatus.CANCELLED,
}


def _move_payment(target: PaymentStatus) -> Prepared:
    # The states are literals, so the statement is the same text every time it runs.
    allowed = sorted(state.value for state in sources_of(target))
    settled: dict[str, Any] = {}
    if target is not PaymentStatus.PENDING:
        settled["settled_by"] = bindparam("b_settler")
    if target is PaymentStatus.PAID:
        # The money is in: it belongs to the cash session open at the sale's till.
        settled["cash_session_id"] = session_of_sale(payments.c.order_id, within=payments)
    return Prepared(
        update(payments)
        .where(
            payments.c.id == bindparam("b_payment"),
            payments.c.status.in_([literal_column(f"'{state}'") for state in allowed]),
        )
        .values(status=target, updated_at=bindparam("b_now"), **settled)
        .returning(
            payments.c.order_id,
            payments.c.change_minor,
            payments.c.amount_minor,
            payments.c.method,
            payments.c.tendered_minor,
        )
    )


_MOVE = {target: _move_payment(target) for target in (*_ORDER_STATUS, PaymentStatus.PENDING)}
_PAYMENT = Prepared(
    select(payments.c.status, payments.c.order_id, payments.c.change_minor).where(
        payments.c.id == bindparam("b_payment")
    )
)
# The order with its lines, one row per line (the order's columns repeat).
_ORDER = Prepared(
    select(
        orders.c.cart_id,
        orders.c.till_id,
        orders.c.location_id,
        orders.c.total_minor,
        orders.c.currency,
        orders.c.shipping_address,
        orders.c.shipping_method,
        orders.c.receipt_number,
        orders.c.coupon_id,
        order_items.c.product_id,
        order_items.c.quantity,
        offline_sales.c.order_id.label("made_offline"),
        tills.c.code.label("till_code"),
    )
    .join(order_items, order_items.c.order_id == orders.c.id)
    .outerjoin(offline_sales, offline_sales.c.order_id == orders.c.id)
    .outerjoin(tills, tills.c.id == orders.c.till_id)
    .where(orders.c.id == bindparam("b_order"))
    .order_by(order_items.c.product_id)
)
_CONSUME = Prepared(
    update(reservations)
    .where(reservations.c.order_id == bindparam("b_order"), IS_ACTIVE)
    .values(status=ReservationStatus.CONSUMED, ended_at=bindparam("b_now"))
    .returning(reservations.c.location_id, reservations.c.product_id, reservations.c.quantity)
)
_SELL_HELD = Prepared(
    update(inventory)
    .where(
        inventory.c.location_id == bindparam("b_location"),
        inventory.c.product_id == bindparam("b_product"),
    )
    .values(reserved=inventory.c.reserved - bindparam("b_quantity"))
)
_NEXT_RECEIPT = Prepared(
    update(tills)
    .where(tills.c.id == bindparam("b_till"))
    .values(last_receipt_number=tills.c.last_receipt_number + 1)
    .returning(tills.c.last_receipt_number, tills.c.code)
)
_ISSUE_RECEIPT = Prepared(
    insert(receipts).values(
        till_id=bindparam("b_till"),
        number=bindparam("b_number"),
        order_id=bindparam("b_order"),
        issued_at=bindparam("b_now"),
    )
)
# The order's row, locked: whoever settles a tender of it, voids it or adds a tender
# to it goes through here first, so "do the settled tenders cover the total?" is asked
# by one transaction at a time (two cards settling at once pay the order once).
_LOCKED_ORDER = (
    orders.c.status,
    orders.c.total_minor,
    orders.c.currency,
    orders.c.cart_id,
    orders.c.void_requested_at,
    orders.c.till_id,
)
_LOCK_ORDER = Prepared(
    select(*_LOCKED_ORDER).where(orders.c.id == bindparam("b_order")).with_for_update()
)
_LOCK_ORDER_OF = Prepared(
    select(*_LOCKED_ORDER)
    .join(payments, payments.c.order_id == orders.c.id)
    .where(payments.c.id == bindparam("b_payment"))
    .with_for_update(of=orders)
)
_SETTLED = Prepared(
    select(func.coalesce(func.sum(payments.c.amount_minor), 0).label("settled")).where(
        payments.c.order_id == bindparam("b_order"),
        payments.c.status == literal_column("'paid'"),
    )
)
_ORDER_PAID = Prepared(
    update(orders)
    .where(orders.c.id == bindparam("b_order"), orders.c.status == literal_column("'pending'"))
    .values(
        status=OrderStatus.PAID,
        receipt_number=bindparam("b_number"),
        paid_at=bindparam("b_now"),
        ended_at=bindparam("b_now"),
        cash_session_id=session_of_till(orders.c.till_id),
    )
)
_CONFIRM_COUPON = Prepared(
    update(redemptions)
    .where(
        redemptions.c.order_id == bindparam("b_order"),
        redemptions.c.state == literal_column("'held'"),
    )
    .values(state=RedemptionState.CONFIRMED, ended_at=bindparam("b_now"))
)
_OUTBOX = Prepared(
    insert(outbox).values(
        topic=bindparam("b_topic"),
        key=bindparam("b_key"),
        payload=bindparam("b_payload"),
        created_at=bindparam("b_now"),
    )
)
_CLOSE_CART = Prepared(
    update(carts)
    .where(carts.c.id == bindparam("b_cart"))
    .values(status=CartStatus.CLOSED, updated_at=bindparam("b_now"))
)


@dataclass(frozen=True)
class _Moved:
    order_id: UUID
    change_minor: int | None
    amount_minor: int
    method: str
    tendered_minor: int | None


@dataclass(frozen=True)
class SaleToPay:
    """What paying a sale needs of it: read back from the store, or handed over by the
    transaction that has just written it and pays it at once (cash at checkout)."""

    till_id: int
    location_id: int
    cart_id: int
    total_minor: int
    coupon_id: int | None
    shipping_address: str | None
    shipping_method: str | None
    offline: bool
    """Sold on the till's replica: its stock is left as pulled, it goes home instead."""
    items: tuple[tuple[int, int], ...]
    """Each line's product and quantity, in product order (the order stock is locked in)."""
    facts: journal.SaleFacts | None = None
    """What its journal entry says, from the transaction that wrote it; None: read back."""
    till_code: str | None = None
    """The till's code, where known before its row is taken: its key's id is then looked
    up in the same round trip as the till's journal head."""


@dataclass(frozen=True)
class Settlement:
    """Where a payment ended up, and whether this call is what put it there."""

    payment_id: int
    order_id: UUID
    status: PaymentStatus
    applied: bool
    """False when the payment was already in this state: nothing changed."""
    receipt: str | None = None
    """The paid sale's receipt number, ``T01-000042``."""
    change_minor: int | None = None
    oversold: int = 0
    """Units sold that the shelf no longer had (recorded for a manager)."""
    due_minor: int = 0
    """What the sale still wants after this payment: more than 0 when a tender paid part."""

    @property
    def order_paid(self) -> bool:
        """The sale is paid (it has its receipt), not only this tender."""
        return self.receipt is not None


@use_case
def mark_pending(
    uow: UnitOfWork, payment_id: int, *, provider_payment_id: object = None
) -> Result[Settlement]:
    """The terminal took the payment on: it is in flight, and the terminal's id is kept.

    Nothing else moves: the goods stay held and the cart stays in checkout until the
    outcome arrives. Pending again is a no-op; after an outcome it is refused.
    """
    provider_id = _clean_provider_id(provider_payment_id)
    with uow:
        connection, now = uow.connection, uow.now()
        moved = _move(connection, payment_id, PaymentStatus.PENDING, now)
        if isinstance(moved, Settlement):
            return Ok(moved)
        if isinstance(moved, Err):
            return moved
        assert isinstance(payment_id, int)
        if provider_id is not None:
            connection.execute(
                update(payments)
                .where(payments.c.id == payment_id)
                .values(provider_payment_id=provider_id)
            )
        uow.commit()
    settlement = Settlement(payment_id, moved.order_id, PaymentStatus.PENDING, True)
    return Ok(settlement, Changed.ORDERS)


def _clean_provider_id(value: object) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_TERMINAL_ID_LENGTH
        or not value.isprintable()
    ):
        raise Refused(Code.INVALID_PROVIDER_ID)
    return value


@use_case
def mark_paid(
    uow: UnitOfWork, payment_id: int, *, settler: Settler | None = None
) -> Result[Settlement]:
    """The payment succeeded; if the sale's settled tenders now cover its total, consume
    the stock, number the receipt and close the sale."""
    with uow:
        settled = finalise_paid(uow.connection, payment_id, uow.now(), settler)
        if isinstance(settled, Err):
            return settled
        if not settled.applied:
            return Ok(settled)
        uow.commit()
    return Ok(settled, settled_changes(settled))


def settled_changes(settled: Settlement) -> Changed:
    """What a tender that settled changed: only the order, or the whole sale it paid."""
    if settled.order_paid:
        return Changed.ORDERS | Changed.STOCK | Changed.CART | Changed.COUPONS
    return Changed.ORDERS


def finalise_paid(
    connection: Connection,
    payment_id: int,
    now: datetime,
    settler: Settler | None = None,
    *,
    fresh: SaleToPay | None = None,
) -> Settlement | Err:
    """Settle the tender, and make its sale paid if the settled tenders now cover the
    total, inside the caller's transaction; each exactly once.

    ``mark_paid`` runs it in a unit of work of its own; a cash tender runs it in the
    transaction that takes it, so a cash sale is never left half-finished. The order's
    row is locked before the tender moves (the order, then its payments, as everywhere),
    so of two tenders settling at once the second sees the first and the order is paid
    by whichever completes it, once.

    ``fresh``: the sale as the caller's transaction has just written it, with this
    payment its first tender (cash at checkout). Its order's row is that transaction's
    own, which no other can see yet, and the till's session is held already, so
    neither is locked again, and nothing of the sale is read back.
    """
    order_row = None
    if fresh is None:
        order_row = _lock_order_of(connection, payment_id)
        if order_row is not None:  # the session before the tender names it and the till's row
            hold_session(connection, order_row.till_id)
    moved = _move(connection, payment_id, PaymentStatus.PAID, now, settler)
    if isinstance(moved, Settlement | Err):
        return moved
    assert isinstance(payment_id, int)
    order_id = moved.order_id
    if fresh is not None:
        total, pending = fresh.total_minor, True
    else:
        assert order_row is not None  # the payment exists, so does its order, locked above
        total, pending = order_row.total_minor, order_row.status == OrderStatus.PENDING
    # One tender for the whole sale: no other can be settled beside it.
    due = 0 if moved.amount_minor >= total else total - settled_minor(connection, order_id)
    if not pending or due > 0:
        return Settlement(
            payment_id,
            order_id,
            PaymentStatus.PAID,
            True,
            change_minor=moved.change_minor,
            due_minor=max(due, 0),
        )
    sale = fresh or _sale_to_pay(connection, order_id)
    oversold = 0
    if not sale.offline:  # offline the replica's stock is the central store's, left as pulled
        oversold = _consume_stock(connection, order_id, sale.location_id, sale.items, now)
    # The entry is made before the till's row is taken: the row is then held for two
    # round trips (its receipt number and journal head; the rows that name them) and the
    # COMMIT, and the till's other paid sales wait no longer than that.
    if sale.facts is not None:
        tender = SaleTender(
            payment_id, moved.method, moved.amount_minor, moved.tendered_minor, moved.change_minor
        )
        entry = journal.fresh_sale(connection, order_id, sale.till_id, sale.facts, (tender,))
    else:
        entry = journal.read_sale(connection, order_id)
    with pipelined(connection):
        numbering = _NEXT_RECEIPT.send(connection, {"b_till": sale.till_id})
        heading = (
            journal.take_head(connection, sale.till_id, till_code=sale.till_code)
            if entry is not None
            else None
        )
        ((number, till_code),) = numbering()
        head = heading(now) if heading is not None else None
    with pipelined(connection):
        _ISSUE_RECEIPT.execute(
            connection,
            {"b_till": sale.till_id, "b_number": number, "b_order": order_id, "b_now": now},
        )
        _ORDER_PAID.execute(connection, {"b_order": order_id, "b_number": number, "b_now": now})
        if sale.coupon_id is not None:
            _CONFIRM_COUPON.execute(connection, {"b_order": order_id, "b_now": now})
        label = receipt_label(till_code, number)
        if not sale.offline:
            _publish(
                connection, TOPIC_ORDER_PAID, order_id, now, receipt=label, total=sale.total_minor
            )
        if sale.shipping_address and not sale.offline:
            _publish(
                connection,
                TOPIC_FULFILMENT,
                order_id,
                now,
                address=sale.shipping_address,
                method=sale.shipping_method,
            )
        _CLOSE_CART.execute(connection, {"b_cart": sale.cart_id, "b_now": now})
        if entry is not None and head is not None:
            journal.record_sale(connection, entry, number, head, now)
    if sale.offline:
        # The whole sale goes home in one record, written before the receipt is shown (it
        # reads the sale back, so after the pipeline); the central store publishes it
        # once it has made it again.
        record_offline_sale(connection, order_id, now)
    return Settlement(
        payment_id, order_id, PaymentStatus.PAID, True, label, moved.change_minor, oversold
    )


def _sale_to_pay(connection: Connection, order_id: UUID) -> SaleToPay:
    lines = _ORDER.execute(connection, {"b_order": order_id})
    order = lines[0]
    return SaleToPay(
        till_id=order.till_id,
        location_id=order.location_id,
        cart_id=order.cart_id,
        total_minor=order.total_minor,
        coupon_id=order.coupon_id,
        shipping_address=order.shipping_address,
        shipping_method=order.shipping_method,
        offline=order.made_offline is not None,
        items=tuple((line.product_id, line.quantity) for line in lines),
        till_code=order.till_code,
    )


@use_case
def mark_failed(
    uow: UnitOfWork,
    payment_id: int,
    *,
    status: PaymentStatus = PaymentStatus.FAILED,
    settler: Settler | None = None,
) -> Result[Settlement]:
    """The payment failed or was cancelled: the customer still stands at the till.

    The sale goes back to the cashier as it was, its goods held again for the shop's
    hold time (``policy.cart_hold``, DESIGN.md §6, item 13) and its coupon use given
    back, so another tender can be tried. The answer carries the seed's "Ödeme başarısız".
    """
    with uow:
        settled = finalise_failed(
            uow.connection, payment_id, uow.now(), status, settler, hold=uow.policy.cart_hold
        )
        if isinstance(settled, Err):
            return settled
        if not settled.applied:
            return Warn(settled, Code.PAYMENT_FAILED)
        uow.commit()
    return Warn(
        settled, Code.PAYMENT_FAILED, changed=Changed.ORDERS | Changed.CART | Changed.COUPONS
    )


def finalise_failed(
    connection: Connection,
    payment_id: int,
    now: datetime,
    status: PaymentStatus = PaymentStatus.FAILED,
    settler: Settler | None = None,
    *,
    hold: timedelta,
) -> Settlement | Err:
    """End the payment failed or cancelled inside the caller's transaction; exactly once.

    When no other tender of the sale is settled, the sale goes back to its cart, its
    goods held for ``hold`` (the shop's cart hold), to change or pay again. When one is,
    the sale stays open at the till with what is still due, its goods held for it: the
    customer pays the rest another way, or the sale is voided and the tenders go back.
    """
    if status not in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        raise ValueError("a payment fails as failed or cancelled")
    order_row = _lock_order_of(connection, payment_id)
    moved = _move(connection, payment_id, status, now, settler)
    if isinstance(moved, Settlement | Err):
        return moved
    assert isinstance(payment_id, int)
    assert order_row is not None  # the payment exists, so does its order, locked above
    order_id = moved.order_id
    settled = settled_minor(connection, order_id)
    if order_row.status != OrderStatus.PENDING or settled:
        due = max(order_row.total_minor - settled, 0)
        return Settlement(payment_id, order_id, status, True, due_minor=due)
    cart_id = connection.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(status=_ORDER_STATUS[status], ended_at=now)
        .returning(orders.c.cart_id)
    ).scalar_one()
    connection.execute(
        update(reservations)
        .where(reservations.c.order_id == order_id, IS_ACTIVE)
        .values(order_id=None, expires_at=now + hold)
    )
    release_coupon(connection, order_id, now)
    connection.execute(
        update(carts)
        .where(carts.c.id == cart_id, carts.c.status == CartStatus.CHECKING_OUT)
        .values(status=CartStatus.OPEN, updated_at=now)
    )
    return Settlement(payment_id, order_id, status, True, due_minor=order_row.total_minor)


def _move(
    connection: Connection,
    payment_id: int,
    target: PaymentStatus,
    now: datetime,
    settler: Settler | None = None,
) -> _Moved | Settlement | Err:
    """Move the payment to ``target`` if the machine allows it: what moved if this call
    moved it; otherwise what to answer (already there, refused, or no such payment)."""
    if not is_id(payment_id):
        return Err(Code.PAYMENT_NOT_FOUND)
    assert isinstance(payment_id, int)
    row = _MOVE[target].first(
        connection, {"b_payment": payment_id, "b_now": now, "b_settler": settler}
    )
    if row is not None:
        return _Moved(
            row.order_id, row.change_minor, row.amount_minor, row.method, row.tendered_minor
        )
    current = _PAYMENT.first(connection, {"b_payment": payment_id})
    if current is None:
        return Err(Code.PAYMENT_NOT_FOUND)
    status = PaymentStatus(current.status)
    if status is target:
        receipt = None
        if status is PaymentStatus.PAID:
            receipt = receipt_of(connection, current.order_id)
        return Settlement(
            payment_id, current.order_id, status, False, receipt, current.change_minor
        )
    log.warning("payment %s: %s -> %s refused by the state machine", payment_id, status, target)
    return Err(Code.PAYMENT_TRANSITION_FORBIDDEN, {"current": status, "target": target})


def _lock_order_of(connection: Connection, payment_id: object) -> Any:
    """The order of the payment about to move, its row locked before the payment's own
    (the order, then its payments, as everywhere); None if there is no such payment."""
    if not is_id(payment_id):
        return None
    return _LOCK_ORDER_OF.first(connection, {"b_payment": payment_id})


def settled_minor(connection: Connection, order_id: UUID) -> int:
    """What the order's settled tenders add up to (change not counted: it went back)."""
    return int(_SETTLED.one(connection, {"b_order": order_id}).settled)


def lock_order(connection: Connection, order_id: UUID) -> Any:
    """The order's status, total, currency, cart, void request and till, its row locked for
    this transaction; None if there is no such order."""
    return _LOCK_ORDER.first(connection, {"b_order": order_id})


def receipt_of(connection: Connection, order_id: UUID) -> str | None:
    row = connection.execute(
        select(tills.c.code, orders.c.receipt_number)
        .join(orders, orders.c.till_id == tills.c.id)
        .where(orders.c.id == order_id)
    ).first()
    if row is None or row.receipt_number is None:
        return None
    return receipt_label(row.code, row.receipt_number)


def _consume_stock(
    connection: Connection,
    order_id: UUID,
    location_id: int,
    items: Sequence[tuple[int, int]],
    now: datetime,
) -> int:
    """Turn the order's held units into sold ones; take lapsed ones again, or record them.

    Inventory rows are touched in product order, as everywhere else, so this never
    deadlocks with a checkout or the sweeper. Returns the units sold that were not on
    the shelf: a paid sale is never refused.
    """
    held: dict[int, int] = defaultdict(int)
    for _location, product_id, quantity in _CONSUME.execute(
        connection, {"b_order": order_id, "b_now": now}
    ):
        held[product_id] += quantity
    oversold = 0
    for product_id, quantity in items:  # in product order
        if held[product_id]:
            _SELL_HELD.execute(
                connection,
                {
                    "b_location": location_id,
                    "b_product": product_id,
                    "b_quantity": held[product_id],
                },
            )
        missing = quantity - held[product_id]
        if missing <= 0:
            continue
        taken = _take_what_is_there(connection, location_id, product_id, missing)
        if taken < missing:
            oversold += missing - taken
            connection.execute(
                insert(oversells).values(
                    order_id=order_id,
                    product_id=product_id,
                    location_id=location_id,
                    quantity=missing - taken,
                    created_at=now,
                )
            )
    return oversold


def _take_what_is_there(
    connection: Connection, location_id: int, product_id: int, wanted: int
) -> int:
    where = (inventory.c.location_id == location_id, inventory.c.product_id == product_id)
    available = connection.execute(
        select(inventory.c.available).where(*where).with_for_update()
    ).scalar_one_or_none()
    taken = min(wanted, available or 0)
    if taken:
        connection.execute(
            update(inventory).where(*where).values(available=inventory.c.available - taken)
        )
    return taken


def release_coupon(connection: Connection, order_id: UUID, now: datetime) -> None:
    """Give the order's coupon use back, once (a failed sale, a voided one)."""
    released = connection.execute(
        update(redemptions)
        .where(redemptions.c.order_id == order_id, redemptions.c.state == RedemptionState.HELD)
        .values(state=RedemptionState.RELEASED, ended_at=now)
        .returning(redemptions.c.coupon_id)
    ).first()
    if released is not None:
        connection.execute(
            update(coupons)
            .where(coupons.c.id == released.coupon_id)
            .values(times_used=coupons.c.times_used - 1, updated_at=now)
        )


def _publish(
    connection: Connection, topic: str, order_id: UUID, now: datetime, **payload: object
) -> None:
    _OUTBOX.execute(connection, published(topic, order_id, now, **payload)[1])


def published(
    topic: str, order_id: UUID, now: datetime, **payload: object
) -> tuple[Prepared, dict[str, object]]:
    """What ``_publish`` writes: the outbox's statement and its row (for a caller that
    sends the statement itself, as a burst of arriving sales does)."""
    body = json.dumps({"order_id": str(order_id), **payload}, ensure_ascii=False, default=str)
    return _OUTBOX, {"b_topic": topic, "b_key": str(order_id), "b_payload": body, "b_now": now}
