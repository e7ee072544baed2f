"""The till's backups as a background loop beside its window.

A short while after the till opens, if no good backup was made yet that day, it makes
one; then one every few hours (``[backup] every_hours``), never on the window's thread.
A failed backup is tried again after a quarter of that time. ``on_done`` hears each
backup's result (on the loop's thread: the window turns it into a queued signal).

A till on a central PostgreSQL store runs no loop: that store is the shop's server,
backed up there (README: Backups).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pos.bootstrap import Till
from pos.domain.backups import BackupPolicy, next_backup_in
from pos.domain.results import Err, Result
from pos.services.backups import BackupReport, backup_status, make_backup, places
from pos.settings import data_dir
from pos.store.snapshot import StoreClaim, sqlite_path

log = logging.getLogger(__name__)


def backup_places(till: Till) -> tuple[Path, ...]:
    """Where this till's backups go, from its settings."""
    return places(till.settings.backup, data_dir())


def backs_up_itself(till: Till) -> bool:
    """Whether the till backs its own store up: a SQLite file on this machine."""
    return sqlite_path(till.engine.url) is not None


class BackupLoop:
    def __init__(
        self,
        store_url: str,
        where: tuple[Path, ...],
        policy: BackupPolicy,
        *,
        on_done: Callable[[Result[BackupReport]], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.store_url = store_url
        self.where = where
        self.policy = policy
        self.on_done = on_done
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_good: datetime | None = None
        source = sqlite_path(store_url)
        self._claim = StoreClaim(source) if source is not None else None

    @classmethod
    def for_till(
        cls, till: Till, on_done: Callable[[Result[BackupReport]], None] | None = None
    ) -> BackupLoop:
        url = till.engine.url.render_as_string(hide_password=False)
        return cls(url, backup_places(till), till.settings.backup, on_done=on_done)

    def start(self) -> BackupLoop:
        if self._thread is not None:
            raise RuntimeError("the backup loop is already running")
        if self._claim is not None:
            self._claim.share()  # no restore replaces the store under the open till
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="backups", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop waiting; a backup under way is left to finish its slice and is then
        abandoned with the process, which a backup is built to survive."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._claim is not None:
            self._claim.release()

    def back_up(self) -> Result[BackupReport]:
        """One backup now, into every place; its result is also told to ``on_done``."""
        result = make_backup(self.store_url, self.where, self.policy)
        if isinstance(result, Err):
            log.error("backup failed: %s %s", result.code, dict(result.params))
        else:
            self.last_good = self._clock()
        if self.on_done is not None:
            self.on_done(result)
        return result

    def _loop(self) -> None:
        try:
            newest = backup_status(self.where).last_good
        except OSError as error:
            log.warning("backups: cannot read %s: %s", self.where[0], error)
            newest = None
        self.last_good = newest.made_at.astimezone() if newest is not None else None
        wait = next_backup_in(self.last_good, self._clock(), self.policy)
        while not self._stop.wait(wait.total_seconds()):
            try:
                result = self.back_up()
            except Exception:  # a loop that dies stops backing the shop up for good
                log.exception("backups: backup failed")
                result = None
            if result is None or isinstance(result, Err):
                wait = self.policy.every / 4
            else:
                wait = next_backup_in(self.last_good, self._clock(), self.policy)
