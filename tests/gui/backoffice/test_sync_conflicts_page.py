"""The sync conflicts page: a manager reads an offline sale the central store could not
take, in full, and settles it; the till lists its own offline sales on Shift+F11."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.messages import render
from pos.domain.results import Code, Err
from pos.domain.sync import ConflictStatus
from pos.services.users import UserView
from pos.store.models import AuditEntry, SyncConflict
from tests.conftest import START, FakeClock, Shelf, Store
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import Shop, sign_in
from tests.integration.test_sync_conflicts import conflict, offline_sale
from tests.sales import rows
from ui.backoffice.common import Context
from ui.backoffice.sync_conflicts import SyncConflictsPage
from ui.i18n import _, set_language
from ui.till.offline_sales import OfflineSalesDialog
from ui.till.window import TillWindow


def open_page(qtbot: QtBot, context: Context) -> SyncConflictsPage:
    page = SyncConflictsPage(context)
    qtbot.addWidget(page)
    page.resize(1024, 700)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def two_conflicts(shop: Shop, store: Store, clock: FakeClock) -> tuple[int, int]:
    """A real offline sale the store could not take, and an older one it could not read."""
    shelf = Shelf(shop.till.uow(), shop.manager)
    payload = offline_sale(store, clock, shelf, shop.cashier)
    unreadable = conflict(store, "{kırık", reason="error", receipt_number=41)
    taken = conflict(store, payload, at=START + timedelta(minutes=3))
    return taken, unreadable


def cell(page: SyncConflictsPage, row: int, column: int) -> str:
    return str(page.model.index(row, column).data())


def test_a_conflict_is_shown_in_full_and_accepted_with_a_note(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, clock: FakeClock
) -> None:
    taken, _unreadable = two_conflicts(shop, store, clock)

    page = open_page(qtbot, context)

    assert page.model.rowCount() == 2
    texts = [cell(page, 0, column) for column in range(7)]
    assert texts[:2] == ["T01", "T01-000042"]
    assert "Ürün mevcut değil" in texts  # the reason, in the manager's language
    assert "Bekliyor" in texts
    assert cell(page, 1, 6) == "Merkez kasada bir yazılım hatası"
    tills = [page.till_filter.itemText(i) for i in range(page.till_filter.count())]
    assert tills == ["Tüm kasalar", "T01"]
    page.till_filter.setCurrentIndex(1)
    settle(qtbot, context)
    assert page.model.rowCount() == 2  # both came from T01
    assert not page.retry_button.isEnabled()

    page.view.selectRow(0)
    settle(qtbot, context)
    assert page.detail is not None
    assert page.detail.conflict.id == taken
    assert page.lines.rowCount() == 1
    assert page.lines.index(0, 0).data() == "Ayran 300 ml"
    assert "Mehmet Demir" in page.summary.text()
    assert "Nakit" in page.tenders.text()
    assert page.retry_button.isEnabled()
    assert not page.accept_button.isEnabled()  # the note comes first
    assert not page.write_off_button.isEnabled()
    qtbot.keyClicks(page.note, "Para kasada sayildi")
    assert page.accept_button.isEnabled()
    qtbot.wait(20)
    shoot(page, "sync-conflicts")

    qtbot.mouseClick(page.accept_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.kind == "info"
    assert page.model.rowCount() == 1  # the open list keeps only the unreadable one
    assert not page.retry_button.isEnabled()  # nothing is chosen now
    assert page.retry_button.property("primary") is False
    (row,) = rows(store, SyncConflict, SyncConflict.id == taken)
    assert row.status is ConflictStatus.ACCEPTED
    assert row.note == "Para kasada sayildi"
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "sync.accepted")
    assert json.loads(entry.details)["note"] == "Para kasada sayildi"

    page.status_filter.setCurrentIndex(2)  # accepted
    settle(qtbot, context)
    assert [r.id for r in page.model.rows] == [taken]
    page.view.selectRow(0)
    settle(qtbot, context)
    assert not page.note.isEnabled()
    assert not page.retry_button.isEnabled()
    assert "Para kasada sayildi" in page.summary.text()


def test_the_page_speaks_english_after_f7(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, clock: FakeClock
) -> None:
    two_conflicts(shop, store, clock)
    page = open_page(qtbot, context)
    assert page.minimumSizeHint().width() <= 1024  # a 1024x768 till screen, in Turkish
    set_language("en")
    page.retranslate()
    assert page.minimumSizeHint().width() <= 1024  # and in English
    assert cell(page, 0, 6) == "Product not available"
    assert page.model.headerData(2, Qt.Orientation.Horizontal) == "Till's time"
    assert page.write_off_button.text() == "Write off"


@pytest.mark.parametrize("note", ["zil\x07", "x" * 10_000])
def test_a_bad_note_is_refused_and_the_conflict_stays_open(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, clock: FakeClock, note: str
) -> None:
    taken, _unreadable = two_conflicts(shop, store, clock)
    page = open_page(qtbot, context)
    page.view.selectRow(0)
    settle(qtbot, context)
    page.note.setMaxLength(20_000)  # past what the field lets a hand type
    page.note.setText(note)
    qtbot.mouseClick(page.write_off_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.kind == "error"
    assert page.message.text() == render(Err(Code.INVALID_NOTE), "tr")
    (row,) = rows(store, SyncConflict, SyncConflict.id == taken)
    assert row.status is ConflictStatus.OPEN
    assert rows(store, AuditEntry, AuditEntry.action.like("sync.%")) == []


def test_a_cashier_sees_no_conflicts(
    qtbot: QtBot, shop: Shop, context: Context, store: Store, clock: FakeClock
) -> None:
    two_conflicts(shop, store, clock)
    cashier: UserView = shop.cashier
    page = open_page(qtbot, Context(context.till, context.ops, cashier))
    assert page.model.rowCount() == 0
    assert page.message.kind == "error"


def test_the_till_lists_its_offline_sales_on_shift_f11(
    qtbot: QtBot, shop: Shop, window: TillWindow, store: Store, clock: FakeClock
) -> None:
    shelf = Shelf(shop.till.uow(), shop.manager)
    offline_sale(store, clock, shelf, shop.cashier)
    sign_in(qtbot, window, shop.cashier, "1111")

    # Sent to the scan field, which has the keyboard, as the cashier's key press is.
    qtbot.keyClick(
        window.focusWidget() or window, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier
    )
    dialog = window.findChild(OfflineSalesDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.sales is not None, timeout=10_000)

    assert dialog.isVisible()
    assert dialog.model.rowCount() == 1
    assert dialog.model.index(0, 3).data() == _("Not sent yet")
    assert "Gönderilmeyen: 1" in dialog.summary.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
