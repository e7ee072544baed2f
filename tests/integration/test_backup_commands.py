"""``pos backup``, ``pos backup list``, ``pos backup verify`` and ``pos restore`` as a shop
owner runs them, and the till's own backup loop."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from pos.cli import main
from pos.domain.backups import BackupPolicy
from pos.domain.results import Code, Err
from pos.runtime.backups import BackupLoop
from pos.services.backups import backup_status, list_backups
from pos.services.users import create_user
from pos.store.engine import make_engine
from pos.store.migrate import upgrade
from pos.store.models import Role
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, value
from tests.sales import sell_in_cash


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with a migrated store in the data directory and English answers."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    monkeypatch.setenv("POS_LOCALE", "en")
    assert main(["db", "upgrade"]) == 0
    return tmp_path


def test_pos_backup_makes_one_and_lists_it(home, capsys):
    capsys.readouterr()
    assert main(["backup"]) == 0
    made = capsys.readouterr().out
    assert "/data/kasa/backups/kasa-" in made
    assert "0 sales" in made

    assert main(["backup", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1
    assert listed[0].split()[0] == made.split()[0]


def test_pos_backup_to_a_folder_then_verify_and_restore(home, capsys):
    folder = home / "stick"
    assert main(["backup", "--to", str(folder)]) == 0
    (backup,) = folder.glob("kasa-*.sqlite3")

    assert main(["backup", "verify", str(backup)]) == 0
    assert "good (integrity, schema, stock, receipts)" in capsys.readouterr().out

    assert main(["restore", str(backup)]) == 0
    said = capsys.readouterr().out
    assert "the store it replaced is kept at" in said
    assert list((home / "data" / "kasa").glob("kasa.sqlite3.before-restore-*"))


def test_pos_restore_says_how_many_sales_an_older_backup_would_lose(home, capsys):
    store = home / "data" / "kasa" / "kasa.sqlite3"
    engine = make_engine(f"sqlite:///{store}")
    uow = UnitOfWork(engine)
    manager = value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))
    shelf = Shelf(uow, manager)
    assert main(["backup", "--to", str(home / "stick")]) == 0
    (older,) = (home / "stick").glob("kasa-*.sqlite3")
    sell_in_cash(uow, shelf, 2)
    engine.dispose()
    capsys.readouterr()

    assert main(["restore", str(older)]) == 1
    assert "would lose 2 sales" in capsys.readouterr().err
    assert main(["restore", str(older), "--force"]) == 0
    assert "2 sales of the replaced store are not in the backup" in capsys.readouterr().out


def test_pos_backup_verify_refuses_a_damaged_file_and_says_why(home, capsys):
    bad = home / "kasa-20260101T000000Z.sqlite3"
    bad.write_bytes(b"not a store at all")

    assert main(["backup", "verify", str(bad)]) == 1
    assert "damaged" in capsys.readouterr().err
    assert main(["restore", str(bad), "--force"]) == 1


def test_a_place_that_cannot_be_written_is_told_in_turkish(home, capsys, monkeypatch):
    monkeypatch.setenv("POS_LOCALE", "tr")
    blocked = home / "file-not-folder"
    blocked.write_text("x")

    assert main(["backup", "--to", str(blocked / "backups")]) == 1
    assert "Yedek alınamadı" in capsys.readouterr().err


def test_the_tills_loop_backs_up_on_its_thread_and_tells(tmp_path):
    store = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{store}")
    upgrade(engine)
    engine.dispose()
    heard: list[object] = []
    done = threading.Event()
    policy = BackupPolicy(first_after=timedelta(0), every=timedelta(hours=4))

    def told(result: object) -> None:
        heard.append((threading.current_thread().name, result))
        done.set()

    loop = BackupLoop(f"sqlite:///{store}", (tmp_path / "backups",), policy, on_done=told)
    loop.start()
    try:
        assert done.wait(10)
    finally:
        loop.stop()
    ((thread, result),) = heard
    assert thread == "backups"
    assert not isinstance(result, Err)
    assert len(list_backups((tmp_path / "backups",))) == 1
    assert loop.last_good is not None


def test_the_tills_loop_tells_a_failure_and_the_status_keeps_it(tmp_path):
    loop = BackupLoop(f"sqlite:///{tmp_path / 'missing.sqlite3'}", (tmp_path,), BackupPolicy())

    result = loop.back_up()

    assert isinstance(result, Err)
    assert result.code == Code.BACKUP_FAILED
    assert backup_status((tmp_path,)).failure == result
    assert not (tmp_path / "missing.sqlite3").exists()  # never made up an empty store
