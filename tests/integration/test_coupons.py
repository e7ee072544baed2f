"""Coupons as the seed's ApplyCoupon has them: defined by a manager, put on a sale by a
cashier, re-priced every time the sale is shown, and claimed only at checkout."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.payments import PaymentStatus
from pos.domain.results import Changed, Code, Ok
from pos.services.cart import cart_summary, remove_line, void_sale
from pos.services.checkout import Cash, checkout
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon, remove_coupon
from pos.services.payments import mark_failed, mark_paid
from pos.store.models import (
    AuditEntry,
    CartStatus,
    Coupon,
    CouponRedemption,
    Order,
    Payment,
    RedemptionState,
)
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, error, value
from tests.invariants import assert_coupon_invariant, assert_invariants, stock_books
from tests.sales import count, pay_by_card, pay_cash, two_line_cart

TEN_PERCENT = CouponDraft(code="YAZ10", kind=CouponKind.PERCENT, value=1000)


def coupon_row(store, code: str) -> Coupon:
    with store.engine.connect() as connection:
        return connection.execute(select(Coupon).where(Coupon.code == code)).one()


def redemptions(store) -> list[tuple[str, RedemptionState]]:
    """(order id, state) of every redemption, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(CouponRedemption.order_id, CouponRedemption.state).order_by(CouponRedemption.id)
        )
        return [(str(order_id), RedemptionState(state)) for order_id, state in rows]


def coupon(uow: UnitOfWork, manager, draft: CouponDraft = TEN_PERCENT) -> int:
    return value(create_coupon(uow, draft, user_id=manager.id)).id


# -- create_coupon -------------------------------------------------------------------


def test_a_manager_creates_a_coupon_and_it_is_audited(uow, manager, store):
    result = create_coupon(uow, TEN_PERCENT, user_id=manager.id)

    assert isinstance(result, Ok)
    assert result.changed == Changed.COUPONS
    assert result.value.terms.code == "YAZ10"
    row = coupon_row(store, "YAZ10")
    assert (row.kind, row.value, row.times_used, row.active) == (CouponKind.PERCENT, 1000, 0, True)
    with store.engine.connect() as connection:
        [entry] = connection.execute(
            select(AuditEntry).where(AuditEntry.action == "coupon.created")
        ).all()
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "coupon", str(row.id))
    assert json.loads(entry.details)["code"] == "YAZ10"


def test_a_cashier_may_not_create_a_coupon(uow, manager, cashier, store):
    refused = error(create_coupon(uow, TEN_PERCENT, user_id=cashier.id))

    assert refused.code is Code.NOT_PERMITTED
    assert render(refused, "tr") == "Bu işlem için yetkiniz yok"
    assert count(store, Coupon) == 0
    assert count(store, AuditEntry) == 2  # the two users' creation, nothing more


