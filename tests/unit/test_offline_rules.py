"""The offline rules as pure arithmetic: stock as last known, the coupon allowance, the
offline policy's limits and the order they are asked in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.money import Money
from pos.domain.offline import limit_passed, offline_coupon_problem, stock_covers
from pos.domain.policy import OfflinePolicy
from pos.domain.results import OFFLINE_APPROVALS, Code

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("known", "unsent", "in_cart", "covered"),
    [(5, 0, 5, True), (5, 0, 6, False), (5, 4, 1, True), (5, 4, 2, False), (0, 0, 1, False)],
)
def test_the_last_known_stock_less_the_unsent_sales_covers_the_line(
    known, unsent, in_cart, covered
):
    assert stock_covers(known, unsent, in_cart) is covered


@given(st.integers(-10, 10**6), st.integers(0, 10**6), st.integers(1, 10**6))
def test_more_unsent_never_covers_more(known, unsent, in_cart):
    if not stock_covers(known, unsent, in_cart):
        assert not stock_covers(known, unsent + 1, in_cart)


def test_a_coupon_without_a_limit_needs_no_allowance():
    assert offline_coupon_problem(None, offline_uses=50, allowance=0) is None


@pytest.mark.parametrize(("uses", "allowance"), [(0, 0), (1, 1), (3, 2)])
def test_a_limited_coupon_is_refused_past_the_allowance(uses, allowance):
    assert offline_coupon_problem(10, uses, allowance) is Code.COUPON_OFFLINE_ALLOWANCE


def test_a_limited_coupon_is_taken_within_the_allowance():
    assert offline_coupon_problem(10, 1, 2) is None


def passed(policy: OfflinePolicy, total: int = 1000, unsent: int = 0, since=None):
    return limit_passed(
        policy, total_minor=total, unsent_minor=unsent, currency="TRY", offline_since=since, now=NOW
    )


def test_a_sale_within_every_limit_passes_none():
    assert passed(OfflinePolicy(), since=NOW - timedelta(hours=23)) is None


def test_a_sale_over_the_cap_is_named_with_the_cap():
    limit = passed(OfflinePolicy(max_sale_minor=999))

    assert limit is not None
    assert (limit.code, limit.params) == (Code.OFFLINE_SALE_OVER_CAP, {"limit": Money(999, "TRY")})


def test_the_unsent_cap_counts_this_sale_too():
    policy = OfflinePolicy(max_unsent_minor=5000)

    assert passed(policy, total=1000, unsent=4000) is None
    over = passed(policy, total=1001, unsent=4000)
    assert over is not None
    assert over.code is Code.OFFLINE_UNSENT_OVER_CAP


def test_too_long_offline_is_asked_first_and_said_in_hours():
    policy = OfflinePolicy(max_sale_minor=1, max_offline=timedelta(hours=24))

    limit = passed(policy, since=NOW - timedelta(hours=25))

    assert limit is not None
    assert (limit.code, limit.params) == (Code.OFFLINE_TOO_LONG, {"hours": 24})


def test_no_limit_is_no_limit():
    policy = OfflinePolicy(max_sale_minor=None, max_unsent_minor=None, max_offline=None)

    assert passed(policy, total=10**12, unsent=10**12, since=NOW - timedelta(days=400)) is None


def test_an_unknown_start_of_the_offline_time_sets_no_time_limit():
    assert passed(OfflinePolicy(max_offline=timedelta(hours=1)), since=None) is None


def test_every_limit_a_manager_can_lift_is_one_of_the_approvals():
    policy = OfflinePolicy(max_sale_minor=1, max_unsent_minor=1, max_offline=timedelta(hours=1))
    codes = {
        passed(policy, since=NOW - timedelta(hours=2)).code,  # type: ignore[union-attr]
        passed(policy).code,  # type: ignore[union-attr]
        passed(OfflinePolicy(max_unsent_minor=1)).code,  # type: ignore[union-attr]
    }

    assert codes == OFFLINE_APPROVALS
