"""Selling on the replica: what the cart, checkout and finalisation do differently offline.

The use cases stay the same; where ``uow.offline`` says the transaction runs on the
till's replica they call in here (DESIGN.md §5):

- a line reserves nothing; it is checked against the last known stock less this till's
  unsent offline sales, and an uncovered line is added with a warning;
- checkout asks the offline policy (a cap per sale, a cap on the unsent total, a time
  limit), whose limits a manager's PIN lifts, and the coupon's offline allowance;
- a sale paid offline takes no stock from the replica's ``inventory`` (it mirrors the
  central store): it is written with its outbox record, in the transaction that pays it,
  carrying everything the central store needs to make it again with the same ids.

Which sale is an offline one is kept in ``offline_sales`` from checkout on, so whoever
settles its tender (cash at once, the terminal's webhook, the poller) finalises it the
offline way without being told.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from pos.domain.offline import limit_passed, offline_coupon_problem, stock_covers
from pos.domain.results import Code, Err, Refused
from pos.services._pricing import StoredCoupon
from pos.services._support import audit
from pos.services.users import acting_user
from pos.store.models import Role
from pos.store.prepared import Prepared
from pos.store.tables import (
    inventory,
    offline_sales,
    offline_state,
    order_items,
    orders,
    outbox,
    payment_events,
    payments,
    tills,
)
from pos.store.uow import UnitOfWork

TOPIC_OFFLINE_SALE = "sale.offline"
"""The outbox topic of a sale made offline: the sync loop hands it to ``ingest_sale``."""
PAYLOAD_VERSION = 1

# What this till sold offline and has not yet sent home: such a sale's outbox record is
# written when it is paid and marked sent once the central store has it.
UNSENT = (offline_sales.c.outbox_id == outbox.c.id) & outbox.c.sent_at.is_(None)

_STOCK = Prepared(
    select(
        select(inventory.c.available)
        .where(
            inventory.c.location_id == bindparam("b_location"),
            inventory.c.product_id == bindparam("b_product"),
        )
        .scalar_subquery()
        .label("known"),
        select(func.coalesce(func.sum(order_items.c.quantity), 0))
        .select_from(offline_sales)
        .join(outbox, UNSENT)
        .join(order_items, order_items.c.order_id == offline_sales.c.order_id)
        .where(order_items.c.product_id == bindparam("b_product"))
        .scalar_subquery()
        .label("unsent"),
    )
)
_UNSENT_TOTAL = select(
    func.count().label("sales"),
    func.coalesce(func.sum(offline_sales.c.total_minor), 0).label("total_minor"),
).select_from(offline_sales.join(outbox, UNSENT))


def stock_known_to_cover(
    connection: Connection, location_id: int, product_id: int, in_cart: int
) -> bool:
    """Whether the last known stock, less this till's unsent offline sales, covers a cart
    line of ``in_cart`` units of the product. Only for the cashier's warning: offline
    nothing is reserved, and the line is added either way."""
    row = _STOCK.one(connection, {"b_location": location_id, "b_product": product_id})
    return stock_covers(int(row.known or 0), int(row.unsent), in_cart)


def unsent_sales(connection: Connection) -> tuple[int, int]:
    """How many sales made offline are not yet sent home, and what they add up to."""
    row = connection.execute(_UNSENT_TOTAL).one()
    return int(row.sales), int(row.total_minor)


def offline_since(connection: Connection, till_id: int | None = None) -> datetime | None:
    """When the till lost the central store, as the runtime noted it; failing that, when
    its oldest unsent offline sale was made; None if neither is known."""
    noted = select(func.min(offline_state.c.offline_since))
    if till_id is not None:
        noted = noted.where(offline_state.c.till_id == till_id)
    since: datetime | None = connection.execute(noted).scalar_one_or_none()
    if since is not None:
        return since
    oldest = select(func.min(offline_sales.c.created_at)).select_from(
        offline_sales.join(outbox, UNSENT)
    )
    result: datetime | None = connection.execute(oldest).scalar_one_or_none()
    return result


def refuse_offline(uow: UnitOfWork, order_id: UUID | None = None) -> None:
    """Refuse, on the replica, what needs the central store: a return, a refund or a void
    of a sale made online, which the replica does not hold. ``order_id`` names a sale
    the till may still act on offline: the one it made offline and is taking now."""
    if not uow.offline:
        return
    if order_id is not None:
        made_here = uow.connection.execute(
            select(offline_sales.c.order_id).where(offline_sales.c.order_id == order_id)
        ).first()
        if made_here is not None:
            return
    raise Refused(Code.NEEDS_CENTRAL_STORE)


def check_offline_coupon(
    connection: Connection, coupon_id: int, usage_limit: int | None, allowance: int
) -> None:
    """Refuse a coupon with a usage limit past the till's offline allowance (0 by default)."""
    uses = 0
    if usage_limit is not None:
        uses = connection.execute(
            select(func.count())
            .select_from(offline_sales.join(outbox, UNSENT))
            .where(offline_sales.c.coupon_id == coupon_id)
        ).scalar_one()
    problem = offline_coupon_problem(usage_limit, uses, allowance)
    if problem is not None:
        raise Refused(problem, allowance=allowance)


