"""Coupons in the back office: a manager edits, retires, deletes and lists them, and
reads each one's redemptions. Every change is audited; every refusal changes nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.results import Changed, Code, Ok
from pos.services.cart import cart_summary
from pos.services.coupons import (
    CouponDraft,
    apply_coupon,
    coupon_redemptions,
    create_coupon,
    delete_coupon,
    find_coupon,
    list_coupons,
    set_coupon_active,
    update_coupon,
)
from pos.services.payments import mark_failed, mark_paid
from pos.store.models import AuditEntry, Cart, Coupon, OrderStatus, RedemptionState
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, Shelf, Store, error, value
from tests.integration.test_sales_races import press_pay, race, ring_up
from tests.invariants import assert_coupon_invariant, assert_invariants
from tests.sales import count, pay_by_card, pay_cash, two_line_cart

YAZ = CouponDraft(code="YAZ10", kind=CouponKind.PERCENT, value=1000)


def make(uow: UnitOfWork, manager: Any, draft: CouponDraft = YAZ) -> int:
    return value(create_coupon(uow, draft, user_id=manager.id)).id


def stored(store: Store, coupon_id: int) -> tuple[object, ...]:
    """The coupon's row as the store has it, every column."""
    with store.engine.connect() as connection:
        return tuple(connection.execute(select(Coupon).where(Coupon.id == coupon_id)).one())


def times_used(store: Store, coupon_id: int) -> int:
    with store.engine.connect() as connection:
        return connection.execute(
            select(Coupon.times_used).where(Coupon.id == coupon_id)
        ).scalar_one()


def live_coupons(store: Store) -> int:
    """Coupons not deleted (a deleted one keeps its row, for the tills' replicas)."""
    return count(store, select(Coupon.id).where(Coupon.deleted_at.is_(None)).subquery())


def audit_rows(store: Store, action: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def used_once(uow: UnitOfWork, shelf: Shelf, code: str = "YAZ10") -> None:
    """A paid cash sale that used the coupon."""
    cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, cart, code))
    value(pay_cash(uow, cart))


# -- update_coupon -------------------------------------------------------------------


def test_a_manager_changes_every_term_of_an_unused_coupon(uow, manager, store):
    coupon_id = make(uow, manager)
    draft = CouponDraft(
        code="kis50",
        kind=CouponKind.FIXED,
        value=5000,
        min_cart_minor=20000,
        valid_from=START,
        valid_to=START + timedelta(days=30),
        usage_limit=100,
        active=False,
    )

    result = update_coupon(uow, coupon_id, draft, manager_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.COUPONS
    assert (result.value.id, result.value.terms.code, result.value.terms.value) == (
        coupon_id,
        "KIS50",
        5000,
    )
    with store.engine.connect() as connection:
        row = connection.execute(select(Coupon).where(Coupon.id == coupon_id)).one()
    assert (row.code, row.kind, row.value, row.min_cart_minor, row.cap_minor) == (
        "KIS50",
        CouponKind.FIXED,
        5000,
        20000,
        None,
    )
    assert (row.valid_from, row.valid_to, row.usage_limit, row.active) == (
        START,
        START + timedelta(days=30),
        100,
        False,
    )
    [entry] = audit_rows(store, "coupon.updated")
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "coupon", str(coupon_id))
    details = json.loads(entry.details)
    assert details["before"] == {
        "code": "YAZ10",
        "kind": "percent",
        "value": 1000,
        "min_cart_minor": 0,
        "valid_from": None,
        "valid_to": None,
        "usage_limit": None,
        "active": True,
    }
    assert details["after"]["code"] == "KIS50"
    assert details["after"]["valid_to"] == str(START + timedelta(days=30))
    assert "currency" not in details["after"]  # unchanged terms are not listed


