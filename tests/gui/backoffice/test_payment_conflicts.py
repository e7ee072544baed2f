"""The payments page shows a charge the sale cannot follow, and a manager marks it handled."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentStatus
from pos.services.payment_events import apply_payment_event
from pos.services.payments import mark_pending
from pos.store.models import AuditEntry, Payment, PaymentConflict
from pos.store.uow import UnitOfWork
from tests.conftest import Store, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.backoffice.test_payments import card_sale, open_page
from tests.gui.conftest import SUT, Shop
from tests.payments import terminal_event
from tests.sales import rows
from ui.backoffice.common import Context
from ui.i18n import _


def test_a_charge_after_a_failed_payment_is_shown_and_marked_handled_with_a_note(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    uow: UnitOfWork = shop.till.uow()
    sale = card_sale(shop, SUT)
    value(mark_pending(uow, sale.payment_id, provider_payment_id="pay_7c1d"))
    failed = terminal_event(
        "evt_declined", "pay_7c1d", type="payment.failed", amount_minor=sale.total_minor
    )
    value(apply_payment_event(uow, failed))
    charged = terminal_event("evt_charged", "pay_7c1d", amount_minor=sale.total_minor)
    assert value(apply_payment_event(uow, charged)).conflict

    page = open_page(qtbot, context)

    assert page.conflicts.model.rowCount() == 1
    assert page.conflicts.title().endswith("(1)")
    texts = [page.conflicts.model.index(0, column).data() for column in range(9)]
    assert _("Charged after the payment failed") in texts
    assert _("Failed") in texts  # the sale as it stands
    assert not page.handled_button.isEnabled()
    qtbot.wait(20)
    shoot(page, "payments-conflict")

    page.select(page.conflicts, 0)
    assert page.handled_button.isEnabled()
    assert not page.resolve_button.isEnabled()  # the payment itself is settled
    qtbot.mouseClick(page.handled_button, Qt.MouseButton.LeftButton)
    dialog = page.resolve_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert not any(button.isVisible() for button in dialog.buttons.values())
    assert not dialog.resolve_button.isEnabled()  # the note is required
    qtbot.keyClicks(dialog.note, "Terminal fisiyle nakit iade edildi")
    assert dialog.resolve_button.isEnabled()
    shoot(dialog, "payments-conflict-handle")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.conflicts.model.rowCount() == 0
    assert page.message.kind == "info"
    (conflict,) = rows(store, PaymentConflict)
    assert conflict.handled_by == shop.manager.id
    assert conflict.note == "Terminal fisiyle nakit iade edildi"
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "payment.conflict_handled")
    assert json.loads(entry.details)["note"] == "Terminal fisiyle nakit iade edildi"
    (payment,) = rows(store, Payment, Payment.id == sale.payment_id)
    assert payment.status == PaymentStatus.FAILED  # marking it handled moves no money
