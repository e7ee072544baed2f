"""The users page: a cashier made through the form, a PIN reset, an unlock, and the
manager kept from locking the shop out."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.results import Code
from pos.services.users import MAX_PIN_ATTEMPTS, sign_in
from pos.store.models import AuditEntry, Role, User
from tests.conftest import Store, error, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import Shop
from tests.sales import rows
from ui.backoffice.common import Context
from ui.backoffice.users import UsersPage


def open_page(qtbot: QtBot, context: Context) -> UsersPage:
    page = UsersPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def click(qtbot: QtBot, context: Context, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)


def choose(qtbot: QtBot, context: Context, page: UsersPage, username: str) -> None:
    row = next(n for n, u in enumerate(page.users.rows) if u.username == username)
    page.users_view.selectRow(row)
    settle(qtbot, context)


def test_a_manager_creates_a_cashier_with_the_form(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    assert [u.username for u in page.users.rows] == ["kasiyer", "mudur"]

    qtbot.keyClicks(page.username, "Zeynep.K")
    qtbot.keyClicks(page.display_name, "Zeynep Kaya")
    page.role.setCurrentIndex(page.role.findData(Role.CASHIER.value))
    qtbot.keyClicks(page.pin, "2468")
    qtbot.keyClicks(page.pin_again, "2468")
    click(qtbot, context, page.create_button)

    (made,) = rows(store, User, User.username == "zeynep.k")
    assert (made.display_name, made.role, made.active) == ("Zeynep Kaya", Role.CASHIER, True)
    assert value(sign_in(shop.till.uow(), made.id, "2468")).username == "zeynep.k"
    assert [u.username for u in page.users.rows] == ["kasiyer", "mudur", "zeynep.k"]
    assert page.chosen is not None
    assert page.chosen.id == made.id
    assert page.username.text() == page.pin.text() == ""
    (entry,) = rows(
        store, AuditEntry, AuditEntry.action == "user.create", AuditEntry.entity_id == str(made.id)
    )
    assert entry.user_id == shop.manager.id
    assert json.loads(entry.details) == {"username": "zeynep.k", "role": "cashier"}


def test_two_different_pins_create_nobody(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    qtbot.keyClicks(page.username, "zeynep")
    qtbot.keyClicks(page.display_name, "Zeynep Kaya")
    qtbot.keyClicks(page.pin, "2468")
    qtbot.keyClicks(page.pin_again, "2469")

    click(qtbot, context, page.create_button)

    assert page.message.kind == "error"
    assert rows(store, User, User.username == "zeynep") == []
    assert page.pin_again.text() == ""


def test_a_bad_pin_is_refused_in_turkish(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    qtbot.keyClicks(page.username, "zeynep")
    qtbot.keyClicks(page.display_name, "Zeynep Kaya")
    qtbot.keyClicks(page.pin, "12")
    qtbot.keyClicks(page.pin_again, "12")

    click(qtbot, context, page.create_button)

    assert page.message.text() == "PIN 4-8 rakam olmalı"
    assert rows(store, User, User.username == "zeynep") == []


def test_a_locked_cashier_gets_a_new_pin_and_signs_in_with_it(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    uow = shop.till.uow()
    for _ in range(MAX_PIN_ATTEMPTS):
        error(sign_in(uow, shop.cashier.id, "0000"))
    page = open_page(qtbot, context)
    choose(qtbot, context, page, "kasiyer")
    assert page.chosen is not None
    assert page.chosen.locked_until is not None
    assert page.unlock_button.isEnabled()
    qtbot.wait(20)  # let the layout take the new texts in before the picture
    shoot(page, "users")

    qtbot.keyClicks(page.new_pin, "97531")
    qtbot.keyClicks(page.new_pin_again, "97531")
    click(qtbot, context, page.reset_button)

    assert page.message.kind == "info"
    assert page.chosen is not None
    assert (page.chosen.locked_until, page.chosen.failed_pin_attempts) == (None, 0)
    assert error(sign_in(uow, shop.cashier.id, "1111")).code is Code.WRONG_PIN
    assert value(sign_in(uow, shop.cashier.id, "97531")).id == shop.cashier.id
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "user.reset_pin")
    assert entry.user_id == shop.manager.id
    assert "97531" not in entry.details


def test_a_locked_cashier_is_unlocked(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    uow = shop.till.uow()
    for _ in range(MAX_PIN_ATTEMPTS):
        error(sign_in(uow, shop.cashier.id, "0000"))
    page = open_page(qtbot, context)
    choose(qtbot, context, page, "kasiyer")

    click(qtbot, context, page.unlock_button)

    assert value(sign_in(uow, shop.cashier.id, "1111")).id == shop.cashier.id
    assert not page.unlock_button.isEnabled()


def test_a_cashier_is_deactivated_and_the_manager_cannot_deactivate_themselves(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    page = open_page(qtbot, context)
    choose(qtbot, context, page, "kasiyer")

    click(qtbot, context, page.active_button)

    (cashier,) = rows(store, User, User.id == shop.cashier.id)
    assert cashier.active is False
    assert error(sign_in(shop.till.uow(), shop.cashier.id, "1111")).code is Code.USER_INACTIVE
    assert page.chosen is not None
    assert page.chosen.active is False

    choose(qtbot, context, page, "mudur")
    click(qtbot, context, page.active_button)

    # The shop's only manager: the last one is never deactivated.
    assert page.message.text() == "Son etkin yönetici devre dışı bırakılamaz"
    (manager,) = rows(store, User, User.id == shop.manager.id)
    assert manager.active is True

    choose(qtbot, context, page, "kasiyer")
    click(qtbot, context, page.active_button)
    assert rows(store, User, User.id == shop.cashier.id)[0].active is True
