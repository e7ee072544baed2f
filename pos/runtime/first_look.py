"""What the till's first screen needs before the rest of Kasa loads: the language, and
the cashiers to choose from, read with the standard library from the store when it is a
local SQLite file, or from the till's replica of a central store (the till lists them
again from the central store once it has started). Whatever this cannot tell without the
rest (a settings file it cannot read, no replica yet) is left to the start that follows,
which says what is wrong."""

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
    replica_place,
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
    """The SQLite file to list the cashiers from (the store, or a central store's
    replica); None: the till lists them once it has started."""

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
    store_file = sqlite_store_file(url) if isinstance(url, str) else None
    if store_file is None and isinstance(url, str) and url.startswith("postgresql"):
        store_file = _replica(document.get("connectivity", {}))
    return FirstLook(locale if locale in LOCALES else DEFAULT_LOCALE, store_file)


def _replica(connectivity: object) -> Path | None:
    configured = connectivity.get("replica_path") if isinstance(connectivity, dict) else None
    if configured is None:
        return replica_place(None)
    if isinstance(configured, str) and Path(configured).is_absolute():
        return replica_place(Path(configured))
    return None  # the start says what is wrong with it
