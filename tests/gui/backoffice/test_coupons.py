"""The coupons page: a coupon made and edited through the form, a mistake shown in
Turkish, and a used coupon that can only be deactivated."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from pos.domain.coupons import CouponKind
from pos.services.cart import add_to_cart, open_cart
from pos.services.coupons import apply_coupon
from pos.store.models import AuditEntry, Coupon
from tests.conftest import Store, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import PEYNIR, Shop
from tests.sales import pay_cash, rows
from ui.backoffice.common import Context
from ui.backoffice.coupons import CouponsPage


def open_page(qtbot: QtBot, context: Context) -> CouponsPage:
    page = CouponsPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def click(qtbot: QtBot, context: Context, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)


def choose(qtbot: QtBot, context: Context, page: CouponsPage, code: str) -> None:
    row = next(n for n, c in enumerate(page.coupons.rows) if c.terms.code == code)
    page.coupons_view.selectRow(row)
    settle(qtbot, context)


def coupon(store: Store, code: str):
    """The coupon of that code not deleted (a deleted one keeps its row for the replicas)."""
    found = rows(store, Coupon, Coupon.code == code, Coupon.deleted_at.is_(None))
    return found[0] if found else None


def sell_with_coupon(shop: Shop, code: str) -> None:
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=shop.cashier.id)).cart_id
    value(add_to_cart(uow, cart, shop.products[PEYNIR], 1))
    value(apply_coupon(uow, cart, code))
    value(pay_cash(uow, cart))


def test_a_manager_creates_a_coupon_with_the_form(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    assert [c.terms.code for c in page.coupons.rows] == ["HOSGELDIN10"]

    click(qtbot, context, page.new_button)
    qtbot.keyClicks(page.code, "yaz15")
    qtbot.keyClicks(page.value, "15")
    qtbot.keyClicks(page.minimum, "200")
    qtbot.keyClicks(page.cap, "50")
    qtbot.keyClicks(page.limit, "100")
    page.valid_to.enabled.setChecked(True)
    page.valid_to.date.setDate(QDate(2031, 8, 31))
    click(qtbot, context, page.save_button)

    saved = coupon(store, "YAZ15")
    assert saved is not None
    assert (saved.kind, saved.value, saved.min_cart_minor, saved.cap_minor) == (
        CouponKind.PERCENT,
        1500,
        20000,
        5000,
    )
    assert (saved.usage_limit, saved.active, saved.valid_from) == (100, True, None)
    # The last day counts whole: the coupon stops at midnight after it, in the shop's time.
    assert saved.valid_to == datetime(2031, 9, 1, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert [c.terms.code for c in page.coupons.rows] == ["HOSGELDIN10", "YAZ15"]
    assert page.editing is not None
    assert page.editing.terms.code == "YAZ15"
    assert page.message.kind == "info"
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "coupon.created")[1:]
    assert (entry.user_id, json.loads(entry.details)["code"]) == (shop.manager.id, "YAZ15")


def test_a_coupon_that_ends_before_it_starts_is_refused_in_turkish(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    click(qtbot, context, page.new_button)
    qtbot.keyClicks(page.code, "TERS")
    page.kind.setCurrentIndex(page.kind.findData(CouponKind.FIXED.value))
    qtbot.keyClicks(page.value, "25,50")
    page.valid_from.enabled.setChecked(True)
    page.valid_from.date.setDate(QDate(2031, 3, 10))
    page.valid_to.enabled.setChecked(True)
    page.valid_to.date.setDate(QDate(2031, 3, 9))

    click(qtbot, context, page.save_button)

    assert page.message.text() == "Kuponun bitiş tarihi başlangıcından sonra olmalı"
    assert page.message.kind == "error"
    assert coupon(store, "TERS") is None
    assert page.editing is None  # the form keeps what was typed, to be put right
    assert page.code.text() == "TERS"


@pytest.mark.parametrize(
    ("field", "typed"),
    [("value", "abc"), ("value", "-5"), ("minimum", "1.2.3"), ("limit", "-1"), ("cap", "x")],
)
def test_what_is_not_a_number_is_refused_before_the_store_is_asked(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, field: str, typed: str
) -> None:
    page = open_page(qtbot, context)
    click(qtbot, context, page.new_button)
    qtbot.keyClicks(page.code, "YANLIS")
    qtbot.keyClicks(page.value, "10")
    widget = getattr(page, field)
    widget.clear()
    qtbot.keyClicks(widget, typed)

    click(qtbot, context, page.save_button)

    assert page.message.text().startswith("Geçersiz kupon değeri")
    assert coupon(store, "YANLIS") is None


def test_a_percent_over_a_hundred_is_refused(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    click(qtbot, context, page.new_button)
    qtbot.keyClicks(page.code, "FAZLA")
    qtbot.keyClicks(page.value, "150")

    click(qtbot, context, page.save_button)

    assert page.message.text() == (
        "Geçersiz kupon değeri: yüzde 0-100 arası, tutar sıfırdan büyük olmalı"
    )
    assert coupon(store, "FAZLA") is None


def test_a_coupon_is_edited_deactivated_and_deleted_while_unused(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_page(qtbot, context)
    choose(qtbot, context, page, "HOSGELDIN10")
    assert page.value.text() == "10"
    assert page.minimum.text() == "100"

    page.value.clear()
    qtbot.keyClicks(page.value, "12,5")
    click(qtbot, context, page.save_button)
    assert coupon(store, "HOSGELDIN10").value == 1250

    click(qtbot, context, page.active_button)
    assert coupon(store, "HOSGELDIN10").active is False
    assert page.editing is not None
    assert page.editing.terms.active is False

    monkeypatch.setattr(page, "confirm_delete", lambda code: code == "HOSGELDIN10")
    click(qtbot, context, page.delete_button)
    assert coupon(store, "HOSGELDIN10") is None
    assert page.coupons.rows == ()
    assert page.editing is None
    actions = [e.action for e in rows(store, AuditEntry, AuditEntry.entity == "coupon")]
    assert actions == ["coupon.created", "coupon.updated", "coupon.deactivated", "coupon.deleted"]


def test_a_used_coupon_shows_its_redemptions_and_cannot_be_deleted(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sell_with_coupon(shop, "HOSGELDIN10")
    page = open_page(qtbot, context)
    choose(qtbot, context, page, "HOSGELDIN10")

    assert page.coupons.rows[0].terms.times_used == 1
    assert len(page.redemptions.rows) == 1
    assert page.redemptions.rows[0].receipt_number == 1
    qtbot.wait(20)  # let the layout take the new texts in before the picture
    shoot(page, "coupons")

    monkeypatch.setattr(page, "confirm_delete", lambda code: True)
    click(qtbot, context, page.delete_button)

    assert page.message.text() == "Kullanılmış kupon silinemez; devre dışı bırakabilirsiniz"
    assert coupon(store, "HOSGELDIN10") is not None

    page.value.clear()
    qtbot.keyClicks(page.value, "50")
    click(qtbot, context, page.save_button)
    assert page.message.text().startswith("Kullanılmış kuponun kodu, türü ve değeri")
    assert coupon(store, "HOSGELDIN10").value == 1000

    click(qtbot, context, page.active_button)
    assert coupon(store, "HOSGELDIN10").active is False


def test_the_search_narrows_the_list(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    click(qtbot, context, page.new_button)
    qtbot.keyClicks(page.code, "KIS20")
    qtbot.keyClicks(page.value, "20")
    click(qtbot, context, page.save_button)
    assert len(page.coupons.rows) == 2

    qtbot.keyClicks(page.search, "kis")
    settle(qtbot, context)

    assert [c.terms.code for c in page.coupons.rows] == ["KIS20"]
