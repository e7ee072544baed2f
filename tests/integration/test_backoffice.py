"""The back office's door: a manager goes in, anyone else is told why not."""

from __future__ import annotations

import pytest

from pos.domain.messages import render
from pos.domain.results import Code
from pos.services.backoffice import enter_back_office
from pos.services.users import UserView
from pos.store.models import Role, User
from pos.store.uow import UnitOfWork
from tests.conftest import error, value


def test_a_manager_goes_in(uow: UnitOfWork, manager: UserView) -> None:
    assert value(enter_back_office(uow, manager.id)).id == manager.id


def test_a_cashier_is_told_the_back_office_is_for_managers(
    uow: UnitOfWork, cashier: UserView
) -> None:
    refused = error(enter_back_office(uow, cashier.id))
    assert refused.code is Code.MANAGER_ONLY
    assert render(refused, "tr") == "Bu ekran yalnızca yöneticilere açıktır"


def test_a_manager_demoted_or_deactivated_since_signing_in_is_refused(
    uow: UnitOfWork, manager: UserView
) -> None:
    with uow:
        user = uow.session.get(User, manager.id)
        assert user is not None
        user.role = Role.CASHIER
        uow.commit()
    assert error(enter_back_office(uow, manager.id)).code is Code.MANAGER_ONLY
    with uow:
        user = uow.session.get(User, manager.id)
        assert user is not None
        user.role, user.active = Role.MANAGER, False
        uow.commit()
    assert error(enter_back_office(uow, manager.id)).code is Code.USER_NOT_FOUND


@pytest.mark.parametrize("user_id", [None, 0, -1, True, "1", 2**40, 999_999])
def test_no_such_user_is_refused(uow: UnitOfWork, user_id: object) -> None:
    assert error(enter_back_office(uow, user_id)).code is Code.USER_NOT_FOUND
