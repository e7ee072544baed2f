"""The central store's password, kept in the OS keyring and nowhere else.

On a machine without an OS keyring (a headless server, CI) Kasa says so and
stores nothing. The documented fallbacks are ones the operator sets up knowingly:
libpq's own password file (``~/.pgpass``, mode 0600, which psycopg reads) or the
``POS_DATABASE_PASSWORD`` variable handed in by a service manager or CI secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import keyring
import keyring.errors
from keyring.backends import fail
from sqlalchemy import URL, make_url

SERVICE = "kasa"

NO_KEYRING = (
    "No OS keyring is available on this machine ({backend}), so Kasa will not store "
    "the database password: it never writes a secret in plain text. Either put it in "
    "libpq's password file (~/.pgpass, chmod 600; see the README) or pass it in the "
    "POS_DATABASE_PASSWORD environment variable from your service manager or CI secrets."
)


class NoKeyringError(RuntimeError):
    pass


def keyring_backend_name() -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def keyring_available() -> bool:
    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0


NO_KEYRING_FOR_SECRET = (
    "No OS keyring is available on this machine ({backend}), so Kasa will not store "
    "the {name} secret: it never writes a secret in plain text. Pass it in the {variable} "
    "environment variable from your service manager or CI secrets instead."
)


def require_keyring(secret: str | None = None) -> None:
    """Refuse unless a keyring can keep the database password, or the named secret."""
    if keyring_available():
        return
    backend = keyring_backend_name()
    if secret is None:
        raise NoKeyringError(NO_KEYRING.format(backend=backend))
    raise NoKeyringError(
        NO_KEYRING_FOR_SECRET.format(
            backend=backend, name=secret, variable=SECRET_ENVIRONMENT[secret]
        )
    )


def credential_name(url: URL) -> str:
    """The keyring entry for one login on one server and database."""
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def store_password(url: str | URL, password: str) -> None:
    """Keep ``password`` for ``url`` in the OS keyring; refuse if there is none."""
    require_keyring()
    keyring.set_password(SERVICE, credential_name(make_url(url)), password)


def with_password(url: str | URL, environ: Mapping[str, str] = os.environ) -> URL:
    """``url`` with the password a PostgreSQL store needs, from the keyring or the fallback.

    A URL that already carries a password (from ``POS_DATABASE_URL``) keeps it. With
    none found, the URL goes out without one and libpq looks in ``~/.pgpass``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.password is not None:
        return parsed
    password = None
    if keyring_available():
        try:
            password = keyring.get_password(SERVICE, credential_name(parsed))
        except keyring.errors.KeyringError:
            password = None
    password = password or environ.get("POS_DATABASE_PASSWORD") or None
    return parsed.set(password=password) if password else parsed


# -- the card terminal's secrets ------------------------------------------------------

SECRET_ENVIRONMENT = {"webhook": "POS_WEBHOOK_SECRET", "terminal": "POS_TERMINAL_API_KEY"}
"""The secrets ``pos secrets set`` keeps, and the variable a headless service may use."""
PREVIOUS = ".previous"


def store_secret(name: str, value: str) -> None:
    """Keep a terminal secret in the keyring; the one it replaces stays valid beside it.

    The webhook signer and the listener then both accept the old and the new secret
    while the terminal's side is switched over (rotation).
    """
    if name not in SECRET_ENVIRONMENT:
        raise ValueError(f"unknown secret {name!r}")
    require_keyring(name)
    old = keyring.get_password(SERVICE, f"secret:{name}")
    if old and old != value:
        keyring.set_password(SERVICE, f"secret:{name}{PREVIOUS}", old)
    keyring.set_password(SERVICE, f"secret:{name}", value)


def secrets_for(name: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The current secret first, then the one it replaced; from the keyring or the variable.

    The variable may hold several, comma-separated, newest first.
    """
    if name not in SECRET_ENVIRONMENT:
        raise ValueError(f"unknown secret {name!r}")
    found: list[str] = []
    if keyring_available():
        try:
            for entry in (f"secret:{name}", f"secret:{name}{PREVIOUS}"):
                value = keyring.get_password(SERVICE, entry)
                if value:
                    found.append(value)
        except keyring.errors.KeyringError:
            found = []
    if not found:
        found = [part for part in environ.get(SECRET_ENVIRONMENT[name], "").split(",") if part]
    return found
