"""Cash at the till: the amounts offered on the quick-cash keys."""

from __future__ import annotations

import pytest

from pos.domain.money import quick_cash


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
