"""A manager's approval at the till: the manager types a PIN, the cashier stays signed in.

``approve`` checks the PIN (counted and locked out like a sign-in) and writes the
approval to the audit log with both people: the cashier as the one acting, the
manager as ``approved_by``. The approved action's own service then records the
manager again on its row. The PIN is typed ``object`` and checked at run time: it comes
from the keypad as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.results import Code, Ok, Refused, Result, unwrap
from pos.domain.text import clean_text, readable
from pos.services._support import use_case
from pos.services.users import UserView, acting_user, check_pin
from pos.store.models import Role
from pos.store.uow import UnitOfWork

MAX_ACTION_LENGTH = 48
MAX_DETAIL_LENGTH = 500
"""A detail the approval records as typed (a reason, a note)."""


@dataclass(frozen=True)
class Approval:
    """Who allowed what, for whom: handed to the approved action's service."""

    manager: UserView
    cashier_id: int
    action: str


@use_case
def approve(
    uow: UnitOfWork,
    manager_id: int,
    pin: object,
    *,
    cashier_id: int,
    action: str,
    **details: object,
) -> Result[Approval]:
    """The manager ``manager_id`` approves ``action`` (e.g. ``"sale.void"``) for the cashier."""
    if not isinstance(action, str) or not 0 < len(action) <= MAX_ACTION_LENGTH:
        raise Refused(Code.INVALID_FILTER)
    if not readable(action):  # it is written to the audit log as given
        raise Refused(Code.INVALID_FILTER)
    if any(
        isinstance(detail, str) and clean_text(detail, MAX_DETAIL_LENGTH) is None
        for detail in details.values()
    ):
        raise Refused(Code.INVALID_NOTE)
    with uow.reading():
        # Before the PIN: the approval is written for this cashier, who must exist.
        acting_user(uow.session, cashier_id)
    manager = unwrap(
        check_pin(
            uow,
            manager_id,
            pin,
            role=Role.MANAGER,
            action="approval.granted",
            user_id=cashier_id,
            approved_by=manager_id,
            entity="approval",
            entity_id=action,
            approved=action,
            **details,
        )
    )
    return Ok(Approval(manager, cashier_id, action))