def test_saving_a_coupon_unchanged_writes_nothing(uow, manager, store):
    coupon_id = make(uow, manager)
    before = stored(store, coupon_id)

    result = update_coupon(uow, coupon_id, YAZ, manager_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.NOTHING
    assert stored(store, coupon_id) == before
    assert audit_rows(store, "coupon.updated") == []


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (replace(YAZ, valid_from=START, valid_to=START - timedelta(hours=1)), "dates"),
        (replace(YAZ, valid_from=START, valid_to=START), "dates"),
        (replace(YAZ, valid_to=START.replace(tzinfo=None)), "dates"),
        (replace(YAZ, value=10001), "value"),
        (replace(YAZ, value=0), "value"),
        (replace(YAZ, kind=CouponKind.FIXED, value=-500), "value"),
        (replace(YAZ, cap_minor=-1), "value"),
        (replace(YAZ, cap_minor=0), "value"),
        (replace(YAZ, min_cart_minor=-100), "value"),
        (replace(YAZ, usage_limit=-1), "value"),
        (replace(YAZ, value=10**40), "value"),
        (replace(YAZ, value="10"), "value"),
        (replace(YAZ, active="no"), "value"),
        (replace(YAZ, code=""), "code"),
        (replace(YAZ, code="YAZ 10"), "code"),
        (replace(YAZ, code="'; DROP TABLE coupons; --"), "code"),
        (replace(YAZ, code="A" * 33), "code"),
        (replace(YAZ, code=None), "code"),
        (replace(YAZ, currency="LIRA"), "currency"),
    ],
)
def test_impossible_terms_are_refused_and_the_coupon_is_left_as_it_was(
    uow, manager, store, draft, code
):
    coupon_id = make(uow, manager)
    before, audited = stored(store, coupon_id), count(store, AuditEntry)

    refused = error(update_coupon(uow, coupon_id, draft, manager_id=manager.id))

    expected = {
        "dates": Code.INVALID_COUPON_DATES,
        "value": Code.INVALID_COUPON_VALUE,
        "code": Code.COUPON_CODE_MALFORMED,
        "currency": Code.INVALID_CURRENCY,
    }[code]
    assert refused.code is expected
    assert (stored(store, coupon_id), count(store, AuditEntry)) == (before, audited)


def test_an_end_before_the_start_is_refused_in_turkish(uow, manager):
    coupon_id = make(uow, manager)
    draft = replace(YAZ, valid_from=START, valid_to=START - timedelta(days=1))

    refused = error(update_coupon(uow, coupon_id, draft, manager_id=manager.id))

    assert render(refused, "tr") == "Kuponun bitiş tarihi başlangıcından sonra olmalı"


def test_a_code_another_coupon_has_is_refused(uow, manager, store):
    make(uow, manager, CouponDraft("KIS", CouponKind.FIXED, 500))
    coupon_id = make(uow, manager)
    before = stored(store, coupon_id)

    refused = error(update_coupon(uow, coupon_id, replace(YAZ, code="kis"), manager_id=manager.id))

    assert refused.code is Code.DUPLICATE_COUPON
    assert render(refused, "tr") == "Bu kupon kodu kullanılıyor: KIS"
    assert stored(store, coupon_id) == before


@pytest.mark.parametrize("coupon_id", [999, 0, -1, "1", None, 2**40, True])
def test_an_unknown_coupon_cannot_be_edited(uow, manager, store, coupon_id):
    make(uow, manager)
    audited = count(store, AuditEntry)

    refused = error(update_coupon(uow, coupon_id, YAZ, manager_id=manager.id))

    assert refused.code is Code.COUPON_NOT_FOUND
    assert count(store, AuditEntry) == audited


def test_only_an_active_manager_edits_a_coupon(uow, manager, cashier, store):
    coupon_id = make(uow, manager)
    before, audited = stored(store, coupon_id), count(store, AuditEntry)
    changed = replace(YAZ, value=2000)

    assert error(update_coupon(uow, coupon_id, changed, manager_id=cashier.id)).code is (
        Code.NOT_PERMITTED
    )
    assert error(update_coupon(uow, coupon_id, changed, manager_id=999)).code is (
        Code.USER_NOT_FOUND
    )
    assert error(update_coupon(uow, coupon_id, changed, manager_id="1")).code is (
        Code.USER_NOT_FOUND
    )
    assert (stored(store, coupon_id), count(store, AuditEntry)) == (before, audited)


