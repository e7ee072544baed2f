"""The till's journal key: in the OS keyring where there is one, else in a file only the
till's user may read; made once, then the same key every time."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pos import journal_keys
from pos.journal_keys import KEY_DIR_ENV, KEYRING, key_place, public_bytes, till_key
from tests.unit.test_settings import MemoryKeyring, no_keyring, os_keyring  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_keys, "_cache", {})


def test_without_a_keyring_the_key_is_a_file_only_its_user_may_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_keyring: None,  # noqa: F811
) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    key = till_key("T01")

    path = tmp_path / "kasa" / "journal-keys" / "T01.key"
    assert key_place() == str(path.parent)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert list(path.parent.iterdir()) == [path]  # no half-written file left beside it
    journal_keys._cache.clear()  # another run of the till reads the same key back
    assert public_bytes(till_key("T01")) == public_bytes(key)
    assert public_bytes(till_key("T02")) != public_bytes(key)


def test_with_a_keyring_the_key_is_kept_there_and_nothing_is_written_to_disk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    os_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    monkeypatch.delenv(KEY_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    key = till_key("T01")

    assert key_place() == KEYRING
    assert list(os_keyring.secrets) == [("kasa", "journal-key:T01")]
    assert not (tmp_path / "kasa").exists()
    journal_keys._cache.clear()
    assert public_bytes(till_key("T01")) == public_bytes(key)
