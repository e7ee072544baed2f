"""The audit log as a manager reads it: newest first, a page at a time, filtered by
user, action (exactly, or a family such as "coupon.") and time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.results import Code
from pos.services._support import audit
from pos.services.audit_log import MAX_PAGE_SIZE, audit_actions, audit_entries
from pos.services.coupons import CouponDraft, create_coupon, set_coupon_active
from pos.services.users import create_user, reset_pin
from pos.store.models import AuditEntry, Role
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, error, value


def write(uow: UnitOfWork, action: str, *, user_id: int | None, **kwargs: object) -> None:
    """One audit row, as a service would write it."""
    with uow:
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action=action,
            entity=kwargs.pop("entity", "thing"),
            entity_id=kwargs.pop("entity_id", 1),
            **kwargs,
        )
        uow.commit()


def actions_of(page) -> list[str]:
    return [row.action for row in page.rows]


@pytest.fixture
def day(uow, clock: FakeClock, manager, cashier):
    """A morning at the shop, an hour apart: a coupon made and retired, a user made by the
    manager, a PIN reset, a price override the manager approved for the cashier."""
    clock.advance(hours=1)
    coupon = value(
        create_coupon(uow, CouponDraft("YAZ10", CouponKind.PERCENT, 1000), user_id=manager.id)
    )
    clock.advance(hours=1)
    value(set_coupon_active(uow, coupon.id, False, manager_id=manager.id))
    clock.advance(hours=1)
    value(create_user(uow, "zeynep", "Zeynep Kaya", Role.CASHIER, "2468", by_user_id=manager.id))
    clock.advance(hours=1)
    value(reset_pin(uow, cashier.id, "8642", manager_id=manager.id))
    clock.advance(hours=1)
    write(uow, "cart.price_override", user_id=cashier.id, approved_by=manager.id, price=999)
    return coupon


def test_the_newest_entry_comes_first_with_both_people_named(uow, manager, cashier, day):
    page = value(audit_entries(uow, manager_id=manager.id))

    assert actions_of(page) == [
        "cart.price_override",
        "user.reset_pin",
        "user.create",
        "coupon.deactivated",
        "coupon.created",
        "user.create",  # the fixtures' cashier
        "user.create",  # and manager, made before anyone could be named
    ]
    assert page.next_before_id is None
    newest = page.rows[0]
    assert (newest.user_id, newest.user_name) == (cashier.id, "Mehmet Demir")
    assert (newest.approved_by, newest.approver_name) == (manager.id, "Ayşe Yılmaz")
    assert newest.details == {"price": 999}
    assert newest.at == START + timedelta(hours=5)
    retired = page.rows[3]
    assert (retired.user_name, retired.approver_name) == ("Ayşe Yılmaz", None)
    assert (retired.entity, retired.entity_id) == ("coupon", str(day.id))
    assert retired.details == {
        "code": "YAZ10",
        "before": {"active": True},
        "after": {"active": False},
    }
    assert page.rows[-1].user_id is None
    assert page.rows[-1].user_name is None


def test_filtering_by_user_shows_only_what_they_did(uow, manager, cashier, day):
    mine = value(audit_entries(uow, manager_id=manager.id, user_id=manager.id))
    theirs = value(audit_entries(uow, manager_id=manager.id, user_id=cashier.id))

    assert actions_of(mine) == [
        "user.reset_pin",
        "user.create",
        "coupon.deactivated",
        "coupon.created",
    ]
    assert actions_of(theirs) == ["cart.price_override"]
    assert value(audit_entries(uow, manager_id=manager.id, user_id=999)).rows == ()


def test_an_action_is_matched_exactly_and_a_trailing_dot_names_its_family(uow, manager, day):
    def found(action: str) -> list[str]:
        return actions_of(value(audit_entries(uow, manager_id=manager.id, action=action)))

    assert found("coupon.created") == ["coupon.created"]
    assert found("coupon.") == ["coupon.deactivated", "coupon.created"]
    assert found("user.") == ["user.reset_pin", "user.create", "user.create", "user.create"]
    assert found("coupon") == []
    assert found("coupon.create") == []


def test_underscores_in_a_family_are_letters_not_wildcards(uow, manager):
    write(uow, "a_b.one", user_id=manager.id)
    write(uow, "axb.two", user_id=manager.id)

    page = value(audit_entries(uow, manager_id=manager.id, action="a_b."))

    assert actions_of(page) == ["a_b.one"]


def test_a_time_range_includes_its_start_and_excludes_its_end(uow, manager, day):
    page = value(
        audit_entries(
            uow,
            manager_id=manager.id,
            since=START + timedelta(hours=2),
            until=START + timedelta(hours=4),
        )
    )

    assert actions_of(page) == ["user.create", "coupon.deactivated"]
    only_since = value(audit_entries(uow, manager_id=manager.id, since=START + timedelta(hours=4)))
    assert actions_of(only_since) == ["cart.price_override", "user.reset_pin"]
    only_until = value(audit_entries(uow, manager_id=manager.id, until=START + timedelta(hours=1)))
    assert actions_of(only_until) == ["user.create", "user.create"]


def test_filters_combine(uow, manager, day):
    page = value(
        audit_entries(
            uow,
            manager_id=manager.id,
            user_id=manager.id,
            action="user.",
            since=START + timedelta(hours=3),
        )
    )

    assert actions_of(page) == ["user.reset_pin", "user.create"]


def test_the_log_is_read_a_page_at_a_time_from_the_newest(uow, manager):
    for number in range(7):
        write(uow, "test.entry", user_id=manager.id, number=number)

    seen: list[int] = []
    before = None
    pages = 0
    while True:
        page = value(
            audit_entries(
                uow, manager_id=manager.id, action="test.entry", before_id=before, limit=3
            )
        )
        pages += 1
        seen += [row.details["number"] for row in page.rows]
        if page.next_before_id is None:
            break
        assert page.next_before_id == page.rows[-1].id
        before = page.next_before_id

    assert seen == [6, 5, 4, 3, 2, 1, 0]
    assert pages == 3


def test_a_page_exactly_full_says_there_is_no_more(uow, manager):
    for _ in range(3):
        write(uow, "test.entry", user_id=manager.id)

    page = value(audit_entries(uow, manager_id=manager.id, action="test.entry", limit=3))

    assert len(page.rows) == 3
    assert page.next_before_id is None


def test_a_row_that_is_not_json_is_shown_as_its_text(uow, store, manager):
    with store.engine.begin() as connection:
        connection.execute(
            insert(AuditEntry).values(
                at=START,
                user_id=None,
                action="legacy.note",
                entity="x",
                entity_id="1",
                details="ş{",
            )
        )

    [row] = value(audit_entries(uow, manager_id=manager.id, action="legacy.note")).rows

    assert row.details == {"text": "ş{"}


def test_an_end_before_the_start_is_refused_in_turkish(uow, manager):
    refused = error(
        audit_entries(uow, manager_id=manager.id, since=START, until=START - timedelta(seconds=1))
    )

    assert refused.code is Code.INVALID_DATE_RANGE
    assert render(refused, "tr") == (
        "Geçersiz tarih aralığı: bitiş tarihi başlangıçtan önce olamaz"
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"since": START.replace(tzinfo=None)},
        {"until": START.replace(tzinfo=None)},
        {"since": "2026-03-02"},
        {"until": 1700000000},
        {"user_id": "1"},
        {"user_id": 1.0},
        {"user_id": True},
        {"user_id": 2**40},
        {"before_id": "10"},
        {"before_id": 0},
        {"limit": 0},
        {"limit": MAX_PAGE_SIZE + 1},
        {"limit": 10**9},
        {"limit": "100"},
        {"action": ""},
        {"action": "stock.%"},
        {"action": "Stock."},
        {"action": "'; DROP TABLE audit_log; --"},
        {"action": "a" * 65},
        {"action": ["user.create"]},
        {"action": ".."},
    ],
)
def test_bad_filters_are_refused(uow, manager, filters):
    assert error(audit_entries(uow, manager_id=manager.id, **filters)).code is Code.INVALID_FILTER


def test_only_a_manager_reads_the_log(uow, manager, cashier):
    assert error(audit_entries(uow, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(audit_entries(uow, manager_id=None)).code is Code.USER_NOT_FOUND
    assert error(audit_actions(uow, manager_id=cashier.id)).code is Code.NOT_PERMITTED


def test_the_actions_for_the_filter_are_each_named_once_in_order(uow, manager, day):
    assert value(audit_actions(uow, manager_id=manager.id)) == (
        "cart.price_override",
        "coupon.created",
        "coupon.deactivated",
        "user.create",
        "user.reset_pin",
    )
