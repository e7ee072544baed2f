"""What every use case shares: turning refusals into results, and the audit trail."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pos.domain.results import Code, Err, Refused, Result
from pos.store.engine import store_failure
from pos.store.models import AuditEntry, Product

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

LIST_PAGE = 100
"""Rows a manager's list shows at a time, unless the caller asks for another page size."""
MOST_PER_PAGE = 500


def use_case(fn: Callable[P, Result[T]]) -> Callable[P, Result[T]]:
    """A ``Refused`` raised inside the use case has already rolled its unit of work back
    (the ``with`` block ended on it); here it becomes the ``Err`` the caller receives.

    So does a store that is busy or cannot be reached (a lock or statement timeout, a
    connection cut or gone silent, SQLite's file held by another writer): the cashier is
    told to try again instead of the till showing a traceback. Any other driver error is
    a fault in the code and is raised.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Result[T]:
        try:
            return fn(*args, **kwargs)
        except Refused as refusal:
            return refusal.error
        except DBAPIError as error:
            code = store_failure(error)
            if code is None:
                raise
            log.warning("%s: %s", fn.__name__, error.orig)
            return Err(code)

    return wrapper


def audit(
    session: Session,
    *,
    at: datetime,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    approved_by: int | None = None,
    **details: object,
) -> None:
    """One row of the audit log: who (and which manager approved it), what, when.

    ``details`` holds what changed, as ``before=`` and ``after=`` where there is a before.
    """
    session.execute(
        insert(AuditEntry).values(
            at=at,
            user_id=user_id,
            approved_by=approved_by,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        )
    )


def is_id(value: object) -> bool:
    """A row id a caller may pass: a positive int that fits the ids' 32-bit column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def product_or_refuse(session: Session, product_id: object) -> Product:
    """The product with this id, active or not; refused if there is none."""
    product = session.get(Product, product_id) if is_id(product_id) else None
    if product is None:
        raise Refused(Code.PRODUCT_UNAVAILABLE)
    return product


def page_size(limit: object) -> int:
    """The rows a page may hold: ``limit`` kept between 1 and ``MOST_PER_PAGE``."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise Refused(Code.INVALID_FILTER)
    return max(1, min(limit, MOST_PER_PAGE))
