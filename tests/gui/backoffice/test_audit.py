"""The audit log page: the newest entries first, narrowed by user, action and days,
read further back with "More"."""

from __future__ import annotations

import json
from datetime import date

from PySide6.QtCore import QDate, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from pos.services._support import audit
from pos.services.coupons import list_coupons, set_coupon_active
from pos.services.users import reset_pin
from tests.conftest import Store, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import SUT, Shop
from ui.backoffice.audit import AuditPage
from ui.backoffice.common import Context


def open_page(qtbot: QtBot, context: Context) -> AuditPage:
    page = AuditPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def busy_morning(shop: Shop) -> None:
    """The manager retires the coupon and resets the cashier's PIN; the cashier's price
    override is approved by the manager."""
    uow = shop.till.uow()
    manager = shop.manager.id
    (coupon,) = value(list_coupons(uow, manager_id=manager))
    value(set_coupon_active(uow, coupon.id, False, manager_id=manager))
    value(reset_pin(uow, shop.cashier.id, "2468", manager_id=manager))
    with uow:
        audit(
            uow.session,
            at=uow.now(),
            user_id=shop.cashier.id,
            approved_by=manager,
            action="cart.price_override",
            entity="cart",
            entity_id=7,
            product_id=shop.products[SUT],
            currency="TRY",
            before={"unit_price_minor": 3250},
            after={"unit_price_minor": 2990},
        )
        uow.commit()


def test_the_newest_entries_come_first_and_filter_by_user(
    qtbot: QtBot, qtmodeltester: ModelTester, shop: Shop, context: Context, store: Store
) -> None:
    busy_morning(shop)
    page = open_page(qtbot, context)
    qtmodeltester.check(page.entries)
    newest = page.entries.rows[0]
    assert (newest.action, newest.user_name, newest.approver_name) == (
        "cart.price_override",
        "Mehmet Demir",
        "Ayşe Yılmaz",
    )
    assert page.entries.data(page.entries.index(0, 1)) == (
        "Mehmet Demir: satıştaki Pınar Tam Yağlı Süt 1 L ürününün fiyatını ₺32,50 yerine"
        " ₺29,90 yaptı (onaylayan: Ayşe Yılmaz)"
    )
    assert "Ayşe Yılmaz: Mehmet Demir kullanıcısının PIN kodunu yeniledi" in [
        page.entries.data(page.entries.index(row, 1)) for row in range(page.entries.rowCount())
    ]
    tooltip = page.entries.data(page.entries.index(0, 1), Qt.ItemDataRole.ToolTipRole)
    assert json.loads(tooltip)["after"] == {"unit_price_minor": 2990}
    assert not page.more_button.isEnabled()
    qtbot.wait(20)  # let the layout take the new texts in before the picture
    shoot(page, "audit")

    page.user.setCurrentIndex(page.user.findData(shop.cashier.id))
    settle(qtbot, context)

    assert [row.action for row in page.entries.rows] == ["cart.price_override"]

    page.user.setCurrentIndex(page.user.findData(shop.manager.id))
    settle(qtbot, context)

    assert [row.action for row in page.entries.rows][:3] == [
        "user.reset_pin",
        "coupon.deactivated",
        "coupon.created",
    ]
    assert {row.user_id for row in page.entries.rows} == {shop.manager.id}


def test_an_action_family_and_a_single_action_narrow_the_log(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    busy_morning(shop)
    page = open_page(qtbot, context)

    page.action.setCurrentIndex(page.action.findData("coupon."))
    settle(qtbot, context)
    assert [row.action for row in page.entries.rows] == ["coupon.deactivated", "coupon.created"]

    page.action.setCurrentIndex(page.action.findData("coupon.created"))
    settle(qtbot, context)
    assert [row.action for row in page.entries.rows] == ["coupon.created"]


def test_days_after_the_entries_show_nothing_and_a_reversed_range_is_refused(
    qtbot: QtBot, shop: Shop, context: Context
) -> None:
    busy_morning(shop)
    page = open_page(qtbot, context)
    assert page.entries.rows

    page.since.date.setDate(QDate(2099, 1, 1))
    page.since.enabled.setChecked(True)
    settle(qtbot, context)
    assert page.entries.rows == ()

    today = date.today()
    page.since.date.setDate(QDate(today.year, today.month, today.day))
    settle(qtbot, context)
    assert page.entries.rows  # the entries written today

    page.until.date.setDate(QDate(today.year - 1, today.month, 1))
    page.until.enabled.setChecked(True)
    settle(qtbot, context)

    assert page.message.text() == "Geçersiz tarih aralığı: bitiş tarihi başlangıçtan önce olamaz"
    assert page.entries.rows == ()


def test_more_reads_the_older_entries(qtbot: QtBot, shop: Shop, context: Context) -> None:
    busy_morning(shop)
    page = open_page(qtbot, context)
    everything = [row.id for row in page.entries.rows]
    page.page_size = 3
    page.load()
    settle(qtbot, context)
    assert [row.id for row in page.entries.rows] == everything[:3]
    assert page.more_button.isEnabled()

    while page.more_button.isEnabled():
        qtbot.mouseClick(page.more_button, Qt.MouseButton.LeftButton)
        settle(qtbot, context)

    assert [row.id for row in page.entries.rows] == everything