@pytest.mark.parametrize(
    "draft",
    [
        replace(YAZ, code="YAZ20"),
        replace(YAZ, value=2000),
        replace(YAZ, kind=CouponKind.FIXED, value=1000),
        replace(YAZ, currency="EUR"),
    ],
    ids=["code", "value", "kind", "currency"],
)
def test_a_used_coupon_keeps_its_code_kind_value_and_currency(uow, shelf, manager, store, draft):
    coupon_id = make(uow, manager)
    used_once(uow, shelf)
    before = stored(store, coupon_id)

    refused = error(update_coupon(uow, coupon_id, draft, manager_id=manager.id))

    assert refused.code is Code.COUPON_TERMS_IN_USE
    assert render(refused, "tr").startswith("Kullanılmış kuponun kodu, türü ve değeri")
    assert stored(store, coupon_id) == before
    assert_invariants(store.engine)


def test_a_used_coupon_can_still_be_extended_capped_and_limited(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    used_once(uow, shelf)
    draft = replace(
        YAZ,
        min_cart_minor=1000,
        cap_minor=300,
        valid_to=START + timedelta(days=7),
        usage_limit=1,
    )

    view = value(update_coupon(uow, coupon_id, draft, manager_id=manager.id))

    assert (view.terms.cap_minor, view.terms.usage_limit, view.terms.times_used) == (300, 1, 1)
    # The limit equals the uses: the coupon has none left.
    cart, _, _ = two_line_cart(uow, shelf)
    assert error(apply_coupon(uow, cart, "YAZ10")).code is Code.COUPON_LIMIT_REACHED
    assert_invariants(store.engine)


def test_a_usage_limit_below_the_times_used_is_refused(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    used_once(uow, shelf)
    used_once(uow, shelf)
    before = stored(store, coupon_id)

    refused = error(
        update_coupon(uow, coupon_id, replace(YAZ, usage_limit=1), manager_id=manager.id)
    )

    assert (refused.code, refused.params) == (Code.COUPON_LIMIT_BELOW_USES, {"used": 2})
    assert render(refused, "tr") == (
        "Kullanım limiti, kuponun kullanım sayısının (2) altına inemez"
    )
    assert stored(store, coupon_id) == before
    assert_coupon_invariant(store.engine)


def test_a_held_use_counts_when_the_limit_is_lowered(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, cart, "YAZ10"))
    value(pay_by_card(uow, cart))  # the card payment is still in flight: the use is held

    refused = error(
        update_coupon(uow, coupon_id, replace(YAZ, usage_limit=0), manager_id=manager.id)
    )

    assert (refused.code, refused.params) == (Code.COUPON_LIMIT_BELOW_USES, {"used": 1})
    assert_coupon_invariant(store.engine)


@pytest.mark.parametrize("round_", range(3))
def test_lowering_the_limit_while_tills_claim_uses_keeps_the_count_true(
    store, clock: FakeClock, uow, shelf, manager, round_
):
    """Four checkouts and a manager lowering the limit from ten to two race for one coupon.
    The edit and each claim take the coupon's row in turn: either the edit comes while at
    most two uses are claimed, and then exactly two sales get the discount, or it comes
    later and is refused, and all four do."""
    coupon_id = make(uow, manager, replace(YAZ, usage_limit=10))
    product = shelf.product(stock=50)
    sales = [ring_up(uow, (product, 1), coupon="YAZ10") for _ in range(4)]
    pays = [press_pay(store.engine, clock, cart, total, f"k-{cart}") for cart, total in sales]

    def edit() -> object:
        return update_coupon(
            UnitOfWork(store.engine, clock),
            coupon_id,
            replace(YAZ, usage_limit=2),
            manager_id=manager.id,
        )

    edited, *paid = race(edit, *pays)

    assert_invariants(store.engine)
    [coupon] = value(list_coupons(uow, manager_id=manager.id))
    if isinstance(edited, Ok):
        assert (coupon.terms.usage_limit, coupon.terms.times_used) == (2, 2)
        assert sorted(answer.ok for answer in paid) == [False, False, True, True]
        refused = [answer for answer in paid if not answer.ok]
        assert {answer.code for answer in refused} == {Code.COUPON_LIMIT_REACHED}
    else:
        assert edited.code is Code.COUPON_LIMIT_BELOW_USES
        assert (coupon.terms.usage_limit, coupon.terms.times_used) == (10, 4)
        assert all(answer.ok for answer in paid)


# -- set_coupon_active -----------------------------------------------------------------


def test_a_deactivated_coupon_is_refused_at_the_till_and_works_again_when_reactivated(
    uow, shelf, manager, store
):
    coupon_id = make(uow, manager)
    cart, _, _ = two_line_cart(uow, shelf)

    off = set_coupon_active(uow, coupon_id, False, manager_id=manager.id)

    assert isinstance(off, Ok)
    assert (off.changed, off.value.terms.active) == (Changed.COUPONS, False)
    refused = error(apply_coupon(uow, cart, "YAZ10"))
    assert render(refused, "tr") == "Kupon geçersiz"
    assert value(cart_summary(uow, cart)).coupon_code is None

    on = value(set_coupon_active(uow, coupon_id, True, manager_id=manager.id))

    assert on.terms.active is True
    assert value(apply_coupon(uow, cart, "YAZ10")).new_total_minor == 4950
    [deactivated] = audit_rows(store, "coupon.deactivated")
    [reactivated] = audit_rows(store, "coupon.reactivated")
    assert (deactivated.user_id, deactivated.entity_id) == (manager.id, str(coupon_id))
    assert json.loads(deactivated.details) == {
        "code": "YAZ10",
        "before": {"active": True},
        "after": {"active": False},
    }
    assert json.loads(reactivated.details)["after"] == {"active": True}


def test_a_used_coupon_can_be_deactivated(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    used_once(uow, shelf)

    view = value(set_coupon_active(uow, coupon_id, False, manager_id=manager.id))

    assert (view.terms.active, view.terms.times_used) == (False, 1)
    assert times_used(store, coupon_id) == 1
    assert_invariants(store.engine)


def test_deactivating_an_inactive_coupon_changes_and_audits_nothing(uow, manager, store):
    coupon_id = make(uow, manager, replace(YAZ, active=False))
    before = stored(store, coupon_id)

    result = set_coupon_active(uow, coupon_id, False, manager_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.NOTHING
    assert stored(store, coupon_id) == before
    assert audit_rows(store, "coupon.deactivated") == []


@pytest.mark.parametrize(
    ("coupon_id", "active", "manager_id", "code"),
    [
        (None, False, "manager", Code.COUPON_NOT_FOUND),
        (999, False, "manager", Code.COUPON_NOT_FOUND),
        ("coupon", False, "manager", Code.COUPON_NOT_FOUND),
        ("self", "false", "manager", Code.INVALID_COUPON_VALUE),
        ("self", 0, "manager", Code.INVALID_COUPON_VALUE),
        ("self", False, "cashier", Code.NOT_PERMITTED),
        ("self", False, 12345, Code.USER_NOT_FOUND),
    ],
)
def test_setting_active_with_bad_input_changes_nothing(
    uow, manager, cashier, store, coupon_id, active, manager_id, code
):
    own = make(uow, manager)
    before, audited = stored(store, own), count(store, AuditEntry)
    who = {"manager": manager.id, "cashier": cashier.id}.get(manager_id, manager_id)

    refused = error(
        set_coupon_active(uow, own if coupon_id == "self" else coupon_id, active, manager_id=who)
    )

    assert refused.code is code
    assert (stored(store, own), count(store, AuditEntry)) == (before, audited)


# -- delete_coupon -------------------------------------------------------------------


def test_an_unused_coupon_is_deleted_and_the_deletion_audited(uow, manager, store):
    coupon_id = make(uow, manager)

    result = delete_coupon(uow, coupon_id, manager_id=manager.id)

    assert isinstance(result, Ok)
    assert Changed.COUPONS in result.changed
    assert live_coupons(store) == 0
    [entry] = audit_rows(store, "coupon.deleted")
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "coupon", str(coupon_id))
    details = json.loads(entry.details)
    assert details["before"]["code"] == "YAZ10"
    assert details["before"]["value"] == 1000
    assert details["carts"] == []


def test_a_deleted_coupon_keeps_its_row_for_the_replicas_and_frees_its_code(
    uow, manager, store, clock
):
    coupon_id = make(uow, manager)

    value(delete_coupon(uow, coupon_id, manager_id=manager.id))

    with store.engine.connect() as connection:
        kept = connection.execute(
            select(Coupon.active, Coupon.deleted_at).where(Coupon.id == coupon_id)
        ).one()
    assert (kept.active, kept.deleted_at) == (False, clock())
    assert error(find_coupon(uow, "YAZ10")).code is Code.COUPON_INVALID
    assert value(list_coupons(uow, manager_id=manager.id)) == ()
    assert error(set_coupon_active(uow, coupon_id, True, manager_id=manager.id)).code is (
        Code.COUPON_NOT_FOUND
    )
    again = make(uow, manager)  # the code is free for a new coupon
    assert again != coupon_id
    assert value(find_coupon(uow, "YAZ10")).id == again


def test_deleting_a_coupon_takes_it_off_an_open_sale(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, cart, "YAZ10"))

    value(delete_coupon(uow, coupon_id, manager_id=manager.id))

    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_code, summary.total_minor) == (None, 5500)
    with store.engine.connect() as connection:
        assert connection.execute(select(Cart.coupon_id).where(Cart.id == cart)).scalar() is None
    assert json.loads(audit_rows(store, "coupon.deleted")[0].details)["carts"] == [cart]
    assert value(pay_cash(uow, cart)).total_minor == 5500
    assert_invariants(store.engine)


