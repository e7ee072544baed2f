"""The rule by which a line's own discount, a coupon and the tax combine
(``pos.domain.discounts``), and how a typed discount is read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.coupons import CouponKind, CouponTerms, discount_for
from pos.domain.discounts import (
    DiscountKind,
    LineDiscount,
    over_limit,
    read_discount,
    read_reason,
    read_scaled,
)
from pos.domain.messages import MESSAGES
from pos.domain.pricing import PriceLine, line_amounts_paid, quote, round_half_up
from pos.domain.results import Code

TAX_RATES = st.sampled_from([0, 100, 1000, 2000])


@st.composite
def discounted_lines(draw: st.DrawFn) -> list[tuple[PriceLine, LineDiscount | None]]:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        price = draw(st.integers(0, 5_000_00))
        quantity = draw(st.integers(1, 20))
        gross = price * quantity
        discount = draw(
            st.one_of(
                st.none(),
                st.builds(
                    LineDiscount,
                    st.just(DiscountKind.PERCENT),
                    st.integers(1, 10_000),
                    st.just("r"),
                ),
                st.builds(
                    LineDiscount,
                    st.just(DiscountKind.AMOUNT),
                    st.integers(1, max(gross, 1)),
                    st.just("r"),
                ),
            )
        )
        off = discount.amount_for(gross) if discount else 0
        lines.append(
            (PriceLine(price, quantity, draw(TAX_RATES), line_discount_minor=off), discount)
        )
    return lines


@given(discounted_lines(), st.integers(0, 10_000_00), st.booleans())
def test_lines_first_then_the_coupon_then_the_tax_add_up_and_never_go_negative(
    lines, coupon, include
):
    priced = quote([line for line, _ in lines], discount_minor=coupon, prices_include_tax=include)

    for (line, _), result in zip(lines, priced.lines, strict=True):
        assert 0 <= result.line_discount_minor <= result.discount_minor <= result.gross_minor
        assert result.total_minor == result.gross_minor - result.discount_minor >= 0
        assert result.line_discount_minor == line.line_discount_minor
    lines_total = sum(line.total_minor for line in priced.lines)
    assert priced.total_minor == lines_total + (0 if include else priced.tax_minor)
    assert priced.line_discount_minor == sum(line.line_discount_minor for line, _ in lines)
    # The coupon sees what the lines come to after their own discounts, never more.
    left = priced.subtotal_minor - priced.line_discount_minor
    assert priced.coupon_discount_minor == min(coupon, left)
    # The tax is computed on what is left after both: the same sale priced at its lines'
    # totals, with no discount at all, has the same tax.
    again = quote(
        [PriceLine(line.total_minor, 1, line.tax_rate_bp) for line in priced.lines],
        prices_include_tax=include,
    )
    assert (again.tax_minor, again.taxes) == (priced.tax_minor, priced.taxes)
    # A return of every line pays back the sale's total exactly, no more.
    paid = line_amounts_paid(
        [(line.total_minor, line.tax_rate_bp) for line in priced.lines],
        prices_include_tax=include,
    )
    assert sum(paid) == priced.total_minor


@given(st.integers(0, 10_000_00), st.integers(1, 10_000))
def test_a_percentage_is_rounded_once_half_up_and_never_takes_more_than_the_line(gross, bp):
    off = LineDiscount(DiscountKind.PERCENT, bp, "r").amount_for(gross)

    assert off == round_half_up(gross * bp, 10_000)
    assert 0 <= off <= gross
    assert LineDiscount(DiscountKind.PERCENT, 10_000, "r").amount_for(gross) == gross


def test_a_percentage_coupon_is_a_share_of_what_the_lines_left():
    terms = CouponTerms("ON", CouponKind.PERCENT, 1000)
    lines = [PriceLine(100_00, 1, 2000, line_discount_minor=20_00), PriceLine(50_00, 1, 1000)]
    left = 130_00

    priced = quote(lines, discount_minor=discount_for(terms, left))

    assert (priced.line_discount_minor, priced.coupon_discount_minor) == (20_00, 13_00)
    assert priced.total_minor == 117_00
    assert [line.total_minor for line in priced.lines] == [72_00, 45_00]


def test_a_line_discount_outside_the_line_is_a_fault_of_the_caller():
    with pytest.raises(ValueError, match="own discount"):
        quote([PriceLine(10_00, 1, 0, line_discount_minor=10_01)])
    with pytest.raises(ValueError, match="own discount"):
        quote([PriceLine(10_00, 1, 0, line_discount_minor=-1)])


@pytest.mark.parametrize(
    ("typed", "digits", "read"),
    [
        ("12,5", 2, 1250),
        ("12.50", 2, 1250),
        (" 7 ", 2, 700),
        (Decimal("0.01"), 2, 1),
        (3, 2, 300),
        ("0", 2, Code.DISCOUNT_NOT_POSITIVE),
        ("-1", 2, Code.DISCOUNT_NOT_POSITIVE),
        ("1e3", 2, 100_000),
        ("NaN", 2, Code.DISCOUNT_NOT_POSITIVE),
        ("Infinity", 2, Code.DISCOUNT_NOT_POSITIVE),
        ("", 2, Code.DISCOUNT_NOT_POSITIVE),
        ("1\x1b", 2, Code.DISCOUNT_NOT_POSITIVE),
        (True, 2, Code.DISCOUNT_NOT_POSITIVE),
        (None, 2, Code.DISCOUNT_NOT_POSITIVE),
        ("0,001", 2, Code.DISCOUNT_FRACTIONAL),
        ("1,5", 0, Code.DISCOUNT_FRACTIONAL),
    ],
)
def test_a_typed_value_is_read_exactly_or_refused(typed, digits, read):
    assert read_scaled(typed, digits) == read


@given(st.text(max_size=60))
def test_a_reason_that_reaches_the_printer_never_holds_a_control_character(text):
    reason = read_reason(text)

    if isinstance(reason, str):
        assert reason.isprintable()
        assert 0 < len(reason) <= 40
    else:
        assert reason in {Code.DISCOUNT_NEEDS_REASON, Code.DISCOUNT_REASON_UNPRINTABLE}


def test_the_limit_reads_a_percentage_by_itself_and_an_amount_by_its_share():
    tenth = LineDiscount(DiscountKind.PERCENT, 1000, "r")
    over = LineDiscount(DiscountKind.PERCENT, 1001, "r")
    amount = LineDiscount(DiscountKind.AMOUNT, 2_50, "r")

    assert not over_limit(tenth, 25_00, 1000)
    assert over_limit(over, 25_00, 1000)
    assert not over_limit(amount, 25_00, 1000)
    assert over_limit(amount, 24_99, 1000)
    assert not over_limit(over, 25_00, None)
    assert over_limit(LineDiscount(DiscountKind.AMOUNT, 1, "r"), 25_00, 0)


def test_the_first_fault_is_named_with_the_line_it_was_for():
    assert read_discount("amount", "30", "r", gross_minor=25_00, minor_digits=2) == (
        Code.DISCOUNT_OVER_LINE,
        25_00,
    )
    assert read_discount("percent", "10", "Hasarlı", gross_minor=25_00, minor_digits=2) == (
        LineDiscount(DiscountKind.PERCENT, 1000, "Hasarlı")
    )


def test_every_discount_message_is_in_turkish_and_english():
    for code in Code:
        if code.name.startswith(("DISCOUNT_", "INVALID_DISCOUNT")):
            assert MESSAGES[code]["tr"]
            assert MESSAGES[code]["en"]
