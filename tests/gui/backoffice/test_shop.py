"""The shop page: the store's own settings shown as they are kept, changed by a manager,
audited, and refused with the service's word when they are wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from pos.domain.clock import DEFAULT_TIME_ZONE
from pos.services.shop import shop_settings, update_shop_settings
from pos.store.models import AuditEntry
from tests.conftest import Store, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.backoffice.test_window import SMALL_SCREEN
from tests.gui.conftest import Shop
from tests.sales import rows
from ui import shop_time
from ui.backoffice.common import Context
from ui.backoffice.shop import ShopPage
from ui.backoffice.window import BackOfficeWindow
from ui.i18n import set_language
from ui.operations import Operations


@pytest.fixture(autouse=True)
def shop_clock_back_home() -> Iterator[None]:
    """The shop clock is the process's: leave it as the next test expects it."""
    yield
    shop_time.set_zone(DEFAULT_TIME_ZONE)


def open_page(qtbot: QtBot, context: Context) -> ShopPage:
    page = ShopPage(context)
    qtbot.addWidget(page)
    page.resize(1000, 650)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def click(qtbot: QtBot, context: Context, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)


def settings_changes(store: Store) -> list[dict[str, object]]:
    found = rows(store, AuditEntry, AuditEntry.action == "shop.settings_changed")
    return [json.loads(entry.details) for entry in found]


