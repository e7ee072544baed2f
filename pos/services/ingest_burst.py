"""Taking a till's offline sales in bursts: ``ingest_sale``'s transactions, many to a
round trip (DESIGN.md §5, "Pushing back").

``ingest_sales`` answers what ``ingest_sale`` would for each payload, in order, each
answer given only after its sale's central commit. On PostgreSQL the plain sales (no
coupon, no card terminal's events, nothing to deliver) go in bursts
(``pos.store.burst``), on one connection for the whole push:

- One round trip per burst looks first: the store's clock, which of the burst's sales
  are here already ("already here", nothing written), the till's journal head and key,
  and the ids the tenders will have.
- Then every other sale of the burst is its own transaction, sent back to back with
  the others: the till's open day, the stock of all its lines in one statement (locked
  in product order, and failing unless the shelf covers every line), the till's head
  moved on to the sale's entry only if it is still where the sale's entry follows
  (``journal.chain``: the entries are chained here, one after the other), the
  receipt counter raised, the order, lines, tenders, receipt, ``order.paid``, the end
  of a conflict the sale left open, and the entry itself.
- A sale whose transaction fails (a shelf short, a product or till the store does not
  know, the same sale pushed by another process meanwhile, a head moved by an entry
  made centrally, a store busy) fails alone, and so do the sales behind it in the
  burst, whose entries followed its own: that sale then goes through ``ingest_sale``,
  which takes it as a fact, keeps it as a conflict or answers "already here", and the
  sales behind it go in a new burst.

Anything else (SQLite, a sale that is not plain) goes through ``ingest_sale`` itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Uuid, any_, bindparam, func, insert, or_, select, text
from sqlalchemy.exc import DBAPIError

from pos.domain.journal import Kind
from pos.domain.receipt import receipt_label
from pos.domain.results import Code, Err, Ok, Result
from pos.domain.sync import Answer
from pos.services import journal
from pos.services._sale_reading import Sale, Unfit, read_sale, sale_entry
from pos.services.ingest import (
    END_CONFLICT,
    HOLD_SESSION,
    LINE_BINDS,
    ORDER_WITH_CART,
    PAYMENT_IDS,
    RECEIPT,
    TENDER_WITH_ID,
    Ingested,
    ingest_sale,
)
from pos.services.payments import TOPIC_ORDER_PAID, published
from pos.store.burst import Burst
from pos.store.engine import is_pooled, store_failure
from pos.store.prepared import Prepared, pipelined
from pos.store.tables import order_items, orders
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

BURST = 100
"""Sales sent in one burst at most."""

# The burst's look: the store's clock, and which of its sales (by UUID or by key) the
# store holds already.
_NOW = Prepared(select(func.now().label("now")))
_HERE = Prepared(
    select(orders.c.id, orders.c.idempotency_key).where(
        or_(
            orders.c.id == any_(bindparam("b_orders", type_=ARRAY(Uuid()))),
            orders.c.idempotency_key
            == any_(bindparam("b_keys", type_=ARRAY(orders.c.idempotency_key.type))),
        )
    )
)
# The stock of every line of a sale, taken in one statement: the rows locked in product
# order first (the lock order of the whole store), then each taken if the shelf covers
# it; the statement divides by whether all were, so a shelf short (or a product the
# store does not stock) fails it, and the sale goes through ``ingest_sale``.
_TAKE_ALL = Prepared(
    text(
        "WITH wanted AS (SELECT * FROM unnest(CAST(:b_products AS bigint[]),"
        " CAST(:b_quantities AS bigint[])) AS w (product_id, quantity)),"
        " locked AS MATERIALIZED (SELECT i.product_id FROM inventory AS i"
        " JOIN wanted AS w ON w.product_id = i.product_id WHERE i.location_id = :b_location"
        " ORDER BY i.product_id FOR UPDATE OF i),"
        " taken AS (UPDATE inventory AS i SET available = i.available - w.quantity"
        " FROM wanted AS w WHERE i.location_id = :b_location AND i.product_id = w.product_id"
        " AND i.available >= w.quantity AND i.product_id IN (SELECT product_id FROM locked)"
        " RETURNING i.product_id)"
        " SELECT 1 / CAST((SELECT count(*) FROM taken)"
        " = cardinality(CAST(:b_products AS bigint[])) AS integer) AS taken"
    )
)


_LINES: dict[int, Prepared] = {}


def _lines(count: int) -> Prepared:
    """The sale's ``count`` lines in one statement (``ingest_sale``'s ``LINE``, as rows)."""
    lines = _LINES.get(count)
    if lines is None:
        rows: list[dict[str, Any]] = [
            {column: bindparam(f"{bind}_{n}") for column, bind in LINE_BINDS.items()}
            for n in range(count)
        ]
        lines = _LINES[count] = Prepared(insert(order_items).values(rows))
    return lines


def ingest_sales(
    central_uow_factory: Callable[[], UnitOfWork],
    payloads: Sequence[Mapping[str, Any]],
    *,
    burst: int = BURST,
) -> Generator[Result[Ingested], None, None]:
    """``ingest_sale`` of each payload, answered in order (see the module), ``burst``
    sales in a burst at most. After an ``Err`` (the store busy or gone) nothing more is
    answered: the caller tries that sale again later, and the rest after it."""
    uow = central_uow_factory()
    # Behind a pooler in transaction mode, the statements a burst prepares by name on one
    # server connection are unknown to the next transaction's: there, one sale at a time.
    if uow.engine.dialect.name != "postgresql" or is_pooled(uow.engine):
        for payload in payloads:
            result = ingest_sale(central_uow_factory(), payload)
            yield result
            if isinstance(result, Err):
                return
        return
    try:
        with uow:  # one connection for the whole push, checked once
            yield from _in_bursts(uow, central_uow_factory, payloads, burst)
    except DBAPIError as error:  # the connection went: even its rollback could not go
        if store_failure(error) is None:
            raise
        log.info("ingest: the bursts' connection went: %s", error.orig)


def _in_bursts(
    uow: UnitOfWork,
    central_uow_factory: Callable[[], UnitOfWork],
    payloads: Sequence[Mapping[str, Any]],
    burst: int,
) -> Generator[Result[Ingested], None, None]:
    sales = [_plain(payload) for payload in payloads]
    at = 0
    while at < len(payloads):
        sale = sales[at]
        run = _run(sales, at, burst) if sale is not None else []
        answers: list[Ingested] = []
        if run:
            try:
                answers = _burst(uow, run)
            except DBAPIError as error:
                log.info("ingest: a burst failed on the way: %s", error.orig)
                yield Err(store_failure(error) or Code.STORE_UNREACHABLE)
                return
        for answer in answers:
            yield Ok(answer)
        at += len(answers)
        if at < len(payloads) and len(answers) < len(run or [None]):
            result = ingest_sale(central_uow_factory(), payloads[at])
            yield result
            if isinstance(result, Err):
                return
            at += 1


def _plain(payload: Mapping[str, Any]) -> Sale | None:
    """The sale, if it can go in a burst: readable, without a coupon, card events or
    anything to deliver."""
    try:
        sale = read_sale(payload)
    except Unfit:
        return None
    if sale.coupon_id is not None or sale.events or sale.order["b_shipping"]:
        return None
    return sale


def _run(sales: Sequence[Sale | None], at: int, most: int) -> list[Sale]:
    """The plain sales of one till from ``at`` on, up to a burst's worth."""
    first = sales[at]
    assert first is not None
    run = [first]
    for sale in sales[at + 1 : at + most]:
        if sale is None or sale.order["b_till"] != first.order["b_till"]:
            break
        run.append(sale)
    return run


