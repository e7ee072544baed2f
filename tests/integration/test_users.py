"""The people at the till: who they are, what role they have, and their PINs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from pos.domain.messages import render
from pos.domain.results import Changed, Code, Ok
from pos.services.users import create_user, pin_matches
from pos.store.models import AuditEntry, Role, User
from tests.conftest import error, value


def users(store) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(User).order_by(User.id))]


def pin_hash(store, user_id: int) -> str:
    with store.engine.connect() as connection:
        return connection.execute(select(User.pin_hash).where(User.id == user_id)).scalar_one()


def audit_count(store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_a_new_user_is_returned_with_a_normalised_name(uow):
    result = create_user(uow, "  Kasiyer.2 ", "  Zeynep   Kaya ", Role.CASHIER, "2468")

    assert isinstance(result, Ok)
    assert result.changed == Changed.USERS
    user = result.value
    assert (user.username, user.display_name, user.role, user.active) == (
        "kasiyer.2",
        "Zeynep Kaya",
        Role.CASHIER,
        True,
    )


def test_the_pin_is_stored_only_as_a_hash_that_matches_it(uow, store):
    user = value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))

    stored = pin_hash(store, user.id)

    assert "4321" not in stored
    assert pin_matches("4321", stored)
    assert not pin_matches("1234", stored)
    assert not pin_matches("43210", stored)
    assert not pin_matches("", stored)


def test_the_same_pin_hashes_differently_for_each_user(uow, store):
    first = value(create_user(uow, "kasiyer1", "Bir", Role.CASHIER, "1111"))
    second = value(create_user(uow, "kasiyer2", "İki", Role.CASHIER, "1111"))

    first_hash, second_hash = pin_hash(store, first.id), pin_hash(store, second.id)

    assert first_hash != second_hash
    assert pin_matches("1111", first_hash)
    assert pin_matches("1111", second_hash)


def test_a_hash_from_another_scheme_never_matches(uow, store):
    user = value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))
    _, salt, digest = pin_hash(store, user.id).split("$")

    assert not pin_matches("4321", f"md5${salt}${digest}")


def test_creating_a_user_is_audited(uow, store, manager):
    user = value(
        create_user(uow, "kasiyer", "Mehmet Demir", Role.CASHIER, "1234", by_user_id=manager.id)
    )

    with store.engine.connect() as connection:
        entry = connection.execute(
            select(AuditEntry).where(AuditEntry.entity_id == str(user.id))
        ).one()
    assert (entry.action, entry.user_id) == ("user.create", manager.id)
    assert json.loads(entry.details) == {"username": "kasiyer", "role": "cashier"}
    assert "1234" not in entry.details


@pytest.mark.parametrize(
    "username",
    [
        "",
        "   ",
        "a",
        "a" * 65,
        "ayşe",
        "ab cd",
        "-mudur",
        ".mudur",
        "mudur!",
        "x'; DROP TABLE users;--",
        None,
        42,
    ],
)
def test_an_invalid_username_is_refused(uow, store, manager, username):
    before, audited = users(store), audit_count(store)

    refused = error(create_user(uow, username, "Ad Soyad", Role.CASHIER, "1234"))

    assert refused.code is Code.INVALID_USERNAME
    assert users(store) == before
    assert audit_count(store) == audited


@pytest.mark.parametrize("display_name", ["", "   ", "x" * 201, None, 7])
def test_a_missing_or_overlong_display_name_is_refused(uow, store, display_name):
    refused = error(create_user(uow, "kasiyer", display_name, Role.CASHIER, "1234"))

    assert refused.code is Code.INVALID_USERNAME
    assert users(store) == []


@pytest.mark.parametrize(
    "pin",
    [
        "",
        "123",
        "123456789",
        "12a4",
        "12 34",
        " 1234",
        "1234\n",
        "-1234",
        "\u0661\u0662\u0663\u0664",  # Arabic-Indic digits
        1234,
        None,
    ],
)
def test_a_pin_that_is_not_four_to_eight_digits_is_refused(uow, store, pin):
    refused = error(create_user(uow, "kasiyer", "Mehmet Demir", Role.CASHIER, pin))

    assert refused.code is Code.INVALID_PIN
    assert render(refused, "tr") == "PIN 4-8 rakam olmalı"
    assert users(store) == []


@pytest.mark.parametrize("pin", ["0000", "12345678"])
def test_a_pin_of_four_to_eight_digits_is_accepted(uow, store, pin):
    user = value(create_user(uow, "kasiyer", "Mehmet Demir", Role.CASHIER, pin))

    assert pin_matches(pin, pin_hash(store, user.id))


@pytest.mark.parametrize("username", ["mudur", "MUDUR", " Mudur "])
def test_a_taken_username_is_refused_whatever_its_case(uow, store, manager, username):
    before, audited = users(store), audit_count(store)

    refused = error(create_user(uow, username, "Başka Biri", Role.CASHIER, "9999"))

    assert (refused.code, refused.params) == (Code.DUPLICATE_USERNAME, {"username": "mudur"})
    assert render(refused, "tr") == "Bu kullanıcı adı kullanılıyor: mudur"
    assert users(store) == before
    assert audit_count(store) == audited
    assert pin_matches("4321", pin_hash(store, manager.id))
