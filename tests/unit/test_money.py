"""Cash at the till: the amounts offered on the quick-cash keys."""

from __future__ import annotations

import pytest

from pos.domain.money import format_money, parse_amount, quick_cash


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (32_50, (35_00, 40_00, 50_00, 100_00)),
        (2246_55, (2250_00, 2260_00, 2300_00, 2400_00)),
        (50_00, (60_00, 100_00, 200_00, 500_00)),
        (999_99, (1000_00, 2000_00, 5000_00)),
        (1000_00, (2000_00, 5000_00)),
        (1, (5_00, 10_00, 20_00, 50_00)),
    ],
)
def test_quick_cash_offers_the_total_rounded_up_to_round_sums(total, expected):
    amounts = quick_cash(total, "TRY")
    assert amounts == expected
    assert all(amount > total for amount in amounts)


def test_a_sale_of_nothing_offers_no_quick_cash():
    assert quick_cash(0, "TRY") == ()


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "text"),
    [
        (32_50, "TRY", "en", "₺32.50"),
        (32_50, "TRY", "tr", "₺32,50"),
        (1234_56, "TRY", "en", "₺1,234.56"),
        (1234_56, "TRY", "tr", "₺1.234,56"),
        (32_50, "USD", "en", "$32.50"),
        (32_50, "EUR", "tr", "€32,50"),
    ],
)
def test_money_is_written_with_the_currencys_symbol_in_each_language(minor, currency, locale, text):
    assert format_money(minor, currency, locale) == text


def test_a_round_sum_is_written_without_minor_digits():
    assert format_money(2250_00, "TRY", "tr", whole=True) == "₺2.250"
    assert format_money(2250_00, "TRY", "en", whole=True) == "₺2,250"


@pytest.mark.parametrize(
    ("typed", "locale", "minor"),
    [
        ("1.000", "tr", 1000_00),
        ("1.000,50", "tr", 1000_50),
        ("150,5", "tr", 150_50),
        ("150", "tr", 150_00),
        ("1.234.567", "tr", 1234567_00),
        ("1,000.50", "en", 1000_50),
        ("1,000", "en", 1000_00),
        ("150.50", "en", 150_50),
    ],
)
def test_an_amount_is_read_the_way_the_cashiers_language_writes_it(typed, locale, minor):
    assert parse_amount(typed, "TRY", locale) == minor


@pytest.mark.parametrize(
    ("typed", "locale"),
    [
        ("12.50", "tr"),  # a point that cannot be a thousands separator: not guessed at
        ("1.00", "tr"),
        ("1.000", "en"),  # three decimals of a lira
        ("1,5,0", "tr"),
        ("-5", "tr"),
        ("+5", "tr"),
        ("", "tr"),
        ("abc", "tr"),
        ("1e3", "tr"),
        ("5\x00", "tr"),
        ("99.999.999.999", "tr"),
    ],
)
def test_an_amount_that_is_not_one_in_the_cashiers_language_is_refused(typed, locale):
    assert parse_amount(typed, "TRY", locale) is None
