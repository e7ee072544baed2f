"""The audit log as a manager reads it: who did what, when, and who approved it.

Newest first, a page at a time: each page ends with the id to ask for the next
(``before_id``), so reading far back costs the same as reading today. Filters
combine (user, action, a time range). An action ending in a dot names a family:
``"stock."`` finds every stock action; any other action is matched exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from pos.domain.results import Code, Ok, Refused, Result
from pos.services._support import is_id, use_case
from pos.services.users import acting_user
from pos.store.models import AuditEntry, Role, User
from pos.store.uow import UnitOfWork

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_ACTIONS = 500
"""Distinct actions ``audit_actions`` names at most: far more than the code writes."""
_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?")
_MAX_ACTION_LENGTH = 64


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    """The display name of who did it; None for the till's own doings."""
    approved_by: int | None
    approver_name: str | None
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    next_before_id: int | None
    """Pass as ``before_id`` for the next, older page; None when this is the last."""


@use_case
def audit_entries(
    uow: UnitOfWork,
    *,
    manager_id: object,
    user_id: object = None,
    action: object = None,
    since: object = None,
    until: object = None,
    before_id: object = None,
    limit: object = PAGE_SIZE,
) -> Result[AuditPage]:
    """Audit rows newest first, filtered by who did them (``user_id``), ``action``, and
    time: from ``since`` (inclusive) to ``until`` (exclusive), both aware instants."""
    for bound in (since, until):
        if bound is not None and (not isinstance(bound, datetime) or bound.tzinfo is None):
            raise Refused(Code.INVALID_FILTER)
    if isinstance(since, datetime) and isinstance(until, datetime) and until < since:
        raise Refused(Code.INVALID_DATE_RANGE)
    if not all(ident is None or is_id(ident) for ident in (user_id, before_id)):
        raise Refused(Code.INVALID_FILTER)
    if action is not None and not _action_ok(action):
        raise Refused(Code.INVALID_FILTER)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_PAGE_SIZE:
        raise Refused(Code.INVALID_FILTER)
    actor, approver = aliased(User), aliased(User)
    wanted = (
        select(AuditEntry, actor.display_name, approver.display_name)
        .outerjoin(actor, actor.id == AuditEntry.user_id)
        .outerjoin(approver, approver.id == AuditEntry.approved_by)
        .order_by(AuditEntry.id.desc())
        .limit(limit + 1)
    )
    if user_id is not None:
        wanted = wanted.where(AuditEntry.user_id == user_id)
    if isinstance(action, str):
        if action.endswith("."):
            wanted = wanted.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            wanted = wanted.where(AuditEntry.action == action)
    if since is not None:
        wanted = wanted.where(AuditEntry.at >= since)
    if until is not None:
        wanted = wanted.where(AuditEntry.at < until)
    if before_id is not None:
        wanted = wanted.where(AuditEntry.id < before_id)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        found = [
            AuditRow(
                id=entry.id,
                at=entry.at,
                user_id=entry.user_id,
                user_name=user_name,
                approved_by=entry.approved_by,
                approver_name=approver_name,
                action=entry.action,
                entity=entry.entity,
                entity_id=entry.entity_id,
                details=_decoded(entry.details),
            )
            for entry, user_name, approver_name in uow.session.execute(wanted)
        ]
    more = len(found) > limit
    rows = tuple(found[:limit])
    return Ok(AuditPage(rows, rows[-1].id if more else None))


@use_case
def audit_actions(uow: UnitOfWork, *, manager_id: object) -> Result[tuple[str, ...]]:
    """Every action the log holds, in order, for the manager's filter.

    Each step asks the (action, at) index for the next action after the last one, so
    the answer costs one index probe per action however long the log has grown.
    """
    first = select(func.min(AuditEntry.action).label("action")).cte("actions", recursive=True)
    following = select(
        select(func.min(AuditEntry.action))
        .where(AuditEntry.action > first.c.action)
        .scalar_subquery()
    ).where(first.c.action.is_not(None))
    actions = first.union_all(following)
    wanted = select(actions.c.action).where(actions.c.action.is_not(None)).limit(MAX_ACTIONS)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        found = tuple(uow.connection.execute(wanted).scalars())
    return Ok(found)


def _action_ok(action: object) -> bool:
    return (
        isinstance(action, str)
        and len(action) <= _MAX_ACTION_LENGTH
        and _ACTION.fullmatch(action) is not None
    )


def _decoded(details: str) -> dict[str, Any]:
    """The row's details; a row someone wrote by hand that is not a JSON object is shown
    as its text."""
    try:
        decoded = json.loads(details)
    except ValueError:
        return {"text": details}
    return decoded if isinstance(decoded, dict) else {"text": details}
