"""What the till's first screen needs before the rest of Kasa loads: the language, and
the cashiers to choose from when the store is a local SQLite file (read with the standard
library). Whatever this cannot tell without the rest (a settings file it cannot read, a
central store) is left to the start that follows, which says what is wrong."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pos.domain.locales import DEFAULT_LOCALE, LOCALES
from pos.domain.users import UserView
from pos.settings_file import (
    SettingsError,
    chosen_locale,
    chosen_url,
    demo_database_url,
    read_document,
    settings_path,
    system_locale,
)
from pos.store.sign_in_users import active_users, sqlite_store_file

USERS_TIMEOUT_S = 0.5
"""How long the first screen waits for a SQLite store busy with a writer."""


@dataclass(frozen=True)
class FirstLook:
    locale: str
    store_file: Path | None
    """The local SQLite store to list the cashiers from; None: the till lists them once
    it has started (a central store, a URL with options)."""

    def users(self) -> tuple[UserView, ...] | None:
        """The cashiers, or None when the first screen cannot list them (not on a window's
        thread: a store busy with a writer makes it wait up to ``USERS_TIMEOUT_S``)."""
        if self.store_file is None:
            return None
        return active_users(self.store_file, timeout_s=USERS_TIMEOUT_S)


def first_look(*, demo: bool, environ: Mapping[str, str] = os.environ) -> FirstLook:
    try:
        document = read_document(settings_path(environ))
    except SettingsError:
        return FirstLook(system_locale(environ), None)  # the start says what is wrong
    database, till = document.get("database", {}), document.get("till", {})
    if not isinstance(database, dict) or not isinstance(till, dict):
        return FirstLook(system_locale(environ), None)
    locale = chosen_locale(till, environ)
    url = demo_database_url() if demo else chosen_url(database, environ)
    return FirstLook(
        locale if locale in LOCALES else DEFAULT_LOCALE,
        sqlite_store_file(url) if isinstance(url, str) else None,
    )
