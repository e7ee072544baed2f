"""Backups: made while the till sells, checked, kept through crashes and full disks, tried
before a restore, and never quietly older than the store they replace."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from pos.domain.backups import BackupPolicy
from pos.domain.messages import render
from pos.domain.results import Code, Ok, Warn
from pos.runtime.backups import BackupLoop
from pos.services.backups import (
    STATUS_FILE,
    backup_status,
    list_backups,
    make_backup,
)
from pos.services.restore import restore_backup, verify_backup
from pos.store.engine import make_engine
from pos.store.models import Order, OrderStatus
from tests.conftest import Store, error, value
from tests.sales import sell_in_cash as sell

ROOT = Path(__file__).resolve().parents[2]
SQLITE_ONLY = pytest.mark.parametrize("store", ["sqlite"], indirect=True)
POSTGRESQL_ONLY = pytest.mark.parametrize(
    "store", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
QUICK = BackupPolicy(pause=timedelta(0))


def paid_sales(url) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(Order).where(Order.status == OrderStatus.PAID)
            return connection.execute(query).scalar_one()
    finally:
        engine.dispose()


def store_file(store: Store) -> Path:
    return Path(store.url.database or "")


# -- what a backup holds ---------------------------------------------------------------


def test_a_backup_holds_the_books_and_passes_the_trial_restore(store, uow, shelf, tmp_path):
    sell(uow, shelf, 3)

    report = value(make_backup(store.url, (tmp_path / "backups",), QUICK))

    (made,) = report.made
    assert made.sales == 3
    listed = list_backups((tmp_path / "backups",))
    assert [backup.path for backup in listed] == [made.path]
    assert listed[0].sales == 3
    if store.dialect == "sqlite":
        assert made.path.suffix == ".sqlite3"
        assert made.last_receipt == "T01-000003"
        assert value(verify_backup(made.path)).checks == (
            "integrity",
            "schema",
            "stock",
            "receipts",
        )
    else:
        assert made.path.suffix == ".dump"
        assert value(verify_backup(made.path)).checks == ("contents",)
        tried = value(verify_backup(made.path, server=store.url)).checks
        assert tried == ("contents", "restore", "schema", "stock", "receipts")
        assert _restored_sales_on_postgresql(store, made.path) == 3


def _restored_sales_on_postgresql(store: Store, dump: Path) -> int:
    """Restore the dump into a new database on the same server: what the README tells."""
    from pos.store import snapshot

    name = f"kasa_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(store.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        snapshot.pg_restore(dump, store.url.set(database=name), timeout=120)
        return paid_sales(store.url.set(database=name))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@POSTGRESQL_ONLY
def test_a_postgresql_store_without_pg_dump_is_told_so(store, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))

    refused = error(make_backup(store.url, (tmp_path / "backups",), QUICK))

    assert refused.code == Code.BACKUP_TOOL_MISSING
    assert "pg_dump kurulu değil" in render(refused, "tr")
    assert list_backups((tmp_path / "backups",)) == ()


@SQLITE_ONLY
def test_the_second_place_gets_a_copy_and_a_missing_one_is_told(store, uow, shelf, tmp_path):
    sell(uow, shelf, 1)
    first, second = tmp_path / "disk", tmp_path / "usb"

    warned = make_backup(store.url, (first, second), QUICK)

    # The stick is not plugged in: the backup is made on the disk all the same, and the
    # empty mount point is not filled with a copy that would sit on the same disk.
    assert isinstance(warned, Warn)
    assert warned.code == Code.BACKUP_PLACE_FAILED
    assert "USB" in render(warned, "tr")
    assert not second.exists()
    assert backup_status((first, second)).failure.code == Code.BACKUP_PLACE_MISSING

    second.mkdir()
    report = value(make_backup(store.url, (first, second), QUICK))
    assert [backup.path.parent for backup in report.made] == [first, second]
    assert report.made[0].sha256 == report.made[1].sha256
    assert value(verify_backup(report.made[1].path)).backup.sales == 1
    assert backup_status((first, second)).failure is None


@SQLITE_ONLY
def test_the_sales_keep_coming_while_a_backup_is_made(store, uow, shelf, tmp_path):
    sell(uow, shelf, 2)

    def sell_one_more(_remaining: int, _total: int) -> None:
        if not sold:
            sold.append(True)
            sell(uow, shelf, 1)  # commits in the middle of the copy

    sold: list[bool] = []
    policy = BackupPolicy(pause=timedelta(0), slice_pages=8)
    made = value(make_backup(store.url, (tmp_path,), policy, after_slice=sell_one_more)).made[0]

    # The backup is the store at one instant, the one its copy began at.
    assert sold
    assert paid_sales(store.url) == 3
    assert made.sales == 2
    assert value(verify_backup(made.path)).backup.sales == 2


# -- a trial restore catches a bad backup ------------------------------------------------


@pytest.fixture
def good_backup(store, uow, shelf, tmp_path) -> Path:
    sell(uow, shelf, 3)
    return value(make_backup(store.url, (tmp_path / "backups",), QUICK)).made[0].path


def _without_sidecar(path: Path) -> Path:
    path.with_suffix(".json").unlink()
    return path


@SQLITE_ONLY
def test_verify_catches_a_changed_byte_by_its_checksum(good_backup):
    with good_backup.open("r+b") as file:
        file.seek(good_backup.stat().st_size // 2)
        byte = file.read(1)
        file.seek(-1, os.SEEK_CUR)
        file.write(bytes([byte[0] ^ 0xFF]))

    refused = error(verify_backup(good_backup))

    assert refused.code == Code.BACKUP_DAMAGED
    assert "SHA-256" in refused.params["reason"]


@SQLITE_ONLY
def test_verify_catches_a_damaged_page_without_the_sidecar(good_backup):
    _without_sidecar(good_backup)
    with sqlite3.connect(good_backup) as connection:
        page = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'order_items'"
        ).fetchone()[0]
    with good_backup.open("r+b") as file:
        file.seek((page - 1) * 4096)
        file.write(b"\x0d" + b"\xff" * 64)  # a leaf page whose header points nowhere

    refused = error(verify_backup(good_backup))

    assert refused.code == Code.BACKUP_DAMAGED


@SQLITE_ONLY
def test_verify_catches_a_cut_off_file(good_backup):
    _without_sidecar(good_backup)
    with good_backup.open("r+b") as file:
        file.truncate(good_backup.stat().st_size // 3)

    assert error(verify_backup(good_backup)).code == Code.BACKUP_DAMAGED


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ("UPDATE inventory SET available = available + 1", "product"),
        ("DELETE FROM receipts WHERE number = 2", "receipts numbered"),
    ],
)
def test_verify_catches_books_that_do_not_add_up(good_backup, edit, said):
    _without_sidecar(good_backup)
    with sqlite3.connect(good_backup) as connection:
        connection.execute(edit)

    refused = error(verify_backup(good_backup))

    assert refused.code == Code.BACKUP_BOOKS_WRONG
    assert said in refused.params["reason"]


def test_verify_says_when_there_is_no_file(tmp_path):
    assert error(verify_backup(tmp_path / "kasa-x.sqlite3")).code == Code.BACKUP_NOT_FOUND


# -- restore -----------------------------------------------------------------------------


@SQLITE_ONLY
def test_restore_refuses_a_backup_older_than_the_stores_sales(store, uow, shelf, tmp_path):
    sell(uow, shelf, 2)
    older = value(make_backup(store.url, (tmp_path / "backups",), QUICK)).made[0].path
    sell(uow, shelf, 3)
    store.engine.dispose()  # the till is closed for a restore
    before = store_file(store).read_bytes()

    refused = error(restore_backup(older, store.url))

    assert refused.code == Code.BACKUP_OLDER_THAN_STORE
    assert refused.params["lost"] == 3
    assert "3 satış kaybolur" in render(refused, "tr")
    assert store_file(store).read_bytes() == before
    assert not list(store_file(store).parent.glob("*.before-restore-*"))
    assert paid_sales(store.url) == 5


@SQLITE_ONLY
def test_a_forced_restore_keeps_the_replaced_store_aside(store, uow, shelf, tmp_path):
    sell(uow, shelf, 2)
    older = value(make_backup(store.url, (tmp_path / "backups",), QUICK)).made[0].path
    sell(uow, shelf, 3)
    store.engine.dispose()

    restored = value(restore_backup(older, store.url, force=True))

    assert restored.sales_lost == 3
    assert paid_sales(store.url) == 2
    aside = restored.kept_aside
    assert aside is not None
    assert aside.parent == store_file(store).parent
    assert paid_sales(f"sqlite:///{aside}") == 5  # nothing is ever thrown away


@SQLITE_ONLY
def test_a_backup_holding_every_sale_restores_without_force(store, uow, shelf, tmp_path):
    sell(uow, shelf, 2)
    newest = value(make_backup(store.url, (tmp_path / "backups",), QUICK)).made[0].path
    with store.engine.begin() as connection:  # the disk goes bad under the store
        connection.execute(text("DELETE FROM receipts"))
    store.engine.dispose()

    restored = value(restore_backup(newest, store.url))

    assert restored.sales_lost == 0
    assert paid_sales(store.url) == 2
    assert value(verify_backup(newest)).backup.sales == 2


@SQLITE_ONLY
def test_a_store_an_open_till_holds_is_not_replaced(store, uow, shelf, tmp_path):
    sell(uow, shelf, 1)
    backup = value(make_backup(store.url, (tmp_path / "backups",), QUICK)).made[0].path
    till = BackupLoop(store.url.render_as_string(), (tmp_path / "backups",), BackupPolicy())
    till.start()  # as the till does when it opens
    try:
        refused = error(restore_backup(backup, store.url))
        assert refused.code == Code.STORE_IN_USE
        assert "kasayı kapatın" in render(refused, "tr")
    finally:
        till.stop()

    assert value(restore_backup(backup, store.url)).sales_lost == 0


@SQLITE_ONLY
def test_a_damaged_backup_is_never_restored(store, uow, shelf, tmp_path):
    sell(uow, shelf, 1)
    backup = value(make_backup(store.url, (tmp_path / "backups",), QUICK)).made[0].path
    backup.write_bytes(backup.read_bytes()[:5000])
    store.engine.dispose()
    before = store_file(store).read_bytes()

    assert error(restore_backup(backup, store.url, force=True)).code == Code.BACKUP_DAMAGED
    assert store_file(store).read_bytes() == before


@POSTGRESQL_ONLY
def test_a_postgresql_store_is_restored_on_its_server(store, tmp_path):
    dump = value(make_backup(store.url, (tmp_path,), QUICK)).made[0].path

    assert error(restore_backup(dump, store.url)).code == Code.RESTORE_NOT_LOCAL


# -- crashes and full disks ---------------------------------------------------------------


def _backing_up_till(store: Store, place: Path, pages: int, pause: float) -> subprocess.Popen:
    url = store.url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.backing_up_till", url, str(place), str(pages), str(pause)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its pg_dump dies with it
    )


def _kill(child: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, 9)
    child.wait(timeout=10)


def test_a_till_killed_at_any_point_of_a_backup_leaves_the_last_good_one(
    store, uow, shelf, tmp_path
):
    sell(uow, shelf, 4)
    place = tmp_path / "backups"
    first = value(make_backup(store.url, (place,), QUICK)).made[0]
    sell(uow, shelf, 1)
    sqlite = store.dialect == "sqlite"
    # SQLite: killed after so many slices of the copy (a migrated store is ~70 slices of
    # 4 pages), then so many seconds after its last slice, in the check, the flush and the
    # renames. PostgreSQL: so many seconds into the run of pg_dump and its check.
    copying = [("slices", n) for n in (0, 1, 5, 20, 40, 60)] if sqlite else []
    after = [0.0, 0.002, 0.005, 0.01, 0.02, 0.04] if sqlite else [0.0, 0.05, 0.1, 0.2, 0.3]
    points = [*copying, *(("after", seconds) for seconds in after)]
    outcomes = set()
    left_behind = 0
    for kind, point in points:
        child = _backing_up_till(store, place, pages=4, pause=0.002)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "begin"
        if kind == "slices":
            for _ in range(int(point) + 1):
                if not child.stdout.readline().startswith("slice"):
                    break
        else:
            if sqlite:
                for line in child.stdout:
                    if line.strip() == "slice 0":
                        break
            time.sleep(point)
        _kill(child)

        backups = list_backups((place,))
        assert backups, (kind, point)
        left_behind += any(path.name.startswith(".kasa-backup-") for path in place.iterdir())
        for backup in backups:
            # Every backup there is whole: none was left half-written under its name.
            assert isinstance(verify_backup(backup.path), Ok), (kind, point, backup.path)
        outcomes.add(backups[0].sales)
        newest = backups[0]
        if sqlite:
            scratch = tmp_path / f"restored-{kind}-{point}.sqlite3"
            value(restore_backup(newest.path, f"sqlite:///{scratch}"))
            assert paid_sales(f"sqlite:///{scratch}") in (first.sales, 5)
    # Some kills caught a backup half-made (its temporary file is there to show it).
    assert left_behind, outcomes
    # And a backup after all that is made, and clears what the dead ones left.
    made = value(make_backup(store.url, (place,), QUICK)).made[0]
    assert made.sales == 5
    assert not [path for path in place.iterdir() if path.name.startswith(".kasa-backup-")]


FULL_DISK_MIB = 2


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A folder on a 2 MiB file system of its own (a tmpfs), as a full USB stick is."""
    place = tmp_path / "small"
    place.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={FULL_DISK_MIB}m", "tmpfs", str(place)],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired) as failed:
        pytest.skip(f"cannot mount a small file system here: {failed}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield place
    finally:
        subprocess.run(["umount", "-l", str(place)], check=False, timeout=10)


@contextmanager
def grown_past_the_stick(store: Store) -> Iterator[None]:
    """The shop's books grown past the 2 MiB stick (even compressed, as pg_dump writes)."""
    rows = FULL_DISK_MIB * 12
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.execute(text("CREATE TABLE filler (data BLOB)"))
            for _ in range(rows):
                connection.execute(text("INSERT INTO filler VALUES (randomblob(100000))"))
        else:
            connection.execute(text("CREATE TABLE filler (data bytea)"))
            connection.execute(
                text(
                    "INSERT INTO filler SELECT decode(string_agg(md5(random()::text), ''),"
                    " 'hex') FROM generate_series(1, 6250) AS part,"
                    " generate_series(1, :rows) AS row GROUP BY row"
                ),
                {"rows": rows},
            )
    try:
        yield
    finally:
        with store.engine.begin() as connection:
            connection.execute(text("DROP TABLE filler"))


def test_a_full_disk_leaves_the_last_good_backup_and_says_so(store, uow, shelf, small_disk):
    sell(uow, shelf, 2)
    good = value(make_backup(store.url, (small_disk,), QUICK)).made[0]

    with grown_past_the_stick(store):
        refused = error(make_backup(store.url, (small_disk,), QUICK))

    assert refused.code == Code.BACKUP_DISK_FULL
    assert str(small_disk) in render(refused, "en")
    assert "dolu" in render(refused, "tr")
    assert [backup.path for backup in list_backups((small_disk,))] == [good.path]
    assert value(verify_backup(good.path)).backup.sales == 2
    leftovers = [p.name for p in small_disk.iterdir() if p.name.startswith(".kasa-backup-")]
    assert leftovers == []
    assert backup_status((small_disk,)).failure.code == Code.BACKUP_DISK_FULL
    assert (small_disk / STATUS_FILE).exists()


def test_a_full_first_place_still_leaves_a_backup_in_the_second(
    store, uow, shelf, small_disk, tmp_path
):
    sell(uow, shelf, 1)
    other = tmp_path / "network-folder"
    other.mkdir()

    with grown_past_the_stick(store):
        warned = make_backup(store.url, (small_disk, other), QUICK)

    assert isinstance(warned, Warn)
    assert warned.code == Code.BACKUP_PLACE_FAILED
    assert warned.params["made"] == str(other)
    assert warned.params["reason"].code == Code.BACKUP_DISK_FULL
    assert "dolu" in render(warned, "tr")
    (made,) = list_backups((small_disk, other))
    assert made.path.parent == other
    assert isinstance(verify_backup(made.path), Ok)
