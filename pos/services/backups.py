"""Backups of the store: made, checked, put in place, rotated, listed.

A backup is first written to a hidden temporary file in the place it goes, checked
(SQLite's integrity check, the schema's version, as many rows of the books as the
store held at that instant), flushed to the disk, and only then renamed into place: a
crash, a pulled plug or a full disk during a backup leaves the last good one as it was.
Beside each backup a small JSON file says what it holds (when, how large, how many
sales, the last receipt), so ``pos backup list`` need not open every file.

The first place is the till's data directory (or ``[backup] directory``); a second place
(a USB stick, a network folder) gets a copy of the same checked file. A second place
is never created: a folder that is not there is a stick that is not plugged in, and a
copy written to the empty mount point would sit on the same disk as the store.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import URL, func, make_url, select
from sqlalchemy.exc import DBAPIError, ProgrammingError

from pos.domain.backups import BackupPolicy, to_keep
from pos.domain.receipt import receipt_label
from pos.domain.results import Code, Err, Ok, Result, Warn
from pos.store import snapshot
from pos.store.engine import make_engine, store_failure
from pos.store.models import Order, OrderStatus

log = logging.getLogger(__name__)

PREFIX = "kasa-"
SQLITE_SUFFIX = ".sqlite3"
DUMP_SUFFIX = ".dump"
SIDECAR_SUFFIX = ".json"
TEMPORARY_PREFIX = ".kasa-backup-"
STATUS_FILE = "last-backup.json"
STALE_TEMPORARY_SECONDS = 6 * 3600
"""A temporary file older than this is what a crashed backup left: removed at the next."""


@dataclass(frozen=True)
class BackupFile:
    """One backup as ``pos backup list`` shows it."""

    path: Path
    made_at: datetime
    """When it was made (UTC)."""
    size: int
    sales: int | None
    """Paid sales it holds; None for a file whose sidecar was lost and that was not read."""
    last_receipt: str | None
    sha256: str | None

    @property
    def kind(self) -> str:
        return "pg_dump" if self.path.suffix == DUMP_SUFFIX else "sqlite"


@dataclass(frozen=True)
class BackupReport:
    """What one backup did: the files it made, the old ones rotation removed."""

    made: tuple[BackupFile, ...]
    removed: tuple[Path, ...]


@dataclass(frozen=True)
class BackupStatus:
    """What the till and the back office show: the last good backup, the last failure."""

    last_good: BackupFile | None
    failed_at: datetime | None
    failure: Err | None


def places(policy: BackupPolicy, data_directory: Path) -> tuple[Path, ...]:
    """Where backups go: the first place, then the second if the shop set one."""
    first = policy.directory or data_directory / "backups"
    return (first,) if policy.second_place is None else (first, policy.second_place)


def make_backup(
    store_url: str | URL,
    where: Sequence[Path],
    policy: BackupPolicy,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    after_slice: Callable[[int, int], None] | None = None,
) -> Result[BackupReport]:
    """Back the store at ``store_url`` up into each of ``where``; rotate each place.

    Ok when every place holds the new backup; Warn when one does and another could not
    take it (a full disk, a stick not plugged in); Err (with why) when no place holds one.
    """
    url = make_url(store_url)
    started = now()
    source = snapshot.sqlite_path(url)
    refusal = None
    if source is None and url.get_backend_name() == "sqlite":
        refusal = Err(Code.BACKUP_FAILED, {"reason": "the store is in memory"})
    elif source is not None and not source.is_file():
        refusal = Err(Code.BACKUP_FAILED, {"reason": f"there is no store at {source}"})
    if refusal is not None:
        _note_status(where[0], started, refusal)
        return refusal

    def first_copy(temporary: Path) -> dict[str, object]:
        if source is not None:
            books = snapshot.copy_sqlite(
                source,
                temporary,
                pause=policy.pause.total_seconds(),
                pages=policy.slice_pages,
                after_slice=after_slice,
            )
            _check_sqlite_copy(temporary, books)
            return _facts(books.sales, books.last_receipt, books.schema)
        sales = _postgresql_sales(url)
        snapshot.pg_dump(url, temporary, timeout=policy.pg_dump_timeout.total_seconds())
        snapshot.pg_restore_list(temporary)
        return _facts(sales, None, None)

    suffix = SQLITE_SUFFIX if source is not None else DUMP_SUFFIX
    made: list[BackupFile] = []
    failures: list[Err] = []
    for place in where:
        try:
            if not made:
                made.append(_write_first(place, suffix, started, first_copy))
            else:
                made.append(_copy_into(place, made[0]))
        except Exception as error:  # every failure is told; none may stop the next place
            failure = _failure(error, place)
            if failure is None:
                raise
            log.info("backup into %s failed: %s", place, error)
            failures.append(failure)
    removed: list[Path] = []
    for backup in made:
        removed.extend(rotate(backup.path.parent, policy))
    report = BackupReport(tuple(made), tuple(removed))
    if not made:
        _note_status(where[0], started, failures[0])
        return Err(failures[0].code, failures[0].params, tuple(failures[1:]))
    _note_status(where[0], started, failures[0] if failures else None)
    if failures:
        kept = str(made[0].path.parent)
        return Warn(report, Code.BACKUP_PLACE_FAILED, {"made": kept, "reason": failures[0]})
    return Ok(report)


def _facts(
    sales: int | None, last: tuple[str, int] | None, schema: str | None
) -> dict[str, object]:
    return {
        "sales": sales,
        "last_receipt": receipt_label(*last) if last else None,
        "schema": schema,
    }


def _check_sqlite_copy(path: Path, books: snapshot.Books) -> None:
    # The store's own foreign keys held what was copied; the pages are what is checked.
    problems = snapshot.integrity(path, foreign_keys=False)
    if problems:
        raise _CheckFailed(problems[0])
    copied = snapshot.books_of(path)
    if copied.schema is None:
        raise _CheckFailed("no schema version")
    if copied.schema != books.schema:
        raise _CheckFailed(f"schema {copied.schema}, the store's is {books.schema}")
    for table, rows in books.rows.items():
        if copied.rows.get(table) != rows:
            raise _CheckFailed(f"{table}: {copied.rows.get(table)} rows of {rows}")


def _postgresql_sales(url: URL) -> int | None:
    """Paid sales in the central store as the dump starts; None where there is no sales
    table to count (a database Kasa has not set up yet is dumped all the same)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            counted = select(func.count()).where(Order.status == OrderStatus.PAID)
            return int(connection.execute(counted.select_from(Order)).scalar_one())
    except ProgrammingError:
        return None
    finally:
        engine.dispose()


