"""The shop's clock on every screen: each time shown and each day picked is the shop's,
in the zone its settings name, never the machine's (a till set to UTC still shows
Istanbul time for a shop in Istanbul).

The zone is read from the store on a worker when the till starts and when the back
office opens, and set again when a manager changes it; until then it is the default
shop's. A day picker that shows "today" (``follow_today``) moves with it, so a screen
opened before the zone was read does not show the default shop's day: near midnight
the two days differ. The services that cut a day or print a time read it from the store
themselves.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QObject, Signal, Slot
from PySide6.QtWidgets import QDateEdit

from pos.bootstrap import Till
from pos.domain.clock import DEFAULT_TIME_ZONE, shop_zone
from pos.domain.results import Ok, Result
from pos.services.shop import ShopSettings, shop_settings
from ui.operations import Operations

_zone = ZoneInfo(DEFAULT_TIME_ZONE)


class _Notice(QObject):
    """Says that the shop's zone changed: the day it was and the day it is now."""

    changed = Signal(object, object)


_notice = _Notice()


def zone() -> ZoneInfo:
    return _zone


def set_zone(name: str) -> None:
    global _zone
    before = today()
    _zone = shop_zone(name)
    _notice.changed.emit(before, today())


class _FollowsToday(QObject):
    """Keeps its date edit on the shop's today while the edit still shows the day that
    was today; a child of the edit, so it goes with it."""

    def __init__(self, edit: QDateEdit) -> None:
        super().__init__(edit)
        self._edit = edit
        _notice.changed.connect(self._moved)

    @Slot(object, object)
    def _moved(self, before: date, now: date) -> None:
        if before != now and self._edit.date().toPython() == before:
            self._edit.setDate(QDate(now))


def follow_today(edit: QDateEdit) -> None:
    """Show the shop's today in ``edit`` and keep it there when the shop's zone becomes
    known or changes, unless someone has picked another day meanwhile."""
    edit.setDate(QDate(today()))
    _FollowsToday(edit)


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