def test_a_coupon_a_sale_used_cannot_be_deleted_only_deactivated(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    used_once(uow, shelf)
    before, audited = stored(store, coupon_id), count(store, AuditEntry)

    refused = error(delete_coupon(uow, coupon_id, manager_id=manager.id))

    assert refused.code is Code.COUPON_IN_USE
    assert render(refused, "tr") == "Kullanılmış kupon silinemez; devre dışı bırakabilirsiniz"
    assert (stored(store, coupon_id), count(store, AuditEntry)) == (before, audited)
    assert_invariants(store.engine)
    assert value(set_coupon_active(uow, coupon_id, False, manager_id=manager.id)).terms.active is (
        False
    )


def test_a_coupon_whose_only_use_was_given_back_still_cannot_be_deleted(uow, shelf, manager, store):
    """The failed sale's order still names the coupon: its history stays whole."""
    coupon_id = make(uow, manager)
    cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, cart, "YAZ10"))
    value(mark_failed(uow, value(pay_by_card(uow, cart)).payment_id))
    assert times_used(store, coupon_id) == 0  # the use was given back

    assert error(delete_coupon(uow, coupon_id, manager_id=manager.id)).code is Code.COUPON_IN_USE
    assert live_coupons(store) == 1
    assert_invariants(store.engine)