def _burst(uow: UnitOfWork, run: Sequence[Sale]) -> list[Ingested]:
    """The sales of ``run`` made, in order, up to the first that could not be (the
    answers of those before it; that one is for ``ingest_sale``)."""
    connection = uow.connection
    first = run[0].order
    till = first["b_till"]
    with pipelined(connection):
        clock = _NOW.send(connection, {})
        looking = _HERE.send(
            connection,
            {
                "b_orders": [sale.order["b_order"] for sale in run],
                "b_keys": [sale.order["b_key"] for sale in run],
            },
        )
        heading = journal.look_head(connection, till, till_code=first["till_code"])
        numbering = PAYMENT_IDS.send(connection, {"b_count": sum(len(s.tenders) for s in run)})
        (now_row,) = clock()
        started = time.monotonic()
        here = {row.id: row.idempotency_key for row in looking()}
        head = heading()
        ids = [int(row.id) for row in numbering()]
    if head is None:  # a till or key the store does not know yet: ``ingest_sale`` says
        return []
    keys = {key: order_id for order_id, key in here.items()}
    burst = Burst(connection)
    numbers = iter(ids)
    made: list[tuple[UUID, bool]] = []  # each sale's UUID and whether it was sent
    for sale in run:
        order = sale.order
        order_id: UUID = order["b_order"]
        if order_id in here:
            made.append((order_id, False))
            continue
        if keys.get(order["b_key"], order_id) != order_id:
            break  # another sale's key: a conflict, kept by ``ingest_sale``
        now = uow.clock() if uow.clock is not None else _later(now_row.now, started)
        head = _send(burst, sale, head, [next(numbers) for _ in sale.tenders], now)
        made.append((order_id, True))
    answers: list[Ingested] = []
    failures = iter(burst.run())
    for order_id, sent in made:
        if not sent:
            answers.append(Ingested(Answer.ALREADY_HERE, order_id))
            continue
        failed = next(failures)
        if failed is not None:
            log.info(
                "ingest %s: not in a burst (%s): %s", order_id, failed.sqlstate, failed.message
            )
            break
        answers.append(Ingested(Answer.INGESTED, order_id))
    return answers