def test_the_page_shows_the_settings_the_store_keeps(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    value(
        update_shop_settings(
            shop.till.uow(),
            user_id=shop.manager.id,
            receipt_header="Köşe Bakkal\nAtatürk Cad. 12",
            prices_include_tax=False,
            time_zone="Europe/Berlin",
        )
    )
    page = open_page(qtbot, context)

    assert page.header.toPlainText() == "Köşe Bakkal\nAtatürk Cad. 12"
    assert not page.prices_include_tax.isChecked()
    assert page.time_zone.currentText() == "Europe/Berlin"
    assert page.time_zone.itemText(0) == "Europe/Istanbul"
    assert page.time_zone.findText("Asia/Tokyo") >= 0
    assert "2 / 8" in page.header_limits.text()
    assert "48" in page.header_limits.text()
    assert page.message.kind != "error", page.message.text()


def test_a_manager_changes_the_zone_and_header_and_the_clock_follows(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    before = len(settings_changes(store))

    page.header.setPlainText("Köşe Bakkal\nKadıköy / İstanbul")
    page.time_zone.setCurrentText("Asia/Tokyo")
    click(qtbot, context, page.save_button)

    kept = value(shop_settings(shop.till.uow()))
    assert kept.receipt_header == "Köşe Bakkal\nKadıköy / İstanbul"
    assert kept.time_zone == "Asia/Tokyo"
    assert kept.prices_include_tax  # not touched, not sent
    [*_earlier, change] = settings_changes(store)
    assert len(settings_changes(store)) == before + 1
    assert change["after"] == {
        "receipt_header": "Köşe Bakkal\nKadıköy / İstanbul",
        "time_zone": "Asia/Tokyo",
    }
    assert change["before"]["time_zone"] == DEFAULT_TIME_ZONE  # type: ignore[index]
    assert shop_time.zone() == ZoneInfo("Asia/Tokyo")
    assert page.message.kind == "info"
    assert page.message.text() == "Mağaza ayarları kaydedildi."
    shoot(page, "shop-saved")


def test_a_manager_renames_the_shop_and_the_heading_follows(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    assert page.shop_name.text() == "Shop floor"
    assert page.heading.text() == "Mağaza ayarları: Shop floor"

    page.shop_name.setText("  Köşe   Bakkal ")
    assert page.unsaved() == "Mağaza adı"
    click(qtbot, context, page.save_button)

    assert value(shop_settings(shop.till.uow())).name == "Köşe Bakkal"
    assert settings_changes(store)[-1]["after"] == {"name": "Köşe Bakkal"}
    assert page.shop_name.text() == "Köşe Bakkal"
    assert page.heading.text() == "Mağaza ayarları: Köşe Bakkal"
    assert page.unsaved() is None


def test_a_blank_name_is_refused_and_the_shop_keeps_its_own(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    before = settings_changes(store)

    page.shop_name.setText("   ")
    click(qtbot, context, page.save_button)

    assert page.message.kind == "error"
    assert page.message.text().startswith("Mağaza adı kaydedilmedi")
    assert "80" in page.message.text()
    assert page.shop_name.hasFocus()
    assert value(shop_settings(shop.till.uow())).name == "Shop floor"
    assert settings_changes(store) == before
    assert page.heading.text() == "Mağaza ayarları: Shop floor"

    click(qtbot, context, page.undo_button)
    assert page.shop_name.text() == "Shop floor"
    assert page.message.kind != "error"
    assert page.unsaved() is None


def test_a_zone_is_found_by_any_part_of_its_name(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    page = open_page(qtbot, context)
    completer = page.time_zone.completer()
    completer.setCompletionPrefix("tokyo")
    assert completer.currentCompletion() == "Asia/Tokyo"
    completer.setCompletionPrefix("istan")
    assert completer.currentCompletion() == "Europe/Istanbul"


def test_saving_with_nothing_changed_writes_nothing(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    before = settings_changes(store)
    click(qtbot, context, page.save_button)
    assert settings_changes(store) == before
    assert page.message.text() == "Değişen bir ayar yok."


def test_switching_the_tax_mode_says_sales_begun_keep_theirs(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    assert "başlamış satışlar" in page.tax_note.text().lower()
    page.prices_include_tax.setChecked(False)
    click(qtbot, context, page.save_button)
    assert not value(shop_settings(shop.till.uow())).prices_include_tax
    assert settings_changes(store)[-1]["after"] == {"prices_include_tax": False}


def test_an_unknown_zone_is_refused_and_changes_nothing(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    before = settings_changes(store)
    page.header.setPlainText("Yeni başlık")
    page.time_zone.setCurrentText("Europe/Istanbull")
    click(qtbot, context, page.save_button)

    assert page.message.kind == "error"
    assert page.message.text() == "Bilinmeyen saat dilimi: Europe/Istanbul gibi yazın"
    kept = value(shop_settings(shop.till.uow()))
    assert (kept.time_zone, kept.receipt_header) == (DEFAULT_TIME_ZONE, "")
    assert settings_changes(store) == before
    assert shop_time.zone() == ZoneInfo(DEFAULT_TIME_ZONE)
    assert page.time_zone.currentText() == "Europe/Istanbull"  # left to be corrected
    shoot(page, "shop-unknown-zone")


def test_a_header_past_the_receipts_width_is_refused(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    page.header.setPlainText("x" * 49)
    assert page.header_limits.property("kind") == "error"
    click(qtbot, context, page.save_button)

    assert page.message.kind == "error"
    assert "48" in page.message.text()
    assert value(shop_settings(shop.till.uow())).receipt_header == ""


def test_a_cashier_is_refused_by_the_store_itself(qtbot: QtBot, shop: Shop, store: Store) -> None:
    ops = Operations()
    try:
        as_cashier = Context(shop.till, ops, shop.cashier)
        page = open_page(qtbot, as_cashier)
        before = settings_changes(store)
        page.time_zone.setCurrentText("Asia/Tokyo")
        click(qtbot, as_cashier, page.save_button)

        assert page.message.kind == "error"
        assert page.message.text() == "Bu işlem için yetkiniz yok"
        assert value(shop_settings(shop.till.uow())).time_zone == DEFAULT_TIME_ZONE
        assert settings_changes(store) == before
        assert shop_time.zone() == ZoneInfo(DEFAULT_TIME_ZONE)
    finally:
        ops.close()


def test_the_page_speaks_english(qtbot: QtBot, shop: Shop, context: Context) -> None:
    page = open_page(qtbot, context)
    set_language("en")
    page.retranslate()  # the window does it for each of its pages
    try:
        assert page.save_button.text() == "Save"
        assert "already begun" in page.tax_note.text()
        assert page.header_box.title() == "Receipt header"
    finally:
        set_language("tr")


@pytest.mark.parametrize("language_code", ["tr", "en"])
def test_the_page_fits_a_1024_by_768_screen(
    qtbot: QtBot, shop: Shop, context: Context, language_code: str
) -> None:
    window = BackOfficeWindow(context)
    qtbot.addWidget(window)
    set_language(language_code)
    try:
        window.resize(SMALL_SCREEN)
        page = window.show_page(ShopPage)
        window.show()
        settle(qtbot, context)
        tab_bar = window.tabs.tabBar().sizeHint().height()
        hint = page.minimumSizeHint()
        assert hint.width() <= SMALL_SCREEN.width() - 20, hint
        assert hint.height() <= SMALL_SCREEN.height() - tab_bar - 20, hint
        shoot(window, f"shop-{language_code}")
    finally:
        set_language("tr")
        window.close()


def test_a_manager_sets_each_roles_discount_limit_and_the_reasons(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    assert page.cashier_limit.value() == 10
    page.cashier_limit.setValue(12.5)
    page.discount_reasons.setPlainText("Hasarlı ürün\n\nKampanya")
    click(qtbot, context, page.save_button)

    kept = value(shop_settings(shop.till.uow()))
    assert (kept.discount_limit_cashier_bp, kept.discount_reasons) == (
        1250,
        ("Hasarlı ürün", "Kampanya"),
    )
    assert settings_changes(store)[-1]["after"]["discount_limit_cashier_bp"] == 1250
    page.discount_reasons.setPlainText("Hasar\x1bp")
    click(qtbot, context, page.save_button)
    assert page.message.kind == "error"
    assert value(shop_settings(shop.till.uow())).discount_reasons == ("Hasarlı ürün", "Kampanya")