@pytest.mark.parametrize("round_", range(3))
def test_deleting_a_coupon_while_a_till_checks_out_with_it_never_deadlocks(
    store, clock: FakeClock, uow, shelf, manager, round_
):
    """The deletion takes the sale's cart before the coupon, as checkout does: one waits
    for the other. Either the sale claims its use first and the deletion is refused, or
    the coupon comes off the sale first and the till is told the total changed."""
    coupon_id = make(uow, manager)
    product = shelf.product(stock=5)
    cart, total = ring_up(uow, (product, 1), coupon="YAZ10")

    def remove() -> object:
        return delete_coupon(UnitOfWork(store.engine, clock), coupon_id, manager_id=manager.id)

    deleted, paid = race(remove, press_pay(store.engine, clock, cart, total, f"k-{round_}"))

    assert_invariants(store.engine)
    if isinstance(deleted, Ok):
        assert error(paid).code is Code.PRICE_CHANGED
        assert live_coupons(store) == 0
    else:
        assert deleted.code is Code.COUPON_IN_USE
        assert value(paid).total_minor == total
        assert times_used(store, coupon_id) == 1


@pytest.mark.parametrize("coupon_id", [999, None, "1", 1.0, -5])
def test_deleting_an_unknown_coupon_is_refused(uow, manager, store, coupon_id):
    make(uow, manager)
    audited = count(store, AuditEntry)

    assert error(delete_coupon(uow, coupon_id, manager_id=manager.id)).code is (
        Code.COUPON_NOT_FOUND
    )
    assert (live_coupons(store), count(store, AuditEntry)) == (1, audited)


