"""The settings file's place and reading, and the two values the till's first screen needs
(where the store is, the language) before the rest of Kasa has loaded: the standard
library and platformdirs only. ``pos.settings`` reads everything else from the same
document and checks it."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from pos.domain.locales import DEFAULT_LOCALE, LOCALES

APP_NAME = "kasa"


class SettingsError(Exception):
    """The settings cannot be used; the message says what to change."""


def settings_path(environ: Mapping[str, str] = os.environ) -> Path:
    override = environ.get("POS_SETTINGS_FILE")
    if override:
        return Path(override)
    return platformdirs.user_config_path(APP_NAME) / "settings.toml"


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def replica_place(configured: Path | None) -> Path:
    """Where the till keeps its replica of a central store: as configured, else
    ``replica.sqlite3`` in the data directory."""
    return configured or data_dir() / "replica.sqlite3"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'kasa.sqlite3'}"


def demo_database_url() -> str:
    """The demo shop's store (``pos --demo``), made afresh in the data directory."""
    return f"sqlite:///{data_dir() / 'demo.sqlite3'}"


def read_document(path: Path) -> dict[str, Any]:
    """The settings file's TOML document (empty when there is no file)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"cannot read {path}: {error}") from error
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"cannot read {path}: it is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except RecursionError:
        raise SettingsError(f"cannot read {path}: its values are nested too deep") from None


def chosen_url(database: Mapping[str, object], environ: Mapping[str, str]) -> object:
    """The store's URL as the environment or the file's ``[database]`` names it (not
    checked here: ``pos.settings`` does)."""
    return environ.get("POS_DATABASE_URL") or database.get("url") or default_database_url()


def chosen_locale(till: Mapping[str, object], environ: Mapping[str, str]) -> object:
    """The till's language as the environment or the file's ``[till]`` names it, else the
    system's (not checked here: ``pos.settings`` does)."""
    return environ.get("POS_LOCALE") or till.get("locale") or system_locale(environ)


def system_locale(environ: Mapping[str, str] = os.environ) -> str:
    """The operating system's language if Kasa speaks it, else Turkish."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            language = value.split("_")[0].split(".")[0].lower()
            return language if language in LOCALES else DEFAULT_LOCALE
    return DEFAULT_LOCALE