class _CheckFailed(Exception):
    """The copy was written but is not the store: it never replaces a good backup."""


def _write_first(
    place: Path,
    suffix: str,
    started: datetime,
    first_copy: Callable[[Path], dict[str, object]],
) -> BackupFile:
    place.mkdir(parents=True, exist_ok=True)
    _remove_stale(place)
    temporary = _temporary(place)
    try:
        facts = first_copy(temporary)
        return _put_in_place(temporary, place, suffix, started, facts)
    finally:
        temporary.unlink(missing_ok=True)


def _copy_into(place: Path, backup: BackupFile) -> BackupFile:
    if not place.is_dir():
        raise _PlaceMissing(place)
    _remove_stale(place)
    temporary = _temporary(place)
    try:
        shutil.copyfile(backup.path, temporary)
        if snapshot.sha256(temporary) != backup.sha256:
            raise _CheckFailed("the copy differs from the backup")
        facts: dict[str, object] = {"sales": backup.sales, "last_receipt": backup.last_receipt}
        return _put_in_place(temporary, place, backup.path.suffix, backup.made_at, facts)
    finally:
        temporary.unlink(missing_ok=True)


class _PlaceMissing(Exception):
    pass


def _temporary(place: Path) -> Path:
    path = place / f"{TEMPORARY_PREFIX}{os.getpid()}-{time.monotonic_ns()}.tmp"
    path.touch(exist_ok=False)
    return path


