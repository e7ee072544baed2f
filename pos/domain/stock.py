"""How stock changes outside a sale, and why a manager changes it by hand."""

from __future__ import annotations

import enum

from pos.domain.text import clean_text


class MoveKind(enum.StrEnum):
    """What a stock move outside a sale was: goods received, or a count set right."""

    RECEIVE = "receive"
    ADJUST = "adjust"


RETURN_REASON = "return"
"""The reason code of the stock move that puts a returned item back on the shelf (an
adjustment no manager types: the return made it)."""


class AdjustReason(enum.StrEnum):
    """The reasons a shop counts stock in or out outside a sale or a delivery."""

    COUNT = "count"
    """A stock count found a different number on the shelf."""
    DAMAGE = "damage"
    THEFT = "theft"
    FOUND = "found"
    CORRECTION = "correction"
    """An earlier entry was wrong."""


def parse_adjust_reason(value: object) -> AdjustReason | None:
    try:
        return AdjustReason(value) if isinstance(value, str) else None
    except ValueError:
        return None


MAX_NOTE_LENGTH = 200
"""What ``stock_moves.reason`` holds: a line on the history, not a report."""


def clean_note(value: object) -> str | None:
    """A manager's free note on a stock change, its spaces tidied; ``""`` for none.

    None if it is not text, too long, or holds a control or format character other
    than line breaks and tabs, which become spaces (a NUL would not even reach PostgreSQL).
    """
    return "" if value is None else clean_text(value, MAX_NOTE_LENGTH)
