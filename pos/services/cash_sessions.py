"""A till's day as a cash session (DESIGN.md §9): open it with a counted float, pay
cash in and out with a reason, close it with a blind count and its Z report.

The rule of selling: a till that keeps cash sessions sells only inside an open one.
``hold_session(required=True)`` is asked by checkout: once a till has had a session, a
sale there with none open is refused ``NO_CASH_SESSION`` (the till's window asks for
the float at sign-in before that can happen). A till that never opened one (a store
set up before cash sessions, the tests of the sales rules) sells as before.

Money that moves at a till belongs to the session open there at that moment: the paid
sale and its settled tenders (``pos.services.payments``), a refund as it succeeds
(``pos.services.refunds``), a return as it is written, a drawer opened without a sale.
``session_of_till`` is the one expression all of them use.

The order of locks, one rule for every path that touches both the session's row and
the till's (``tills``: its receipt, return and Z numbers, its journal's head): **the
session first, the till's row last**. A path that writes money into the session calls
``hold_session`` before anything locks the till's row: it takes the open session
``FOR KEY SHARE`` (returns, refunds, a sale's finalising and drawer openings share it
with one another), ``_move_cash`` takes it ``FOR NO KEY UPDATE`` (movements one at a
time), ``close_session`` ``FOR UPDATE``, which waits for every holder and makes each
later one wait for it. Then the till's row (a number, and ``journal.append`` last of
all). So a close and a return at the same till never wait on each other crosswise: the
return either holds the session first and is in its Z, or waits for the close and then
finds no session open (refused ``NO_CASH_SESSION`` where the till keeps sessions) or
the next one. ``open_session`` locks the till's row only, once its new session is
written (no one else can hold that row yet). An offline sale arriving at the central
store (``pos.services.ingest``) sends ``held_session`` ahead of its till's counter.

Closing is blind: the cashier gives what was counted per tender before seeing what
should be there; the answer is the Z report with expected against counted. The
session row is locked and must still be open, so a second close of the same session
is refused ``CASH_SESSION_CLOSED`` and takes no Z number: the numbers stay gapless.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pos.domain.approvals import cash_movement_needs_approval
from pos.domain.day import PAY_IN, PAY_OUT, DayReport, counted_total, drawer_amount
from pos.domain.money import DEFAULT_CURRENCY, Money, is_currency
from pos.domain.payments import PaymentMethod, PaymentStatus, RefundStatus
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.domain.text import clean_line
from pos.services import journal_day
from pos.services._support import audit, is_id, use_case
from pos.services.day_reports import (
    SessionRow,
    build_report,
    expected_cash,
    open_session_id,
    session_row,
)
from pos.services.users import acting_user
from pos.store.models import DEFAULT_TILL_ID, OrderStatus, Role
from pos.store.prepared import Prepared, pipelined
from pos.store.tables import (
    carts,
    cash_movements,
    cash_sessions,
    orders,
    payments,
    refunds,
    tills,
)
from pos.store.uow import UnitOfWork

MIN_REASON_LENGTH = 3
MAX_REASON_LENGTH = 200
PAID_IN_ACTION = "cash.paid_in"
PAID_OUT_ACTION = "cash.paid_out"
_IN_FLIGHT = (PaymentStatus.INITIATED, PaymentStatus.PENDING)


@dataclass(frozen=True)
class SessionView:
    session_id: int
    till_id: int
    till_code: str
    currency: str
    opened_at: datetime
    float_minor: int
    float_counts: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class MovementView:
    movement_id: int
    session_id: int
    kind: str
    amount_minor: int
    currency: str
    reason: str
    approved_by: int | None
    drawer_minor: int
    """What the drawer should hold after it."""


def session_of_till(till: ColumnElement[Any] | ScalarSelect[Any] | int) -> ScalarSelect[Any]:
    """The id of the session open at ``till`` (a column or a value), NULL when none is."""
    return (
        select(cash_sessions.c.id)
        .where(cash_sessions.c.till_id == till, cash_sessions.c.closed_at.is_(None))
        .scalar_subquery()
    )


def session_of_sale(order_id: Any, *, within: Table | None = None) -> ScalarSelect[Any]:
    """The id of the session open at the till of the sale ``order_id``: a value, or a
    column of ``within``, the table the enclosing UPDATE or INSERT writes."""
    till = select(orders.c.till_id).where(orders.c.id == order_id)
    if within is not None:
        till = till.correlate(within)
    return session_of_till(till.scalar_subquery())


def held_session(till: ColumnElement[Any] | int) -> Select[Any]:
    """The query ``hold_session`` runs: the session open at ``till``, ``FOR KEY SHARE``
    (for a caller that pipelines its statements, as the ingest of offline sales does)."""
    return (
        select(cash_sessions.c.id)
        .where(cash_sessions.c.till_id == till, cash_sessions.c.closed_at.is_(None))
        .with_for_update(key_share=True, read=True)
    )


_HOLD_SESSION = Prepared(held_session(bindparam("b_till")))
_LATEST_SESSION = Prepared(
    select(cash_sessions.c.closed_at)
    .where(cash_sessions.c.till_id == bindparam("b_till"))
    .order_by(cash_sessions.c.id.desc())
    .limit(1)
)


def hold_session(connection: Any, till_id: int, *, required: bool = False) -> int | None:
    """Take the session open at the till ``FOR KEY SHARE`` and answer its id (None when
    none is open): the first lock of a path that writes money into it, before the
    till's row (the rule above). A close in progress is waited for, and then its
    session is no longer open. ``required``: refused ``NO_CASH_SESSION`` at a till that
    keeps sessions and has none open."""
    params = {"b_till": till_id}
    if not required or connection.dialect.name != "postgresql":
        held = _HOLD_SESSION.first(connection, params)
        if held is None and required:
            refuse_sale_outside_session(connection, till_id)
        return None if held is None else int(held.id)
    with pipelined(connection):
        holding = _HOLD_SESSION.send(connection, params)
        # The till's last session, asked in the same round trip: it runs once the hold
        # is granted, so it sees the close the hold waited for.
        latest = _LATEST_SESSION.send(connection, params)
        held_rows, latest_rows = holding(), latest()
    if held_rows:
        return int(held_rows[0].id)
    if latest_rows and latest_rows[0].closed_at is not None:
        raise Refused(Code.NO_CASH_SESSION)  # the till keeps sessions, and none is open
    return None


def refuse_sale_outside_session(connection: Any, till_id: int) -> None:
    """Refuse ``NO_CASH_SESSION`` at a till that keeps sessions and has none open."""
    latest = _LATEST_SESSION.first(connection, {"b_till": till_id})
    if latest is not None and latest.closed_at is not None:
        raise Refused(Code.NO_CASH_SESSION)


@use_case
def open_session(
    uow: UnitOfWork,
    *,
    user_id: int,
    float_minor: object = None,
    float_counts: object = None,
    till_id: int = DEFAULT_TILL_ID,
    currency: str = DEFAULT_CURRENCY,
) -> Result[SessionView]:
    """Open the till's day with the float the cashier counted: by denomination
    (``{denomination_minor: pieces}``, kept as counted) or as one sum. Refused
    ``CASH_SESSION_OPEN`` while one is open, ``INVALID_FLOAT`` for a float that is not a
    whole number of minor units in range, or counts that do not add up to it."""
    if float_counts is not None:
        total = counted_total(float_counts)
        if total is None or (float_minor is not None and float_minor != total):
            raise Refused(Code.INVALID_FLOAT)
        assert isinstance(float_counts, Mapping)
        counts: str | None = json.dumps({str(d): n for d, n in float_counts.items() if n})
    else:
        total = drawer_amount(float_minor)
        if total is None:
            raise Refused(Code.INVALID_FLOAT)
        counts = None
    if not is_currency(currency):
        raise Refused(Code.INVALID_CURRENCY)
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    with uow:
        connection, now = uow.connection, uow.now()
        user = acting_user(uow.session, user_id)
        if connection.execute(select(tills.c.id).where(tills.c.id == till_id)).first() is None:
            raise Refused(Code.TILL_NOT_FOUND)
        if open_session_id(connection, till_id) is not None:
            raise Refused(Code.CASH_SESSION_OPEN)
        try:
            with connection.begin_nested():
                sid = connection.execute(
                    insert(cash_sessions)
                    .values(
                        till_id=till_id,
                        currency=currency,
                        opened_by=user.id,
                        opened_at=now,
                        float_minor=total,
                        float_counts=counts,
                    )
                    .returning(cash_sessions.c.id)
                ).scalar_one()
        except IntegrityError:
            # Another cashier opened this till a moment ago: the partial unique index.
            raise Refused(Code.CASH_SESSION_OPEN) from None
        audit(
            uow.session,
            at=now,
            user_id=user.id,
            action="cash_session.opened",
            entity="cash_session",
            entity_id=sid,
            till_id=till_id,
            float_minor=total,
            currency=currency,
        )
        journal_day.record_float(connection, sid, now)  # last: it locks the till's row
        view = _view(session_row(connection, sid))
        uow.commit()
    return Ok(view, Changed.CASH)


@use_case
def current_session(uow: UnitOfWork, till_id: int = DEFAULT_TILL_ID) -> Result[SessionView | None]:
    """The session open at the till, or None."""
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    with uow.reading():
        sid = open_session_id(uow.connection, till_id)
        return Ok(None if sid is None else _view(session_row(uow.connection, sid)))


@dataclass(frozen=True)
class TillDay:
    """Where the till's day stands at sign-in."""

    session: SessionView | None
    must_open: bool
    """No session is open and the till keeps sessions: it sells nothing until one is."""


