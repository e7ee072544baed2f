"""A till started again after it stopped during a card payment: the cashier sees the
left-over payment at once with the ways out; a charge the sale cannot follow shows on
the status bar at once. Against the terminal simulator over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentStatus
from pos.runtime.payments import PaymentRuntime, payment_runtime
from pos.services.card_payments import card_payment
from pos.services.cart import add_to_cart, open_cart
from pos.services.payment_events import apply_payment_event
from pos.services.payments import mark_failed, mark_pending
from tests.conftest import value
from tests.gui.conftest import AYRAN, NO_ANSWER, Shop, make_window, settle, sign_in
from tests.payments import terminal_event
from tests.sales import pay_by_card
from ui.i18n import _
from ui.till import TillWindow

WAIT_MS = 15_000


def left_in_flight(shop: Shop, barcode: str) -> tuple[int, int]:
    """A card sale checked out by the till before it stopped: (its payment, its cart)."""
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=shop.cashier.id)).cart_id
    value(add_to_cart(uow, cart, shop.products[barcode], 1))
    return value(pay_by_card(uow, cart)).payment_id, cart


@pytest.fixture
def restarted(qtbot: QtBot, shop: Shop) -> Iterator[tuple[TillWindow, int, int]]:
    payment_id, cart_id = left_in_flight(shop, NO_ANSWER)  # ..92: the card never comes
    runtime: PaymentRuntime = payment_runtime(shop.till, demo=True, decision_delay=0.05)
    window = make_window(qtbot, shop, runtime)
    runtime.start()  # as the till starts it: after the window exists
    yield window, payment_id, cart_id
    window.close()
    runtime.stop()


def test_the_till_shows_the_left_over_payment_at_start_with_its_ways_out(
    qtbot: QtBot, shop: Shop, restarted: tuple[TillWindow, int, int]
) -> None:
    window, payment_id, cart_id = restarted
    sign_in(qtbot, window, shop.cashier, "1111")

    qtbot.waitUntil(lambda: window.leftover.dialog is not None, timeout=WAIT_MS)
    dialog = window.leftover.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.payments.count() == 1, timeout=WAIT_MS)
    assert dialog.isVisible()
    assert dialog.selected() is not None
    assert dialog.selected().payment_id == payment_id  # type: ignore[union-attr]
    assert "₺64,92" in dialog.payments.item(0).text()
    for button in (dialog.check_button, dialog.cancel_button, dialog.resolve_button):
        assert button.isEnabled()
    assert not dialog.resume_button.isVisible()

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    def given_back() -> bool:
        view = dialog.selected()
        return view is not None and view.status is PaymentStatus.CANCELLED

    qtbot.waitUntil(given_back, timeout=WAIT_MS)
    assert not dialog.cancel_button.isEnabled()
    assert dialog.resume_button.isVisible()
    qtbot.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.cart is not None and window.cart.cart_id == cart_id)
    assert [line.product_id for line in window.cart.lines] == [shop.products[NO_ANSWER]]
    qtbot.waitUntil(lambda: window.leftover.dialog is None)
    settle(qtbot, window)


@pytest.mark.usefixtures("machine_in_utc")
def test_the_left_over_payment_is_timed_on_the_shops_clock(
    qtbot: QtBot, shop: Shop, restarted: tuple[TillWindow, int, int]
) -> None:
    window, _payment, _cart = restarted
    sign_in(qtbot, window, shop.cashier, "1111")
    qtbot.waitUntil(lambda: window.leftover.dialog is not None, timeout=WAIT_MS)
    dialog = window.leftover.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.payments.count() == 1, timeout=WAIT_MS)
    view = dialog.selected()
    assert view is not None

    shown = dialog.payments.item(0).text()
    istanbul = view.created_at.astimezone(ZoneInfo("Europe/Istanbul"))
    assert format_time(istanbul, format="short", locale="tr") in shown
    assert format_time(view.created_at.astimezone(UTC), format="short", locale="tr") not in shown


def test_a_manager_settles_the_left_over_payment_by_hand_from_the_till(
    qtbot: QtBot, shop: Shop, restarted: tuple[TillWindow, int, int]
) -> None:
    window, payment_id, _cart = restarted
    sign_in(qtbot, window, shop.cashier, "1111")
    qtbot.waitUntil(lambda: window.leftover.dialog is not None, timeout=WAIT_MS)
    dialog = window.leftover.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.payments.count() == 1, timeout=WAIT_MS)

    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    approval = window.leftover.approval
    assert approval is not None
    qtbot.waitUntil(lambda: approval.manager.count() > 0)
    approval.select_manager(shop.manager.id)
    approval.outcome.setCurrentIndex(approval.outcome.findData(PaymentStatus.CANCELLED))
    approval.note.setText("Terminal yeniden başladı, kart çekilmedi")
    approval.pin.setText("9999")
    approval.submit()

    def settled() -> bool:
        return value(card_payment(shop.till.uow(), payment_id)).status is (PaymentStatus.CANCELLED)

    qtbot.waitUntil(settled, timeout=WAIT_MS)
    settle(qtbot, window)


def test_a_charge_the_sale_cannot_follow_shows_on_the_status_bar_at_once(
    qtbot: QtBot, shop: Shop, card_window: TillWindow
) -> None:
    window = card_window
    payment_id, _cart = left_in_flight(shop, AYRAN)
    uow = shop.till.uow()
    value(mark_pending(uow, payment_id, provider_payment_id="pay_late"))
    mark_failed(uow, payment_id)
    receipt = value(
        apply_payment_event(uow, terminal_event("evt_late", "pay_late", amount_minor=1250))
    )
    assert receipt.conflict

    window.payment_settled.emit(payment_id)  # what the listener's thread does on an event

    expected = _("Charges for a manager: {count}").format(count=1)
    qtbot.waitUntil(lambda: expected in window.unresolved_status.text(), timeout=WAIT_MS)
    assert window.unresolved_status.property("kind") == "error"
