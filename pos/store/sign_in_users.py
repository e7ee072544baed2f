"""The cashiers of a local SQLite store, read with the standard library alone: the till's
first screen lists them while the rest of Kasa (SQLAlchemy, the models, the schema's
check) loads. ``pos.services.users.list_users`` stays the one the till signs in with;
this reads the same rows (the active users) for the first screen only."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from pos.domain.users import Role, UserView, sign_in_order

ACTIVE_USERS = "SELECT id, username, display_name, role FROM users WHERE active = 1"


def sqlite_store_file(url: str) -> Path | None:
    """The file of a SQLite store's URL (``sqlite:///path``), or None for any other store
    (or a URL with options, left to SQLAlchemy)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or len(url) == len(prefix):
        return None
    return Path(url[len(prefix) :])


def active_users(path: Path, *, timeout_s: float) -> tuple[UserView, ...] | None:
    """The active users of the SQLite store at ``path``, in sign-in order; None when it
    cannot say within ``timeout_s`` (no such file, a store not yet made, locked, a role
    this Kasa does not know): the till lists them once it has started."""
    if not path.is_file():
        return None  # never made here: opening it read-only would not, but say so early
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, timeout=timeout_s
        )
    except sqlite3.Error:
        return None
    try:
        rows = connection.execute(ACTIVE_USERS).fetchall()
        return sign_in_order(
            UserView(int(id_), str(username), str(name), Role(role), True)
            for id_, username, name, role in rows
        )
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        connection.close()
