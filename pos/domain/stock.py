"""Why a manager changes the stock by hand."""

from __future__ import annotations

import enum


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
