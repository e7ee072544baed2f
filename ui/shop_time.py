"""The shop's clock on every screen: each time shown and each day picked is the shop's,
in the zone its settings name, never the machine's (a till set to UTC still shows
Istanbul time for a shop in Istanbul).

The zone is read from the store on a worker when the till starts and when the back
office opens, and set again when a manager changes it; until then it is the default
shop's. The services that cut a day or print a time read it from the store themselves.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pos.bootstrap import Till
from pos.domain.clock import DEFAULT_TIME_ZONE, shop_zone
from pos.domain.results import Ok, Result
from pos.services.shop import ShopSettings, shop_settings
from ui.operations import Operations

_zone = ZoneInfo(DEFAULT_TIME_ZONE)


def zone() -> ZoneInfo:
    return _zone


def set_zone(name: str) -> None:
    global _zone
    _zone = shop_zone(name)


def local(at: datetime) -> datetime:
    """``at`` on the shop's clock."""
    return at.astimezone(_zone)


def today() -> date:
    return datetime.now(_zone).date()


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` on the shop's clock, as an aware instant."""
    return datetime.combine(day, time(), tzinfo=_zone)


def follow_shop(till: Till, ops: Operations) -> None:
    """Read the shop's zone on the store's worker and keep it for every screen."""

    def answered(result: Result[ShopSettings]) -> None:
        if isinstance(result, Ok):
            set_zone(result.value.time_zone)

    ops.run(lambda: shop_settings(till.uow()), answered, lambda _error: None)
