"""The audit log as a manager reads it: who did what, when, and who approved it.

Newest first, a page at a time: each page ends with the id to ask for the next
(``before_id``), so reading far back costs the same as reading today. Filters
combine (user, action, a time range). An action ending in a dot names a family:
``"stock."`` finds every stock action; any other action is matched exactly.

Each row comes with what :mod:`pos.domain.audit_wording` needs to say it in the shop's
words: the names of the user or product it concerns, a sale's receipt number, a
coupon's kind. They are read in the same transaction as the page, one query per kind
of name for the whole page, so a page costs the same whatever it holds.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from pos.domain.audit_wording import DEFAULT_CURRENCY, AuditFacts
from pos.domain.receipt import receipt_label
from pos.domain.results import Code, Ok, Refused, Result
from pos.services._support import is_id, use_case
from pos.services.shop import zone_of_shop
from pos.services.users import acting_user
from pos.store.models import AuditEntry, Role, User
from pos.store.tables import coupons, orders, payments, products, tills, users
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
    facts: AuditFacts
    """The entry with the names it concerns: ``describe(row.facts, locale)`` says it."""


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    next_before_id: int | None
    """Pass as ``before_id`` for the next, older page; None when this is the last."""


@use_case
def audit_entries(
    uow: UnitOfWork,
    *,
    manager_id: int,
    user_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
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
        entries = [
            (entry, user_name, approver_name, _decoded(entry.details))
            for entry, user_name, approver_name in uow.session.execute(wanted)
        ]
        names = _Names.read(uow.connection, [(e.entity, e.entity_id, d) for e, _, _, d in entries])
        zone = zone_of_shop(uow.connection).key
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
                details=details,
                facts=names.facts(entry, user_name, approver_name, details, zone),
            )
            for entry, user_name, approver_name, details in entries
        ]
    more = len(found) > limit
    rows = tuple(found[:limit])
    return Ok(AuditPage(rows, rows[-1].id if more else None))


@use_case
def audit_actions(uow: UnitOfWork, *, manager_id: int) -> Result[tuple[str, ...]]:
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


@dataclass(frozen=True)
class _Names:
    """The names a page of entries concerns, each kind read in one query."""

    users: dict[int, str]
    products: dict[int, str]
    coupons: dict[int, tuple[str, str]]
    """Kind and currency by coupon id."""
    receipts: dict[UUID, tuple[str | None, str]]
    """Receipt number (None before payment) and currency by order id."""
    payment_orders: dict[int, UUID]

    @classmethod
    def read(cls, connection: Connection, entries: list[tuple[str, str, dict[str, Any]]]) -> _Names:
        ids: dict[str, set[int]] = {
            "user": set(),
            "product": set(),
            "coupon": set(),
            "payment": set(),
        }
        order_ids: set[UUID] = set()
        for entity, entity_id, details in entries:
            if entity in ids and entity_id.isdigit():
                ids[entity].add(int(entity_id))
            if entity == "order":
                order_ids.update(_uuids([entity_id]))
            if isinstance(details.get("product_id"), int):
                ids["product"].add(details["product_id"])
            if isinstance(details.get("rung_up_by"), int):
                ids["user"].add(details["rung_up_by"])
            order_ids.update(_uuids([details.get("order_id")]))
        payment_orders = (
            {
                row.id: row.order_id
                for row in connection.execute(
                    select(payments.c.id, payments.c.order_id).where(
                        payments.c.id.in_(ids["payment"])
                    )
                )
            }
            if ids["payment"]
            else {}
        )
        order_ids.update(payment_orders.values())
        return cls(
            users=_lookup(connection, users.c.id, users.c.display_name, ids["user"]),
            products=_lookup(connection, products.c.id, products.c.name, ids["product"]),
            coupons=(
                {
                    row.id: (str(row.kind), row.currency)
                    for row in connection.execute(
                        select(coupons.c.id, coupons.c.kind, coupons.c.currency).where(
                            coupons.c.id.in_(ids["coupon"])
                        )
                    )
                }
                if ids["coupon"]
                else {}
            ),
            receipts=(
                {
                    row.id: (
                        receipt_label(row.code, row.receipt_number)
                        if row.receipt_number is not None
                        else None,
                        row.currency,
                    )
                    for row in connection.execute(
                        select(
                            orders.c.id, orders.c.receipt_number, orders.c.currency, tills.c.code
                        )
                        .join(tills, tills.c.id == orders.c.till_id)
                        .where(orders.c.id.in_(order_ids))
                    )
                }
                if order_ids
                else {}
            ),
            payment_orders=payment_orders,
        )

    def facts(
        self,
        entry: AuditEntry,
        actor: str | None,
        approver: str | None,
        details: dict[str, Any],
        zone: str,
    ) -> AuditFacts:
        number = int(entry.entity_id) if entry.entity_id.isdigit() else None
        subject: str | None = None
        coupon_kind: str | None = None
        currency = details.get("currency")
        if entry.entity == "user" and number is not None:
            subject = self.users.get(number) or details.get("username")
        elif entry.entity == "product" and number is not None:
            subject = self.products.get(number)
        elif entry.entity == "order" and isinstance(details.get("rung_up_by"), int):
            subject = self.users.get(details["rung_up_by"])
        elif entry.entity == "coupon":
            subject = details.get("code")
            if number is not None and number in self.coupons:
                coupon_kind, coupon_currency = self.coupons[number]
                currency = currency or coupon_currency
        order_id: UUID | None = None
        if entry.entity == "order":
            order_id = next(iter(_uuids([entry.entity_id])), None)
        elif entry.entity == "payment" and number is not None:
            order_id = self.payment_orders.get(number)
        else:
            order_id = next(iter(_uuids([details.get("order_id")])), None)
        receipt, order_currency = (
            self.receipts.get(order_id, (None, None)) if order_id else (None, None)
        )
        product_id = details.get("product_id")
        return AuditFacts(
            action=entry.action,
            actor=actor,
            approver=approver,
            details=details,
            subject=subject if isinstance(subject, str) else None,
            product=self.products.get(product_id) if isinstance(product_id, int) else None,
            receipt=receipt,
            coupon_kind=coupon_kind,
            currency=currency if isinstance(currency, str) else order_currency or DEFAULT_CURRENCY,
            time_zone=zone,
        )


def _lookup(connection: Connection, key: Any, name: Any, wanted: set[int]) -> dict[int, str]:
    if not wanted:
        return {}
    return {row[0]: row[1] for row in connection.execute(select(key, name).where(key.in_(wanted)))}


def _uuids(values: list[object]) -> list[UUID]:
    found = []
    for value in values:
        if isinstance(value, str) and len(value) == 36:
            with contextlib.suppress(ValueError):
                found.append(UUID(value))
    return found


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
