"""The X and Z reports of a cash session, read from the store (DESIGN.md §9).

Every figure comes from the rows that point at the session: the sales paid in it
(``orders.cash_session_id``), the tenders settled in it, the refunds paid back in it,
the returns written in it, its cash movements and drawer openings. So the report adds
up by construction: the takings by tender are the settled tenders less what went back,
and, once no money is in flight, they equal the receipts' totals less the returns,
which equal the sums by tax rate (``tests/integration/test_day_money.py`` checks it).

An X report is built on demand and closes nothing; a Z report is built once, as the
session closes (``pos.services.cash_sessions.close_session``), and kept as it was made.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, func, select

from pos.domain.day import (
    PAY_IN,
    CashierLine,
    DayReport,
    DiscountLine,
    DrawerLine,
    MovementLine,
    TaxRateLine,
    TenderLine,
    report_from_record,
    tax_split,
)
from pos.domain.payments import PaymentMethod, PaymentStatus, RefundStatus
from pos.domain.receipt import receipt_label
from pos.domain.results import Code, Ok, Refused, Result
from pos.services._support import is_id, page_size, use_case
from pos.store.models import DEFAULT_TILL_ID, AuditEntry, OrderStatus, table_of
from pos.store.tables import (
    carts,
    cash_movements,
    cash_sessions,
    drawer_openings,
    locations,
    order_items,
    orders,
    payments,
    refunds,
    return_lines,
    sale_returns,
    tills,
    users,
)
from pos.store.uow import UnitOfWork

audit_log = table_of(AuditEntry)
_SETTLED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)
"""A tender that settled stays counted once it is paid back: the refund says so apart."""


@dataclass(frozen=True)
class SessionRow:
    """A cash session as the store keeps it, with its till's code."""

    id: int
    till_id: int
    till_code: str
    currency: str
    opened_by: int
    opened_at: datetime
    float_minor: int
    float_counts: tuple[tuple[int, int], ...]
    closed_at: datetime | None
    z_number: int | None


@dataclass(frozen=True)
class ZSummary:
    """One line of the Z reports' history."""

    session_id: int
    till_code: str
    z_number: int
    opened_at: datetime
    closed_at: datetime
    closed_by: str
    currency: str
    total_minor: int
    cash_difference_minor: int | None


def session_row(connection: Connection, session_id: object, *, lock: bool = False) -> SessionRow:
    """The session with this id; refused ``CASH_SESSION_NOT_FOUND`` if there is none."""
    if not is_id(session_id):
        raise Refused(Code.CASH_SESSION_NOT_FOUND)
    query = (
        select(cash_sessions, tills.c.code.label("till_code"))
        .join(tills, tills.c.id == cash_sessions.c.till_id)
        .where(cash_sessions.c.id == session_id)
    )
    if lock:
        query = query.with_for_update(of=cash_sessions)
    row = connection.execute(query).first()
    if row is None:
        raise Refused(Code.CASH_SESSION_NOT_FOUND)
    counts = json.loads(row.float_counts) if row.float_counts else {}
    return SessionRow(
        row.id,
        row.till_id,
        row.till_code,
        row.currency,
        row.opened_by,
        row.opened_at,
        row.float_minor,
        tuple(sorted(((int(d), n) for d, n in counts.items()), reverse=True)),
        row.closed_at,
        row.z_number,
    )


def open_session_id(connection: Connection, till_id: int) -> int | None:
    """The id of the session open at the till, if one is."""
    found: int | None = connection.execute(
        select(cash_sessions.c.id).where(
            cash_sessions.c.till_id == till_id, cash_sessions.c.closed_at.is_(None)
        )
    ).scalar()
    return found


def expected_cash(connection: Connection, session: SessionRow) -> int:
    """What the drawer should hold now: the float, the cash taken less the cash paid
    back, plus what was paid in, less what was paid out."""
    taken, back = _tender_sums(connection, session.id)
    moved = _movement_sums(connection, session.id)
    cash = PaymentMethod.CASH.value
    return (
        session.float_minor
        + taken.get(cash, 0)
        - back.get(cash, 0)
        + moved.get(PAY_IN, 0)
        - moved.get("out", 0)
    )


