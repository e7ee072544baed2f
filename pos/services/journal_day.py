"""The journal's entries of a till's day (DESIGN.md §9): the session opened with its
float, cash paid in and out, the Z report. Each is written by ``journal.append`` in the
transaction that makes the event, last (it locks the till's row).

A Z's entry carries the whole report as it was made and kept (``DayReport.as_record``):
the totals by tender and by tax rate, the counted cash, the first and last receipt
numbers and the rest; so the report kept with its session can be held against it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pos.domain.day import DayReport
from pos.domain.journal import Kind
from pos.services.journal import Appended, append
from pos.store.tables import cash_movements, cash_sessions


def record_float(connection: Connection, session_id: int, now: datetime) -> Appended | None:
    """The entry of a session just opened: the float counted, by whom."""
    row = connection.execute(
        select(
            cash_sessions.c.till_id,
            cash_sessions.c.currency,
            cash_sessions.c.float_minor,
            cash_sessions.c.float_counts,
            cash_sessions.c.opened_by,
        ).where(cash_sessions.c.id == session_id)
    ).one()
    counts = json.loads(row.float_counts) if row.float_counts else None
    content = {
        "session": session_id,
        "currency": row.currency,
        "float": row.float_minor,
        "counts": counts,
        "by": row.opened_by,
    }
    return append(connection, row.till_id, Kind.FLOAT, session_id, content, now)


def record_cash_movement(
    connection: Connection, movement_id: int, now: datetime
) -> Appended | None:
    """The entry of cash paid into or out of the drawer, with its reason."""
    row = connection.execute(
        select(
            cash_sessions.c.till_id,
            cash_movements.c.cash_session_id,
            cash_movements.c.kind,
            cash_movements.c.amount_minor,
            cash_movements.c.currency,
            cash_movements.c.reason,
            cash_movements.c.user_id,
            cash_movements.c.approved_by,
        )
        .join(cash_sessions, cash_sessions.c.id == cash_movements.c.cash_session_id)
        .where(cash_movements.c.id == movement_id)
    ).one()
    content = {
        "session": row.cash_session_id,
        "kind": row.kind,
        "amount": row.amount_minor,
        "currency": row.currency,
        "reason": row.reason,
        "by": row.user_id,
        "approved_by": row.approved_by,
    }
    return append(connection, row.till_id, Kind.CASH_MOVEMENT, movement_id, content, now)


def z_content(session_id: int, report: DayReport) -> dict[str, Any]:
    """What a Z's entry holds: the report as kept, and its number and total up front."""
    return {
        "session": session_id,
        "z": report.z_number,
        "total": report.total_minor,
        "report": json.loads(report.as_record()),
    }


def record_z(
    connection: Connection, till_id: int, session_id: int, report: DayReport, now: datetime
) -> Appended | None:
    """The entry of the Z report that closes the session."""
    return append(
        connection, till_id, Kind.Z_REPORT, session_id, z_content(session_id, report), now
    )
