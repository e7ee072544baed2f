"""The ``pos`` command, run as a process, on a settings file it cannot read and a store it
cannot use: one line saying what is wrong, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lockholder import write_locked


def pos(*argv: str, settings: Path, locale: str = "tr") -> subprocess.CompletedProcess[str]:
    home = settings.parent
    env = {
        **os.environ,
        "POS_SETTINGS_FILE": str(settings),
        "POS_LOCALE": locale,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env.pop("POS_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "pos", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def said_only(done: subprocess.CompletedProcess[str]) -> str:
    """What the command said, checked to be one clean ``pos: ...`` line."""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("pos: ")
    return lines[0]


def test_a_settings_file_that_is_not_utf8_is_named_without_a_traceback(tmp_path: Path):
    settings = tmp_path / "settings.toml"
    settings.write_bytes('[till]\nlocale = "tr"  # Türkçe\n'.encode("cp1254"))

    done = pos("stock", settings=settings)

    assert done.returncode == 2
    line = said_only(done)
    assert str(settings) in line
    assert "UTF-8" in line


def test_a_settings_file_nested_too_deep_is_named_without_a_traceback(tmp_path: Path):
    settings = tmp_path / "settings.toml"
    settings.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")

    done = pos("stock", settings=settings)

    assert done.returncode == 2
    line = said_only(done)
    assert str(settings) in line
    assert "deep" in line


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("tr", "pos: Mağaza veritabanı şu an meşgul, biraz sonra tekrar deneyin"),
        ("en", "pos: The store is busy right now; try again in a moment"),
    ],
)
def test_a_store_another_process_keeps_locked_is_busy_not_a_traceback(
    tmp_path: Path, sqlite_template: Path, locale: str, said: str
):
    store = tmp_path / "shop.sqlite3"
    shutil.copyfile(sqlite_template, store)
    settings = tmp_path / "settings.toml"
    settings.write_text("[database]\nbusy_timeout_seconds = 0.2\n", encoding="utf-8")
    products = tmp_path / "products.csv"
    products.write_text("sku,name,price\nELMA-1,Amasya Elması,12.50\n", encoding="utf-8")
    url = f"sqlite:///{store}"

    with write_locked(store):
        done = pos("import-products", str(products), "--url", url, settings=settings, locale=locale)

    assert done.returncode == 1
    assert said_only(done) == f"{said} (database is locked)"
    again = pos("import-products", str(products), "--url", url, settings=settings)
    assert (again.returncode, again.stdout.strip()) == (0, "1 created, 0 updated")


def test_a_store_that_cannot_be_reached_is_said_in_the_users_language(tmp_path: Path):
    settings = tmp_path / "settings.toml"
    settings.write_text("[database]\nconnect_timeout_seconds = 2\n", encoding="utf-8")

    done = pos("stock", "--url", "postgresql+psycopg://kasa@127.0.0.1:1/kasa", settings=settings)

    assert done.returncode == 1
    line = said_only(done)
    assert line.startswith("pos: Merkezi mağazaya ulaşılamıyor, tekrar deneyin (")
    assert "Connection refused" in line