def test_a_coupon_code_is_taken_whatever_its_case(uow, manager, store):
    coupon(uow, manager)

    refused = error(
        create_coupon(uow, CouponDraft("yaz10", CouponKind.FIXED, 500), user_id=manager.id)
    )

    assert refused.code is Code.DUPLICATE_COUPON
    assert render(refused, "tr") == "Bu kupon kodu kullanılıyor: YAZ10"
    assert count(store, Coupon) == 1
    assert coupon_row(store, "YAZ10").kind is CouponKind.PERCENT


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (CouponDraft("SIFIR", CouponKind.PERCENT, 0), Code.INVALID_COUPON_VALUE),
        (CouponDraft("FAZLA", CouponKind.PERCENT, 10001), Code.INVALID_COUPON_VALUE),
        (CouponDraft("BEDAVA", CouponKind.FIXED, 0), Code.INVALID_COUPON_VALUE),
        (CouponDraft("EKSI", CouponKind.FIXED, -500), Code.INVALID_COUPON_VALUE),
        (
            CouponDraft("ANLIK", CouponKind.FIXED, 500, valid_from=START, valid_to=START),
            Code.INVALID_COUPON_DATES,
        ),
        (
            CouponDraft(
                "TERS",
                CouponKind.FIXED,
                500,
                valid_from=START,
                valid_to=START - timedelta(days=1),
            ),
            Code.INVALID_COUPON_DATES,
        ),
        # What a form might hand over unconverted: text, fractions, flags, huge numbers.
        (CouponDraft("YAZI", CouponKind.FIXED, "500"), Code.INVALID_COUPON_VALUE),  # type: ignore[arg-type]
        (CouponDraft("KESIR", CouponKind.PERCENT, 12.5), Code.INVALID_COUPON_VALUE),  # type: ignore[arg-type]
        (CouponDraft("BAYRAK", CouponKind.FIXED, True), Code.INVALID_COUPON_VALUE),
        (CouponDraft("DEV", CouponKind.FIXED, 10**30), Code.INVALID_COUPON_VALUE),
        (CouponDraft("TUR", "bogo", 500), Code.INVALID_COUPON_VALUE),  # type: ignore[arg-type]
        (
            CouponDraft("LIMIT", CouponKind.FIXED, 500, usage_limit="10"),  # type: ignore[arg-type]
            Code.INVALID_COUPON_VALUE,
        ),
        (
            CouponDraft("TAVAN", CouponKind.PERCENT, 500, cap_minor=-1),
            Code.INVALID_COUPON_VALUE,
        ),
        (
            CouponDraft("SAAT", CouponKind.FIXED, 500, valid_to=START.replace(tzinfo=None)),
            Code.INVALID_COUPON_DATES,
        ),
        (
            CouponDraft("GUN", CouponKind.FIXED, 500, valid_from="2026-01-01"),  # type: ignore[arg-type]
            Code.INVALID_COUPON_DATES,
        ),
    ],
)
def test_a_coupon_with_impossible_terms_is_refused_and_nothing_is_stored(
    uow, manager, store, draft, code
):
    audited = count(store, AuditEntry)

    assert error(create_coupon(uow, draft, user_id=manager.id)).code is code
    assert count(store, Coupon) == 0
    assert count(store, AuditEntry) == audited


def test_a_full_hundred_percent_coupon_is_allowed(uow, manager):
    draft = CouponDraft("HEPSI", CouponKind.PERCENT, 10000)

    assert value(create_coupon(uow, draft, user_id=manager.id)).terms.value == 10000


# -- apply_coupon: the seed's branches -----------------------------------------------


def test_a_percent_coupon_takes_its_share_of_the_whole_cart(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)

    applied = value(apply_coupon(uow, cart, "YAZ10"))

    assert (applied.code, applied.new_total_minor) == ("YAZ10", 4950)
    assert applied.cart.quote.discount_minor == 550
    assert [line.discount_minor for line in applied.cart.quote.lines] == [250, 300]
    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_code, summary.coupon_problem, summary.total_minor) == (
        "YAZ10",
        None,
        4950,
    )


def test_a_percent_coupon_never_takes_more_than_its_cap(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("YARI", CouponKind.PERCENT, 5000, cap_minor=1000))

    applied = value(apply_coupon(uow, cart, "YARI"))

    assert applied.new_total_minor == 4500
    assert applied.cart.quote.discount_minor == 1000


def test_a_fixed_coupon_larger_than_the_cart_makes_it_free_not_negative(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("YUZLIRA", CouponKind.FIXED, 10000))

    applied = value(apply_coupon(uow, cart, "YUZLIRA"))

    assert applied.new_total_minor == 0
    assert applied.cart.quote.discount_minor == 5500
    assert applied.cart.quote.tax_minor == 0


@pytest.mark.parametrize("typed", ["  yaz10 ", "yaz10", "Yaz10", "\tYAZ10\n"])
def test_the_code_is_trimmed_and_read_in_any_case(uow, shelf, manager, typed):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)

    assert value(apply_coupon(uow, cart, typed)).new_total_minor == 4950


def test_an_unknown_code_is_an_invalid_coupon(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)

    refused = error(apply_coupon(uow, cart, "KIS20"))

    assert refused.code is Code.COUPON_INVALID
    assert render(refused, "tr") == "Kupon geçersiz"
    assert value(cart_summary(uow, cart)).coupon_code is None


def test_an_inactive_coupon_is_invalid(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("KAPALI", CouponKind.PERCENT, 1000, active=False))

    assert render(error(apply_coupon(uow, cart, "KAPALI")), "tr") == "Kupon geçersiz"
    assert value(cart_summary(uow, cart)).coupon_code is None


