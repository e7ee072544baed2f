"""A restore that is tried: a backup is checked by restoring it into a scratch store, and
only a backup that passed replaces the till's store, with the store it replaces kept.

``verify_backup`` runs what the tests run after every scenario: SQLite's integrity
check, the schema known to this Kasa (and migrated to the newest, as the till would),
the stock invariant and each till's receipt series without a gap. ``restore_backup``
refuses a backup that lacks sales the store holds unless forced, saying how many.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from pos.domain.results import Code, Err, Ok, Result
from pos.services import books
from pos.services.backups import DUMP_SUFFIX, BackupFile, describe
from pos.store import snapshot
from pos.store.engine import StoreTimeouts, make_engine
from pos.store.migrate import known_revisions, upgrade

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
RESTORE_SECONDS = 1800.0
"""The longest a trial restore of a PostgreSQL dump may take."""
TRIAL_TIMEOUTS = StoreTimeouts(
    statement=RESTORE_SECONDS, lock=60.0, idle_in_transaction=RESTORE_SECONDS
)


@dataclass(frozen=True)
class Verified:
    """A backup that restored and passed every check; ``checks`` names them."""

    backup: BackupFile
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Restored:
    backup: BackupFile
    kept_aside: Path | None
    """Where the store it replaced now is; None if there was no store."""
    sales_lost: int
    """Paid sales the replaced store held and the backup does not (only with ``force``)."""


def verify_backup(path: Path, *, server: str | URL | None = None) -> Result[Verified]:
    """Restore ``path`` into a scratch store and check it; nothing else is touched.

    A PostgreSQL dump is restored into a scratch database on ``server`` (the shop's own,
    where the login may create one) and checked there as a SQLite backup is; without a
    server, or a login that may not create a database, its contents are read whole
    (``pg_restore --list``) and ``Verified.checks`` says that was all."""
    backup = describe(path)
    if backup is None or not path.is_file():
        return Err(Code.BACKUP_NOT_FOUND, {"path": str(path)})
    if backup.sha256 is not None and snapshot.sha256(path) != backup.sha256:
        return _damaged(path, "its bytes differ from when it was made (SHA-256)")
    if path.suffix == DUMP_SUFFIX:
        return _verify_dump(backup, server)
    with path.open("rb") as head:
        if head.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            return _damaged(path, "not a SQLite file")
    with tempfile.TemporaryDirectory(prefix="kasa-verify-") as scratch:
        copy = Path(scratch) / "store.sqlite3"
        shutil.copyfile(path, copy)
        return _verify_copy(backup, copy)


def _verify_copy(backup: BackupFile, copy: Path) -> Result[Verified]:
    path = backup.path
    try:
        problems = snapshot.integrity(copy)
        if problems:
            return _damaged(path, problems[0])
        schema = snapshot.books_of(copy).schema
    except sqlite3.DatabaseError as error:
        return _damaged(path, str(error))
    checked = _check_books(f"sqlite:///{copy}", schema)
    if isinstance(checked, Err):
        return checked
    return Ok(Verified(backup, ("integrity", *checked.value)))


def _check_books(url: str | URL, schema: str | None) -> Result[tuple[str, ...]]:
    """The schema known (and migrated to the newest, as the till would), the stock and
    the receipt series of a restored store; the names of the checks it passed."""
    if schema is None or schema not in known_revisions():
        return Err(Code.BACKUP_UNKNOWN_SCHEMA, {"schema": schema or "-"})
    # A big shop's books take longer to add up than the till's statements may.
    engine = make_engine(url, timeouts=TRIAL_TIMEOUTS)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            faults = books.stock_faults(connection) + books.receipt_gaps(connection)
    finally:
        engine.dispose()
    if faults:
        return Err(Code.BACKUP_BOOKS_WRONG, {"reason": "; ".join(faults[:3])})
    return Ok(("schema", "stock", "receipts"))


def _verify_dump(backup: BackupFile, server: str | URL | None) -> Result[Verified]:
    try:
        snapshot.pg_restore_list(backup.path)
    except snapshot.ToolMissing as missing:
        return Err(Code.BACKUP_TOOL_MISSING, {"tool": str(missing)})
    except snapshot.ToolFailed as failed:
        return _damaged(backup.path, str(failed))
    if server is None or make_url(server).get_backend_name() != "postgresql":
        return Ok(Verified(backup, ("contents",)))
    base = make_url(server)
    scratch = base.set(database=f"kasa_verify_{uuid.uuid4().hex[:12]}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    except DBAPIError as refused:
        log.info("no scratch database on %s: %s", base.host, refused.orig)
        admin.dispose()
        return Ok(Verified(backup, ("contents",)))
    try:
        try:
            snapshot.pg_restore(backup.path, scratch, timeout=RESTORE_SECONDS)
        except snapshot.ToolFailed as failed:
            return _damaged(backup.path, str(failed))
        checked = _check_books(scratch, _postgresql_schema(scratch))
        if isinstance(checked, Err):
            return checked
        return Ok(Verified(backup, ("contents", "restore", *checked.value)))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        admin.dispose()


def _postgresql_schema(url: URL) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def _damaged(path: Path, reason: str) -> Err:
    return Err(Code.BACKUP_DAMAGED, {"path": str(path), "reason": reason})


def restore_backup(
    path: Path, store_url: str | URL, *, force: bool = False, now: datetime | None = None
) -> Result[Restored]:
    """Replace the till's SQLite store with the backup at ``path``, once it verified.

    The store it replaces is copied aside first (``<store>.before-restore-<when>``) and
    never overwritten. A backup that lacks paid sales the store holds is refused unless
    ``force``. A till that has the store open holds a claim on it (``StoreClaim``), and the
    restore is refused while it does: the till would write on into the replaced file.
    """
    store = snapshot.sqlite_path(make_url(store_url))
    if store is None or path.suffix == DUMP_SUFFIX:
        return Err(Code.RESTORE_NOT_LOCAL)
    verified = verify_backup(path)
    if isinstance(verified, Err):
        return verified
    backup = verified.value.backup
    claim = snapshot.StoreClaim(store)
    try:
        claim.take_alone()
    except snapshot.StoreInUse:
        return Err(Code.STORE_IN_USE, {"path": str(store)})
    try:
        return _replace(store, backup, force=force, now=now)
    finally:
        claim.release()


def _replace(
    store: Path, backup: BackupFile, *, force: bool, now: datetime | None
) -> Result[Restored]:
    path = backup.path
    lost = _sales_missing_from(path, store) if store.exists() else 0
    if lost and not force:
        return Err(Code.BACKUP_OLDER_THAN_STORE, {"lost": lost})
    when = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    aside = store.with_name(f"{store.name}.before-restore-{when}") if store.exists() else None
    if aside is not None:
        if aside.exists():
            return Err(Code.BACKUP_FAILED, {"reason": f"{aside} is already there"})
        _keep_aside(store, aside)
    temporary = store.with_name(f".{store.name}.restoring")
    try:
        shutil.copyfile(path, temporary)
        snapshot.sync_file(temporary)
        for leftover in (_beside(store, "-wal"), _beside(store, "-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(temporary, store)
        snapshot.sync_directory(store.parent)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("store %s restored from %s; the old one is at %s", store, path, aside)
    return Ok(Restored(backup, aside, lost))


def _beside(store: Path, ending: str) -> Path:
    return store.with_name(store.name + ending)


def _keep_aside(store: Path, aside: Path) -> None:
    """A consistent copy of the store, its write-ahead log folded in, made before anything
    is replaced; then the log is emptied, so nothing of it can join the restored file."""
    temporary = aside.with_name(f".{aside.name}.tmp")
    try:
        snapshot.copy_sqlite(store, temporary, pause=0)
        snapshot.sync_file(temporary)
        os.replace(temporary, aside)
        snapshot.sync_directory(aside.parent)
    finally:
        temporary.unlink(missing_ok=True)
    snapshot.checkpoint(store)


def _sales_missing_from(backup: Path, store: Path) -> int:
    """Paid sales in the store that the backup does not hold (by the order's own id)."""
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        connection.execute("ATTACH DATABASE ? AS backup", (f"file:{backup}?mode=ro",))
        row = connection.execute(
            "SELECT count(*) FROM main.orders WHERE status = 'paid' AND id NOT IN"
            " (SELECT id FROM backup.orders WHERE status = 'paid')"
        ).fetchone()
        return int(row[0])
    except sqlite3.DatabaseError as error:
        # A store too damaged to count is what a restore is for; it is kept aside anyway.
        log.warning("cannot count the sales of %s: %s", store, error)
        return 0
    finally:
        connection.close()