def build_report(
    connection: Connection,
    session: SessionRow,
    now: datetime,
    *,
    z_number: int | None = None,
    closed_by: str | None = None,
    counted: Mapping[str, int] | None = None,
) -> DayReport:
    """The session's report as of ``now``: an X report, or the Z if ``z_number`` is given."""
    sid = session.id
    names = _names(connection)
    sales = connection.execute(
        select(
            func.count().label("sales"),
            func.coalesce(func.sum(orders.c.total_minor), 0).label("total"),
            func.coalesce(func.sum(orders.c.discount_minor), 0).label("discount"),
            func.min(orders.c.receipt_number).label("first"),
            func.max(orders.c.receipt_number).label("last"),
        ).where(orders.c.cash_session_id == sid, orders.c.status == OrderStatus.PAID)
    ).one()
    by_cashier = connection.execute(
        select(
            orders.c.cashier_id,
            func.count().label("sales"),
            func.sum(orders.c.total_minor).label("total"),
        )
        .where(orders.c.cash_session_id == sid, orders.c.status == OrderStatus.PAID)
        .group_by(orders.c.cashier_id)
    ).all()
    returned = connection.execute(
        select(
            func.count().label("returns"),
            func.coalesce(func.sum(sale_returns.c.total_minor), 0).label("total"),
        ).where(sale_returns.c.cash_session_id == sid)
    ).one()
    taken, back = _tender_sums(connection, sid)
    moved = _movement_sums(connection, sid)
    cash = PaymentMethod.CASH.value
    counted = counted or {}
    tenders = []
    for method in sorted({cash, *taken, *back, *counted}, key=_tender_order):
        net = taken.get(method, 0) - back.get(method, 0)
        expected = net
        if method == cash:
            expected += session.float_minor + moved.get(PAY_IN, 0) - moved.get("out", 0)
        tenders.append(
            TenderLine(
                method, taken.get(method, 0), back.get(method, 0), net, expected,
                counted.get(method),
            )
        )  # fmt: skip
    voids, voids_minor = _voids(connection, session, now)
    header = connection.execute(
        select(locations.c.receipt_header)
        .join(tills, tills.c.location_id == locations.c.id)
        .where(tills.c.id == session.till_id)
    ).scalar()
    return DayReport(
        header=tuple(header.splitlines()) if header else (),
        session_id=sid,
        till_code=session.till_code,
        currency=session.currency,
        opened_at=session.opened_at,
        opened_by=names.get(session.opened_by, ""),
        float_minor=session.float_minor,
        made_at=now,
        z_number=z_number,
        closed_by=closed_by,
        float_counts=session.float_counts,
        sales=int(sales.sales),
        sales_minor=int(sales.total),
        first_receipt=_label(session.till_code, sales.first),
        last_receipt=_label(session.till_code, sales.last),
        discounts_minor=int(sales.discount),
        line_discounts=_line_discounts(connection, sid),
        returns=int(returned.returns),
        returns_minor=int(returned.total),
        voids=voids,
        voids_minor=voids_minor,
        paid_in_minor=moved.get(PAY_IN, 0),
        paid_out_minor=moved.get("out", 0),
        tenders=tuple(tenders),
        taxes=_taxes(connection, sid),
        cashiers=tuple(
            CashierLine(names.get(row.cashier_id, "-"), int(row.sales), int(row.total))
            for row in sorted(by_cashier, key=lambda row: names.get(row.cashier_id, ""))
        ),
        movements=_movements(connection, sid, names),
        drawer_openings=tuple(
            DrawerLine(row.reason, names.get(row.user_id, ""), row.at)
            for row in connection.execute(
                select(drawer_openings)
                .where(drawer_openings.c.cash_session_id == sid)
                .order_by(drawer_openings.c.id)
            )
        ),
    )


@use_case
def x_report(uow: UnitOfWork, till_id: int = DEFAULT_TILL_ID) -> Result[DayReport]:
    """The open session of ``till_id`` so far; closes nothing. ``NO_CASH_SESSION`` when
    none is open."""
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    with uow.reading():
        connection = uow.connection
        sid = open_session_id(connection, till_id)
        if sid is None:
            raise Refused(Code.NO_CASH_SESSION)
        return Ok(build_report(connection, session_row(connection, sid), uow.now()))


