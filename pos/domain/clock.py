"""Time, injected: services never call ``datetime.now()`` themselves; and the shop's zone,
in which every time is shown and every day is cut."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Clock = Callable[[], datetime]
"""Returns the current instant as an aware UTC datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)


DEFAULT_TIME_ZONE = "Europe/Istanbul"
"""A new shop's zone: where Kasa's first shops are."""
MAX_TIME_ZONE_LENGTH = 64
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Files in the zone database that name no place: ``localtime`` is the machine's own."""


def time_zone(name: object) -> ZoneInfo | None:
    """The IANA zone called ``name`` (``Europe/Istanbul``), or None if there is none."""
    if (
        not isinstance(name, str)
        or len(name) > MAX_TIME_ZONE_LENGTH
        or name in _NOT_ZONES
        or _ZONE_NAME.fullmatch(name) is None
    ):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def shop_zone(name: str) -> ZoneInfo:
    """The zone a stored setting names; the default one if the store holds something else
    (a row written by hand), so a clock is never shown in the machine's zone."""
    return time_zone(name) or ZoneInfo(DEFAULT_TIME_ZONE)


@cache
def shop_zones() -> tuple[str, ...]:
    """Every zone a shop may choose (each one ``time_zone`` takes), the default first,
    then A to Z."""
    names = sorted(
        name
        for name in available_timezones()
        if name != DEFAULT_TIME_ZONE and time_zone(name) is not None
    )
    return (DEFAULT_TIME_ZONE, *names)
