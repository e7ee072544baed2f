"""The cash drawer opened without a sale: allowed with a reason, and always on the record.

A cash tender opens the drawer as the receipt prints; nothing needs asking then. An
opening with no sale (change for the next till, a note checked against the light) is
where cash goes missing, so the cashier says why, and the audit log keeps who, when and
why before the drawer is kicked, and ``drawer_openings`` ties the opening to the
cash session open at the till, whose X and Z reports list it. The till kicks the
drawer only once this use case has answered Ok.
"""

from __future__ import annotations

from sqlalchemy import insert

from pos.domain.results import Code, Ok, Refused, Result
from pos.domain.text import clean_line
from pos.services import journal
from pos.services._support import audit, use_case
from pos.services.cash_sessions import hold_session, session_of_till
from pos.services.users import acting_user
from pos.store.models import DEFAULT_TILL_ID
from pos.store.tables import drawer_openings
from pos.store.uow import UnitOfWork

MAX_REASON_LENGTH = 200
MIN_REASON_LENGTH = 3
"""Long enough that a reason says something ("x" or "." does not)."""


def drawer_reason(reason: object) -> str:
    """The reason as kept: one line of 3-200 printable characters; refused otherwise."""
    text = clean_line(reason, MAX_REASON_LENGTH, min_length=MIN_REASON_LENGTH)
    if text is None:
        raise Refused(Code.DRAWER_NEEDS_REASON)
    return text


@use_case
def open_drawer_without_sale(
    uow: UnitOfWork, *, user_id: int, reason: object, till_id: int = DEFAULT_TILL_ID
) -> Result[str]:
    """Record that ``user_id`` opens the drawer of ``till_id`` for ``reason``; the reason
    as kept. ``DRAWER_NEEDS_REASON`` without one; nothing is recorded then."""
    why = drawer_reason(reason)
    with uow:
        user = acting_user(uow.session, user_id)
        hold_session(uow.connection, till_id)  # the session before the till's row
        audit(
            uow.session,
            at=uow.now(),
            user_id=user.id,
            action="drawer.open_no_sale",
            entity="till",
            entity_id=till_id,
            reason=why,
        )
        uow.connection.execute(
            insert(drawer_openings).values(
                till_id=till_id,
                cash_session_id=session_of_till(till_id),
                user_id=user.id,
                reason=why,
                at=uow.now(),
            )
        )
        journal.record_drawer(uow.connection, till_id, user.id, why, uow.now())
        uow.commit()
    return Ok(why)