@use_case
def z_report(uow: UnitOfWork, session_id: int) -> Result[DayReport]:
    """A closed session's Z report, exactly as it was made when the session closed."""
    with uow.reading():
        record = connection_z(uow.connection, session_id)
    return Ok(report_from_record(record))


def connection_z(connection: Connection, session_id: object) -> str:
    session_row(connection, session_id)  # refuses an unknown id
    record: str | None = connection.execute(
        select(cash_sessions.c.z_report).where(cash_sessions.c.id == session_id)
    ).scalar()
    if record is None:
        raise Refused(Code.NO_CASH_SESSION)
    return record


@use_case
def z_reports(
    uow: UnitOfWork, *, till_id: int | None = None, limit: int = 100, before: int | None = None
) -> Result[tuple[ZSummary, ...]]:
    """The Z reports, newest first (``before``: a session id, for the next page)."""
    size = page_size(limit)
    query = (
        select(cash_sessions, tills.c.code.label("till_code"))
        .join(tills, tills.c.id == cash_sessions.c.till_id)
        .where(cash_sessions.c.closed_at.is_not(None))
        .order_by(cash_sessions.c.id.desc())
        .limit(size)
    )
    if till_id is not None:
        if not is_id(till_id):
            raise Refused(Code.TILL_NOT_FOUND)
        query = query.where(cash_sessions.c.till_id == till_id)
    if before is not None:
        if not is_id(before):
            raise Refused(Code.INVALID_FILTER)
        query = query.where(cash_sessions.c.id < before)
    with uow.reading():
        rows = uow.connection.execute(query).all()
    summaries = []
    for row in rows:
        report = report_from_record(row.z_report)
        cash = report.cash
        summaries.append(
            ZSummary(
                row.id, row.till_code, row.z_number, row.opened_at, row.closed_at,
                report.closed_by or "", row.currency, report.total_minor,
                cash.difference_minor if cash else None,
            )
        )  # fmt: skip
    return Ok(tuple(summaries))


# -- the sums -----------------------------------------------------------------------


def _tender_order(method: str) -> tuple[int, str]:
    return (0 if method == PaymentMethod.CASH.value else 1, method)


def _tender_sums(connection: Connection, sid: int) -> tuple[dict[str, int], dict[str, int]]:
    """What each tender took in the session, and what went back through it."""
    taken = {
        str(row.method): int(row.total)
        for row in connection.execute(
            select(payments.c.method, func.sum(payments.c.amount_minor).label("total"))
            .where(payments.c.cash_session_id == sid, payments.c.status.in_(_SETTLED))
            .group_by(payments.c.method)
        )
    }
    back: dict[str, int] = defaultdict(int)
    for row in connection.execute(
        select(refunds.c.method, func.sum(refunds.c.amount_minor).label("total"))
        .where(refunds.c.cash_session_id == sid, refunds.c.status == RefundStatus.SUCCEEDED)
        .group_by(refunds.c.method)
    ):
        back[str(row.method)] += int(row.total)
    # A return without a receipt pays back from the drawer with no tender to refund.
    loose = connection.execute(
        select(func.coalesce(func.sum(sale_returns.c.cash_back_minor), 0)).where(
            sale_returns.c.cash_session_id == sid, sale_returns.c.order_id.is_(None)
        )
    ).scalar_one()
    if loose:
        back[PaymentMethod.CASH.value] += int(loose)
    return taken, dict(back)


def _movement_sums(connection: Connection, sid: int) -> dict[str, int]:
    return {
        row.kind: int(row.total)
        for row in connection.execute(
            select(cash_movements.c.kind, func.sum(cash_movements.c.amount_minor).label("total"))
            .where(cash_movements.c.cash_session_id == sid)
            .group_by(cash_movements.c.kind)
        )
    }


