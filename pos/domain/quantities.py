"""What counts as a quantity a cashier can sell."""

from __future__ import annotations

import re

MAX_QUANTITY = 1_000_000
"""No till line is larger than this; bigger numbers are typos or hostile input."""

_DIGITS = re.compile(r"[0-9]{1,7}")
_QUANTITY_PREFIX = re.compile(r"\s*([0-9]{1,7})\s*[*xX]\s*(\S.*?)\s*")


def parse_quantity(value: object, *, allow_zero: bool = False) -> int | None:
    """The quantity ``value`` stands for, or None if it is not a whole number of units.

    Accepts an ``int`` or a string of ASCII digits (what a keypad sends). Booleans,
    floats, fractions, signs, blanks inside and anything above ``MAX_QUANTITY`` are
    refused: a till never guesses what a malformed quantity meant.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        quantity = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        quantity = int(value.strip())
    else:
        return None
    lowest = 0 if allow_zero else 1
    if not lowest <= quantity <= MAX_QUANTITY:
        return None
    return quantity


def parse_delta(value: object) -> int | None:
    """A signed, non-zero stock adjustment no larger than ``MAX_QUANTITY`` either way."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.removeprefix("+"))
        magnitude = parse_quantity(digits) if digits[:1].isdigit() else None
        return None if magnitude is None else sign * magnitude
    if isinstance(value, int):
        magnitude = parse_quantity(abs(value))
        return None if magnitude is None else value
    return None


def split_quantity_prefix(text: str) -> tuple[int | None, str]:
    """What the scan field holds: ``"3*8690504000014"`` is 3 of that code.

    Without a prefix, or with one that is not a quantity (``0*``), the quantity is None
    and the whole text is the code, so a mistyped prefix is refused as an unknown code
    rather than guessed at.
    """
    match = _QUANTITY_PREFIX.fullmatch(text)
    quantity = parse_quantity(match.group(1)) if match is not None else None
    if match is None or quantity is None:
        return None, text.strip()
    return quantity, match.group(2)
