"""The shop's own settings: how shelf prices are read and what heads every receipt."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from pos.domain.discounts import DEFAULT_REASONS
from pos.domain.messages import render
from pos.domain.results import Changed, Code, Ok
from pos.services.shop import ShopSettings, check_store, shop_settings, update_shop_settings
from pos.store.engine import make_engine
from pos.store.models import AuditEntry, Location
from pos.store.uow import UnitOfWork
from tests.conftest import error, value

HEADER = "Kasa Market\nAtatürk Cd. No: 5 Kadıköy\nVKN 1234567890"


def locations(store) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(Location).order_by(Location.id))]


def audit_count(store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_a_new_store_prices_with_tax_included_and_prints_no_header(uow):
    settings = value(shop_settings(uow))

    assert settings == ShopSettings(
        location_id=1,
        name="Shop floor",
        prices_include_tax=True,
        receipt_header="",
        time_zone="Europe/Istanbul",
        discount_limit_cashier_bp=1000,
        discount_limit_manager_bp=10_000,
        discount_reasons=tuple(DEFAULT_REASONS.split("\n")),
    )


def test_a_manager_changes_the_settings_and_the_change_is_audited(uow, manager, store):
    result = update_shop_settings(
        uow, user_id=manager.id, prices_include_tax=False, receipt_header=HEADER
    )

    assert isinstance(result, Ok)
    assert result.changed == Changed.CATALOGUE
    assert (result.value.prices_include_tax, result.value.receipt_header) == (False, HEADER)
    assert value(shop_settings(uow)) == result.value
    with store.engine.connect() as connection:
        [entry] = connection.execute(
            select(AuditEntry).where(AuditEntry.action == "shop.settings_changed")
        ).all()
    assert (entry.user_id, entry.entity, entry.entity_id) == (manager.id, "location", "1")
    details = json.loads(entry.details)
    assert details["before"] == {"prices_include_tax": True, "receipt_header": ""}
    assert details["after"] == {"prices_include_tax": False, "receipt_header": HEADER}


def test_a_setting_left_out_keeps_its_value(uow, manager):
    value(update_shop_settings(uow, user_id=manager.id, receipt_header=HEADER))

    settings = value(update_shop_settings(uow, user_id=manager.id, prices_include_tax=False))

    assert (settings.prices_include_tax, settings.receipt_header) == (False, HEADER)
    settings = value(update_shop_settings(uow, user_id=manager.id, prices_include_tax=True))
    assert (settings.prices_include_tax, settings.receipt_header) == (True, HEADER)


def test_the_header_is_trimmed_line_by_line(uow, manager):
    typed = "  Kasa Market  \n\tAtatürk Cd. No: 5\n"

    settings = value(update_shop_settings(uow, user_id=manager.id, receipt_header=typed))

    assert settings.receipt_header == "Kasa Market\nAtatürk Cd. No: 5"


def test_a_header_of_eight_lines_of_48_characters_fits(uow, manager):
    header = "\n".join(f"{n}" * 48 for n in range(8))

    assert (
        value(update_shop_settings(uow, user_id=manager.id, receipt_header=header)).receipt_header
        == header
    )


def test_the_header_can_be_cleared(uow, manager):
    value(update_shop_settings(uow, user_id=manager.id, receipt_header=HEADER))

    assert (
        value(update_shop_settings(uow, user_id=manager.id, receipt_header="")).receipt_header == ""
    )


def test_a_cashier_may_not_change_the_settings(uow, manager, cashier, store):
    before = (locations(store), audit_count(store))

    refused = error(
        update_shop_settings(uow, user_id=cashier.id, prices_include_tax=False, receipt_header="X")
    )

    assert refused.code is Code.NOT_PERMITTED
    assert render(refused, "tr") == "Bu işlem için yetkiniz yok"
    assert (locations(store), audit_count(store)) == before


@pytest.mark.parametrize("user", [424242, None, "1", -1])
def test_an_unknown_user_may_not_change_the_settings(uow, manager, store, user):
    before = (locations(store), audit_count(store))

    assert error(update_shop_settings(uow, user_id=user, prices_include_tax=False)).code is (
        Code.USER_NOT_FOUND
    )
    assert (locations(store), audit_count(store)) == before


@pytest.mark.parametrize(
    "header",
    [
        "Kasa\x00Market",
        "\x1b[31mKasa Market",
        "Kasa\tMarket",
        "Kasa\rMarket\rİstanbul" + "\x07",
        "\n".join(["satır"] * 9),
        "x" * 49,
        "Kasa Market\n" + "y" * 49,
        "z" * 10_240,
        42,
        b"Kasa Market",
    ],
)
def test_a_header_with_control_characters_or_too_many_or_too_long_lines_is_refused(
    uow, manager, store, header
):
    value(update_shop_settings(uow, user_id=manager.id, receipt_header=HEADER))
    before = (locations(store), audit_count(store))

    refused = error(
        update_shop_settings(
            uow, user_id=manager.id, prices_include_tax=False, receipt_header=header
        )
    )

    assert refused.code is Code.INVALID_SETTING
    assert render(refused, "tr") == "Geçersiz ayar: receipt_header"
    assert (locations(store), audit_count(store)) == before
    assert value(shop_settings(uow)).prices_include_tax is True


def test_a_manager_names_the_shop_on_one_tidy_line(uow, manager, store):
    settings = value(
        update_shop_settings(uow, user_id=manager.id, name="  Çiçek   Pazarı\n— Şişli\t")
    )

    assert settings.name == "Çiçek Pazarı — Şişli"
    assert value(shop_settings(uow)).name == "Çiçek Pazarı — Şişli"
    with store.engine.connect() as connection:
        [entry] = connection.execute(
            select(AuditEntry).where(AuditEntry.action == "shop.settings_changed")
        ).all()
    details = json.loads(entry.details)
    assert (details["before"], details["after"]) == (
        {"name": "Shop floor"},
        {"name": "Çiçek Pazarı — Şişli"},
    )


def test_a_name_of_eighty_characters_fits(uow, manager):
    assert value(update_shop_settings(uow, user_id=manager.id, name="ş" * 80)).name == "ş" * 80


@pytest.mark.parametrize(
    "name", ["", "   ", "\n\t", "x" * 81, "Kasa\x00Market", "Kasa\x1b[2JMarket", 42, b"Kasa"]
)
def test_an_empty_long_or_unprintable_name_is_refused(uow, manager, store, name):
    before = (locations(store), audit_count(store))

    refused = error(
        update_shop_settings(uow, user_id=manager.id, prices_include_tax=False, name=name)
    )

    assert refused.code is Code.INVALID_SETTING
    assert refused.params == {"setting": "name"}
    assert (locations(store), audit_count(store)) == before


@pytest.mark.parametrize("flag", ["no", 0, 1, "false"])
def test_a_tax_mode_that_is_not_true_or_false_is_refused(uow, manager, store, flag):
    before = (locations(store), audit_count(store))

    refused = error(update_shop_settings(uow, user_id=manager.id, prices_include_tax=flag))

    assert refused.code is Code.INVALID_SETTING
    assert render(refused, "tr") == "Geçersiz ayar: prices_include_tax"
    assert (locations(store), audit_count(store)) == before


@pytest.mark.parametrize("location", [2, 0, "1", None])
def test_the_settings_of_an_unknown_shop_are_not_found(uow, manager, location):
    assert error(shop_settings(uow, location)).code is Code.LOCATION_NOT_FOUND
    assert (
        error(
            update_shop_settings(uow, user_id=manager.id, location_id=location, receipt_header="X")
        ).code
        is Code.LOCATION_NOT_FOUND
    )


def test_the_store_says_it_answers(uow):
    assert value(check_store(uow)) is True


def test_an_unreachable_store_is_said_so():
    engine = make_engine("postgresql+psycopg://kasa@127.0.0.1:1/kasa")  # nothing listens
    try:
        assert error(check_store(UnitOfWork(engine))).code is Code.STORE_UNREACHABLE
    finally:
        engine.dispose()
