"""When the till backs its store up, which backups it keeps, and when it is overdue.

Pure rules, no I/O: the service (``pos.services.backups``) reads the files and the
clock and asks these. Rotation keeps, like restic's ``forget --keep-daily``, the newest
backup of each of the last ``daily`` days that have one, of each of the last ``weekly``
ISO weeks and of each of the last ``monthly`` months, and always the newest of all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path


@dataclass(frozen=True)
class BackupPolicy:
    """The shop's backup settings (``[backup]`` in the settings file)."""

    directory: Path | None = None
    """Where backups go; None: ``backups`` in the till's data directory."""
    second_place: Path | None = None
    """A second copy of each backup (a USB stick, a network folder); None: none."""
    every: timedelta = timedelta(hours=4)
    """How often the running till makes one, after the first start of the day."""
    first_after: timedelta = timedelta(minutes=2)
    """How long after the till opens it makes the day's first, so opening stays quick."""
    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    warn_after: timedelta = timedelta(hours=24)
    """A manager signing in is warned when the last good backup is older than this."""
    pg_dump_timeout: timedelta = timedelta(minutes=30)
    pause: timedelta = field(default=timedelta(milliseconds=2))
    """The rest between two slices of the copy, so the till's own reads and writes get the
    disk between them."""
    slice_pages: int = 2048
    """Pages (4 KiB each) copied in one slice."""


def to_keep(made: Sequence[datetime], policy: BackupPolicy) -> set[datetime]:
    """Which of the backups made at ``made`` (local times of the shop) rotation keeps."""
    newest_first = sorted(set(made), reverse=True)
    kept: set[datetime] = set(newest_first[:1])
    buckets: tuple[tuple[int, Callable[[datetime], Hashable]], ...] = (
        (policy.daily, lambda at: at.date()),
        (policy.weekly, lambda at: at.isocalendar()[:2]),
        (policy.monthly, lambda at: (at.year, at.month)),
    )
    for count, bucket in buckets:
        kept.update(_newest_per_bucket(newest_first, count, bucket))
    return kept


def _newest_per_bucket(
    newest_first: Iterable[datetime], count: int, bucket: Callable[[datetime], Hashable]
) -> list[datetime]:
    chosen: list[datetime] = []
    seen: set[Hashable] = set()
    for at in newest_first:
        if len(chosen) >= count:
            break
        key = bucket(at)
        if key not in seen:
            seen.add(key)
            chosen.append(at)
    return chosen


def is_overdue(last_good: datetime | None, now: datetime, policy: BackupPolicy) -> bool:
    """Whether a manager must be told: no good backup at all, or none for too long."""
    return last_good is None or now - last_good > policy.warn_after


def next_backup_in(last_good: datetime | None, now: datetime, policy: BackupPolicy) -> timedelta:
    """How long the running till waits before its next backup: the day's first soon
    after opening, then one every ``policy.every`` after the last good one."""
    if last_good is None or last_good.date() != now.date():
        return policy.first_after
    return max(policy.first_after, last_good + policy.every - now)