def _put_in_place(
    temporary: Path, place: Path, suffix: str, made_at: datetime, facts: dict[str, object]
) -> BackupFile:
    """Flush the checked copy to the disk, say what it holds beside it, then rename it
    into its name: until that rename, the place holds exactly what it held before."""
    digest = snapshot.sha256(temporary)
    snapshot.sync_file(temporary)
    final = _free_name(place, made_at, suffix)
    size = temporary.stat().st_size
    sidecar = {
        "made_at": made_at.isoformat(),
        "size": size,
        "sha256": digest,
        **facts,
    }
    side_temporary = temporary.with_suffix(".json.tmp")
    try:
        side_temporary.write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
        snapshot.sync_file(side_temporary)
        os.replace(side_temporary, final.with_suffix(SIDECAR_SUFFIX))
    finally:
        side_temporary.unlink(missing_ok=True)
    os.replace(temporary, final)
    snapshot.sync_directory(place)
    sales = facts.get("sales")
    last = facts.get("last_receipt")
    return BackupFile(
        final,
        made_at,
        size,
        sales if isinstance(sales, int) else None,
        last if isinstance(last, str) else None,
        digest,
    )


def _free_name(place: Path, made_at: datetime, suffix: str) -> Path:
    stamp = made_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = place / f"{PREFIX}{stamp}{suffix}"
    extra = 1
    while candidate.exists():
        candidate = place / f"{PREFIX}{stamp}-{extra}{suffix}"
        extra += 1
    return candidate


def _remove_stale(place: Path) -> None:
    """Remove what a backup that died left: a temporary file whose process is gone, or
    one too old to be a backup still under way."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for leftover in place.glob(f"{TEMPORARY_PREFIX}*"):
        try:
            if not _writer_alive(leftover) or leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            continue


def _writer_alive(temporary: Path) -> bool:
    pid = temporary.name.removeprefix(TEMPORARY_PREFIX).split("-")[0]
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # there, but another user's
    return True


def _failure(error: Exception, place: Path) -> Err | None:
    """What the shop is told about a backup that failed; None for a fault in the code."""
    where = str(place)
    if isinstance(error, _PlaceMissing):
        return Err(Code.BACKUP_PLACE_MISSING, {"place": where})
    if isinstance(error, _CheckFailed):
        return Err(Code.BACKUP_CHECK_FAILED, {"reason": str(error)})
    if isinstance(error, snapshot.ToolMissing):
        return Err(Code.BACKUP_TOOL_MISSING, {"tool": str(error)})
    if isinstance(error, snapshot.ToolFailed):
        if "No space left on device" in str(error):
            return Err(Code.BACKUP_DISK_FULL, {"place": where})
        return Err(Code.BACKUP_TOOL_FAILED, {"tool": "pg_dump", "reason": str(error)})
    if isinstance(error, sqlite3.Error):
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return Err(Code.BACKUP_DISK_FULL, {"place": where})
        if getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return Err(Code.STORE_BUSY)
        return Err(Code.BACKUP_FAILED, {"reason": str(error)})
    if isinstance(error, DBAPIError):
        code = store_failure(error)
        return Err(code) if code is not None else None
    if isinstance(error, OSError):
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return Err(Code.BACKUP_DISK_FULL, {"place": where})
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = os.strerror(error.errno)
            return Err(Code.BACKUP_PLACE_UNWRITABLE, {"place": where, "reason": reason})
        return Err(Code.BACKUP_FAILED, {"reason": f"{place}: {error.strerror or error}"})
    return None


# -- rotation ------------------------------------------------------------------------


def rotate(place: Path, policy: BackupPolicy) -> list[Path]:
    """Remove the backups in ``place`` that rotation does not keep; the files removed.
    Only files named as Kasa names its backups are ever touched."""
    backups = list_place(place, read_files=False)
    keep = {
        (suffix, at)
        for suffix in (SQLITE_SUFFIX, DUMP_SUFFIX)
        for at in to_keep(
            [b.made_at.astimezone() for b in backups if b.path.suffix == suffix], policy
        )
    }
    removed = []
    for backup in backups:
        if (backup.path.suffix, backup.made_at.astimezone()) in keep:
            continue
        try:
            backup.path.unlink()
            backup.path.with_suffix(SIDECAR_SUFFIX).unlink(missing_ok=True)
        except OSError as error:
            log.warning("cannot remove old backup %s: %s", backup.path, error)
            continue
        removed.append(backup.path)
    return removed


# -- listing ---------------------------------------------------------------------------


def list_backups(where: Sequence[Path]) -> tuple[BackupFile, ...]:
    """Every backup in every place, newest first."""
    found = [backup for place in where for backup in list_place(place)]
    return tuple(sorted(found, key=lambda backup: (backup.made_at, str(backup.path)), reverse=True))


def list_place(place: Path, *, read_files: bool = True) -> list[BackupFile]:
    """The backups in one place; a missing place holds none."""
    if not place.is_dir():
        return []
    found = []
    for path in place.iterdir():
        if not path.name.startswith(PREFIX) or path.suffix not in (SQLITE_SUFFIX, DUMP_SUFFIX):
            continue
        backup = describe(path, read_file=read_files)
        if backup is not None:
            found.append(backup)
    return found


def describe(path: Path, *, read_file: bool = True) -> BackupFile | None:
    """A backup file as its sidecar says, or as the file itself says when the sidecar is
    gone (``read_file``: open a SQLite backup to count its sales)."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    facts = _sidecar(path)
    made_at = _made_at(path, facts)
    sales, last = facts.get("sales"), facts.get("last_receipt")
    if not facts and read_file and path.suffix == SQLITE_SUFFIX:
        try:
            books = snapshot.books_of(path)
            sales = books.sales
            last = receipt_label(*books.last_receipt) if books.last_receipt else None
        except sqlite3.Error:
            pass
    digest = facts.get("sha256")
    return BackupFile(
        path,
        made_at,
        size,
        sales if isinstance(sales, int) else None,
        last if isinstance(last, str) else None,
        digest if isinstance(digest, str) else None,
    )