def test_a_coupon_that_has_not_started_yet_is_invalid(uow, shelf, manager, clock: FakeClock):
    cart, _, _ = two_line_cart(uow, shelf)
    draft = CouponDraft("YARIN", CouponKind.PERCENT, 1000, valid_from=START + timedelta(days=1))
    coupon(uow, manager, draft)

    assert render(error(apply_coupon(uow, cart, "YARIN")), "tr") == "Kupon geçersiz"
    clock.advance(days=1)
    assert value(apply_coupon(uow, cart, "YARIN")).new_total_minor == 4950


def test_a_coupon_past_its_end_is_invalid(uow, shelf, manager, clock: FakeClock):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("BUSABAH", CouponKind.PERCENT, 1000, valid_to=START))

    # valid_to is the instant the coupon stops: at it, and after it, the coupon is gone.
    assert render(error(apply_coupon(uow, cart, "BUSABAH")), "tr") == "Kupon geçersiz"
    clock.advance(hours=2)
    assert render(error(apply_coupon(uow, cart, "BUSABAH")), "tr") == "Kupon geçersiz"


def test_a_coupon_that_expires_while_on_the_cart_stops_discounting(
    uow, shelf, manager, clock: FakeClock
):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(
        uow,
        manager,
        CouponDraft("SAAT", CouponKind.PERCENT, 1000, valid_to=START + timedelta(hours=1)),
    )
    assert value(apply_coupon(uow, cart, "SAAT")).new_total_minor == 4950

    clock.advance(hours=2)

    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_problem, summary.total_minor) == (Code.COUPON_INVALID, 5500)
    assert render(error(apply_coupon(uow, cart, "SAAT")), "tr") == "Kupon geçersiz"


def test_a_cart_under_the_minimum_is_refused_the_coupon(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("BUYUK", CouponKind.PERCENT, 1000, min_cart_minor=5501))

    refused = error(apply_coupon(uow, cart, "BUYUK"))

    assert refused.code is Code.COUPON_BELOW_MINIMUM
    assert render(refused, "tr") == "Sepet tutarı kupon için yetersiz"
    assert value(cart_summary(uow, cart)).coupon_code is None


def test_a_cart_exactly_at_the_minimum_gets_the_coupon(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("BUYUK", CouponKind.PERCENT, 1000, min_cart_minor=5500))

    assert value(apply_coupon(uow, cart, "BUYUK")).new_total_minor == 4950


def test_a_coupon_whose_uses_are_spent_is_refused(uow, shelf, manager, store):
    coupon(uow, manager, CouponDraft("TEK", CouponKind.PERCENT, 1000, usage_limit=1))
    first, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, first, "TEK"))
    assert value(pay_cash(uow, first)).status is PaymentStatus.PAID
    assert coupon_row(store, "TEK").times_used == 1
    second, _, _ = two_line_cart(uow, shelf)

    refused = error(apply_coupon(uow, second, "TEK"))

    assert refused.code is Code.COUPON_LIMIT_REACHED
    assert render(refused, "tr") == "Kupon kullanım limiti dolmuş"
    assert value(cart_summary(uow, second)).coupon_code is None
    assert_coupon_invariant(store.engine)


# -- apply_coupon: what is not a code, or not a cart -----------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "A" * 10_240,
        "A" * 33,
        "\x00",
        "YAZ\x0010",
        "\n",
        "YAZ\n10",
        "\x1b[31m",
        "\x1b[31mYAZ10",
        "YAZ 10",
        "YAZ10;DROP",
        None,
        10,
        b"YAZ10",
        ["YAZ10"],
    ],
)
def test_something_that_is_not_a_coupon_code_changes_nothing(uow, shelf, manager, store, code):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    value(apply_coupon(uow, cart, "YAZ10"))
    before = (value(cart_summary(uow, cart)), stock_books(store.engine))

    refused = error(apply_coupon(uow, cart, code))

    assert refused.code is Code.COUPON_CODE_MALFORMED
    assert (value(cart_summary(uow, cart)), stock_books(store.engine)) == before
    assert value(cart_summary(uow, cart)).coupon_code == "YAZ10"