def check_offline_sale(
    uow: UnitOfWork,
    till_id: int,
    total_minor: int,
    currency: str,
    coupon: StoredCoupon | None,
    *,
    approved_by: int | None,
) -> int | None:
    """Refuse an offline sale past a limit of the offline policy unless ``approved_by``
    names an active manager, and its coupon past the offline allowance; the manager's id
    when one let the sale past a limit, else None."""
    connection = uow.connection
    if coupon is not None:
        allowance = uow.policy.offline.coupon_allowance
        check_offline_coupon(connection, coupon.id, coupon.terms.usage_limit, allowance)
    _count, unsent = unsent_sales(connection)
    passed = limit_passed(
        uow.policy.offline,
        total_minor=total_minor,
        unsent_minor=unsent,
        currency=currency,
        offline_since=offline_since(connection, till_id),
        now=uow.now(),
    )
    if passed is None:
        return None
    if approved_by is None:
        raise Refused.because(Err(passed.code, passed.params))
    # Checked in this transaction: a manager demoted since typing the PIN approves nothing.
    return acting_user(uow.session, approved_by, role=Role.MANAGER).id


def open_offline_sale(
    uow: UnitOfWork,
    order_id: UUID,
    till_id: int,
    total_minor: int,
    currency: str,
    coupon: StoredCoupon | None,
    manager: int | None,
    cashier: int | None,
) -> None:
    """Mark the order checkout just wrote as made offline, before any tender settles it;
    a sale a manager let past a limit is audited with both people."""
    now = uow.now()
    uow.connection.execute(
        insert(offline_sales).values(
            order_id=order_id,
            till_id=till_id,
            total_minor=total_minor,
            coupon_id=coupon.id if coupon else None,
            approved_by=manager,
            created_at=now,
        )
    )
    if manager is not None:
        audit(
            uow.session,
            at=now,
            user_id=cashier,
            approved_by=manager,
            action="sale.offline_over_limit",
            entity="order",
            entity_id=order_id,
            total_minor=total_minor,
            currency=currency,
        )


def record_offline_sale(connection: Connection, order_id: UUID, now: datetime) -> int:
    """Write the paid offline sale's outbox record, inside the transaction that paid it
    (before its receipt is shown or printed); the record's id."""
    body = json.dumps(sale_payload(connection, order_id, now), ensure_ascii=False, default=str)
    outbox_id: int = connection.execute(
        insert(outbox)
        .values(
            topic=TOPIC_OFFLINE_SALE, key=str(order_id), payload=body, created_at=now, sent_at=None
        )
        .returning(outbox.c.id)
    ).scalar_one()
    connection.execute(
        update(offline_sales)
        .where(offline_sales.c.order_id == order_id)
        .values(outbox_id=outbox_id)
    )
    return outbox_id