def test_only_a_manager_deletes_a_coupon(uow, manager, cashier, store):
    coupon_id = make(uow, manager)

    assert error(delete_coupon(uow, coupon_id, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(delete_coupon(uow, coupon_id, manager_id=None)).code is Code.USER_NOT_FOUND
    assert live_coupons(store) == 1


# -- list_coupons ----------------------------------------------------------------------


def test_the_list_shows_every_coupon_by_code_with_its_times_used(uow, shelf, manager):
    make(uow, manager)
    make(uow, manager, CouponDraft("BAHAR", CouponKind.FIXED, 500, active=False))
    make(uow, manager, CouponDraft("KIS_25", CouponKind.PERCENT, 2500, cap_minor=5000))
    used_once(uow, shelf)
    used_once(uow, shelf)

    listed = value(list_coupons(uow, manager_id=manager.id))

    assert [(c.terms.code, c.terms.times_used, c.terms.active) for c in listed] == [
        ("BAHAR", 0, False),
        ("KIS_25", 0, True),
        ("YAZ10", 2, True),
    ]
    assert listed[1].terms.cap_minor == 5000
    active = value(list_coupons(uow, manager_id=manager.id, include_inactive=False))
    assert [c.terms.code for c in active] == ["KIS_25", "YAZ10"]


def test_the_list_finds_codes_containing_the_query_in_any_case(uow, manager):
    for code in ("YAZ10", "KIS10", "KIS_25", "KISX25"):
        make(uow, manager, CouponDraft(code, CouponKind.FIXED, 500))

    def codes(query: str) -> list[str]:
        return [c.terms.code for c in value(list_coupons(uow, manager_id=manager.id, query=query))]

    assert codes(" 10 ") == ["KIS10", "YAZ10"]
    # Sorted here: the dialects collate "_" differently.
    assert sorted(codes("kis")) == ["KIS10", "KISX25", "KIS_25"]
    # "_" is a letter of a code here, not a wildcard.
    assert codes("S_2") == ["KIS_25"]
    assert codes("YOK") == []


def test_the_list_pages_by_code(uow, manager):
    for number in range(5):
        make(uow, manager, CouponDraft(f"K{number}", CouponKind.FIXED, 500))

    first = value(list_coupons(uow, manager_id=manager.id, limit=2))
    second = value(list_coupons(uow, manager_id=manager.id, limit=2, after=first[-1].terms.code))
    last = value(list_coupons(uow, manager_id=manager.id, limit=2, after=second[-1].terms.code))

    assert [c.terms.code for c in (*first, *second, *last)] == ["K0", "K1", "K2", "K3", "K4"]


@pytest.mark.parametrize(
    "filters",
    [
        {"query": "%"},
        {"query": "' OR 1=1 --"},
        {"query": None},
        {"query": 10},
        {"query": "x" * 500},
        {"include_inactive": "yes"},
        {"limit": 0},
        {"limit": 10**6},
        {"limit": "10"},
        {"limit": True},
        {"after": "%%"},
        {"after": 5},
    ],
)
def test_bad_list_filters_are_refused(uow, manager, filters):
    make(uow, manager)

    assert error(list_coupons(uow, manager_id=manager.id, **filters)).code is Code.INVALID_FILTER


def test_only_a_manager_lists_coupons(uow, manager, cashier):
    assert error(list_coupons(uow, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(list_coupons(uow, manager_id=None)).code is Code.USER_NOT_FOUND


# -- coupon_redemptions ------------------------------------------------------------------


def test_each_redemption_shows_its_state_sale_and_receipt(uow, shelf, manager, store):
    coupon_id = make(uow, manager)
    failed_cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, failed_cart, "YAZ10"))
    failed = value(pay_by_card(uow, failed_cart))
    value(mark_failed(uow, failed.payment_id))
    paid_cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, paid_cart, "YAZ10"))
    paid = value(pay_by_card(uow, paid_cart))
    value(mark_paid(uow, paid.payment_id))
    held_cart, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, held_cart, "YAZ10"))
    held = value(pay_by_card(uow, held_cart))

    listed = value(coupon_redemptions(uow, coupon_id, manager_id=manager.id))

    assert [(r.order_id, r.state, r.order_status) for r in listed] == [
        (held.order_id, RedemptionState.HELD, OrderStatus.PENDING),
        (paid.order_id, RedemptionState.CONFIRMED, OrderStatus.PAID),
        (failed.order_id, RedemptionState.RELEASED, OrderStatus.FAILED),
    ]
    assert [r.receipt_number for r in listed] == [None, 1, None]
    assert {(r.total_minor, r.discount_minor, r.currency, r.till_code) for r in listed} == {
        (4950, 550, "TRY", "T01")
    }
    assert listed[0].ended_at is None
    assert listed[1].ended_at is not None
    assert all(r.created_at == START for r in listed)
    assert_invariants(store.engine)


