"""The one rule for a quantity typed at the till: whole units, or a refusal that says why."""

from __future__ import annotations

import pytest

from pos.domain.messages import render
from pos.domain.quantities import MAX_QUANTITY, read_quantity
from pos.domain.results import Code, Err


@pytest.mark.parametrize(("typed", "quantity"), [("1", 1), (" 15 ", 15), (3, 3), ("0007", 7)])
def test_a_whole_quantity_is_read(typed: object, quantity: int) -> None:
    assert read_quantity(typed) == quantity


@pytest.mark.parametrize(
    "typed",
    ["1,5", "1.5", "1.000", "1,000", ",5", "5,", "", " ", "abc", "\x00", "1\x00", 1.5, 2.0, None],
)
def test_anything_but_a_whole_number_is_refused_as_not_whole(typed: object) -> None:
    refusal = read_quantity(typed)
    assert refusal == Err(Code.QUANTITY_NOT_WHOLE)
    assert render(refusal, "tr") == "Adet tam sayı olmalı"
    assert render(refusal, "en") == "Quantity must be a whole number"


@pytest.mark.parametrize("typed", ["-2", "0", "+0", 0, -1, "9" * 40, 10**30, MAX_QUANTITY + 1])
def test_a_whole_number_out_of_range_says_the_range(typed: object) -> None:
    refusal = read_quantity(typed)
    assert refusal == Err(Code.QUANTITY_OUT_OF_RANGE, {"lowest": 1, "highest": MAX_QUANTITY})
    assert isinstance(refusal, Err)
    assert render(refusal, "tr") == "Adet 1 ile 1.000.000 arasında olmalı"


def test_zero_is_in_range_where_it_removes_a_line() -> None:
    assert read_quantity("0", allow_zero=True) == 0
    refusal = read_quantity("-2", allow_zero=True)
    assert isinstance(refusal, Err)
    assert render(refusal, "en") == "Quantity must be between 0 and 1,000,000"
