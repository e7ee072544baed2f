"""The part of a sale one tender may pay, as the till and the store both check it."""

from __future__ import annotations

from pos.domain.messages import render
from pos.domain.results import Code
from pos.domain.tenders import part_problem


def test_a_part_must_be_an_amount_above_nothing_and_within_what_is_due() -> None:
    assert part_problem(None, 5000, "TRY").code is Code.INVALID_AMOUNT  # type: ignore[union-attr]
    assert part_problem(0, 5000, "TRY").code is Code.INVALID_AMOUNT  # type: ignore[union-attr]
    assert part_problem(-1, 5000, "TRY").code is Code.INVALID_AMOUNT  # type: ignore[union-attr]
    above = part_problem(5001, 5000, "TRY")
    assert above is not None
    assert above.code is Code.TENDER_ABOVE_DUE
    assert render(above, "tr") == "Tutar kalan borçtan fazla - kalan: ₺50,00"
    assert part_problem(5000, 5000, "TRY") is None
    assert part_problem(1, 5000, "TRY") is None