@pytest.mark.parametrize("cart", [424242, 0, -1, "1", None, 2**40])
def test_a_coupon_for_an_unknown_cart_is_refused(uow, manager, cart):
    coupon(uow, manager)

    assert error(apply_coupon(uow, cart, "YAZ10")).code is Code.CART_NOT_FOUND
    assert error(remove_coupon(uow, cart)).code is Code.CART_NOT_FOUND


def test_a_coupon_cannot_go_on_a_closed_sale(uow, shelf, manager, store):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    value(pay_cash(uow, cart))

    assert error(apply_coupon(uow, cart, "YAZ10")).code is Code.CART_NOT_OPEN
    assert error(remove_coupon(uow, cart)).code is Code.CART_NOT_OPEN
    assert coupon_row(store, "YAZ10").times_used == 0


def test_a_coupon_cannot_go_on_a_sale_whose_payment_is_in_flight(uow, shelf, manager, store):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    value(pay_by_card(uow, cart))

    assert error(apply_coupon(uow, cart, "YAZ10")).code is Code.CART_NOT_OPEN
    assert value(cart_summary(uow, cart)).coupon_code is None


# -- remove, replace, re-price -----------------------------------------------------------


def test_removing_the_coupon_brings_the_total_back_to_the_subtotal(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    value(apply_coupon(uow, cart, "YAZ10"))

    summary = value(remove_coupon(uow, cart))

    assert (summary.coupon_code, summary.quote.discount_minor, summary.total_minor) == (
        None,
        0,
        5500,
    )
    assert value(cart_summary(uow, cart)).total_minor == 5500


def test_removing_from_a_cart_without_a_coupon_is_harmless(uow, shelf):
    cart, _, _ = two_line_cart(uow, shelf)

    assert value(remove_coupon(uow, cart)).total_minor == 5500


def test_a_sale_takes_one_coupon_and_a_second_replaces_the_first(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    coupon(uow, manager, CouponDraft("BESLIRA", CouponKind.FIXED, 500))
    value(apply_coupon(uow, cart, "YAZ10"))

    applied = value(apply_coupon(uow, cart, "beslira"))

    assert applied.new_total_minor == 5000
    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_code, summary.quote.discount_minor) == ("BESLIRA", 500)


def test_a_refused_second_coupon_leaves_the_first_on_the_sale(uow, shelf, manager):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    coupon(uow, manager, CouponDraft("BUYUK", CouponKind.FIXED, 500, min_cart_minor=99_999))
    value(apply_coupon(uow, cart, "YAZ10"))

    assert error(apply_coupon(uow, cart, "BUYUK")).code is Code.COUPON_BELOW_MINIMUM
    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_code, summary.total_minor) == ("YAZ10", 4950)


def test_a_cart_that_drops_under_the_minimum_loses_the_discount_and_cannot_check_out(
    uow, shelf, manager, store
):
    cart, _, second = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("ELLI", CouponKind.PERCENT, 1000, min_cart_minor=5000))
    assert value(apply_coupon(uow, cart, "ELLI")).new_total_minor == 4950

    summary = value(remove_line(uow, cart, second))

    assert summary.coupon_code == "ELLI"
    assert summary.coupon_problem is Code.COUPON_BELOW_MINIMUM
    assert (summary.quote.discount_minor, summary.total_minor) == (0, 2500)
    before = (value(cart_summary(uow, cart)), stock_books(store.engine))

    refused = error(
        checkout(uow, cart, shown_total_minor=2500, tender=Cash(2500), idempotency_key="k-1")
    )

    assert render(refused, "tr") == "Sepet tutarı kupon için yetersiz"
    assert (value(cart_summary(uow, cart)), stock_books(store.engine)) == before
    assert before[0].status is CartStatus.OPEN
    assert (count(store, Order), count(store, Payment), count(store, CouponRedemption)) == (0, 0, 0)
    assert coupon_row(store, "ELLI").times_used == 0


def test_a_coupon_deactivated_after_it_was_applied_refuses_the_checkout(uow, shelf, manager, store):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    value(apply_coupon(uow, cart, "YAZ10"))
    # There is no service to edit a coupon yet, so the manager's switch is a direct UPDATE.
    with store.engine.begin() as connection:
        connection.execute(update(Coupon).where(Coupon.code == "YAZ10").values(active=False))
    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_problem, summary.total_minor) == (Code.COUPON_INVALID, 5500)

    refused = error(
        checkout(uow, cart, shown_total_minor=5500, tender=Cash(5500), idempotency_key="k-1")
    )

    assert render(refused, "tr") == "Kupon geçersiz"
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert (count(store, Order), count(store, CouponRedemption)) == (0, 0)
    assert coupon_row(store, "YAZ10").times_used == 0


