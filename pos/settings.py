"""Where the store is and how the till behaves, from the environment or the settings file.

The default store is a SQLite file in the user's data directory. ``POS_DATABASE_URL``
or ``[database] url`` in the settings file points the till at a central PostgreSQL
store instead; its password lives in the OS keyring (see ``pos.credentials``), never
in the settings file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeGuard

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from pos.domain.backups import BackupPolicy
from pos.domain.messages import LOCALES
from pos.domain.money import DEFAULT_CURRENCY, is_currency, minor_digits, parse_price
from pos.domain.policy import (
    CASH_MOVEMENT_APPROVAL_AMOUNT,
    VOID_APPROVAL_AMOUNT,
    OfflinePolicy,
    Policy,
)
from pos.printing.profile import PrinterProfile, printer_profile
from pos.runtime.connectivity import ConnectivityPolicy
from pos.settings_file import APP_NAME as APP_NAME
from pos.settings_file import SettingsError as SettingsError
from pos.settings_file import (
    chosen_locale,
    chosen_url,
    read_document,
    replica_place,
)
from pos.settings_file import data_dir as data_dir
from pos.settings_file import default_database_url as default_database_url
from pos.settings_file import settings_path as settings_path
from pos.settings_file import system_locale as system_locale
from pos.settings_scale import scale_settings
from pos.store.engine import StoreTimeouts

DEFAULTS = Policy()


@dataclass(frozen=True)
class Settings:
    database_url: str
    locale: str = "tr"
    currency: str = DEFAULT_CURRENCY
    terminal_url: str | None = None
    """The card terminal's gateway; None: no card terminal at this till."""
    terminal_provider: str = "terminal"
    listener_host: str = "127.0.0.1"
    listener_port: int = 8765
    """Where the till hears webhooks; 0 takes any free port, -1 runs no listener."""
    policy: Policy = field(default_factory=Policy)
    """The hold times, windows and limits the rules read: the till hands it to every use
    case through the unit of work."""
    store_timeouts: StoreTimeouts = field(default_factory=StoreTimeouts)
    store_pooled: bool = False
    """``[database] transaction_pooled``: the URL reaches PostgreSQL through a pooler in
    transaction mode (PgBouncer), so the till keeps no state past a transaction."""
    printer: PrinterProfile | None = None
    """This till's receipt printer; None: receipts are shown on screen only."""
    backup: BackupPolicy = field(default_factory=BackupPolicy)
    """Where and how often the till backs its store up, and how many backups it keeps."""
    connectivity: ConnectivityPolicy = field(default_factory=ConnectivityPolicy)
    """How the till decides that its central store is gone, and that it is back."""
    scale_device: str | None = None
    """The till's scale: a serial port, ``tcp://host:port`` or ``simulator``; None: none."""
    scale_baud: int = 9600
    replica_path: Path | None = None
    """The till's replica of a central store (None: ``replica.sqlite3`` in the data
    directory); unused by a till whose store is a local SQLite file."""


def replica_file(settings: Settings) -> Path:
    """Where the till keeps its replica of the central store."""
    return replica_place(settings.replica_path)


