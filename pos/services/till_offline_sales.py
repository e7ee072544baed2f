"""The till's own view of the sales it made offline: which went home and which did not.

Read on the till's replica (it answers without the central store): each sale in
``offline_sales`` with its outbox record, newest first. A sale is *unsent* until the
sync loop marks its record sent, *sent* once the central store has it, and a
*conflict* when the central store answered that it could not take it (a manager
settles it in the back office).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, select

from pos.domain.receipt import receipt_label
from pos.domain.results import Ok, Result
from pos.services._support import LIST_PAGE, page_size, use_case
from pos.store.tables import offline_sales, orders, outbox, tills
from pos.store.uow import UnitOfWork

OUTBOX_ANSWER_COLUMN = "answer"
"""The outbox's column for the central store's answer to a sent record (``ingested``,
``already_here``, ``conflict``), added with the sync loop. Until the outbox has it, a
sent sale reads as sent and never as a conflict."""
CONFLICT_ANSWER = "conflict"


class SendState(enum.StrEnum):
    UNSENT = "unsent"
    SENT = "sent"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class TillOfflineSale:
    order_id: UUID
    receipt: str | None
    """``T01-000042`` once paid; None for a sale still open at the till."""
    at: datetime
    """The till's clock when it was paid (when it was begun, if not paid)."""
    total_minor: int
    currency: str
    state: SendState
    sent_at: datetime | None


@use_case
def till_offline_sales(
    uow: UnitOfWork, *, limit: int = LIST_PAGE
) -> Result[tuple[TillOfflineSale, ...]]:
    """The sales this till made offline, newest first, the unsent ones and the
    conflicts before those that went home well."""
    size = page_size(limit)
    answer = _answer_column()
    query = (
        select(
            offline_sales.c.order_id,
            offline_sales.c.created_at,
            offline_sales.c.total_minor,
            orders.c.receipt_number,
            orders.c.paid_at,
            orders.c.currency,
            tills.c.code,
            outbox.c.id.label("outbox_id"),
            outbox.c.sent_at,
            (answer if answer is not None else outbox.c.topic).label("answer"),
        )
        .join(orders, orders.c.id == offline_sales.c.order_id)
        .join(tills, tills.c.id == offline_sales.c.till_id)
        .join(outbox, outbox.c.id == offline_sales.c.outbox_id)
        .order_by(offline_sales.c.created_at.desc(), orders.c.receipt_number.desc())
        .limit(size)
    )
    with uow.reading():
        found = uow.connection.execute(query).all()
    sales = [
        TillOfflineSale(
            order_id=row.order_id,
            receipt=(
                receipt_label(row.code, row.receipt_number)
                if row.receipt_number is not None
                else None
            ),
            at=row.paid_at or row.created_at,
            total_minor=row.total_minor,
            currency=row.currency,
            state=_state(row.sent_at, row.answer if answer is not None else None),
            sent_at=row.sent_at,
        )
        for row in found
    ]
    order = {SendState.CONFLICT: 0, SendState.UNSENT: 1, SendState.SENT: 2}
    return Ok(tuple(sorted(sales, key=lambda sale: order[sale.state])))


def _answer_column() -> ColumnElement[str] | None:
    column = outbox.c.get(OUTBOX_ANSWER_COLUMN)
    return column if column is not None else None


def _state(sent_at: datetime | None, answer: str | None) -> SendState:
    if sent_at is None:
        return SendState.UNSENT
    return SendState.CONFLICT if answer == CONFLICT_ANSWER else SendState.SENT
