"""Users in the back office: a manager creates cashiers and managers, lists everyone,
resets a PIN, deactivates and reactivates, and the shop always keeps a manager."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pos.domain.messages import render
from pos.domain.results import Changed, Code, Ok
from pos.services.users import (
    LOCKOUT,
    MAX_PIN_ATTEMPTS,
    create_user,
    list_all_users,
    list_users,
    reset_pin,
    set_user_active,
    sign_in,
)
from pos.store.models import AuditEntry, Role, User
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, Store, error, value
from tests.integration.test_sales_races import race
from tests.sales import count


def users(store: Store) -> list[tuple[object, ...]]:
    """Every user row as the store has it, every column."""
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(User).order_by(User.id))]


def audit_rows(store: Store, action: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def lock_out(uow: UnitOfWork, user_id: int) -> None:
    for _ in range(MAX_PIN_ATTEMPTS):
        error(sign_in(uow, user_id, "0000"))


# -- create_user by a manager ------------------------------------------------------------


def test_a_manager_creates_a_cashier_and_is_named_in_the_audit_row(uow, store, manager):
    made = value(
        create_user(uow, "zeynep", "Zeynep Kaya", Role.CASHIER, "2468", by_user_id=manager.id)
    )

    assert (made.username, made.role, made.active) == ("zeynep", Role.CASHIER, True)
    [entry] = [e for e in audit_rows(store, "user.create") if e.entity_id == str(made.id)]
    assert entry.user_id == manager.id
    assert json.loads(entry.details) == {"username": "zeynep", "role": "cashier"}
    assert value(sign_in(uow, made.id, "2468")) == made


@pytest.mark.parametrize("by", ["cashier", "inactive", 999, "1", 0])
def test_only_an_active_manager_creates_users(uow, store, manager, cashier, by):
    other = value(create_user(uow, "mudur2", "Ali Veli", Role.MANAGER, "5555"))
    value(set_user_active(uow, other.id, False, manager_id=manager.id))
    who = {"cashier": cashier.id, "inactive": other.id}.get(by, by)
    before, audited = users(store), count(store, AuditEntry)

    refused = error(create_user(uow, "zeynep", "Zeynep Kaya", Role.CASHIER, "2468", by_user_id=who))

    expected = Code.NOT_PERMITTED if by == "cashier" else Code.USER_NOT_FOUND
    assert refused.code is expected
    assert (users(store), count(store, AuditEntry)) == (before, audited)


@pytest.mark.parametrize("role", ["admin", None, 1, "Manager"])
def test_a_role_that_is_not_cashier_or_manager_is_refused(uow, store, manager, role):
    before = users(store)

    refused = error(create_user(uow, "zeynep", "Zeynep", role, "2468", by_user_id=manager.id))

    assert refused.code is Code.INVALID_ROLE
    assert render(refused, "tr") == "Geçersiz rol: kasiyer veya yönetici olmalı"
    assert users(store) == before


def test_a_role_given_as_its_text_is_taken(uow, manager):
    made = value(create_user(uow, "zeynep", "Zeynep", "manager", "2468", by_user_id=manager.id))  # type: ignore[arg-type]

    assert made.role is Role.MANAGER


# -- list_all_users --------------------------------------------------------------------


def test_the_list_shows_everyone_with_role_state_and_lockout(uow, store, clock, manager, cashier):
    gone = value(create_user(uow, "eski", "Eski Kasiyer", Role.CASHIER, "1111"))
    value(set_user_active(uow, gone.id, False, manager_id=manager.id))
    lock_out(uow, cashier.id)
    error(sign_in(uow, manager.id, "0000"))

    listed = value(list_all_users(uow, manager_id=manager.id))

    assert [(u.username, u.role, u.active) for u in listed] == [
        ("eski", Role.CASHIER, False),
        ("kasiyer", Role.CASHIER, True),
        ("mudur", Role.MANAGER, True),
    ]
    by_name = {u.username: u for u in listed}
    assert (by_name["kasiyer"].failed_pin_attempts, by_name["kasiyer"].locked_until) == (
        MAX_PIN_ATTEMPTS,
        START + LOCKOUT,
    )
    assert (by_name["mudur"].failed_pin_attempts, by_name["mudur"].locked_until) == (1, None)
    assert by_name["eski"].display_name == "Eski Kasiyer"
    assert by_name["eski"].created_at == START
    # Once the lock has run out the list no longer calls the user locked.
    clock.advance(seconds=LOCKOUT.total_seconds())
    assert value(list_all_users(uow, manager_id=manager.id))[1].locked_until is None


def test_the_list_pages_by_username(uow, manager):
    for name in ("a1", "b2", "c3", "d4"):
        value(create_user(uow, name, name.upper(), Role.CASHIER, "1111"))

    first = value(list_all_users(uow, manager_id=manager.id, limit=2))
    second = value(list_all_users(uow, manager_id=manager.id, limit=2, after=first[-1].username))
    last = value(list_all_users(uow, manager_id=manager.id, limit=2, after=second[-1].username))

    assert [u.username for u in (*first, *second, *last)] == ["a1", "b2", "c3", "d4", "mudur"]


@pytest.mark.parametrize(
    "filters", [{"limit": 0}, {"limit": 10**6}, {"limit": "5"}, {"after": 5}, {"after": "x" * 65}]
)
def test_bad_user_list_filters_are_refused(uow, manager, filters):
    assert error(list_all_users(uow, manager_id=manager.id, **filters)).code is Code.INVALID_FILTER


def test_only_a_manager_lists_the_users(uow, manager, cashier):
    assert error(list_all_users(uow, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(list_all_users(uow, manager_id=None)).code is Code.USER_NOT_FOUND


# -- reset_pin -------------------------------------------------------------------------


def test_after_a_reset_the_user_signs_in_with_the_new_pin_only(uow, store, manager, cashier):
    result = reset_pin(uow, cashier.id, "86420", manager_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.USERS
    assert error(sign_in(uow, cashier.id, "1234")).code is Code.WRONG_PIN
    assert value(sign_in(uow, cashier.id, "86420")).id == cashier.id


def test_a_reset_lifts_a_lockout_and_is_audited_without_the_pin(uow, store, manager, cashier):
    lock_out(uow, cashier.id)
    assert error(sign_in(uow, cashier.id, "1234")).code is Code.USER_LOCKED

    record = value(reset_pin(uow, cashier.id, "9753", manager_id=manager.id))

    assert (record.failed_pin_attempts, record.locked_until) == (0, None)
    assert value(sign_in(uow, cashier.id, "9753")).id == cashier.id
    [entry] = audit_rows(store, "user.reset_pin")
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "user", str(cashier.id))
    details = json.loads(entry.details)
    assert details["before"]["failed_pin_attempts"] == MAX_PIN_ATTEMPTS
    assert details["after"] == {"failed_pin_attempts": 0, "locked_until": None}
    with store.engine.connect() as connection:
        stored = connection.execute(select(User.pin_hash).where(User.id == cashier.id)).scalar()
    assert "9753" not in entry.details
    assert stored not in entry.details
    assert stored.split("$")[2] not in entry.details


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", " 1234", "١٢٣٤", None, 1234])
def test_a_malformed_new_pin_is_refused_and_the_old_one_still_works(
    uow, store, manager, cashier, pin
):
    before, audited = users(store), count(store, AuditEntry)

    refused = error(reset_pin(uow, cashier.id, pin, manager_id=manager.id))

    assert refused.code is Code.INVALID_PIN
    assert (users(store), count(store, AuditEntry)) == (before, audited)


@pytest.mark.parametrize(
    ("user_id", "manager_id", "code"),
    [
        (999, "manager", Code.USER_NOT_FOUND),
        ("2", "manager", Code.USER_NOT_FOUND),
        (None, "manager", Code.USER_NOT_FOUND),
        ("cashier", "cashier", Code.NOT_PERMITTED),
        ("cashier", None, Code.USER_NOT_FOUND),
        ("cashier", 10**12, Code.USER_NOT_FOUND),
    ],
)
def test_a_reset_for_someone_unknown_or_by_a_non_manager_is_refused(
    uow, store, manager, cashier, user_id, manager_id, code
):
    ids = {"manager": manager.id, "cashier": cashier.id}
    before, audited = users(store), count(store, AuditEntry)

    refused = error(
        reset_pin(
            uow, ids.get(user_id, user_id), "5678", manager_id=ids.get(manager_id, manager_id)
        )
    )

    assert refused.code is code
    assert (users(store), count(store, AuditEntry)) == (before, audited)


# -- set_user_active ---------------------------------------------------------------------


def test_a_deactivated_user_cannot_sign_in_until_reactivated(uow, store, manager, cashier):
    off = set_user_active(uow, cashier.id, False, manager_id=manager.id)

    assert isinstance(off, Ok)
    assert (off.changed, off.value.active) == (Changed.USERS, False)
    refused = error(sign_in(uow, cashier.id, "1234"))
    assert render(refused, "tr") == "Kullanıcı etkin değil"
    assert cashier.id not in {u.id for u in value(list_users(uow))}

    on = value(set_user_active(uow, cashier.id, True, manager_id=manager.id))

    assert on.active is True
    assert value(sign_in(uow, cashier.id, "1234")).id == cashier.id
    [deactivated] = audit_rows(store, "user.deactivate")
    [reactivated] = audit_rows(store, "user.reactivate")
    assert (deactivated.user_id, deactivated.entity_id) == (manager.id, str(cashier.id))
    assert json.loads(deactivated.details) == {
        "username": "kasiyer",
        "before": {"active": True},
        "after": {"active": False},
    }
    assert json.loads(reactivated.details)["after"] == {"active": True}


def test_a_manager_deactivates_another_manager(uow, store, manager):
    other = value(create_user(uow, "mudur2", "Ali Veli", Role.MANAGER, "5555"))

    assert value(set_user_active(uow, other.id, False, manager_id=manager.id)).active is False
    assert error(sign_in(uow, other.id, "5555")).code is Code.USER_INACTIVE


def test_a_manager_cannot_deactivate_themselves(uow, store, manager):
    value(create_user(uow, "mudur2", "Ali Veli", Role.MANAGER, "5555"))
    before, audited = users(store), count(store, AuditEntry)

    refused = error(set_user_active(uow, manager.id, False, manager_id=manager.id))

    assert refused.code is Code.CANNOT_CHANGE_SELF
    assert render(refused, "tr") == "Kendi hesabınızı devre dışı bırakamazsınız"
    assert (users(store), count(store, AuditEntry)) == (before, audited)


def test_the_last_active_manager_cannot_be_deactivated(uow, store, manager, cashier):
    gone = value(create_user(uow, "mudur2", "Ali Veli", Role.MANAGER, "5555"))
    value(set_user_active(uow, gone.id, False, manager_id=manager.id))
    before, audited = users(store), count(store, AuditEntry)

    refused = error(set_user_active(uow, manager.id, False, manager_id=manager.id))

    assert refused.code is Code.LAST_MANAGER
    assert render(refused, "tr") == "Son etkin yönetici devre dışı bırakılamaz"
    assert (users(store), count(store, AuditEntry)) == (before, audited)


def test_a_deactivated_manager_can_no_longer_manage(uow, store, manager, cashier):
    other = value(create_user(uow, "mudur2", "Ali Veli", Role.MANAGER, "5555"))
    value(set_user_active(uow, other.id, False, manager_id=manager.id))

    assert error(set_user_active(uow, cashier.id, False, manager_id=other.id)).code is (
        Code.USER_NOT_FOUND
    )
    assert error(reset_pin(uow, cashier.id, "5678", manager_id=other.id)).code is (
        Code.USER_NOT_FOUND
    )


@pytest.mark.parametrize("round_", range(3))
def test_two_managers_deactivating_each_other_at_once_leave_one_manager(
    store, clock: FakeClock, uow, manager, round_
):
    """Each would pass the checks alone; the lock on the managers makes them take turns,
    and the second finds it has been deactivated itself."""
    other = value(create_user(uow, "mudur2", "Ali Veli", Role.MANAGER, "5555"))

    def deactivate(user_id: int, by: int) -> Any:
        return lambda: set_user_active(
            UnitOfWork(store.engine, clock), user_id, False, manager_id=by
        )

    answers = race(deactivate(other.id, manager.id), deactivate(manager.id, other.id))

    assert sorted(answer.ok for answer in answers) == [False, True]
    [refused] = [answer for answer in answers if not answer.ok]
    assert refused.code is Code.USER_NOT_FOUND
    active = [u for u in value(list_users(uow)) if u.role is Role.MANAGER]
    assert len(active) == 1
    assert len(audit_rows(store, "user.deactivate")) == 1


def test_deactivating_an_inactive_user_changes_and_audits_nothing(uow, store, manager, cashier):
    value(set_user_active(uow, cashier.id, False, manager_id=manager.id))
    before, audited = users(store), count(store, AuditEntry)

    result = set_user_active(uow, cashier.id, False, manager_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.NOTHING
    assert (users(store), count(store, AuditEntry)) == (before, audited)


@pytest.mark.parametrize(
    ("user_id", "active", "manager_id", "code"),
    [
        (999, False, "manager", Code.USER_NOT_FOUND),
        ("x", False, "manager", Code.USER_NOT_FOUND),
        ("cashier", "no", "manager", Code.INVALID_FILTER),
        ("cashier", 0, "manager", Code.INVALID_FILTER),
        ("cashier", False, "cashier", Code.NOT_PERMITTED),
        ("cashier", False, -3, Code.USER_NOT_FOUND),
    ],
)
def test_bad_activation_requests_change_nothing(
    uow, store, manager, cashier, user_id, active, manager_id, code
):
    ids = {"manager": manager.id, "cashier": cashier.id}
    before, audited = users(store), count(store, AuditEntry)

    refused = error(
        set_user_active(
            uow, ids.get(user_id, user_id), active, manager_id=ids.get(manager_id, manager_id)
        )
    )

    assert refused.code is code
    assert (users(store), count(store, AuditEntry)) == (before, audited)