def _sidecar(path: Path) -> dict[str, object]:
    try:
        facts = json.loads(path.with_suffix(SIDECAR_SUFFIX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return facts if isinstance(facts, dict) else {}


def _made_at(path: Path, facts: dict[str, object]) -> datetime:
    written = facts.get("made_at")
    if isinstance(written, str):
        try:
            return datetime.fromisoformat(written).astimezone(UTC)
        except ValueError:
            pass
    stamp = path.stem.removeprefix(PREFIX).split("-")[0]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


# -- status ----------------------------------------------------------------------------


def backup_status(where: Sequence[Path]) -> BackupStatus:
    """The newest backup in any place, and the last failure if the last backup failed."""
    backups = list_backups(where)
    failed_at, failure = None, None
    noted = _read_status(where[0]) if where else {}
    code, params, at = noted.get("code"), noted.get("params"), noted.get("at")
    if isinstance(code, str) and code in Code.__members__.values():
        failure = Err(Code(code), params if isinstance(params, dict) else {})
        try:
            failed_at = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            failed_at = None
    return BackupStatus(backups[0] if backups else None, failed_at, failure)


def _read_status(place: Path) -> dict[str, object]:
    try:
        noted = json.loads((place / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return noted if isinstance(noted, dict) else {}


def _note_status(place: Path, at: datetime, failure: Err | None) -> None:
    """Remember the last backup's failure in the first place, for the back office; a
    place that cannot take even this small file is already told about."""
    path = place / STATUS_FILE
    try:
        if failure is None:
            path.unlink(missing_ok=True)
            return
        place.mkdir(parents=True, exist_ok=True)
        params = {name: _plain(value) for name, value in failure.params.items()}
        noted = {"at": at.isoformat(), "code": failure.code.value, "params": params}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(noted, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        log.warning("cannot note the backup's failure in %s: %s", place, error)


def _plain(value: object) -> object:
    if isinstance(value, Err):
        return {"code": value.code.value, **{k: _plain(v) for k, v in value.params.items()}}
    return value if isinstance(value, int | str) else str(value)
