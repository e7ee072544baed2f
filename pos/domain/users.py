"""Who works the till, and how the sign-in screen lists them (the standard library only:
the till's first screen lists the cashiers before the rest of Kasa has loaded)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from pos.domain.words import search_words


class Role(enum.StrEnum):
    """What a user may do; stored as its value in ``users.role``."""

    CASHIER = "cashier"
    MANAGER = "manager"


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool


DEMO_CASHIER = ("kasiyer", "Ayşe Kasiyer", "1111")
DEMO_MANAGER = ("mudur", "Mehmet Müdür", "9999")
"""(username, display name, PIN) of the demo shop's two users (its sign-in screen says
the PINs)."""


def sign_in_order(users: Iterable[UserView]) -> tuple[UserView, ...]:
    """The users as the sign-in screen lists them: by name, folded (not by the database:
    SQLite and PostgreSQL collate "Ç" and "Ş" differently)."""
    return tuple(sorted(users, key=lambda u: (search_words(u.display_name), u.display_name, u.id)))
