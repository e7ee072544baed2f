"""What counts as a quantity a cashier can sell."""

from __future__ import annotations

import re

from pos.domain.results import Code, Err

MAX_QUANTITY = 1_000_000
"""No till line is larger than this; bigger numbers are typos or hostile input."""

_DIGITS = re.compile(r"[0-9]{1,7}")
_QUANTITY_PREFIX = re.compile(r"\s*([0-9]{1,7})\s*[*xX]\s*(\S.*?)\s*")
# Anything before a star is meant as a quantity ("2,5*code", "0*code", "-1*code"): barcodes
# and SKUs never hold one, so what stands there is read as a quantity and judged as one.
_STARRED_PREFIX = re.compile(r"\s*([^*]*?)\s*\*\s*(\S.*?)\s*", re.DOTALL)
_SIGNED_DIGITS = re.compile(r"[-+]?[0-9]+")


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


def read_quantity(value: object, *, allow_zero: bool = False) -> int | Err:
    """The quantity ``value`` stands for, or why it is not one, for the cashier to read.

    The one rule for a quantity typed at the till (the cart's cell, the scan field's
    ``3*`` prefix) and for what the services accept: whole units only. ``1,5`` and ``1.5``
    (and ``1.000``, which a Turkish keyboard could mean as a thousand) are refused as not
    whole, never read as 15 or 1000; a whole number outside the range says the range.
    """
    quantity = parse_quantity(value, allow_zero=allow_zero)
    if quantity is not None:
        return quantity
    lowest = 0 if allow_zero else 1
    out_of_range = Err(Code.QUANTITY_OUT_OF_RANGE, {"lowest": lowest, "highest": MAX_QUANTITY})
    if isinstance(value, int) and not isinstance(value, bool):
        return out_of_range
    if isinstance(value, str) and _SIGNED_DIGITS.fullmatch(value.strip()):
        return out_of_range
    return Err(Code.QUANTITY_NOT_WHOLE)


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


def split_quantity_prefix(text: str) -> tuple[int | Err | None, str]:
    """What the scan field holds: ``"3*8690504000014"`` is 3 of that code.

    Without a prefix the quantity is None and the whole text is the code. A prefix
    before a star that is not a quantity (``2,5*``, ``0*``) comes back as the refusal
    that says what is wrong with it, never guessed at nor taken for part of the code.
    """
    match = _QUANTITY_PREFIX.fullmatch(text)
    if match is not None and parse_quantity(match.group(1)) is not None:
        return parse_quantity(match.group(1)), match.group(2)
    starred = _STARRED_PREFIX.fullmatch(text)
    if starred is None:
        return None, text.strip()
    return read_quantity(starred.group(1)), starred.group(2)


def split_typed_prefix(text: str) -> tuple[str | None, str]:
    """The scan field's text as typed before a star, and the code: ``"1,250*DOMATES-KG"``
    is ``("1,250", "DOMATES-KG")``. The quantity is left as typed, for the product's own
    rule to read (a count of pieces, a weight in kg); None without a prefix."""
    match = _QUANTITY_PREFIX.fullmatch(text)
    if match is not None:
        return match.group(1), match.group(2)
    starred = _STARRED_PREFIX.fullmatch(text)
    if starred is None:
        return None, text.strip()
    return starred.group(1), starred.group(2)