@use_case
def till_day(uow: UnitOfWork, till_id: int = DEFAULT_TILL_ID) -> Result[TillDay]:
    """The session open at the till, and whether the till must open one before selling."""
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    with uow.reading():
        connection = uow.connection
        sid = open_session_id(connection, till_id)
        if sid is not None:
            return Ok(TillDay(_view(session_row(connection, sid)), False))
        try:
            refuse_sale_outside_session(connection, till_id)
        except Refused:
            return Ok(TillDay(None, True))
        return Ok(TillDay(None, False))


@use_case
def pay_in(
    uow: UnitOfWork,
    *,
    user_id: int,
    amount_minor: object,
    reason: object,
    till_id: int = DEFAULT_TILL_ID,
    approved_by: int | None = None,
) -> Result[MovementView]:
    """Cash put into the drawer (more change, say), with its reason."""
    return _move_cash(uow, PAY_IN, user_id, amount_minor, reason, till_id, approved_by)


@use_case
def pay_out(
    uow: UnitOfWork,
    *,
    user_id: int,
    amount_minor: object,
    reason: object,
    till_id: int = DEFAULT_TILL_ID,
    approved_by: int | None = None,
) -> Result[MovementView]:
    """Cash taken out of the drawer (a supplier paid, a bank drop), with its reason;
    refused ``PAY_OUT_ABOVE_DRAWER`` above what the drawer should hold."""
    return _move_cash(uow, PAY_OUT, user_id, amount_minor, reason, till_id, approved_by)


