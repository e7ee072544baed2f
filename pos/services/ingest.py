"""Taking a sale made offline into the central store: exactly once, never refused.

A till that sold on its replica sends each paid sale home as its outbox record's
payload (``pos.services._offline.sale_payload``, version 1). ``ingest_sale`` makes the
sale again centrally in one transaction: the order under the till's UUID, its lines,
its tenders, their terminal events, its coupon use and its receipt number, the stock it
took and the ``order.paid`` record the online finalisation publishes.

- A second push of the same sale finds the order's UUID and changes nothing: "already
  here". Two pushes racing each other: the loser's insert of the UUID fails, and it
  answers the same.
- The sale is a fact (DESIGN.md §5): stock that runs short is taken to zero and the
  rest recorded as an oversell; a coupon used past its usage limit is kept, flagged
  ``over_limit`` on its redemption and audited; the lines stand at the prices the
  customer paid, whatever the catalogue says now.
- What the central store cannot take (a product or coupon it does not know, a payload
  version it does not read, the same idempotency key under another sale, a fault in the
  code) is rolled back and kept in ``sync_conflicts`` in a transaction of its own, once
  per sale (a re-push counts an attempt), and answered "conflict": the sales behind it
  go on. Only a store that is busy or gone answers an error: the push stops and tries
  again later.

The local integer ids of the replica's rows (lines, tenders, events, carts) are never
sent: the central store gives its own, and knows each row by what is unique centrally.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from pos.domain.journal import Kind
from pos.domain.payments import PaymentStatus
from pos.domain.receipt import receipt_label
from pos.domain.results import Code, Err, Ok, Refused, Result
from pos.domain.sync import Answer, ConflictStatus
from pos.services import journal
from pos.services._sale_reading import Sale, Unfit, order_id_of, read_sale, sale_entry
from pos.services._support import audit
from pos.services.cash_sessions import held_session, session_of_till
from pos.services.payments import (
    TOPIC_FULFILMENT,
    TOPIC_ORDER_PAID,
    _publish,
    _take_what_is_there,
)
from pos.store.engine import store_failure
from pos.store.models import CartStatus, OrderStatus, RedemptionState
from pos.store.prepared import Prepared, pipelined
from pos.store.tables import (
    carts,
    coupons,
    inventory,
    order_items,
    orders,
    oversells,
    payment_events,
    payments,
    products,
    receipts,
    redemptions,
    sync_conflicts,
    tills,
)
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

_BUSY_TRIES = 3
"""A sale whose transaction hit a deadlock or a lock timeout is tried this many times."""


@dataclass(frozen=True)
class Ingested:
    """What the central store made of one offline sale."""

    answer: Answer
    order_id: UUID
    conflict_id: int | None = None
    """The conflict kept for a manager, when the answer is ``conflict``."""
    reason: str | None = None
    """Why, for a conflict: a result code, or ``sale_fault`` for a fault in the code."""
    oversold: int = 0
    """Units the sale took that the central shelf no longer had (recorded as oversells)."""
    coupon_over_limit: bool = False


# -- the statements of the hot path ----------------------------------------------------

# Whether the sale is here (by its UUID) or its key is another sale's, and the store's
# clock, in one row: on PostgreSQL the first round trip of the sale.
_FIND = Prepared(
    select(
        func.now().label("now"),
        select(orders.c.id)
        .where(orders.c.id == bindparam("b_order"))
        .scalar_subquery()
        .label("here"),
        select(orders.c.id)
        .where(orders.c.idempotency_key == bindparam("b_key"))
        .scalar_subquery()
        .label("twin"),
    )
)
_CART = Prepared(
    insert(carts)
    .values(
        status=CartStatus.CLOSED,
        currency=bindparam("b_currency"),
        location_id=bindparam("b_location"),
        cashier_id=bindparam("b_cashier"),
        till_id=bindparam("b_till"),
        prices_include_tax=bindparam("b_include"),
        coupon_id=bindparam("b_coupon"),
        created_at=bindparam("b_created"),
        updated_at=bindparam("b_now"),
    )
    .returning(carts.c.id)
)
_ORDER_BINDS = {
    "id": "b_order",
    "till_id": "b_till",
    "location_id": "b_location",
    "cashier_id": "b_cashier",
    "idempotency_key": "b_key",
    "request_digest": "b_digest",
    "currency": "b_currency",
    "prices_include_tax": "b_include",
    "subtotal_minor": "b_subtotal",
    "discount_minor": "b_discount",
    "line_discount_minor": "b_line_discount",
    "tax_minor": "b_tax",
    "total_minor": "b_total",
    "coupon_id": "b_coupon",
    "coupon_code": "b_coupon_code",
    "customer": "b_customer",
    "billing_address": "b_billing",
    "shipping_address": "b_shipping",
    "shipping_method": "b_method",
    "receipt_number": "b_number",
    "created_at": "b_created",
    "paid_at": "b_paid",
    "ended_at": "b_paid",
}
# The session open at the till now, if any: the sale counts in its Z, as its cash in
# the drawer, whatever day the till sold it.
_SESSION = session_of_till(bindparam("b_till", type_=tills.c.id.type))
_ORDER_VALUES: dict[str, Any] = {
    "status": literal_column(f"'{OrderStatus.PAID.value}'"),
    **{name: bindparam(bind, type_=orders.c[name].type) for name, bind in _ORDER_BINDS.items()},
    "cash_session_id": _SESSION,
}
_ORDER = Prepared(insert(orders).values(cart_id=bindparam("b_cart"), **_ORDER_VALUES))
# On PostgreSQL the closed cart and the order go in one statement (the cart's id is the
# order's ``cart_id``), so the sale needs no round trip for it.
_NEW_CART = _CART.statement.cte("new_cart")  # type: ignore[attr-defined]
ORDER_WITH_CART = Prepared(
    insert(orders).from_select(
        ["cart_id", *_ORDER_VALUES],
        select(_NEW_CART.c.id, *_ORDER_VALUES.values()),
    )
)
LINE_BINDS = {
    "order_id": "b_order",
    "line_no": "b_line_no",
    "product_id": "b_product",
    "sku": "b_sku",
    "name": "b_name",
    "unit_price_minor": "b_price",
    "quantity": "b_quantity",
    "tax_rate_bp": "b_tax_rate",
    "discount_minor": "b_discount",
    "total_minor": "b_total",
    "sale_unit": "b_unit",
    "line_discount_minor": "b_line_discount",
    "line_discount_reason": "b_line_reason",
}
LINE = Prepared(insert(order_items).values({c: bindparam(b) for c, b in LINE_BINDS.items()}))
# The shelf covers the line: taken in one statement. When it does not, what is there is
# taken as the online finalisation takes it, and the rest recorded as an oversell.
_TAKE = Prepared(
    update(inventory)
    .where(
        inventory.c.location_id == bindparam("b_location"),
        inventory.c.product_id == bindparam("b_product"),
        inventory.c.available >= bindparam("b_quantity"),
    )
    .values(available=inventory.c.available - bindparam("b_quantity"))
    .returning(inventory.c.available)
)
_PRODUCT = Prepared(select(products.c.id).where(products.c.id == bindparam("b_product")))
_TENDER = Prepared(
    insert(payments)
    .values(
        order_id=bindparam("b_order"),
        method=bindparam("b_method"),
        provider=bindparam("b_provider"),
        provider_payment_id=bindparam("b_provider_id"),
        idempotency_key=bindparam("b_key"),
        status=bindparam("b_status"),
        amount_minor=bindparam("b_amount"),
        currency=bindparam("b_currency"),
        tendered_minor=bindparam("b_tendered"),
        change_minor=bindparam("b_change"),
        created_at=bindparam("b_created"),
        updated_at=bindparam("b_updated"),
        settled_by=bindparam("b_settled_by"),
        # A paid tender is the session's money, as the order is the session's sale.
        cash_session_id=case(
            (cast(bindparam("b_status"), payments.c.status.type) == PaymentStatus.PAID, _SESSION),
            else_=null(),
        ),
    )
    .returning(payments.c.id)
)
# The tenders' ids, taken before they are written (PostgreSQL): the sale's journal entry
# names them, and is made before the pipeline that writes them is answered.
PAYMENT_IDS = Prepared(
    select(func.nextval(func.pg_get_serial_sequence("payments", "id")).label("id")).select_from(
        func.generate_series(1, bindparam("b_count"))
    )
)
TENDER_WITH_ID = Prepared(_TENDER.statement.values(id=bindparam("b_id")))  # type: ignore[attr-defined]
RECEIPT = Prepared(
    insert(receipts).values(
        till_id=bindparam("b_till"),
        number=bindparam("b_number"),
        order_id=bindparam("b_order"),
        issued_at=bindparam("b_paid"),
    )
)
# The till's open session, before its counter's row: the order of locks of cash_sessions.
HOLD_SESSION = Prepared(held_session(bindparam("b_till")))
# A re-push of a sale left as a conflict ends the conflict as the sale arrives.
END_CONFLICT = Prepared(
    update(sync_conflicts)
    .where(
        sync_conflicts.c.order_id == bindparam("b_order"),
        sync_conflicts.c.status == ConflictStatus.OPEN,
    )
    .values(status=ConflictStatus.RESOLVED, resolved_at=bindparam("b_now"))
)
_USE_COUPON = Prepared(
    update(coupons)
    .where(
        coupons.c.id == bindparam("b_coupon"),
        or_(coupons.c.usage_limit.is_(None), coupons.c.times_used < coupons.c.usage_limit),
    )
    .values(times_used=coupons.c.times_used + 1, updated_at=bindparam("b_now"))
    .returning(coupons.c.id)
)
_COUPON = Prepared(
    select(coupons.c.usage_limit, coupons.c.times_used).where(coupons.c.id == bindparam("b_coupon"))
)
_REDEEM = Prepared(
    insert(redemptions).values(
        coupon_id=bindparam("b_coupon"),
        order_id=bindparam("b_order"),
        state=literal_column(f"'{RedemptionState.CONFIRMED.value}'"),
        created_at=bindparam("b_paid"),
        ended_at=bindparam("b_paid"),
        over_limit=bindparam("b_over"),
    )
)


# -- the use case -------------------------------------------------------------------


def ingest_sale(uow: UnitOfWork, payload: Mapping[str, Any]) -> Result[Ingested]:
    """Make the offline sale ``payload`` centrally, once; see the module's docstring.

    ``Ok`` with ``ingested``, ``already_here`` or ``conflict`` (and the conflict's id);
    ``Err`` only with ``STORE_BUSY`` or ``STORE_UNREACHABLE``: nothing was decided, the
    same payload is to be pushed again later.
    """
    order_id = order_id_of(payload)
    try:
        sale = read_sale(payload)
    except Unfit as unfit:
        return _conflict(uow, payload, order_id, unfit.error.code, unfit.error.params)
    for attempt in range(1, _BUSY_TRIES + 1):
        try:
            with uow:
                made = _make(uow, sale)  # committed, when ingested
            return Ok(made)
        except Refused as refusal:
            return _conflict(uow, payload, order_id, refusal.error.code, refusal.error.params)
        except DBAPIError as error:
            failure = store_failure(error)
            if failure is Code.STORE_BUSY and attempt < _BUSY_TRIES:
                continue
            if failure is not None:
                log.info("ingest %s: the central store failed: %s", order_id, error.orig)
                return Err(failure)
            fault: Exception = error
        except Exception as error:  # a fault in the code: the sale waits for a manager
            fault = error
        try:
            return _after_fault(uow, payload, sale, fault)
        except DBAPIError as error:
            failure = store_failure(error)
            if failure is None:
                raise
            return Err(failure)
    raise AssertionError("unreachable")  # pragma: no cover


def _after_fault(
    uow: UnitOfWork, payload: Mapping[str, Any], sale: Sale, fault: Exception
) -> Result[Ingested]:
    """The sale's transaction failed on something other than the store being away: a
    twin push that made it meanwhile (its insert won, ours failed), something it names
    that the store does not know (the pipelined statements fail on the reference, so it
    is looked for after the fact), else a fault in the code. Each but the first is a
    conflict, with why."""
    order_id: UUID = sale.order["b_order"]
    with uow.reading():
        here = uow.connection.execute(
            select(orders.c.id, orders.c.idempotency_key).where(
                or_(orders.c.id == order_id, orders.c.idempotency_key == sale.order["b_key"])
            )
        ).all()
        wanted = {line["b_product"] for line in sale.lines}
        known = set(
            uow.connection.execute(select(products.c.id).where(products.c.id.in_(wanted)))
            .scalars()
            .all()
        )
        till = uow.connection.execute(
            select(tills.c.id).where(tills.c.id == sale.order["b_till"])
        ).first()
        coupon = sale.coupon_id is None or (
            uow.connection.execute(
                select(coupons.c.id).where(coupons.c.id == sale.coupon_id)
            ).first()
            is not None
        )
    if any(row.id == order_id for row in here):
        return Ok(Ingested(Answer.ALREADY_HERE, order_id))
    why: Err
    if here:
        why = Err(Code.SALE_DUPLICATE, {"key": sale.order["b_key"]})
    elif wanted - known:
        why = Err(Code.SALE_PRODUCT_UNKNOWN, {"product_id": min(wanted - known)})
    elif till is None:
        why = Err(Code.TILL_NOT_FOUND)
    elif not coupon:
        why = Err(Code.SALE_COUPON_UNKNOWN, {"coupon": sale.coupon_code or sale.coupon_id})
    else:
        log.error("ingest %s: the central store could not take the sale", order_id, exc_info=fault)
        why = Err(Code.SALE_FAULT, {"detail": f"{type(fault).__name__}: {fault}"[:2000]})
    return _conflict(uow, payload, order_id, why.code, why.params)


def _make(uow: UnitOfWork, sale: Sale) -> Ingested:
    """The sale in the caller's transaction, committed when it is made: on PostgreSQL in
    two round trips, one more for a coupon's use, card events or a short line.

    The first round trip takes what needs locks, in the lock order of the whole store:
    the till's open day (``pos.services.cash_sessions``: a close in progress is waited
    for here, and the order and its tenders then name no closed day), the stock of each
    product in product order, and last the till's row (its receipt counter raised and
    its journal's head taken in one update); with them the look for the sale (a sale
    already here rolls all of it back) and, on PostgreSQL, the ids its tenders will
    have. Knowing those, the sale's journal entry is made before anything else is
    written, and the second round trip writes the order, its lines, tenders, receipt,
    ``order.paid``, the end of a conflict the same sale left open on an earlier push,
    the entry and the head moved to it, and COMMIT."""
    connection = uow.connection
    order = sale.order
    order_id: UUID = order["b_order"]
    till, location = order["b_till"], order["b_location"]
    postgres = _on_postgresql(connection)
    wanted: dict[int, int] = {}
    for line in sale.lines:
        wanted[line["b_product"]] = wanted.get(line["b_product"], 0) + line["b_quantity"]
    with pipelined(connection):
        holding = HOLD_SESSION.send(connection, order)
        finding = _FIND.send(connection, {"b_order": order_id, "b_key": order["b_key"]})
        taking = [
            (product, wanted[product], _TAKE.send(connection, _want(location, product, wanted)))
            for product in sorted(wanted)  # in product order, as everywhere: no deadlocks
        ]
        heading = journal.take_head(
            connection, till, till_code=order["till_code"], receipt=order["b_number"]
        )
        numbering = (
            PAYMENT_IDS.send(connection, {"b_count": len(sale.tenders)})
            if postgres and sale.tenders
            else None
        )
        (found,) = finding()
        holding()
        short = [(product, quantity) for product, quantity, take in taking if not take()]
        # The store's clock on PostgreSQL (as ``uow.now()`` would read it, without asking
        # again); the unit of work's own where it has one, or the store is local.
        now = found.now if uow.clock is None and postgres else uow.now()
        head = heading(now)
        ids = [row.id for row in numbering()] if numbering is not None else []
    if found.here is not None:
        uow.rollback()  # the stock taken and the head moved, for a sale already here
        return Ingested(Answer.ALREADY_HERE, order_id)
    if found.twin is not None:
        raise Refused(Code.SALE_DUPLICATE, key=order["b_key"])
    # What comes after the writes needs their answers: the COMMIT waits for it.
    finishing = bool(short or sale.events or sale.coupon_id is not None)
    with pipelined(connection):
        if postgres:
            ORDER_WITH_CART.send(connection, {**order, "b_now": now})
        else:
            cart_id = _CART.one(connection, {**order, "b_now": now}).id
            _ORDER.execute(connection, {**order, "b_cart": cart_id})
        LINE.execute_many(connection, sale.lines)
        paid = [
            (tender, _tender(connection, {**tender, "b_till": till}, ids[n] if ids else None))
            for n, tender in enumerate(sale.tenders)
        ]
        RECEIPT.send(connection, order)
        using = None
        if sale.coupon_id is not None:
            using = _USE_COUPON.send(connection, {"b_coupon": sale.coupon_id, "b_now": now})
        label = receipt_label(order["till_code"], order["b_number"])
        _publish(connection, TOPIC_ORDER_PAID, order_id, now, receipt=label, total=order["b_total"])
        if order["b_shipping"]:
            _publish(
                connection,
                TOPIC_FULFILMENT,
                order_id,
                now,
                address=order["b_shipping"],
                method=order["b_method"],
            )
        END_CONFLICT.send(connection, {"b_order": order_id, "b_now": now})
        entry = journal.Entry.of(Kind.SALE, order_id, sale_entry(sale, paid))
        if not finishing:
            journal.write(connection, head, entry, now)
            # On PostgreSQL the COMMIT goes with the writes: one round trip, answered (or
            # failed, as the store failing) when the pipeline ends.
            uow.commit()
            return Ingested(Answer.INGESTED, order_id)
        counted = using is None or bool(using())
    oversold = sum(
        _short_line(connection, order_id, location, product, quantity, now)
        for product, quantity in short
    )
    if sale.events:
        _events(connection, sale.events, {tender["b_key"]: id_ for tender, id_ in paid})
    over_limit = False
    if sale.coupon_id is not None:
        over_limit = _redeem(uow, sale, now, counted=counted)
    uow.flush()  # the ORM's rows (an audit) before the pipeline, which cannot return them
    with pipelined(connection):
        journal.write(connection, head, entry, now)
        uow.commit()
    return Ingested(Answer.INGESTED, order_id, oversold=oversold, coupon_over_limit=over_limit)


def _tender(connection: Connection, tender: Mapping[str, Any], id_: int | None) -> int:
    """Write one tender and give its id: the one taken for it already (PostgreSQL, where
    the statement is pipelined and answers nothing), else the one the store gives."""
    if id_ is None:
        return int(_TENDER.one(connection, tender).id)
    TENDER_WITH_ID.send(connection, {**tender, "b_id": id_})
    return id_


def _want(location: int, product: int, wanted: Mapping[int, int]) -> dict[str, int]:
    return {"b_location": location, "b_product": product, "b_quantity": wanted[product]}


def _on_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _short_line(
    connection: Connection,
    order_id: UUID,
    location_id: int,
    product_id: int,
    quantity: int,
    now: datetime,
) -> int:
    """The shelf did not cover the line: take what is there, as the online finalisation
    does, and record the rest as an oversell; the units oversold."""
    if _PRODUCT.first(connection, {"b_product": product_id}) is None:
        raise Refused(Code.SALE_PRODUCT_UNKNOWN, product_id=product_id)
    taken = _take_what_is_there(connection, location_id, product_id, quantity)
    if taken >= quantity:
        return 0
    connection.execute(
        insert(oversells).values(
            order_id=order_id,
            product_id=product_id,
            location_id=location_id,
            quantity=quantity - taken,
            created_at=now,
        )
    )
    return quantity - taken


def _events(
    connection: Connection, events: Sequence[Mapping[str, Any]], keys: Mapping[str, int]
) -> None:
    """The terminal's events for the sale's cards: each kept once by (provider, event id);
    one the central store already heard (its webhook came there too) is tied to the
    payment, not stored twice."""
    for event in events:
        payment_id = keys.get(event.get("payment_key") or "")
        where = (
            payment_events.c.provider == event["provider"],
            payment_events.c.event_id == event["event_id"],
        )
        known = connection.execute(select(payment_events.c.id).where(*where)).first()
        if known is not None:
            connection.execute(
                update(payment_events)
                .where(*where, payment_events.c.payment_id.is_(None))
                .values(payment_id=payment_id)
            )
            continue
        connection.execute(
            insert(payment_events).values(
                provider=event["provider"],
                event_id=event["event_id"],
                type=event["type"],
                terminal_payment_id=event.get("terminal_payment_id"),
                payment_id=payment_id,
                claimed_payment_id=payment_id,
                amount_minor=event.get("amount_minor"),
                currency=event.get("currency"),
                source=event["source"],
                outcome=event["outcome"],
                payload=event["payload"],
                received_at=event["received_at"],
                applied_at=event["applied_at"],
            )
        )


def _redeem(uow: UnitOfWork, sale: Sale, now: datetime, *, counted: bool) -> bool:
    """The sale's coupon use, confirmed; one the coupon's counter could not take (past its
    limit) is kept flagged and audited instead. Whether it was past the limit."""
    connection = uow.connection
    params = {"b_coupon": sale.coupon_id, "b_now": now}
    if not counted:
        coupon = _COUPON.first(connection, params)
        if coupon is None:
            raise Refused(Code.SALE_COUPON_UNKNOWN, coupon=sale.coupon_code or sale.coupon_id)
        audit(
            uow.session,
            at=now,
            user_id=sale.order["b_cashier"],
            action="coupon.used_past_limit",
            entity="coupon",
            entity_id=sale.coupon_id,
            order_id=sale.order["b_order"],
            code=sale.coupon_code,
            usage_limit=coupon.usage_limit,
            times_used=coupon.times_used,
        )
    _REDEEM.execute(
        connection,
        {
            "b_coupon": sale.coupon_id,
            "b_order": sale.order["b_order"],
            "b_paid": sale.paid_at,
            "b_over": not counted,
        },
    )
    return not counted


# -- the conflicts queue ----------------------------------------------------------------


def _conflict(
    uow: UnitOfWork,
    payload: Mapping[str, Any],
    order_id: UUID,
    code: Code,
    params: Mapping[str, object],
) -> Result[Ingested]:
    """Keep the sale the central store could not take, in a transaction of its own:
    once per sale, a re-push counting an attempt. Answered ``conflict``."""
    detail = json.dumps({"code": code.value, **params}, ensure_ascii=False, default=str)
    body = json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True)
    till_id = payload.get("till_id") if isinstance(payload, Mapping) else None
    number = payload.get("receipt_number") if isinstance(payload, Mapping) else None
    last: DBAPIError | None = None
    for _attempt in range(2):  # a twin push may insert it between our look and our insert
        try:
            with uow:
                conflict_id = _keep_conflict(
                    uow,
                    order_id,
                    till_id if isinstance(till_id, int) else None,
                    str(payload.get("till_code") or "?")[:8],
                    number if isinstance(number, int) else None,
                    code.value,
                    detail,
                    body,
                )
                uow.commit()
            log.warning("ingest %s: kept as conflict %s: %s", order_id, conflict_id, detail)
            return Ok(Ingested(Answer.CONFLICT, order_id, conflict_id, code.value))
        except DBAPIError as error:
            failure = store_failure(error)
            if failure is not None:
                return Err(failure)
            last = error
    assert last is not None
    raise last


def _keep_conflict(
    uow: UnitOfWork,
    order_id: UUID,
    till_id: int | None,
    till_code: str,
    number: int | None,
    reason: str,
    detail: str,
    body: str,
) -> int:
    connection, now = uow.connection, uow.now()
    bumped = connection.execute(
        update(sync_conflicts)
        .where(sync_conflicts.c.order_id == order_id)
        .values(
            attempts=sync_conflicts.c.attempts + 1,
            last_attempt_at=now,
            reason=reason,
            detail=detail,
        )
        .returning(sync_conflicts.c.id)
    ).first()
    if bumped is not None:
        return int(bumped.id)
    known_till = (
        till_id
        if till_id is not None
        and connection.execute(select(tills.c.id).where(tills.c.id == till_id)).first()
        else None
    )
    return int(
        connection.execute(
            insert(sync_conflicts)
            .values(
                order_id=order_id,
                till_id=known_till,
                till_code=till_code,
                receipt_number=number,
                reason=reason,
                detail=detail,
                payload=body,
                status=ConflictStatus.OPEN,
                attempts=1,
                received_at=now,
                last_attempt_at=now,
            )
            .returning(sync_conflicts.c.id)
        ).scalar_one()
    )
