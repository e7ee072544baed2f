"""The door of the back office: only an active manager goes in."""

from __future__ import annotations

from pos.domain.results import Code, Ok, Refused, Result
from pos.services._support import is_id, use_case
from pos.services.users import UserView, user_view
from pos.store.models import Role, User
from pos.store.uow import UnitOfWork


@use_case
def enter_back_office(uow: UnitOfWork, user_id: int) -> Result[UserView]:
    """The manager who opens the back office; a cashier is refused with ``MANAGER_ONLY``.

    Asked of the store, not of what the till remembers: a manager demoted or
    deactivated since signing in is refused too.
    """
    with uow.reading():
        user = uow.session.get(User, user_id) if is_id(user_id) else None
        if user is None or not user.active:
            raise Refused(Code.USER_NOT_FOUND)
        if user.role is not Role.MANAGER:
            raise Refused(Code.MANAGER_ONLY)
        return Ok(user_view(user))
