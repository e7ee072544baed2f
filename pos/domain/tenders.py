"""What part of a sale one tender may pay: the rule the till checks as the amount is
typed and the store checks again when it takes the tender."""

from __future__ import annotations

from pos.domain.money import Money
from pos.domain.results import Code, Err


def part_problem(part: int | None, due_minor: int, currency: str) -> Err | None:
    """Why ``part`` cannot be paid towards a sale that still wants ``due_minor``: not an
    amount, nothing, or more than is due; None when it can."""
    if part is None or part <= 0:
        return Err(Code.INVALID_AMOUNT)
    if part > due_minor:
        return Err(Code.TENDER_ABOVE_DUE, {"due": Money(due_minor, currency)})
    return None