def load_settings(environ: Mapping[str, str] = os.environ, path: Path | None = None) -> Settings:
    """Settings from the file at ``path`` (or the default place), then the environment."""
    path = path or settings_path(environ)
    document = read_document(path)

    database = _table(document, "database", path)
    till = _table(document, "till", path)

    file_url = database.get("url")
    if file_url is not None and _has_password(file_url, path, anywhere=True):
        raise SettingsError(
            f"{path} holds a database password. Remove it from the URL and run "
            "`pos db set-password` to keep it in the OS keyring instead."
        )
    url = str(chosen_url(database, environ))
    _has_password(url, "POS_DATABASE_URL")  # validates the URL's form

    minutes = till.get("reservation_ttl_minutes", _minutes(DEFAULTS.cart_hold))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        raise SettingsError(f"{path}: till.reservation_ttl_minutes must be 1-1440 minutes")
    locale = chosen_locale(till, environ)
    if locale not in LOCALES:
        raise SettingsError(f"locale must be one of {', '.join(LOCALES)}, not {locale!r}")
    currency = till.get("currency", DEFAULT_CURRENCY)
    if not is_currency(currency):
        raise SettingsError(f"{path}: till.currency {currency!r} is not an ISO 4217 code")
    void_approval = _approval_minor(
        till, currency, path, "void_approval_amount", VOID_APPROVAL_AMOUNT
    )
    movement_approval = _approval_minor(
        till, currency, path, "cash_movement_approval_amount", CASH_MOVEMENT_APPROVAL_AMOUNT
    )
    parked = till.get("parked_sales_limit", DEFAULTS.parked_limit)
    if isinstance(parked, bool) or not isinstance(parked, int) or not 1 <= parked <= 50:
        raise SettingsError(f"{path}: till.parked_sales_limit must be a count from 1 to 50")
    terminal = _table(document, "terminal", path)
    terminal_url = environ.get("POS_TERMINAL_URL") or terminal.get("url")
    if terminal_url is not None and (
        not isinstance(terminal_url, str) or not terminal_url.startswith(("http://", "https://"))
    ):
        raise SettingsError(f"{path}: terminal.url must be an http(s) URL")
    provider = terminal.get("provider", "terminal")
    if not isinstance(provider, str) or not 0 < len(provider) <= 32:
        raise SettingsError(f"{path}: terminal.provider must be a name of 1-32 characters")
    window = terminal.get("payment_window_minutes", _minutes(DEFAULTS.card_answer_window))
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 60:
        raise SettingsError(f"{path}: terminal.payment_window_minutes must be 1-60 minutes")
    listener = _table(document, "listener", path)
    listener_host = listener.get("host", "127.0.0.1")
    if not isinstance(listener_host, str) or not listener_host:
        raise SettingsError(f"{path}: listener.host must be a host name or address")
    scale, scale_device, scale_baud = scale_settings(
        _table(document, "scale", path),
        path,
        lambda amount, _currency, where: _amount_minor(amount, currency, where),
        SettingsError,
    )
    listener_port = listener.get("port", 8765)
    if isinstance(listener_port, bool) or not isinstance(listener_port, int):
        raise SettingsError(f"{path}: listener.port must be a port number")
    if not -1 <= listener_port <= 65535:
        raise SettingsError(f"{path}: listener.port must be 0-65535 (or -1: no listener)")
    return Settings(
        database_url=url,
        locale=locale,
        currency=currency,
        terminal_url=terminal_url,
        terminal_provider=provider,
        listener_host=listener_host,
        listener_port=listener_port,
        policy=Policy(
            cart_hold=timedelta(minutes=minutes),
            card_answer_window=timedelta(minutes=window),
            void_approval_minor=void_approval,
            cash_movement_approval_minor=movement_approval,
            parked_limit=parked,
            offline=_offline_policy(_table(document, "offline", path), currency, path),
            scale=scale,
        ),
        scale_device=scale_device,
        scale_baud=scale_baud,
        store_timeouts=_store_timeouts(database, path),
        store_pooled=_pooled(database, path),
        printer=_printer(_table(document, "printer", path), environ, path),
        backup=_backup_policy(_table(document, "backup", path), path),
        connectivity=_connectivity(_table(document, "connectivity", path), path),
        replica_path=_replica_path(_table(document, "connectivity", path), path),
    )


