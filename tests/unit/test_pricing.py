"""The pure rules of a sale: prices and tax, coupons, and the payment state machine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.coupons import (
    MAX_CODE_LENGTH,
    CouponKind,
    CouponTerms,
    clean_coupon_code,
    coupon_problem,
    discount_for,
    has_uses_left,
    terms_problem,
    usable_now,
)
from pos.domain.messages import MESSAGES, render
from pos.domain.money import MAX_PRICE_MINOR, Money
from pos.domain.payments import TRANSITIONS, PaymentStatus, can_move, sources_of
from pos.domain.pricing import (
    PriceLine,
    TaxLine,
    allocate,
    line_amounts_paid,
    quote,
    round_half_up,
)
from pos.domain.results import Code, Err

# -- strategies ---------------------------------------------------------------------

TAX_RATES = st.one_of(st.sampled_from([0, 100, 1000, 2000]), st.integers(0, 10_000))
UNIT_PRICES = st.one_of(st.integers(0, 1_000), st.integers(0, MAX_PRICE_MINOR))
QUANTITIES = st.one_of(st.integers(0, 1_000), st.integers(1, 1_000_000))
PRICE_LINES = st.builds(
    PriceLine, unit_price_minor=UNIT_PRICES, quantity=QUANTITIES, tax_rate_bp=TAX_RATES
)
BOTH_MODES = pytest.mark.parametrize("prices_include_tax", [True, False])


@st.composite
def sales(draw):
    """Lines and a coupon discount: within the subtotal most of the time, sometimes over it."""
    lines = draw(st.lists(PRICE_LINES, max_size=10))
    subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    discount = draw(
        st.one_of(
            st.integers(0, subtotal),
            st.just(subtotal),
            st.integers(subtotal + 1, 2 * subtotal + 1_000_000),
        )
    )
    return lines, discount


def _half_up(exact: Fraction) -> int:
    """The nearest integer to a non-negative fraction, halves up: an oracle apart from the code."""
    assert exact >= 0
    return int(exact + Fraction(1, 2))  # int() truncates, which is floor here


# -- pricing: properties ------------------------------------------------------------


@BOTH_MODES
@given(sale=sales())
def test_the_customer_pays_the_line_totals_plus_any_tax_added_on_top(sale, prices_include_tax):
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)

    lines_total = sum(line.total_minor for line in q.lines)
    if prices_include_tax:
        assert q.total_minor == lines_total
    else:
        assert q.total_minor == lines_total + q.tax_minor
    assert q.prices_include_tax is prices_include_tax


@BOTH_MODES
@given(sale=sales())
def test_each_line_is_price_times_quantity_and_the_discount_is_capped_at_the_subtotal(
    sale, prices_include_tax
):
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)

    expected_subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    assert q.subtotal_minor == expected_subtotal
    assert [(p.unit_price_minor, p.quantity, p.tax_rate_bp, p.gross_minor) for p in q.lines] == [
        (
            line.unit_price_minor,
            line.quantity,
            line.tax_rate_bp,
            line.unit_price_minor * line.quantity,
        )
        for line in lines
    ]
    assert q.discount_minor == min(discount, expected_subtotal)
    assert q.discount_minor <= q.subtotal_minor
    assert sum(p.total_minor for p in q.lines) == q.subtotal_minor - q.discount_minor


@BOTH_MODES
@given(sale=sales())
def test_the_coupon_discount_is_spread_over_the_lines_exactly(sale, prices_include_tax):
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)

    assert sum(p.discount_minor for p in q.lines) == q.discount_minor
    for p in q.lines:
        assert p.discount_minor <= p.gross_minor
        assert p.total_minor == p.gross_minor - p.discount_minor


@BOTH_MODES
@given(sale=sales())
def test_the_tax_is_shown_once_per_rate_and_the_rates_add_up_to_the_tax(sale, prices_include_tax):
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)

    rates = [t.rate_bp for t in q.taxes]
    assert len(rates) == len(set(rates))
    assert set(rates) == {line.tax_rate_bp for line in lines}
    assert sum(t.tax_minor for t in q.taxes) == q.tax_minor


@BOTH_MODES
@given(sale=sales())
def test_each_rate_is_charged_on_exactly_its_own_lines(sale, prices_include_tax):
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)

    for t in q.taxes:
        at_rate = sum(p.total_minor for p in q.lines if p.tax_rate_bp == t.rate_bp)
        if prices_include_tax:
            assert t.base_minor + t.tax_minor == at_rate
            expected = _half_up(Fraction(at_rate * t.rate_bp, 10_000 + t.rate_bp))
        else:
            assert t.base_minor == at_rate
            expected = _half_up(Fraction(at_rate * t.rate_bp, 10_000))
        assert t.tax_minor == expected, (t, at_rate)


@BOTH_MODES
@given(sale=sales())
def test_what_each_line_cost_adds_up_to_what_the_customer_paid(sale, prices_include_tax):
    """A return pays back a line's share of these: all of them are the sale's total."""
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)
    stored = [(line.total_minor, line.tax_rate_bp) for line in q.lines]

    paid = line_amounts_paid(stored, prices_include_tax=prices_include_tax)

    assert sum(paid) == q.total_minor
    if prices_include_tax:
        assert list(paid) == [line.total_minor for line in q.lines]
        return
    for tax in q.taxes:
        at_rate = [(a - t, t) for a, (t, r) in zip(paid, stored, strict=True) if r == tax.rate_bp]
        assert sum(share for share, _ in at_rate) == tax.tax_minor
        for share, base in at_rate:  # the rate's tax in proportion, within a kuruş
            assert share >= 0
            assert abs(share - Fraction(tax.tax_minor * base, tax.base_minor or 1)) < 1


def test_a_rates_tax_on_top_is_spread_over_its_lines_in_proportion():
    # 3,33 and 6,67 at 20 %: 2,00 of tax on 10,00, shared 0,67 and 1,33 (0,666 and 1,334).
    stored = [(333, 2_000), (667, 2_000), (1_000, 100)]
    assert line_amounts_paid(stored, prices_include_tax=False) == (400, 800, 1_010)
    assert line_amounts_paid(stored, prices_include_tax=True) == (333, 667, 1_000)


@BOTH_MODES
@given(sale=sales())
def test_nothing_on_a_quote_is_ever_negative(sale, prices_include_tax):
    lines, discount = sale
    q = quote(lines, discount_minor=discount, prices_include_tax=prices_include_tax)

    for p in q.lines:
        assert min(p.gross_minor, p.discount_minor, p.total_minor) >= 0, p
    for t in q.taxes:
        assert min(t.rate_bp, t.base_minor, t.tax_minor) >= 0, t
    assert min(q.subtotal_minor, q.discount_minor, q.tax_minor, q.total_minor) >= 0


@given(sale=sales())
def test_tax_inclusive_prices_never_charge_more_than_the_shelf_says(sale):
    lines, discount = sale
    q = quote(lines, discount_minor=discount)

    assert q.total_minor == q.subtotal_minor - q.discount_minor
    assert q.tax_minor <= q.total_minor


# -- allocate: properties -----------------------------------------------------------

WEIGHTS = st.lists(st.integers(0, 10**12), min_size=1, max_size=20).filter(lambda w: sum(w) > 0)


@st.composite
def splits(draw):
    weights = draw(WEIGHTS)
    amount = draw(st.one_of(st.integers(0, sum(weights)), st.integers(0, 3 * sum(weights))))
    return amount, weights


@given(split=splits())
def test_allocated_shares_add_up_to_the_amount_exactly(split):
    amount, weights = split
    shares = allocate(amount, weights)

    assert len(shares) == len(weights)
    assert sum(shares) == amount


@given(split=splits())
def test_each_allocated_share_is_within_one_unit_of_its_exact_part(split):
    amount, weights = split
    shares = allocate(amount, weights)

    total = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(amount * weight, total)
        assert abs(share - exact) < 1, (share, exact)
        assert share >= 0


@given(split=splits())
def test_no_share_exceeds_its_weight_when_the_amount_fits(split):
    amount, weights = split
    if amount > sum(weights):
        amount = sum(weights)
    shares = allocate(amount, weights)

    for share, weight in zip(shares, weights, strict=True):
        assert share <= weight


@given(split=splits())
def test_the_left_over_units_go_to_the_largest_remainders_earlier_lines_first(split):
    amount, weights = split
    shares = allocate(amount, weights)

    total = sum(weights)
    exact = [Fraction(amount * w, total) for w in weights]
    rounded_up = [i for i, s in enumerate(shares) if s > exact[i]]
    rounded_down = [i for i, s in enumerate(shares) if s <= exact[i]]
    for up, down in itertools.product(rounded_up, rounded_down):
        up_part, down_part = exact[up] % 1, exact[down] % 1
        assert up_part > down_part or (up_part == down_part and up < down), (up, down)


@pytest.mark.parametrize(
    ("amount", "weights"),
    [(-1, [1, 2]), (1, [3, -1]), (1, [0, 0]), (1, [])],
    ids=["negative amount", "negative weight", "nothing to spread over", "no weights"],
)
def test_allocating_an_impossible_split_is_refused(amount, weights):
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not the behaviour
        allocate(amount, weights)


def test_allocating_nothing_over_nothing_gives_nothing():
    assert allocate(0, [0, 0, 0]) == (0, 0, 0)
    assert allocate(0, []) == ()


# -- round_half_up ------------------------------------------------------------------


@given(numerator=st.integers(-(10**18), 10**18), denominator=st.integers(1, 10**6))
def test_rounding_matches_decimal_round_half_up(numerator, denominator):
    with localcontext() as context:
        context.prec = 60
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    assert round_half_up(numerator, denominator) == int(expected)


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounded"),
    [(5, 2, 3), (-5, 2, -3), (25, 10, 3), (24, 10, 2), (15, 10, 2), (-15, 10, -2), (0, 7, 0)],
)
def test_halves_round_away_from_zero_not_to_even(numerator, denominator, rounded):
    assert round_half_up(numerator, denominator) == rounded


@pytest.mark.parametrize("denominator", [0, -1])
def test_rounding_by_a_non_positive_denominator_is_refused(denominator):
    with pytest.raises(ValueError, match="denominator"):
        round_half_up(1, denominator)


# -- pricing: worked examples -------------------------------------------------------


def test_three_items_at_ten_lira_with_twenty_percent_kdv_included():
    q = quote([PriceLine(unit_price_minor=10_00, quantity=3, tax_rate_bp=2000)])

    assert q.subtotal_minor == 30_00
    assert q.total_minor == 30_00  # the shelf price is what the customer pays
    assert q.taxes == (TaxLine(rate_bp=2000, base_minor=25_00, tax_minor=5_00),)  # 30,00 * 20/120
    assert q.tax_minor == 5_00


def test_bread_and_a_drink_with_a_ten_percent_coupon():
    bread = PriceLine(unit_price_minor=8_75, quantity=3, tax_rate_bp=100)  # 26,25 at 1 %
    drink = PriceLine(unit_price_minor=12_50, quantity=2, tax_rate_bp=2000)  # 25,00 at 20 %
    coupon = CouponTerms(code="INDIRIM10", kind=CouponKind.PERCENT, value=1000)

    discount = discount_for(coupon, 51_25)
    q = quote([bread, drink], discount_minor=discount)

    assert discount == 5_13  # 10 % of 51,25 is 5,125: half a kuruş rounds up
    assert q.subtotal_minor == 51_25
    assert q.discount_minor == 5_13
    # 5,13 over 26,25 and 25,00 is 2,6276 and 2,4424: the odd kuruş goes to the bread.
    assert [p.discount_minor for p in q.lines] == [2_63, 2_50]
    assert [p.total_minor for p in q.lines] == [23_62, 22_50]
    assert q.taxes == (
        TaxLine(rate_bp=100, base_minor=23_39, tax_minor=23),  # 23,62 * 1/101 = 0,2339 → 0,23
        TaxLine(rate_bp=2000, base_minor=18_75, tax_minor=3_75),  # 22,50 * 20/120
    )
    assert q.tax_minor == 3_98
    assert q.total_minor == 46_12


def test_tax_exclusive_hundred_lira_at_twenty_percent_costs_a_hundred_and_twenty():
    q = quote(
        [PriceLine(unit_price_minor=100_00, quantity=1, tax_rate_bp=2000)],
        prices_include_tax=False,
    )

    assert q.taxes == (TaxLine(rate_bp=2000, base_minor=100_00, tax_minor=20_00),)
    assert q.tax_minor == 20_00
    assert q.total_minor == 120_00


def test_tax_exclusive_half_a_kurus_of_tax_rounds_up():
    q = quote(
        [PriceLine(unit_price_minor=25, quantity=1, tax_rate_bp=1000)], prices_include_tax=False
    )

    assert q.tax_minor == 3  # 0,25 * 10 % = 0,025
    assert q.total_minor == 28


def test_tax_inclusive_half_a_kurus_of_tax_rounds_up():
    q = quote([PriceLine(unit_price_minor=15, quantity=1, tax_rate_bp=2000)])

    assert q.taxes == (TaxLine(rate_bp=2000, base_minor=12, tax_minor=3),)  # 0,15/6 = 0,025


def test_tax_is_rounded_once_per_rate_not_once_per_line():
    seven_kurus = PriceLine(unit_price_minor=7, quantity=1, tax_rate_bp=2000)
    q = quote([seven_kurus, seven_kurus, seven_kurus])

    # Line by line it would be 3 * round(7/6) = 3; on the rate's 21 kuruş it is 3,5 → 4.
    assert q.tax_minor == 4
    assert q.taxes == (TaxLine(rate_bp=2000, base_minor=17, tax_minor=4),)


def test_the_tax_lines_are_listed_by_rate():
    q = quote(
        [
            PriceLine(unit_price_minor=100, quantity=1, tax_rate_bp=2000),
            PriceLine(unit_price_minor=100, quantity=1, tax_rate_bp=0),
            PriceLine(unit_price_minor=100, quantity=1, tax_rate_bp=100),
            PriceLine(unit_price_minor=100, quantity=1, tax_rate_bp=2000),
        ]
    )

    assert [t.rate_bp for t in q.taxes] == [0, 100, 2000]
    assert q.taxes[0] == TaxLine(rate_bp=0, base_minor=100, tax_minor=0)


def test_a_coupon_larger_than_the_sale_makes_it_free_and_tax_free():
    q = quote(
        [
            PriceLine(unit_price_minor=10_00, quantity=1, tax_rate_bp=2000),
            PriceLine(unit_price_minor=5_00, quantity=2, tax_rate_bp=100),
        ],
        discount_minor=50_00,
        prices_include_tax=False,
    )

    assert q.discount_minor == 20_00
    assert [p.discount_minor for p in q.lines] == [10_00, 10_00]
    assert q.tax_minor == 0
    assert q.total_minor == 0


def test_a_negative_discount_is_no_discount():
    q = quote([PriceLine(unit_price_minor=10_00, quantity=1, tax_rate_bp=2000)], discount_minor=-5)

    assert q.discount_minor == 0
    assert q.total_minor == 10_00


def test_an_empty_sale_costs_nothing():
    q = quote([], discount_minor=10_00)

    assert q.lines == ()
    assert q.taxes == ()
    assert (q.subtotal_minor, q.discount_minor, q.tax_minor, q.total_minor) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "line",
    [
        PriceLine(unit_price_minor=-1, quantity=1, tax_rate_bp=0),
        PriceLine(unit_price_minor=1, quantity=-1, tax_rate_bp=0),
        PriceLine(unit_price_minor=1, quantity=1, tax_rate_bp=-1),
        PriceLine(unit_price_minor=1, quantity=1, tax_rate_bp=10_001),
    ],
    ids=["negative price", "negative quantity", "negative rate", "rate over 100 %"],
)
def test_a_line_with_a_negative_price_or_impossible_rate_cannot_be_priced(line):
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not the behaviour
        quote([line])


def test_a_hundred_kurus_over_three_equal_lines_gives_the_extra_kurus_to_the_first():
    assert allocate(100, [1, 1, 1]) == (34, 33, 33)


def test_ties_for_left_over_units_go_to_the_earlier_lines():
    assert allocate(2, [1, 1, 1]) == (1, 1, 0)
    assert allocate(1, [5, 5]) == (1, 0)


def test_the_left_over_unit_goes_to_the_largest_remainder_not_the_first_line():
    # 10 over [1, 2] is 3,33 and 6,67: the unit left over belongs to the second line.
    assert allocate(10, [1, 2]) == (3, 7)


def test_a_line_worth_nothing_gets_no_share_of_the_discount():
    assert allocate(7, [0, 3, 0, 4]) == (0, 3, 0, 4)


# -- coupons: codes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("  indirim10 ", "INDIRIM10"),
        ("İndirim", "INDIRIM"),
        ("ındırım", "INDIRIM"),
        ("İNDİRİM", "INDIRIM"),
        ("indirim", "INDIRIM"),
        ("i\u0307ndi\u0307ri\u0307m", "INDIRIM"),  # "İNDİRİM".lower(): i + combining dot
        ("yaz-2026_a", "YAZ-2026_A"),
        ("7", "7"),
        ("A" * MAX_CODE_LENGTH, "A" * MAX_CODE_LENGTH),
    ],
)
def test_a_typed_coupon_code_is_trimmed_and_upper_cased_the_turkish_way(typed, code):
    assert clean_coupon_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "x" * 10_000,
        "A" * (MAX_CODE_LENGTH + 1),
        "\x00",
        "\n",
        "\t",
        "IND\x00RIM",
        "IND\nRIM",
        "IND\tRIM",
        "INDIRIM 10",
        "🎉",
        "INDIRIM🎉",
        "-INDIRIM",
        "_INDIRIM",
        "İNDİRİM%",
        "ÇAY",
        None,
        10,
        True,
        b"INDIRIM",
        ["INDIRIM"],
    ],
)
def test_anything_that_is_not_a_coupon_code_is_refused(typed):
    assert clean_coupon_code(typed) is None


# -- coupons: terms a manager defines -----------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _percent(value=1000, **terms):
    return CouponTerms(code="INDIRIM", kind=CouponKind.PERCENT, value=value, **terms)


def _fixed(value=10_00, **terms):
    return CouponTerms(code="INDIRIM", kind=CouponKind.FIXED, value=value, **terms)


@pytest.mark.parametrize(
    "terms",
    [
        _percent(1),
        _percent(10_000),
        _fixed(1),
        _percent(1000, min_cart_minor=0, cap_minor=1, usage_limit=0),
        _fixed(5_00, valid_from=NOW, valid_to=NOW + timedelta(seconds=1)),
        _fixed(5_00, valid_from=NOW),
        _fixed(5_00, valid_to=NOW),
    ],
)
def test_sensible_coupon_terms_are_accepted(terms):
    assert terms_problem(terms) is None


@pytest.mark.parametrize(
    "terms",
    [
        _percent(0),
        _percent(-1),
        _percent(10_001),
        _fixed(0),
        _fixed(-1),
        _percent(min_cart_minor=-1),
        _fixed(min_cart_minor=-1),
        _percent(cap_minor=0),
        _percent(cap_minor=-1),
        _percent(usage_limit=-1),
        _fixed(cap_minor=10_00),
    ],
    ids=[
        "percent 0",
        "percent negative",
        "percent over 100",
        "fixed 0",
        "fixed negative",
        "percent negative minimum",
        "fixed negative minimum",
        "cap 0",
        "cap negative",
        "negative usage limit",
        "cap on a fixed amount",
    ],
)
def test_a_coupon_worth_nothing_or_impossible_is_refused(terms):
    assert terms_problem(terms) is Code.INVALID_COUPON_VALUE


@pytest.mark.parametrize("valid_to", [NOW, NOW - timedelta(days=1)], ids=["same", "before"])
def test_a_coupon_must_end_after_it_starts(valid_to):
    assert terms_problem(_percent(valid_from=NOW, valid_to=valid_to)) is Code.INVALID_COUPON_DATES


# -- coupons: applying one to a cart ------------------------------------------------


def test_a_good_coupon_applies():
    assert coupon_problem(_percent(min_cart_minor=50_00, usage_limit=3), 50_00, NOW) is None


def test_an_inactive_coupon_is_invalid():
    assert coupon_problem(_percent(active=False), 100_00, NOW) is Code.COUPON_INVALID
    assert not usable_now(_percent(active=False), NOW)


def test_a_coupon_is_invalid_before_it_starts_and_valid_from_its_first_instant():
    terms = _percent(valid_from=NOW)

    assert coupon_problem(terms, 100_00, NOW - timedelta(microseconds=1)) is Code.COUPON_INVALID
    assert coupon_problem(terms, 100_00, NOW) is None


def test_a_coupon_stops_working_at_its_end_instant():
    terms = _percent(valid_to=NOW)

    assert coupon_problem(terms, 100_00, NOW - timedelta(microseconds=1)) is None
    assert coupon_problem(terms, 100_00, NOW) is Code.COUPON_INVALID
    assert coupon_problem(terms, 100_00, NOW + timedelta(days=1)) is Code.COUPON_INVALID


def test_a_cart_below_the_minimum_cannot_take_the_coupon():
    terms = _percent(min_cart_minor=50_00)

    assert coupon_problem(terms, 49_99, NOW) is Code.COUPON_BELOW_MINIMUM
    assert coupon_problem(terms, 50_00, NOW) is None


def test_a_coupon_used_up_to_its_limit_is_refused():
    assert coupon_problem(_percent(usage_limit=3, times_used=3), 100_00, NOW) is (
        Code.COUPON_LIMIT_REACHED
    )
    assert coupon_problem(_percent(usage_limit=3, times_used=2), 100_00, NOW) is None
    assert not has_uses_left(_percent(usage_limit=0))


def test_a_coupon_without_a_limit_never_runs_out():
    terms = _percent(usage_limit=None, times_used=1_000_000)

    assert has_uses_left(terms)
    assert coupon_problem(terms, 100_00, NOW) is None


def test_an_unusable_coupon_is_reported_as_invalid_before_anything_else():
    terms = _percent(active=False, min_cart_minor=50_00, usage_limit=1, times_used=1)

    assert coupon_problem(terms, 10_00, NOW) is Code.COUPON_INVALID


def test_a_small_cart_is_reported_before_a_used_up_coupon():
    terms = _percent(min_cart_minor=50_00, usage_limit=1, times_used=1)

    assert coupon_problem(terms, 10_00, NOW) is Code.COUPON_BELOW_MINIMUM


# -- coupons: what they take off ----------------------------------------------------


@pytest.mark.parametrize(
    ("percent_bp", "subtotal", "discount"),
    [
        (1000, 100_00, 10_00),
        (1000, 51_25, 5_13),  # 5,125 → 5,13
        (1000, 51_24, 5_12),  # 5,124 → 5,12
        (1250, 4, 1),  # 0,005 → 0,01
        (10_000, 37_99, 37_99),
        (1, 1, 0),
    ],
)
def test_a_percent_coupon_takes_its_share_rounded_half_up(percent_bp, subtotal, discount):
    assert discount_for(_percent(percent_bp), subtotal) == discount


def test_a_percent_coupon_never_takes_more_than_its_cap():
    terms = _percent(1000, cap_minor=50_00)

    assert discount_for(terms, 1_000_00) == 50_00
    assert discount_for(terms, 100_00) == 10_00  # under the cap: the plain 10 %


def test_a_fixed_coupon_takes_its_amount_but_never_more_than_the_cart():
    assert discount_for(_fixed(10_00), 30_00) == 10_00
    assert discount_for(_fixed(50_00), 30_00) == 30_00


@pytest.mark.parametrize("terms", [_percent(1000), _fixed(10_00)])
def test_a_coupon_takes_nothing_off_an_empty_cart(terms):
    assert discount_for(terms, 0) == 0


@given(
    subtotal=st.integers(0, 10**13),
    value=st.integers(1, 10_000),
    cap=st.one_of(st.none(), st.integers(1, 10**9)),
)
def test_a_percent_coupon_is_its_rounded_share_within_the_cap_and_the_cart(subtotal, value, cap):
    discount = discount_for(_percent(value, cap_minor=cap), subtotal)

    expected = _half_up(Fraction(subtotal * value, 10_000))
    if cap is not None:
        expected = min(expected, cap)
    assert discount == expected
    assert 0 <= discount <= subtotal


# -- payments -----------------------------------------------------------------------

S = PaymentStatus
ALLOWED_MOVES = {
    (S.INITIATED, S.PENDING),
    (S.INITIATED, S.PAID),
    (S.INITIATED, S.FAILED),
    (S.INITIATED, S.CANCELLED),
    (S.PENDING, S.PAID),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.CANCELLED),
    (S.PAID, S.REFUNDED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_a_payment_moves_only_along_the_documented_machine(current, target):
    assert can_move(current, target) is ((current, target) in ALLOWED_MOVES)


def test_every_payment_status_has_an_entry_in_the_machine():
    assert set(TRANSITIONS) == set(S)


def test_a_payment_becomes_paid_only_from_initiated_or_pending():
    assert sources_of(S.PAID) == {S.INITIATED, S.PENDING}
    assert sources_of(S.REFUNDED) == {S.PAID}
    assert sources_of(S.INITIATED) == frozenset()


def test_a_late_failure_never_undoes_a_paid_payment():
    assert not can_move(S.PAID, S.FAILED)
    assert not can_move(S.PAID, S.CANCELLED)
    assert S.PAID not in sources_of(S.FAILED)


@pytest.mark.parametrize("status", [S.FAILED, S.CANCELLED, S.REFUNDED])
def test_failed_cancelled_and_refunded_payments_are_final(status):
    assert not any(can_move(status, target) for target in S)


# -- messages of the sale -----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (Code.COUPON_INVALID, "Kupon geçersiz"),
        (Code.COUPON_BELOW_MINIMUM, "Sepet tutarı kupon için yetersiz"),
        (Code.COUPON_LIMIT_REACHED, "Kupon kullanım limiti dolmuş"),
        (Code.PRICE_CHANGED, "Fiyat veya stok değişti, lütfen tekrar kontrol et"),
        (Code.OUT_OF_STOCK_AT_CHECKOUT, "Stok yetersiz: {name}"),
        (Code.PAYMENT_FAILED, "Ödeme başarısız"),
        (Code.PAYMENT_COMPLETED, "Ödeme tamamlandı"),
    ],
)
def test_the_seed_texts_of_a_sale_are_kept_exactly(code, text):
    assert MESSAGES[code]["tr"] == text


def test_a_product_out_of_stock_at_checkout_is_named():
    assert render(Err(Code.OUT_OF_STOCK_AT_CHECKOUT, {"name": "Çay 1 kg"})) == (
        "Stok yetersiz: Çay 1 kg"
    )


def test_a_money_parameter_is_written_as_money_in_each_language():
    short = Err(Code.CASH_SHORT, {"total": Money(1_234_56, "TRY")})

    assert render(short, "tr") == "Verilen tutar yetersiz - toplam: ₺1.234,56"
    english = render(short, "en")
    assert english.startswith("Not enough cash given - total: ")
    assert "1,234.56" in english
    assert "123456" not in english
    assert "Money" not in english
