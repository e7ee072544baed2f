"""Opening the cash drawer without a sale: only with a reason, and always on the record."""

from __future__ import annotations

import pytest

from pos.domain.audit_wording import describe
from pos.domain.results import Code
from pos.services.audit_log import audit_entries
from pos.services.drawer import open_drawer_without_sale
from pos.services.users import UserView
from pos.store.uow import UnitOfWork
from tests.conftest import error, value


def drawer_rows(uow: UnitOfWork, manager: UserView) -> list[object]:
    page = value(audit_entries(uow, manager_id=manager.id, action="drawer.open_no_sale"))
    return list(page.rows)


def test_an_opening_with_a_reason_is_on_the_audit_log_in_the_shops_words(
    uow: UnitOfWork, cashier: UserView, manager: UserView
) -> None:
    kept = value(open_drawer_without_sale(uow, user_id=cashier.id, reason="  Bozuk para  lazım "))

    assert kept == "Bozuk para lazım"
    (row,) = drawer_rows(uow, manager)
    assert describe(row.facts, "tr") == (  # type: ignore[attr-defined]
        "Mehmet Demir: kasa çekmecesini satışsız açtı: Bozuk para lazım"
    )
    assert describe(row.facts, "en") == (  # type: ignore[attr-defined]
        "Mehmet Demir opened the cash drawer without a sale: Bozuk para lazım"
    )


@pytest.mark.parametrize("reason", [None, "", "  ", "ok", "a\x1bpb reason", "x" * 201, 42])
def test_without_a_reason_it_is_refused_and_nothing_is_recorded(
    uow: UnitOfWork, cashier: UserView, manager: UserView, reason: object
) -> None:
    refused = error(open_drawer_without_sale(uow, user_id=cashier.id, reason=reason))

    assert refused.code is Code.DRAWER_NEEDS_REASON
    assert drawer_rows(uow, manager) == []


def test_someone_unknown_cannot_open_it(uow: UnitOfWork, manager: UserView) -> None:
    refused = error(open_drawer_without_sale(uow, user_id=99_999, reason="Bozuk para"))

    assert refused.code is Code.USER_NOT_FOUND
    assert drawer_rows(uow, manager) == []
