"""The shop's clock on screen: a day picker showing today moves with the shop's zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import shiboken6
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit
from pytestqt.qtbot import QtBot

from pos.domain.clock import DEFAULT_TIME_ZONE
from ui import shop_time

EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"
"""25 hours apart: on these two clocks it is never the same day."""


def today_in(name: str) -> date:
    return datetime.now(ZoneInfo(name)).date()


@pytest.fixture(autouse=True)
def shop_in_the_west() -> Iterator[None]:
    shop_time.set_zone(WEST)
    yield
    shop_time.set_zone(DEFAULT_TIME_ZONE)


def picker(qtbot: QtBot) -> QDateEdit:
    edit = QDateEdit()
    qtbot.addWidget(edit)
    shop_time.follow_today(edit)
    return edit


def test_a_day_picker_on_today_moves_to_the_shops_today_when_its_zone_is_read(
    qtbot: QtBot,
) -> None:
    edit = picker(qtbot)
    assert edit.date().toPython() == today_in(WEST)

    shop_time.set_zone(EAST)

    assert edit.date().toPython() == today_in(EAST)


def test_a_day_the_manager_picked_stays_when_the_zone_changes(qtbot: QtBot) -> None:
    edit = picker(qtbot)
    edit.setDate(QDate(2026, 1, 15))

    shop_time.set_zone(EAST)

    assert edit.date().toPython() == date(2026, 1, 15)


def test_a_picker_that_is_gone_is_left_alone(qtbot: QtBot) -> None:
    edit = QDateEdit()
    shop_time.follow_today(edit)
    shiboken6.delete(edit)

    shop_time.set_zone(EAST)  # nothing raises on its way to a picker that no longer is

    assert shop_time.today() == today_in(EAST)