def _line_discounts(connection: Connection, sid: int) -> tuple[DiscountLine, ...]:
    """The session's sales' own line discounts, by reason."""
    return tuple(
        DiscountLine(row.reason or "-", int(row.lines), int(row.amount))
        for row in connection.execute(
            select(
                order_items.c.line_discount_reason.label("reason"),
                func.count().label("lines"),
                func.sum(order_items.c.line_discount_minor).label("amount"),
            )
            .join(orders, orders.c.id == order_items.c.order_id)
            .where(
                orders.c.cash_session_id == sid,
                orders.c.status == OrderStatus.PAID,
                order_items.c.line_discount_minor > 0,
            )
            .group_by(order_items.c.line_discount_reason)
            .order_by(order_items.c.line_discount_reason)
        )
    )


def _taxes(connection: Connection, sid: int) -> tuple[TaxRateLine, ...]:
    """Sales and returns by tax rate, each sale's tax rounded per rate as checkout did."""
    sold: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in connection.execute(
        select(
            order_items.c.tax_rate_bp,
            orders.c.prices_include_tax,
            func.sum(order_items.c.total_minor).label("amount"),
        )
        .join(orders, orders.c.id == order_items.c.order_id)
        .where(orders.c.cash_session_id == sid, orders.c.status == OrderStatus.PAID)
        .group_by(orders.c.id, order_items.c.tax_rate_bp, orders.c.prices_include_tax)
    ):
        gross, tax = tax_split(int(row.amount), row.tax_rate_bp, bool(row.prices_include_tax))
        sold[row.tax_rate_bp][0] += gross
        sold[row.tax_rate_bp][1] += tax
    back: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in connection.execute(
        select(return_lines.c.tax_rate_bp, func.sum(return_lines.c.total_minor).label("amount"))
        .join(sale_returns, sale_returns.c.id == return_lines.c.return_id)
        .where(sale_returns.c.cash_session_id == sid)
        .group_by(sale_returns.c.id, return_lines.c.tax_rate_bp)
    ):
        # What went back is what was paid: its tax is the rate's share of it.
        gross, tax = tax_split(int(line.amount), line.tax_rate_bp, True)
        back[line.tax_rate_bp][0] += gross
        back[line.tax_rate_bp][1] += tax
    return tuple(
        TaxRateLine(rate, sold[rate][0], sold[rate][1], back[rate][0], back[rate][1])
        for rate in sorted({*sold, *back})
    )


def _voids(connection: Connection, session: SessionRow, now: datetime) -> tuple[int, int]:
    """Sales voided at the till during the session: open carts and part-paid sales."""
    entries = connection.execute(
        select(audit_log.c.entity, audit_log.c.entity_id, audit_log.c.details).where(
            audit_log.c.action == "sale.voided",
            audit_log.c.at >= session.opened_at,
            audit_log.c.at <= (session.closed_at or now),
        )
    ).all()
    carts_voided = [int(e.entity_id) for e in entries if e.entity == "cart"]
    orders_voided = [UUID(e.entity_id) for e in entries if e.entity == "order"]
    here = {
        str(found)
        for found in connection.execute(
            select(carts.c.id).where(
                carts.c.id.in_(carts_voided), carts.c.till_id == session.till_id
            )
        ).scalars()
    } | {
        str(found)
        for found in connection.execute(
            select(orders.c.id).where(
                orders.c.id.in_(orders_voided), orders.c.till_id == session.till_id
            )
        ).scalars()
    }
    totals = [
        int(json.loads(e.details).get("total_minor", 0)) for e in entries if e.entity_id in here
    ]
    return len(totals), sum(totals)


def _movements(
    connection: Connection, sid: int, names: Mapping[int, str]
) -> tuple[MovementLine, ...]:
    return tuple(
        MovementLine(
            row.kind,
            row.amount_minor,
            row.reason,
            names.get(row.user_id, ""),
            row.at,
            names.get(row.approved_by) if row.approved_by is not None else None,
        )
        for row in connection.execute(
            select(cash_movements)
            .where(cash_movements.c.cash_session_id == sid)
            .order_by(cash_movements.c.id)
        )
    )


def _names(connection: Connection) -> dict[int, str]:
    return {
        row.id: row.display_name
        for row in connection.execute(select(users.c.id, users.c.display_name))
    }


def _label(till_code: str, number: int | None) -> str | None:
    return receipt_label(till_code, number) if number is not None else None
