"""Copies of the store: SQLite's online backup API and PostgreSQL's ``pg_dump``.

The SQLite copy holds one read transaction on the store for the whole copy, so it is
one consistent instant of the books (WAL lets the till go on writing meanwhile, and
the copy never starts over because of it), and copies in slices with a short rest
between them, so the till's own reads get the disk in between. Nothing here decides
where a copy goes or whether it is good: ``pos.services.backups`` does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a restore there trusts the README
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import URL, make_url

PAGES_PER_SLICE = 2048
"""Pages copied before each rest: 8 MiB of 4 KiB pages."""

BOOKS = ("orders", "payments", "receipts", "stock_moves")
"""The tables whose rows a backup must hold exactly as many of as the store did."""


@dataclass(frozen=True)
class Books:
    """What a copy of the store holds, counted in one read transaction."""

    rows: dict[str, int]
    """Rows of each table in ``BOOKS``."""
    sales: int
    """Paid sales."""
    last_receipt: tuple[str, int] | None
    """The till and number of the receipt given out last, if any."""
    last_sale_at: str | None
    """When the last paid sale was paid, as the store wrote it."""
    schema: str | None
    """The Alembic revision the store's schema is at."""


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite store's URL, None for any other store or one in memory."""
    url = make_url(url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def copy_sqlite(
    source: Path,
    target: Path,
    *,
    pause: float,
    pages: int = PAGES_PER_SLICE,
    busy_ms: int = 10_000,
    after_slice: Callable[[int, int], None] | None = None,
) -> Books:
    """Copy the store at ``source`` into a new file ``target``, page by page; the books
    of the store as copied (counted inside the same read transaction)."""
    store = sqlite3.connect(source, isolation_level=None, timeout=busy_ms / 1000)
    try:
        # One snapshot for the whole copy: the backup uses the transaction it finds open.
        store.execute("BEGIN")
        books = read_books(store)
        copy = sqlite3.connect(target, isolation_level=None)
        try:

            def rest(_status: int, remaining: int, total: int) -> None:
                if after_slice is not None:
                    after_slice(remaining, total)
                if remaining and pause > 0:
                    time.sleep(pause)

            store.backup(copy, pages=pages, progress=rest)
            # One file that stands alone, without a write-ahead log beside it.
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            copy.close()
        store.execute("ROLLBACK")
    finally:
        store.close()
    return books


def read_books(connection: sqlite3.Connection) -> Books:
    """The books of an open SQLite store (see ``Books``)."""

    def one(sql: str) -> Any:
        row = connection.execute(sql).fetchone()
        return None if row is None else row[0]

    rows = {table: int(one(f"SELECT count(*) FROM {table}") or 0) for table in BOOKS}  # noqa: S608 (our own table names)
    sales = int(one("SELECT count(*) FROM orders WHERE status = 'paid'") or 0)
    last = connection.execute(
        "SELECT t.code, r.number FROM receipts r JOIN tills t ON t.id = r.till_id"
        " ORDER BY r.issued_at DESC, r.number DESC LIMIT 1"
    ).fetchone()
    paid_at = one("SELECT max(paid_at) FROM orders WHERE status = 'paid'")
    return Books(
        rows=rows,
        sales=sales,
        last_receipt=(str(last[0]), int(last[1])) if last else None,
        last_sale_at=None if paid_at is None else str(paid_at),
        schema=_schema(connection),
    )


def _schema(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else str(row[0])


def integrity(path: Path, *, foreign_keys: bool = True) -> list[str]:
    """SQLite's own check of a file, read only: empty when it is sound, else what is wrong.

    ``foreign_keys`` checks every reference too: a third of the time on a large store, and
    only worth it for a file whose making we did not watch (``pos backup verify``)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
        problems = [str(row[0]) for row in rows if row[0] != "ok"]
        if foreign_keys and not problems:
            fk = connection.execute("PRAGMA foreign_key_check").fetchall()
            problems += [f"foreign key: {row[0]} row {row[1]} -> {row[2]}" for row in fk[:10]]
        return problems
    finally:
        connection.close()


def books_of(path: Path) -> Books:
    """The books of a SQLite file, opened read only."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return read_books(connection)
    finally:
        connection.close()


def sha256(path: Path) -> str:
    """The file's SHA-256, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sync_file(path: Path) -> None:
    """The file's bytes on the disk, not only in the OS's cache."""
    # Windows flushes only a handle open for writing; POSIX any.
    descriptor = os.open(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_directory(path: Path) -> None:
    """A rename into ``path`` on the disk (POSIX: the directory's own entry)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def checkpoint(path: Path, busy_ms: int = 10_000) -> None:
    """Fold a SQLite store's write-ahead log into its file and empty the log."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        connection.close()


class StoreInUse(Exception):
    """A till has the store open: it may not be replaced under it."""


class StoreClaim:
    """A running till's claim on its SQLite store, for as long as it is open: a shared
    lock on a file beside the store (several programs may hold it at once), which a
    restore must take alone before it replaces the store. POSIX only; elsewhere, nothing."""

    def __init__(self, store: Path) -> None:
        self.path = store.with_name(store.name + ".in-use")
        self._file: IO[bytes] | None = None

    def share(self) -> StoreClaim:
        self._file = self._lock(exclusive=False, wait=True)
        return self

    def take_alone(self) -> StoreClaim:
        """The claim for this program alone, or ``StoreInUse`` at once."""
        self._file = self._lock(exclusive=True, wait=False)
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the lock
            self._file = None

    def _lock(self, *, exclusive: bool, wait: bool) -> IO[bytes] | None:
        if fcntl is None:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        held = self.path.open("ab")
        flags = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(held.fileno(), flags | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            held.close()
            raise StoreInUse(str(self.path)) from None
        return held


# -- PostgreSQL -----------------------------------------------------------------------


class ToolMissing(Exception):
    """``pg_dump`` (or ``pg_restore``) is not installed on this machine."""


class ToolFailed(Exception):
    """The tool ran and failed, or ran past its time; the message is what it said."""


def pg_dump(url: str | URL, target: Path, *, timeout: float) -> None:
    """``pg_dump`` the store at ``url`` into ``target`` in the custom format."""
    _run_tool("pg_dump", url, ["--format=custom", "--no-owner", f"--file={target}"], timeout)


def pg_restore_list(path: Path, *, timeout: float = 120.0) -> int:
    """How many items ``pg_restore --list`` finds in a custom-format dump: it reads the
    whole table of contents, so a truncated or foreign file fails here."""
    tool = shutil.which("pg_restore")
    if tool is None:
        raise ToolMissing("pg_restore")
    try:
        done = subprocess.run(
            [tool, "--list", str(path)], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as error:
        raise ToolFailed(f"pg_restore took more than {timeout:g} s") from error
    if done.returncode != 0:
        raise ToolFailed(_last_line(done.stderr) or f"pg_restore exited {done.returncode}")
    return sum(1 for line in done.stdout.splitlines() if line and not line.startswith(";"))


def pg_restore(path: Path, url: str | URL, *, timeout: float) -> None:
    """Restore a custom-format dump into the (empty) database at ``url``."""
    _run_tool("pg_restore", url, ["--no-owner", "--exit-on-error", str(path)], timeout)


def _run_tool(name: str, url: str | URL, arguments: list[str], timeout: float) -> None:
    tool = shutil.which(name)
    if tool is None:
        raise ToolMissing(name)
    url = make_url(url)
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)  # never on the command line
    plain = url.set(drivername="postgresql", password=None).render_as_string()
    target = "--dbname" if name == "pg_restore" else None
    command = [tool, *arguments, f"{target}={plain}" if target else plain]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=environment
        )
    except subprocess.TimeoutExpired as error:
        raise ToolFailed(f"{name} took more than {timeout:g} s") from error
    if done.returncode != 0:
        raise ToolFailed(_last_line(done.stderr) or f"{name} exited {done.returncode}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
