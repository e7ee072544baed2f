"""Which backups rotation keeps, when one is overdue, when the till makes the next, and
the ``[backup]`` settings that decide them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pos.domain.backups import BackupPolicy, is_overdue, next_backup_in, to_keep
from pos.settings import SettingsError, load_settings

MONDAY = datetime(2026, 3, 2, 9, 0)  # a Monday


def every_four_hours(days: int) -> list[datetime]:
    return [MONDAY + timedelta(hours=4 * step) for step in range(days * 6)]


def test_rotation_keeps_the_newest_of_each_day_week_and_month():
    made = every_four_hours(120)
    newest = max(made)

    kept = to_keep(made, BackupPolicy(daily=7, weekly=4, monthly=12))

    days = sorted({at.date() for at in kept})
    assert newest in kept
    # 7 days, the weeks before them (one each), and the months before those.
    assert days[-7:] == sorted({(newest - timedelta(days=n)).date() for n in range(7)})
    assert all(max(at for at in made if at.date() == day) in kept for day in days)
    assert len({at.isocalendar()[:2] for at in kept}) >= 4
    assert {(at.year, at.month) for at in kept} == {(at.year, at.month) for at in made}
    assert len(kept) < 7 + 4 + 12


def test_rotation_with_nothing_to_keep_still_keeps_the_newest():
    made = every_four_hours(3)
    assert to_keep(made, BackupPolicy(daily=0, weekly=0, monthly=0)) == {max(made)}


def test_a_backup_is_overdue_past_the_limit_or_when_there_is_none():
    policy = BackupPolicy(warn_after=timedelta(hours=24))
    assert is_overdue(None, MONDAY, policy)
    assert not is_overdue(MONDAY - timedelta(hours=23), MONDAY, policy)
    assert is_overdue(MONDAY - timedelta(hours=25), MONDAY, policy)


def test_the_days_first_backup_comes_soon_after_opening_then_every_few_hours():
    policy = BackupPolicy(every=timedelta(hours=4), first_after=timedelta(minutes=2))
    yesterday = MONDAY - timedelta(hours=14)
    assert next_backup_in(None, MONDAY, policy) == timedelta(minutes=2)
    assert next_backup_in(yesterday, MONDAY, policy) == timedelta(minutes=2)
    assert next_backup_in(MONDAY - timedelta(hours=1), MONDAY, policy) == timedelta(hours=3)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_backup_settings_come_from_the_settings_file(tmp_path):
    path = write(
        tmp_path,
        "[backup]\n"
        'directory = "/srv/kasa-backups"\n'
        'second_place = "/media/usb/kasa"\n'
        "every_hours = 2\n"
        "keep_daily = 14\n"
        "keep_weekly = 8\n"
        "keep_monthly = 24\n"
        "warn_after_hours = 36\n"
        "pg_dump_timeout_minutes = 5\n",
    )

    policy = load_settings({}, path).backup

    assert policy.directory == Path("/srv/kasa-backups")
    assert policy.second_place == Path("/media/usb/kasa")
    assert policy.every == timedelta(hours=2)
    assert (policy.daily, policy.weekly, policy.monthly) == (14, 8, 24)
    assert policy.warn_after == timedelta(hours=36)
    assert policy.pg_dump_timeout == timedelta(minutes=5)


def test_the_backup_defaults_are_seven_days_four_weeks_twelve_months(tmp_path):
    policy = load_settings({}, tmp_path / "missing.toml").backup
    assert (policy.daily, policy.weekly, policy.monthly) == (7, 4, 12)
    assert policy.warn_after == timedelta(hours=24)
    assert policy.directory is None
    assert policy.second_place is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('second_place = "usb"', "backup.second_place"),
        ("directory = 3", "backup.directory"),
        ("every_hours = 0", "backup.every_hours"),
        ('keep_daily = "7"', "backup.keep_daily"),
        ("keep_weekly = -1", "backup.keep_weekly"),
        ("warn_after_hours = true", "backup.warn_after_hours"),
        ("pg_dump_timeout_minutes = 0", "backup.pg_dump_timeout_minutes"),
    ],
)
def test_bad_backup_settings_are_refused_with_the_setting_named(tmp_path, text, named):
    with pytest.raises(SettingsError, match=named):
        load_settings({}, write(tmp_path, f"[backup]\n{text}\n"))