def _later(then: datetime, started: float) -> datetime:
    """The store's clock now: as it read at the burst's look, moved on since."""
    return then + timedelta(seconds=time.monotonic() - started)


def _send(
    burst: Burst, sale: Sale, head: journal.Head, ids: list[int], now: datetime
) -> journal.Head:
    """The sale's transaction queued in ``burst``, in the lock order of ``ingest_sale``;
    the journal's head after its entry."""
    order = sale.order
    order_id: UUID = order["b_order"]
    wanted: dict[int, int] = {}
    for line in sale.lines:
        wanted[line["b_product"]] = wanted.get(line["b_product"], 0) + line["b_quantity"]
    burst.send(HOLD_SESSION, order)
    burst.send(
        _TAKE_ALL,
        {
            "b_location": order["b_location"],
            "b_products": sorted(wanted),
            "b_quantities": [wanted[product] for product in sorted(wanted)],
        },
    )
    paid = list(zip(sale.tenders, ids, strict=True))
    entry = journal.Entry.of(Kind.SALE, order_id, sale_entry(sale, paid))
    head = journal.chain(burst, head, entry, now, receipt=order["b_number"])
    burst.send(ORDER_WITH_CART, {**order, "b_now": now})
    burst.send(
        _lines(len(sale.lines)),
        {
            f"{bind}_{n}": line[bind]
            for n, line in enumerate(sale.lines)
            for bind in LINE_BINDS.values()
        },
    )
    for tender, id_ in paid:
        burst.send(TENDER_WITH_ID, {**tender, "b_till": order["b_till"], "b_id": id_})
    burst.send(RECEIPT, order)
    label = receipt_label(order["till_code"], order["b_number"])
    burst.send(*published(TOPIC_ORDER_PAID, order_id, now, receipt=label, total=order["b_total"]))
    burst.send(END_CONFLICT, {"b_order": order_id, "b_now": now})
    burst.end()
    return head