def _minutes(duration: timedelta) -> int:
    return int(duration.total_seconds() // 60)


def _approval_minor(
    till: Mapping[str, object], currency: str, path: Path, name: str, default_major: int
) -> int:
    """An approval limit (``void_approval_amount``...) in minor units: a TOML number or a
    typed amount ("500,00")."""
    amount = till.get(name)
    if amount is None:
        return default_major * int(10 ** minor_digits(currency))
    return _amount_minor(
        amount, currency, f"{path}: till.{name}", " (0: a manager approves every one)"
    )


_OFFLINE_KEYS = frozenset(
    {"card", "max_sale_amount", "max_unsent_amount", "max_hours", "coupon_allowance"}
)
MAX_OFFLINE_HOURS = 24 * 30


def _offline_policy(table: Mapping[str, object], currency: str, path: Path) -> OfflinePolicy:
    """``[offline]``: what the till may do while it sells on its replica. An amount or
    ``max_hours`` of ``false`` sets no limit."""
    unknown = set(table) - _OFFLINE_KEYS
    if unknown:
        raise SettingsError(f"{path}: [offline] has no {', '.join(sorted(unknown))}")
    defaults = OfflinePolicy()
    card = table.get("card", defaults.card)
    if not isinstance(card, bool):
        raise SettingsError(f"{path}: offline.card must be true or false, not {card!r}")
    caps: dict[str, int | None] = {}
    for key, name in (
        ("max_sale_amount", "max_sale_minor"),
        ("max_unsent_amount", "max_unsent_minor"),
    ):
        given = table.get(key)
        if given is None:
            caps[name] = getattr(defaults, name)
        elif given is False:
            caps[name] = None
        else:
            caps[name] = _amount_minor(given, currency, f"{path}: offline.{key}")
    hours = table.get("max_hours")
    max_offline = defaults.max_offline
    if hours is False:
        max_offline = None
    elif hours is not None:
        if not _is_number(hours) or not 0 < hours <= MAX_OFFLINE_HOURS:
            raise SettingsError(
                f"{path}: offline.max_hours must be hours over 0 and up to "
                f"{MAX_OFFLINE_HOURS} (or false: no limit), not {hours!r}"
            )
        max_offline = timedelta(hours=hours)
    allowance = table.get("coupon_allowance", defaults.coupon_allowance)
    if isinstance(allowance, bool) or not isinstance(allowance, int) or not 0 <= allowance <= 1000:
        raise SettingsError(f"{path}: offline.coupon_allowance must be a count from 0 to 1000")
    return OfflinePolicy(
        card=card,
        max_sale_minor=caps["max_sale_minor"],
        max_unsent_minor=caps["max_unsent_minor"],
        max_offline=max_offline,
        coupon_allowance=allowance,
    )


def _is_number(value: object) -> TypeGuard[int | float]:
    """A finite TOML number (a boolean is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _amount_minor(amount: object, currency: str, where: str, hint: str = "") -> int:
    """An amount in the settings, in minor units: a TOML number or a typed amount ("500,00")."""
    minor = None
    if isinstance(amount, str | int | float) and not isinstance(amount, bool):
        minor = parse_price(str(amount), currency)
    if minor is None:
        raise SettingsError(
            f'{where} must be an amount in {currency} such as 500 or "500,00", not {amount!r}{hint}'
        )
    return minor


_TIMEOUT_SETTINGS = {
    "connect": "connect_timeout_seconds",
    "statement": "statement_timeout_seconds",
    "lock": "lock_timeout_seconds",
    "idle_in_transaction": "idle_in_transaction_timeout_seconds",
    "keepalive": "keepalive_seconds",
    "busy": "busy_timeout_seconds",
}
MAX_TIMEOUT_SECONDS = 3600


def _store_timeouts(database: Mapping[str, object], path: Path) -> StoreTimeouts:
    given: dict[str, float] = {}
    for name, key in _TIMEOUT_SETTINGS.items():
        seconds = database.get(key)
        if seconds is None:
            continue
        if not _is_number(seconds) or not 0 < seconds <= MAX_TIMEOUT_SECONDS:
            raise SettingsError(
                f"{path}: database.{key} must be a number of seconds over 0 "
                f"and up to {MAX_TIMEOUT_SECONDS}, not {seconds!r}"
            )
        given[name] = float(seconds)
    return StoreTimeouts(**given)


def _pooled(database: Mapping[str, object], path: Path) -> bool:
    pooled = database.get("transaction_pooled", False)
    if not isinstance(pooled, bool):
        raise SettingsError(f"{path}: database.transaction_pooled must be true or false")
    return pooled


_PRINTER_KEYS: dict[str, type | tuple[type, ...]] = {
    "width": int,
    "code_page": str,
    "cutter": bool,
    "drawer_pin": int,
    "drawer_pulse_ms": int,
    "timeout_seconds": (int, float),
}


def _printer(
    table: Mapping[str, object], environ: Mapping[str, str], path: Path
) -> PrinterProfile | None:
    """``[printer]``: ``url`` (or ``POS_PRINTER_URL``) and what the printer can do."""
    url = environ.get("POS_PRINTER_URL") or table.get("url")
    if url is None:
        return None
    unknown = set(table) - {"url", *_PRINTER_KEYS}
    if unknown:
        raise SettingsError(f"{path}: [printer] has no {', '.join(sorted(unknown))}")
    given: dict[str, object] = {}
    for key, kind in _PRINTER_KEYS.items():
        value = table.get(key)
        if value is None:
            continue
        if (kind is not bool and isinstance(value, bool)) or not isinstance(value, kind):
            raise SettingsError(f"{path}: printer.{key} cannot be {value!r}")
        given[key] = value.upper() if isinstance(value, str) else value
    try:
        return printer_profile(str(url), **given)
    except ValueError as error:
        raise SettingsError(f"{path}: printer: {error}") from None


_BACKUP_COUNTS = {"keep_daily": "daily", "keep_weekly": "weekly", "keep_monthly": "monthly"}
_BACKUP_HOURS = {"every_hours": ("every", 1, 168), "warn_after_hours": ("warn_after", 1, 24 * 90)}


def _backup_policy(backup: Mapping[str, object], path: Path) -> BackupPolicy:
    given: dict[str, object] = {}
    for key, name in (("directory", "directory"), ("second_place", "second_place")):
        place = backup.get(key)
        if place is None:
            continue
        if not isinstance(place, str) or not place.strip() or not Path(place).is_absolute():
            raise SettingsError(f"{path}: backup.{key} must be a full path to a folder")
        given[name] = Path(place)
    for key, name in _BACKUP_COUNTS.items():
        count = backup.get(key)
        if count is None:
            continue
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
            raise SettingsError(f"{path}: backup.{key} must be a count from 0 to 1000")
        given[name] = count
    for key, (name, lowest, highest) in _BACKUP_HOURS.items():
        hours = backup.get(key)
        if hours is None:
            continue
        if not _is_number(hours) or not lowest <= hours <= highest:
            raise SettingsError(f"{path}: backup.{key} must be {lowest}-{highest} hours")
        given[name] = timedelta(hours=hours)
    minutes = backup.get("pg_dump_timeout_minutes")
    if minutes is not None:
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
            raise SettingsError(f"{path}: backup.pg_dump_timeout_minutes must be 1-1440 minutes")
        given["pg_dump_timeout"] = timedelta(minutes=minutes)
    return BackupPolicy(**given)  # type: ignore[arg-type]


_CONNECTIVITY_SECONDS = {
    "probe_seconds": ("probe_every", 0.1, 600),
    "probe_timeout_seconds": ("probe_timeout", 1, 60),
    "online_after_seconds": ("online_after_seconds", 0, 3600),
    "drift_warning_seconds": ("drift_warning_seconds", 1, 86400),
    "pull_seconds": ("pull_every", 1, 86400),
}
_CONNECTIVITY_COUNTS = {
    "offline_after_failed_probes": ("offline_after_failed_probes", 1, 100),
    "online_after_probes": ("online_after_probes", 1, 1000),
}


def _connectivity(table: Mapping[str, object], path: Path) -> ConnectivityPolicy:
    """``[connectivity]``: how often the till probes its central store, and how steadily
    the store must answer before the till sells online again."""
    unknown = set(table) - {*_CONNECTIVITY_SECONDS, *_CONNECTIVITY_COUNTS, "replica_path"}
    if unknown:
        raise SettingsError(f"{path}: [connectivity] has no {', '.join(sorted(unknown))}")
    given: dict[str, float | int] = {}
    for key, (name, lowest, highest) in _CONNECTIVITY_SECONDS.items():
        seconds = table.get(key)
        if seconds is None:
            continue
        if not _is_number(seconds) or not lowest <= seconds <= highest:
            raise SettingsError(
                f"{path}: connectivity.{key} must be {lowest}-{highest} seconds, not {seconds!r}"
            )
        given[name] = float(seconds)
    for key, (name, lowest, highest) in _CONNECTIVITY_COUNTS.items():
        count = table.get(key)
        if count is None:
            continue
        if isinstance(count, bool) or not isinstance(count, int) or not lowest <= count <= highest:
            raise SettingsError(
                f"{path}: connectivity.{key} must be a count from {lowest} to {highest}"
            )
        given[name] = count
    return ConnectivityPolicy(**given)  # type: ignore[arg-type]


def _replica_path(table: Mapping[str, object], path: Path) -> Path | None:
    place = table.get("replica_path")
    if place is None:
        return None
    if not isinstance(place, str) or not place.strip() or not Path(place).is_absolute():
        raise SettingsError(f"{path}: connectivity.replica_path must be a full path to a file")
    return Path(place)


def _table(document: Mapping[str, object], name: str, path: Path) -> Mapping[str, object]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [{name}] must be a table")
    return table


def _has_password(url: object, where: object, *, anywhere: bool = False) -> bool:
    """Whether the URL carries a password; ``anywhere``: in its query or a connection string
    given as the database's name too, which libpq reads as readily as the user-info."""
    if not isinstance(url, str):
        raise SettingsError(f"{where}: the database URL must be a string")
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise SettingsError(f"{where}: {url!r} is not a database URL") from error
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError(f"{where}: Kasa runs on SQLite or PostgreSQL, not {parsed.drivername}")
    if parsed.password is not None:
        return True
    if not anywhere:
        return False
    if any(key.lower() == "password" for key in parsed.query):
        return True
    # libpq takes a database name with "=" in it (or a URI) as a whole connection string.
    names = [parsed.database or "", *_values(parsed.query.get("dbname"))]
    return any("password" in name.lower() for name in names if "=" in name or "://" in name)


def _values(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value
