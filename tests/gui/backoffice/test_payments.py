"""The payments page: card payments that need a manager, driven as a manager would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from pos.domain.messages import render
from pos.domain.payments import PaymentStatus, Settler
from pos.domain.results import Code, Warn
from pos.runtime.payments import PaymentRuntime, payment_runtime
from pos.services.card_payments import start_card_payment
from pos.services.cart import add_to_cart, open_cart
from pos.services.checkout import Sale
from pos.services.payment_events import apply_payment_event
from pos.services.payments import mark_pending
from pos.store.models import AuditEntry, Payment
from pos.store.tables import payments
from pos.store.uow import UnitOfWork
from tests.conftest import Store, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import AYRAN, NO_ANSWER, SUT, Shop
from tests.payments import terminal_event
from tests.sales import pay_by_card, rows
from ui.backoffice.common import Context
from ui.backoffice.payments import PaymentsPage
from ui.i18n import _
from ui.operations import Operations


def card_sale(shop: Shop, barcode: str) -> Sale:
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=shop.cashier.id)).cart_id
    value(add_to_cart(uow, cart, shop.products[barcode], 1))
    return value(pay_by_card(uow, cart))


def long_ago(store: Store, payment_id: int, minutes: int = 12) -> None:
    """As if the payment had begun ``minutes`` ago: past the payment window."""
    with store.engine.begin() as connection:
        began = connection.execute(
            select(payments.c.created_at).where(payments.c.id == payment_id)
        ).scalar_one()
        connection.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(created_at=began - timedelta(minutes=minutes))
        )


def open_page(qtbot: QtBot, context: Context) -> PaymentsPage:
    page = PaymentsPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 720)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def test_a_stuck_payment_is_listed_and_resolved_by_hand_with_a_note(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    uow: UnitOfWork = shop.till.uow()
    stuck = card_sale(shop, NO_ANSWER)
    value(mark_pending(uow, stuck.payment_id, provider_payment_id="pay_5f0c2a91d4"))
    long_ago(store, stuck.payment_id)
    flagged = card_sale(shop, AYRAN)
    wrong = terminal_event(
        "evt_3b0c7e", "pay_a81c44e0", payment_id=flagged.payment_id, amount_minor=1200
    )
    value(apply_payment_event(uow, wrong))
    value(apply_payment_event(uow, terminal_event("evt_9d2f11", "pay_unknown_77")))

    page = open_page(qtbot, context)

    assert page.waiting.model.rowCount() == 1
    assert page.waiting.title().endswith("(1)")
    assert page.mismatches.model.rowCount() == 1
    assert page.unmatched.model.rowCount() == 1
    assert page.resolved.title().endswith("(0)")
    assert not page.check_button.isEnabled()  # no terminal at this desk
    assert page.check_button.toolTip() == _("No card terminal is connected to this till")
    assert not page.resolve_button.isEnabled()
    qtbot.wait(20)  # let the layout take the new texts in before the picture
    shoot(page, "payments")

    page.select(page.waiting, 0)
    assert page.resolve_button.isEnabled()
    qtbot.mouseClick(page.resolve_button, Qt.MouseButton.LeftButton)
    dialog = page.resolve_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.resolve_button.isEnabled()
    dialog.buttons[PaymentStatus.CANCELLED].click()
    assert not dialog.resolve_button.isEnabled()  # the note is required
    qtbot.keyClicks(dialog.note, "Terminal kapandi")
    dialog.note.insertPlainText(", müşteri nakit ödedi")  # QTest types ASCII only
    assert dialog.resolve_button.isEnabled()
    shoot(dialog, "payments-resolve")
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    qtbot.wait(20)
    shoot(page, "payments-resolved")

    (payment,) = rows(store, Payment, Payment.id == stuck.payment_id)
    assert (payment.status, payment.settled_by) == (PaymentStatus.CANCELLED, Settler.MANAGER)
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "payment.force_resolve")
    assert entry.user_id == shop.manager.id
    details = json.loads(entry.details)
    assert details["note"] == "Terminal kapandi, müşteri nakit ödedi"
    assert (details["before"], details["after"]) == ("pending", "cancelled")
    assert page.waiting.model.rowCount() == 0
    assert page.resolved.model.rowCount() == 1
    assert page.resolved.model.rows[0].note == "Terminal kapandi, müşteri nakit ödedi"
    assert page.message.kind == "info"
    assert page.resolve_dialog is None


def test_a_flagged_payment_is_resolved_as_paid_from_the_mismatch_list(
    qtbot: QtBot, shop: Shop, context: Context, store: Store
) -> None:
    uow = shop.till.uow()
    flagged = card_sale(shop, SUT)
    wrong = terminal_event("evt_eur", "pay_eur", payment_id=flagged.payment_id, currency="EUR")
    value(apply_payment_event(uow, wrong))
    page = open_page(qtbot, context)
    page.select(page.mismatches, 0)
    page.resolve_selected()
    dialog = page.resolve_dialog
    assert dialog is not None
    dialog.buttons[PaymentStatus.PAID].click()
    dialog.note.setPlainText("Ekstrede TL olarak görüldü")
    dialog.resolve_button.click()
    settle(qtbot, context)
    (payment,) = rows(store, Payment, Payment.id == flagged.payment_id)
    assert payment.status == PaymentStatus.PAID
    assert payment.review_reason == "currency_mismatch"  # kept as the record of why
    assert page.mismatches.model.rowCount() == 0
    assert page.resolved.model.rows[0].review_reason == "currency_mismatch"


@pytest.fixture
def terminal(shop: Shop) -> Iterator[PaymentRuntime]:
    """The demo's simulated terminal, not polling: only the manager asks it here."""
    runtime = payment_runtime(shop.till, demo=True, decision_delay=0.05)
    yield runtime
    runtime.stop()


def test_check_again_asks_the_terminal_and_is_audited(
    qtbot: QtBot, shop: Shop, store: Store, terminal: PaymentRuntime
) -> None:
    ops = Operations()
    context = Context(shop.till, ops, shop.manager, terminal)
    try:
        sale = card_sale(shop, NO_ANSWER)  # ..92: the card never comes
        answer = start_card_payment(shop.till.uow(), terminal.terminal, sale.payment_id)
        assert isinstance(answer, Warn)
        long_ago(store, sale.payment_id)
        page = open_page(qtbot, context)
        page.select(page.waiting, 0)
        assert page.check_button.isEnabled()
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        settle(qtbot, context)
        assert page.message.text() == render(Warn(None, Code.PAYMENT_PENDING), "tr")
        (entry,) = rows(store, AuditEntry, AuditEntry.action == "payment.check_again")
        assert entry.user_id == shop.manager.id
        assert json.loads(entry.details)["after"] == "pending"
        assert page.waiting.model.rowCount() == 1
    finally:
        ops.close()