def test_redemptions_page_from_the_newest(uow, shelf, manager):
    coupon_id = make(uow, manager)
    for _ in range(3):
        used_once(uow, shelf)

    first = value(coupon_redemptions(uow, coupon_id, manager_id=manager.id, limit=2))
    rest = value(coupon_redemptions(uow, coupon_id, manager_id=manager.id, before_id=first[-1].id))

    assert len(first) == 2
    assert len(rest) == 1
    ids = [r.id for r in (*first, *rest)]
    assert ids == sorted(ids, reverse=True)


def test_a_coupon_never_used_has_no_redemptions(uow, manager):
    coupon_id = make(uow, manager)

    assert value(coupon_redemptions(uow, coupon_id, manager_id=manager.id)) == ()


@pytest.mark.parametrize(
    ("coupon_id", "kwargs", "code"),
    [
        (999, {}, Code.COUPON_NOT_FOUND),
        ("1", {}, Code.COUPON_NOT_FOUND),
        (None, {}, Code.COUPON_NOT_FOUND),
        ("own", {"limit": 0}, Code.INVALID_FILTER),
        ("own", {"limit": 100_000}, Code.INVALID_FILTER),
        ("own", {"before_id": "5"}, Code.INVALID_FILTER),
        ("own", {"before_id": -1}, Code.INVALID_FILTER),
    ],
)
def test_bad_redemption_requests_are_refused(uow, manager, coupon_id, kwargs, code):
    own = make(uow, manager)

    refused = error(
        coupon_redemptions(
            uow, own if coupon_id == "own" else coupon_id, manager_id=manager.id, **kwargs
        )
    )

    assert refused.code is code


def test_only_a_manager_reads_redemptions(uow, manager, cashier):
    coupon_id = make(uow, manager)

    assert error(coupon_redemptions(uow, coupon_id, manager_id=cashier.id)).code is (
        Code.NOT_PERMITTED
    )
