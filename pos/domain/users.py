"""Who works the till."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a user may do; stored as its value in ``users.role``."""

    CASHIER = "cashier"
    MANAGER = "manager"