def _move_cash(
    uow: UnitOfWork,
    kind: str,
    user_id: int,
    amount_minor: object,
    reason: object,
    till_id: int,
    approved_by: int | None,
) -> Result[MovementView]:
    amount = drawer_amount(amount_minor)
    if amount is None or amount == 0:
        raise Refused(Code.INVALID_AMOUNT)
    why = clean_line(reason, MAX_REASON_LENGTH, min_length=MIN_REASON_LENGTH)
    if why is None:
        raise Refused(Code.CASH_MOVEMENT_NEEDS_REASON)
    if not is_id(till_id):
        raise Refused(Code.TILL_NOT_FOUND)
    with uow:
        connection, now = uow.connection, uow.now()
        user = acting_user(uow.session, user_id)
        manager = (
            acting_user(uow.session, approved_by, role=Role.MANAGER)
            if approved_by is not None
            else None
        )
        if manager is None and cash_movement_needs_approval(
            amount, uow.policy.cash_movement_approval_minor, by_manager=user.role == Role.MANAGER
        ):
            raise Refused(Code.APPROVAL_REQUIRED)
        sid = connection.execute(
            select(cash_sessions.c.id)
            .where(cash_sessions.c.till_id == till_id, cash_sessions.c.closed_at.is_(None))
            # NO KEY: one movement at a time, beside the returns and sales that hold the
            # session FOR KEY SHARE; before the till's row, as the rule above says.
            .with_for_update(key_share=True)
        ).scalar()
        if sid is None:
            raise Refused(Code.NO_CASH_SESSION)
        session = session_row(connection, sid)
        drawer = expected_cash(connection, session)
        if kind == PAY_OUT and amount > drawer:
            raise Refused(Code.PAY_OUT_ABOVE_DRAWER, available=Money(drawer, session.currency))
        movement_id = connection.execute(
            insert(cash_movements)
            .values(
                cash_session_id=sid,
                kind=kind,
                amount_minor=amount,
                currency=session.currency,
                reason=why,
                user_id=user.id,
                approved_by=manager.id if manager else None,
                at=now,
            )
            .returning(cash_movements.c.id)
        ).scalar_one()
        audit(
            uow.session,
            at=now,
            user_id=user.id,
            approved_by=manager.id if manager else None,
            action=PAID_IN_ACTION if kind == PAY_IN else PAID_OUT_ACTION,
            entity="cash_session",
            entity_id=sid,
            amount_minor=amount,
            currency=session.currency,
            reason=why,
        )
        after = drawer + amount if kind == PAY_IN else drawer - amount
        journal_day.record_cash_movement(connection, movement_id, now)  # last: the till's row
        uow.commit()
    return Ok(
        MovementView(
            movement_id, sid, kind, amount, session.currency, why,
            manager.id if manager else None, after,
        ),
        Changed.CASH,
    )  # fmt: skip