def test_a_discounted_cash_sale_records_the_discount_on_the_order(uow, shelf, manager, store):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager)
    value(apply_coupon(uow, cart, "YAZ10"))

    sale = value(pay_cash(uow, cart))

    assert sale.total_minor == 4950
    with store.engine.connect() as connection:
        order = connection.execute(select(Order)).one()
    assert (order.subtotal_minor, order.discount_minor, order.total_minor) == (5500, 550, 4950)
    assert order.coupon_code == "YAZ10"
    assert redemptions(store) == [(str(sale.order_id), RedemptionState.CONFIRMED)]
    assert coupon_row(store, "YAZ10").times_used == 1
    assert_invariants(store.engine)


# -- a redemption's life ------------------------------------------------------------------


def test_a_redemption_is_held_at_checkout_released_on_failure_and_confirmed_when_paid(
    uow, shelf, manager, store
):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("TEK", CouponKind.PERCENT, 1000, usage_limit=1))
    value(apply_coupon(uow, cart, "TEK"))

    first = value(pay_by_card(uow, cart))
    assert first.total_minor == 4950
    assert redemptions(store) == [(str(first.order_id), RedemptionState.HELD)]
    assert coupon_row(store, "TEK").times_used == 1
    assert_coupon_invariant(store.engine)

    value(mark_failed(uow, first.payment_id))
    assert redemptions(store) == [(str(first.order_id), RedemptionState.RELEASED)]
    assert coupon_row(store, "TEK").times_used == 0
    assert_coupon_invariant(store.engine)
    # The cart keeps its coupon, and with the use given back it discounts again.
    summary = value(cart_summary(uow, cart))
    assert (summary.coupon_code, summary.coupon_problem, summary.total_minor) == (
        "TEK",
        None,
        4950,
    )

    second = value(pay_by_card(uow, cart))
    assert second.order_id != first.order_id
    assert redemptions(store) == [
        (str(first.order_id), RedemptionState.RELEASED),
        (str(second.order_id), RedemptionState.HELD),
    ]
    assert coupon_row(store, "TEK").times_used == 1
    assert_coupon_invariant(store.engine)

    value(mark_paid(uow, second.payment_id))
    assert redemptions(store) == [
        (str(first.order_id), RedemptionState.RELEASED),
        (str(second.order_id), RedemptionState.CONFIRMED),
    ]
    assert coupon_row(store, "TEK").times_used == 1
    assert_invariants(store.engine)


def test_a_held_use_counts_against_the_limit_for_other_carts(uow, shelf, manager, store):
    coupon(uow, manager, CouponDraft("TEK", CouponKind.PERCENT, 1000, usage_limit=1))
    first, _, _ = two_line_cart(uow, shelf)
    value(apply_coupon(uow, first, "TEK"))
    value(pay_by_card(uow, first))
    second, _, _ = two_line_cart(uow, shelf)

    assert render(error(apply_coupon(uow, second, "TEK")), "tr") == "Kupon kullanım limiti dolmuş"
    # The sale whose payment is in flight still shows its discount: it holds the use.
    assert value(cart_summary(uow, first)).total_minor == 4950


def test_voiding_after_a_failed_payment_leaves_the_use_released(uow, shelf, manager, store):
    cart, _, _ = two_line_cart(uow, shelf)
    coupon(uow, manager, CouponDraft("TEK", CouponKind.PERCENT, 1000, usage_limit=1))
    value(apply_coupon(uow, cart, "TEK"))
    sale = value(pay_by_card(uow, cart))
    value(mark_failed(uow, sale.payment_id))

    value(void_sale(uow, cart))

    assert redemptions(store) == [(str(sale.order_id), RedemptionState.RELEASED)]
    assert coupon_row(store, "TEK").times_used == 0
    assert_invariants(store.engine)
    other, _, _ = two_line_cart(uow, shelf)
    assert value(apply_coupon(uow, other, "TEK")).new_total_minor == 4950
