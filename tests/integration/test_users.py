"""The people at the till: who they are, what role they have, and their PINs."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from pos.domain.messages import render
from pos.domain.results import Changed, Code, Err, Ok, Result
from pos.services.users import (
    LOCKOUT,
    MAX_PIN_ATTEMPTS,
    create_user,
    list_users,
    pin_matches,
    sign_in,
    unlock_user,
)
from pos.store.engine import make_engine
from pos.store.models import AuditEntry, Role, User
from pos.store.uow import UnitOfWork
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

    # Not the PIN, nor any field of it: a hash's hex may hold "4321" by chance (1 in ~600).
    assert "4321" not in stored.split("$")
    assert stored.startswith("scrypt$")
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


# -- signing in at the till ---------------------------------------------------------


def pin_state(store, user_id: int) -> tuple[int, object]:
    with store.engine.connect() as connection:
        row = connection.execute(
            select(User.failed_pin_attempts, User.locked_until).where(User.id == user_id)
        ).one()
    return row.failed_pin_attempts, row.locked_until


def actions(store, user_id: int) -> list[str]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "user", AuditEntry.entity_id == str(user_id))
                .order_by(AuditEntry.id)
            ).scalars()
        )


def answer(result: Result[object]) -> tuple[Code, dict[str, object]]:
    refused = error(result)
    return refused.code, dict(refused.params)


def lock_out(uow, user_id: int) -> None:
    for _ in range(MAX_PIN_ATTEMPTS):
        error(sign_in(uow, user_id, "0000"))


def test_the_right_pin_signs_the_user_in(uow, store, cashier):
    result = sign_in(uow, cashier.id, "1234")

    assert isinstance(result, Ok)
    assert result.value == cashier
    assert pin_state(store, cashier.id) == (0, None)
    assert actions(store, cashier.id)[-1] == "user.sign_in"


def test_wrong_pins_count_down_then_lock_the_user(uow, store, clock, cashier):
    answers = [answer(sign_in(uow, cashier.id, "0000")) for _ in range(MAX_PIN_ATTEMPTS)]

    assert answers == [
        (Code.WRONG_PIN, {"remaining": 4}),
        (Code.WRONG_PIN, {"remaining": 3}),
        (Code.WRONG_PIN, {"remaining": 2}),
        (Code.WRONG_PIN, {"remaining": 1}),
        (Code.USER_LOCKED, {"minutes": 5}),
    ]
    assert render(error(sign_in(uow, cashier.id, "0000")), "tr") == (
        "Kullanıcı kilitli: 5 dakika sonra tekrar deneyin"
    )
    assert pin_state(store, cashier.id) == (MAX_PIN_ATTEMPTS, clock.current + LOCKOUT)
    assert actions(store, cashier.id).count("user.locked") == 1


def test_the_count_is_kept_although_the_answer_is_an_error(uow, store, cashier):
    refused = error(sign_in(uow, cashier.id, "4321"))
    assert render(refused, "tr") == "Yanlış PIN. Kalan deneme: 4"

    assert pin_state(store, cashier.id) == (1, None)
    assert refused.changed == Changed.USERS  # the users' list shows the count


def test_the_lock_says_the_users_changed(uow, cashier):
    for _ in range(MAX_PIN_ATTEMPTS - 1):
        sign_in(uow, cashier.id, "0000")

    locked = error(sign_in(uow, cashier.id, "0000"))
    assert (locked.code, locked.changed) == (Code.USER_LOCKED, Changed.USERS)
    still = error(sign_in(uow, cashier.id, "0000"))
    assert (still.code, still.changed) == (Code.USER_LOCKED, Changed.NOTHING)


def test_a_locked_user_is_refused_even_with_the_right_pin(uow, store, clock, cashier):
    lock_out(uow, cashier.id)
    clock.advance(minutes=3, seconds=30)

    assert answer(sign_in(uow, cashier.id, "1234")) == (Code.USER_LOCKED, {"minutes": 2})
    assert pin_state(store, cashier.id) == (MAX_PIN_ATTEMPTS, clock.current + timedelta(seconds=90))


def test_the_minutes_left_round_up_and_never_show_zero(uow, clock, cashier):
    lock_out(uow, cashier.id)
    clock.advance(minutes=4, seconds=59)

    assert answer(sign_in(uow, cashier.id, "1234")) == (Code.USER_LOCKED, {"minutes": 1})


def test_after_the_lockout_the_right_pin_signs_in_and_clears_the_count(uow, store, clock, cashier):
    lock_out(uow, cashier.id)
    clock.advance(minutes=5)

    assert value(sign_in(uow, cashier.id, "1234")) == cashier
    assert pin_state(store, cashier.id) == (0, None)
    assert answer(sign_in(uow, cashier.id, "0000")) == (Code.WRONG_PIN, {"remaining": 4})


def test_a_wrong_pin_after_the_lockout_starts_a_fresh_count(uow, store, clock, cashier):
    lock_out(uow, cashier.id)
    clock.advance(minutes=6)

    assert answer(sign_in(uow, cashier.id, "0000")) == (Code.WRONG_PIN, {"remaining": 4})
    assert pin_state(store, cashier.id) == (1, None)


def test_the_right_pin_clears_earlier_wrong_ones(uow, store, cashier):
    for _ in range(MAX_PIN_ATTEMPTS - 1):
        error(sign_in(uow, cashier.id, "0000"))

    value(sign_in(uow, cashier.id, "1234"))

    assert pin_state(store, cashier.id) == (0, None)
    assert answer(sign_in(uow, cashier.id, "0000")) == (Code.WRONG_PIN, {"remaining": 4})


@pytest.mark.parametrize(
    "pin",
    ["", "12ab", "9" * 10_000, None, 1234, "1234 ", "\u0661\u0662\u0663\u0664", b"1234"],
)
def test_a_malformed_pin_is_refused_and_counted(uow, store, cashier, pin):
    assert answer(sign_in(uow, cashier.id, pin)) == (Code.WRONG_PIN, {"remaining": 4})
    assert pin_state(store, cashier.id) == (1, None)


def test_malformed_pins_lock_the_user_like_wrong_ones(uow, store, cashier):
    for pin in ["", None, 1234, "x" * 100_000]:
        error(sign_in(uow, cashier.id, pin))

    assert answer(sign_in(uow, cashier.id, "12ab")) == (Code.USER_LOCKED, {"minutes": 5})
    assert answer(sign_in(uow, cashier.id, "1234")) == (Code.USER_LOCKED, {"minutes": 5})


def test_an_inactive_user_cannot_sign_in(uow, store, cashier):
    with store.engine.begin() as connection:
        connection.execute(update(User).where(User.id == cashier.id).values(active=False))

    assert answer(sign_in(uow, cashier.id, "1234")) == (Code.USER_INACTIVE, {})
    assert pin_state(store, cashier.id) == (0, None)


@pytest.mark.parametrize("user_id", [999, 0, -1, "1", None, True, 2**40, 1.0])
def test_an_unknown_user_cannot_sign_in(uow, store, cashier, user_id):
    assert answer(sign_in(uow, user_id, "1234")) == (Code.USER_NOT_FOUND, {})
    assert pin_state(store, cashier.id) == (0, None)


def test_signing_in_changes_no_pin_hash_and_stores_no_pin(uow, store, cashier):
    before = pin_hash(store, cashier.id)
    error(sign_in(uow, cashier.id, "5678"))
    value(sign_in(uow, cashier.id, "1234"))

    stored = pin_hash(store, cashier.id)
    scheme, salt, digest = stored.split("$")
    assert stored == before
    assert (scheme, len(bytes.fromhex(salt)), len(bytes.fromhex(digest))) == ("scrypt", 16, 64)
    with store.engine.connect() as connection:
        details = connection.execute(select(AuditEntry.details)).scalars().all()
    assert not any("1234" in d or "5678" in d for d in details)


def test_wrong_pins_from_racing_tills_each_count_and_stop_at_the_lock(uow, store, clock, cashier):
    tills = 8
    engine = make_engine(store.url, pool_size=tills, max_overflow=0)
    start = threading.Barrier(tills)
    answers: list[Code] = []

    def till() -> None:
        start.wait()
        result = sign_in(UnitOfWork(engine, clock), cashier.id, "0000")
        answers.append(result.code if isinstance(result, Err) else Code.USER_NOT_FOUND)

    threads = [threading.Thread(target=till) for _ in range(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()

    assert Counter(answers) == {
        Code.WRONG_PIN: MAX_PIN_ATTEMPTS - 1,
        Code.USER_LOCKED: tills - MAX_PIN_ATTEMPTS + 1,
    }
    assert pin_state(store, cashier.id) == (min(tills, MAX_PIN_ATTEMPTS), clock.current + LOCKOUT)
    assert actions(store, cashier.id).count("user.locked") == 1


# -- the login picker and the manager's unlock --------------------------------------


def test_the_login_picker_lists_active_users_by_display_name(uow, store):
    ids = {
        name: value(create_user(uow, name, shown, Role.CASHIER, "1234")).id
        for name, shown in [
            ("zeynep", "Zeynep Kaya"),
            ("seda", "Şeyma Demir"),
            ("can", "Çağla Öz"),
            ("cem", "Cem Ak"),
            ("ayse", "ayşe Yıldız"),
            ("eski", "Ahmet Eski"),
        ]
    }
    with store.engine.begin() as connection:
        connection.execute(update(User).where(User.id == ids["eski"]).values(active=False))

    listed = value(list_users(uow))

    assert [u.username for u in listed] == ["ayse", "can", "cem", "seda", "zeynep"]
    assert all(u.active for u in listed)


def test_a_store_without_users_lists_none(uow):
    assert value(list_users(uow)) == ()


def test_a_manager_unlocks_a_locked_user(uow, store, manager, cashier):
    lock_out(uow, cashier.id)

    result = unlock_user(uow, cashier.id, manager_id=manager.id)

    assert isinstance(result, Ok)
    assert (result.value, result.changed) == (cashier, Changed.USERS)
    assert pin_state(store, cashier.id) == (0, None)
    assert value(sign_in(uow, cashier.id, "1234")) == cashier
    with store.engine.connect() as connection:
        entry = connection.execute(
            select(AuditEntry).where(AuditEntry.action == "user.unlock")
        ).one()
    assert (entry.user_id, entry.entity_id) == (manager.id, str(cashier.id))
    assert json.loads(entry.details)["failed_pin_attempts"] == MAX_PIN_ATTEMPTS


def test_only_a_manager_unlocks(uow, store, manager, cashier):
    other = value(create_user(uow, "kasiyer2", "Zeynep Kaya", Role.CASHIER, "2468"))
    lock_out(uow, other.id)
    audited = audit_count(store)

    assert answer(unlock_user(uow, other.id, manager_id=cashier.id)) == (Code.NOT_PERMITTED, {})
    assert answer(unlock_user(uow, other.id, manager_id=None)) == (Code.USER_NOT_FOUND, {})
    assert answer(unlock_user(uow, 999, manager_id=manager.id)) == (Code.USER_NOT_FOUND, {})
    assert pin_state(store, other.id)[0] == MAX_PIN_ATTEMPTS
    assert audit_count(store) == audited