def clean_count(counted: object) -> dict[str, int]:
    """The blind count as kept: an amount for cash, and for any other tender counted;
    refused ``INVALID_COUNT`` otherwise."""
    if not isinstance(counted, Mapping):
        raise Refused(Code.INVALID_COUNT)
    methods = {method.value for method in PaymentMethod}
    kept: dict[str, int] = {}
    for method, amount in counted.items():
        minor = drawer_amount(amount)
        if method not in methods or minor is None:
            raise Refused(Code.INVALID_COUNT)
        kept[str(method)] = minor
    if PaymentMethod.CASH.value not in kept:
        raise Refused(Code.INVALID_COUNT)
    return kept


@use_case
def close_session(
    uow: UnitOfWork, session_id: int, *, user_id: int, counted: object
) -> Result[DayReport]:
    """Close the session with the cashier's blind count (``{"cash": minor, "card": ...}``)
    and answer its Z report: numbered next for its till, expected against counted.

    Refused ``CASH_SESSION_CLOSED`` for a session already closed (its Z stands as it
    was), ``SALE_OPEN_AT_CLOSE`` while money is in flight at the till (a sale part-paid,
    a tender or a refund not yet answered): the Z would not add up;
    ``PARKED_SALES_AT_CLOSE`` while sales wait parked at the till: their holds would
    hang on past the day unseen.
    """
    count = clean_count(counted)
    with uow:
        connection, now = uow.connection, uow.now()
        user = acting_user(uow.session, user_id)
        session = session_row(connection, session_id, lock=True)
        if session.closed_at is not None:
            raise Refused(Code.CASH_SESSION_CLOSED)
        if _money_in_flight(connection, session.till_id):
            raise Refused(Code.SALE_OPEN_AT_CLOSE)
        # Their holds would outlive the day unseen: each is recalled, and paid or voided.
        waiting = parked_count(connection, session.till_id)
        if waiting:
            raise Refused(Code.PARKED_SALES_AT_CLOSE, count=waiting)
        z_number = connection.execute(
            update(tills)
            .where(tills.c.id == session.till_id)
            .values(last_z_number=tills.c.last_z_number + 1)
            .returning(tills.c.last_z_number)
        ).scalar_one()
        report = build_report(
            connection, session, now, z_number=z_number, closed_by=user.display_name,
            counted=count,
        )  # fmt: skip
        closed = connection.execute(
            update(cash_sessions)
            .where(cash_sessions.c.id == session.id, cash_sessions.c.closed_at.is_(None))
            .values(
                closed_at=now,
                closed_by=user.id,
                z_number=z_number,
                counted=json.dumps(count, sort_keys=True),
                z_report=report.as_record(),
            )
            .returning(cash_sessions.c.id)
        ).first()
        if closed is None:
            raise Refused(Code.CASH_SESSION_CLOSED)
        cash = report.cash
        audit(
            uow.session,
            at=now,
            user_id=user.id,
            action="cash_session.closed",
            entity="cash_session",
            entity_id=session.id,
            z_number=z_number,
            total_minor=report.total_minor,
            cash_difference_minor=cash.difference_minor if cash else None,
        )
        journal_day.record_z(connection, session.till_id, session.id, report, now)
        uow.commit()
    return Ok(report, Changed.CASH)


def parked_count(connection: Any, till_id: int) -> int:
    """How many sales wait parked at the till (``pos.services.parked``)."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(carts)
            .where(carts.c.till_id == till_id, carts.c.parked_at.is_not(None))
        ).scalar_one()
    )


def _money_in_flight(connection: Any, till_id: int) -> bool:
    """A sale at the till part-paid or paying, or a refund of its sales not answered."""
    open_sale = connection.execute(
        select(payments.c.id)
        .join(orders, orders.c.id == payments.c.order_id)
        .where(
            orders.c.till_id == till_id,
            orders.c.status == OrderStatus.PENDING,
            payments.c.status.in_((PaymentStatus.PAID, *_IN_FLIGHT)),
        )
        .limit(1)
    ).first()
    if open_sale is not None:
        return True
    refund = connection.execute(
        select(refunds.c.id)
        .join(orders, orders.c.id == refunds.c.order_id)
        .where(
            orders.c.till_id == till_id,
            refunds.c.status.in_((RefundStatus.INITIATED, RefundStatus.PENDING)),
        )
        .limit(1)
    ).first()
    return refund is not None


def _view(session: SessionRow) -> SessionView:
    return SessionView(
        session.id,
        session.till_id,
        session.till_code,
        session.currency,
        session.opened_at,
        session.float_minor,
        session.float_counts,
    )