def sale_payload(connection: Connection, order_id: UUID, now: datetime) -> dict[str, Any]:
    """Everything the central store needs to make the sale again, under the same ids.

    The order keeps its UUID. Lines, tenders and payment events carry no local integer
    id: those are the replica's own and would collide centrally. A line is known by
    (order, ``line_no``), a tender by its ``idempotency_key`` and an event by
    (``provider``, ``event_id``), all unique centrally. ``sequence`` is the receipt
    number: per till, given in the order the sales were paid, never repeated, so the
    sales keep their order even if the till's clock jumped backwards.
    """
    order = connection.execute(
        select(orders, tills.c.code.label("till_code"), offline_sales.c.approved_by)
        .join(tills, tills.c.id == orders.c.till_id)
        .join(offline_sales, offline_sales.c.order_id == orders.c.id)
        .where(orders.c.id == order_id)
    ).one()
    lines = connection.execute(
        select(order_items)
        .where(order_items.c.order_id == order_id)
        .order_by(order_items.c.line_no)
    ).all()
    tenders = connection.execute(
        select(payments).where(payments.c.order_id == order_id).order_by(payments.c.id)
    ).all()
    keys = {tender.id: tender.idempotency_key for tender in tenders}
    by_terminal = {
        tender.provider_payment_id: tender.idempotency_key
        for tender in tenders
        if tender.provider_payment_id is not None
    }
    # The event that settles a card is stored before it is tied to its payment: it is
    # found by the payment it claims or by the terminal's id for it as well.
    events = (
        connection.execute(
            select(payment_events)
            .where(
                or_(
                    payment_events.c.payment_id.in_(list(keys)),
                    payment_events.c.claimed_payment_id.in_(list(keys)),
                    payment_events.c.terminal_payment_id.in_(list(by_terminal)),
                )
            )
            .order_by(payment_events.c.id)
        ).all()
        if keys
        else []
    )
    return {
        "version": PAYLOAD_VERSION,
        "order_id": str(order.id),
        "till_id": order.till_id,
        "till_code": order.till_code,
        "location_id": order.location_id,
        "sequence": order.receipt_number,
        "receipt_number": order.receipt_number,
        "cashier_id": order.cashier_id,
        "approved_by": order.approved_by,
        "till_clock": {"created_at": order.created_at, "paid_at": order.paid_at or now},
        "idempotency_key": order.idempotency_key,
        "request_digest": order.request_digest,
        "currency": order.currency,
        "prices_include_tax": order.prices_include_tax,
        "subtotal_minor": order.subtotal_minor,
        "discount_minor": order.discount_minor,
        "line_discount_minor": order.line_discount_minor,
        "tax_minor": order.tax_minor,
        "total_minor": order.total_minor,
        "coupon": (
            {"id": order.coupon_id, "code": order.coupon_code}
            if order.coupon_id is not None
            else None
        ),
        "details": {
            "customer": order.customer,
            "billing_address": order.billing_address,
            "shipping_address": order.shipping_address,
            "shipping_method": order.shipping_method,
        },
        "lines": [
            {
                "line_no": line.line_no,
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "unit_price_minor": line.unit_price_minor,
                "quantity": line.quantity,
                "tax_rate_bp": line.tax_rate_bp,
                "discount_minor": line.discount_minor,
                "total_minor": line.total_minor,
                "sale_unit": line.sale_unit,
                "line_discount_minor": line.line_discount_minor,
                "line_discount_reason": line.line_discount_reason,
            }
            for line in lines
        ],
        "tenders": [
            {
                "idempotency_key": tender.idempotency_key,
                "method": tender.method,
                "provider": tender.provider,
                "provider_payment_id": tender.provider_payment_id,
                "status": tender.status,
                "amount_minor": tender.amount_minor,
                "currency": tender.currency,
                "tendered_minor": tender.tendered_minor,
                "change_minor": tender.change_minor,
                "settled_by": tender.settled_by,
                "created_at": tender.created_at,
                "updated_at": tender.updated_at,
            }
            for tender in tenders
        ],
        "payment_events": [
            {
                "provider": event.provider,
                "event_id": event.event_id,
                "type": event.type,
                "payment_key": keys.get(event.payment_id)
                or keys.get(event.claimed_payment_id)
                or by_terminal.get(event.terminal_payment_id),
                "terminal_payment_id": event.terminal_payment_id,
                "amount_minor": event.amount_minor,
                "currency": event.currency,
                "source": event.source,
                "outcome": event.outcome,
                "payload": event.payload,
                "received_at": event.received_at,
                "applied_at": event.applied_at,
            }
            for event in events
        ],
    }
