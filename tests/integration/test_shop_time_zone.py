"""The shop's time zone, a shop setting: every receipt, list and day follows it, whatever
zone the machine itself is set to."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from pos.domain.messages import render
from pos.domain.results import Code
from pos.services.cart import add_to_cart, open_cart
from pos.services.orders import orders_of_day
from pos.services.receipts import receipt_text
from pos.services.shop import shop_settings, update_shop_settings
from pos.services.users import UserView
from pos.store.models import AuditEntry, Location
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.sales import pay_cash

# 22:01 in UTC on 5 December is 01:01 on 6 December in Istanbul (UTC+3).
LATE_EVENING_UTC = datetime(2026, 12, 5, 22, 1, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("machine_in_utc")


def sell(uow: UnitOfWork, shelf: Shelf, clock: FakeClock) -> object:
    clock.current = LATE_EVENING_UTC
    product = shelf.product(stock=5)
    cart = value(open_cart(uow)).cart_id
    value(add_to_cart(uow, cart, product, 1))
    return value(pay_cash(uow, cart)).order_id


def day_of(uow: UnitOfWork, manager: UserView, day: date) -> list[object]:
    page = value(orders_of_day(uow, manager_id=manager.id, day=day))
    return [row.order_id for row in page.rows]


def test_a_new_shop_keeps_istanbul_time(uow: UnitOfWork) -> None:
    assert value(shop_settings(uow)).time_zone == "Europe/Istanbul"


def test_the_receipt_and_the_orders_day_follow_the_shop_not_the_machine(
    uow: UnitOfWork, shelf: Shelf, clock: FakeClock, manager: UserView
) -> None:
    order_id = sell(uow, shelf, clock)

    text = value(receipt_text(uow, order_id))

    assert "6 Ara 2026 01:01:00" in text
    assert day_of(uow, manager, date(2026, 12, 6)) == [order_id]
    assert day_of(uow, manager, date(2026, 12, 5)) == []


def test_a_shop_in_another_zone_prints_and_files_its_sales_in_that_zone(
    uow: UnitOfWork, shelf: Shelf, clock: FakeClock, manager: UserView, store: Store
) -> None:
    changed = value(update_shop_settings(uow, user_id=manager.id, time_zone="Europe/Berlin"))
    order_id = sell(uow, shelf, clock)

    assert changed.time_zone == "Europe/Berlin"
    assert value(shop_settings(uow)).time_zone == "Europe/Berlin"
    assert "5 Ara 2026 23:01:00" in value(receipt_text(uow, order_id))
    assert "Dec 5, 2026, 11:01:00 PM" in value(receipt_text(uow, order_id, locale="en"))
    assert day_of(uow, manager, date(2026, 12, 5)) == [order_id]
    assert day_of(uow, manager, date(2026, 12, 6)) == []
    with store.engine.connect() as connection:
        [details] = connection.execute(
            select(AuditEntry.details).where(AuditEntry.action == "shop.settings_changed")
        ).scalars()
    assert json.loads(details)["before"] == {"time_zone": "Europe/Istanbul"}
    assert json.loads(details)["after"] == {"time_zone": "Europe/Berlin"}


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus_Mons",
        "",
        "localtime",  # the machine's own zone under another name
        "../../etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "Europe/Istanbul\x00",
        "Europe/" + "x" * 64,
        "europe/istanbul\ud800",
        42,
        b"Europe/Istanbul",
    ],
)
def test_an_unknown_zone_is_refused_and_changes_nothing(
    uow: UnitOfWork, manager: UserView, store: Store, zone: object
) -> None:
    with store.engine.connect() as connection:
        before = connection.execute(select(Location.time_zone)).scalars().all()
        audited = connection.execute(select(func.count()).select_from(AuditEntry)).scalar_one()

    refused = error(update_shop_settings(uow, user_id=manager.id, time_zone=zone))

    assert refused.code is Code.UNKNOWN_TIME_ZONE
    assert render(refused, "tr") == "Bilinmeyen saat dilimi: Europe/Istanbul gibi yazın"
    assert render(refused, "en") == "Unknown time zone: write it like Europe/Istanbul"
    with store.engine.connect() as connection:
        assert connection.execute(select(Location.time_zone)).scalars().all() == before
        assert (
            connection.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == audited
        )
