"""The self-test's window part: the demo till driven with the keys a cashier presses.

``kasa --self-test`` (``pos.cli.self_test``) hands over a demo shop in a temporary folder;
this opens the till on it as a shop opens it (``ui.app.show_till``; ``ui.launcher`` has
chosen the off-screen platform unless one was set), signs in the demo cashier with the
PIN, scans each planned sale's barcode, pays with F9 (typing the cash handed over) or F10
(the simulated terminal) and takes the receipt the window shows. What the sales left in
the store is judged afterwards by ``pos.runtime.self_test``'s checks; this part fails
when the window itself does not do its part (a refused scan, a dialog that never comes),
with the banner's words.

So a bundle that passes has found its Qt plugins, stylesheet, translations (Qt's own
too), migrations and demo data, and its card terminal, listener and store all answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from pos.domain.money import minor_digits
from pos.domain.payments import PaymentMethod
from pos.runtime.self_test import PaidSale, PlannedSale, SelfTestFailed, SelfTestShop
from ui.app import app_icon, application, show_till
from ui.collector import GuiThreadCollector
from ui.i18n import language, qt_translated
from ui.till import TillWindow

WAIT_SECONDS = 20.0
"""The longest any one step may take (the card's is the terminal's decision and webhook)."""


def sell_in_window(shop: SelfTestShop) -> list[PaidSale]:
    """Sign in, ring up and pay each of the shop's planned sales; the sales as paid."""
    app = application()
    collector = GuiThreadCollector(app).start()  # as the till runs: before any worker
    window = show_till(shop.till, demo=True, runtime=shop.runtime, printer=shop.printer)
    shop.runtime.start()
    try:
        if language() != "en" and not qt_translated():
            raise SelfTestFailed(f"Qt's own translations into {language()!r} did not load")
        if app_icon().isNull():
            raise SelfTestFailed("the till's icon (resources/icons) did not load")
        till = _Driver(window)
        till.sign_in(shop)
        return [till.sell(planned, shop.till.settings.currency) for planned in shop.sales]
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
        collector.stop()


class _Driver:
    """The keys a cashier presses, and waiting (with a limit) for the till to answer."""

    def __init__(self, window: TillWindow) -> None:
        self.window = window

    def sign_in(self, shop: SelfTestShop) -> None:
        window, cashier = self.window, shop.cashier
        self.wait(lambda: window.login.user_group.button(cashier.id) is not None, "list users")
        window.login.select_user(cashier.id)
        QTest.keyClicks(window.login.pin, shop.cashier_pin)
        QTest.keyClick(window.login.pin, Qt.Key.Key_Return)
        self.wait(lambda: window.cart is not None and window.ops.idle, "sign the cashier in")

    def sell(self, planned: PlannedSale, currency: str) -> PaidSale:
        window, label = self.window, f"{planned.tender} sale"
        paid: list[UUID] = []
        window.sale_paid.connect(paid.append)
        try:
            QTest.keyClicks(window.scan, f"{planned.quantity}*{planned.barcode}")
            QTest.keyClick(window.scan, Qt.Key.Key_Return)
            rung_up = [(planned.name, planned.quantity)]
            self.wait(
                lambda: [(line.name, line.quantity) for line in window.cart_model.lines] == rung_up,
                f"ring up {planned.quantity} x {planned.name} for the {label}",
            )
            if planned.tender is PaymentMethod.CASH:
                self.press(Qt.Key.Key_F9)
                self.wait(lambda: _visible(window.cash_dialog), "open the cash dialog (F9)")
                assert window.cash_dialog is not None
                given = planned.given_minor // 10 ** minor_digits(currency)
                QTest.keyClicks(window.cash_dialog.given, str(given))
                QTest.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)
            else:
                self.press(Qt.Key.Key_F10)
            self.wait(lambda: _visible(window.receipt_dialog), f"show the {label}'s receipt")
            assert window.receipt_dialog is not None
            shown = window.receipt_dialog.text.toPlainText()
            QTest.keyClick(window.receipt_dialog, Qt.Key.Key_Return)
            self.wait(
                lambda: (
                    window.receipt_dialog is None
                    and window.ops.idle
                    and not window.cart_model.lines
                ),
                f"start the next sale after the {label}",
            )
        finally:
            window.sale_paid.disconnect(paid.append)
        if len(paid) != 1:
            raise SelfTestFailed(f"the till reported {len(paid)} payments for the {label}, not one")
        return PaidSale(planned, paid[0], shown_receipt=shown)

    def press(self, key: Qt.Key) -> None:
        """A function key, sent to whatever has the keyboard (shortcuts fire from there)."""
        target: QWidget = self.window.focusWidget() or self.window
        QTest.keyClick(target, key)

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            banner = self.window.banner
            if banner.isVisible() and banner.property("kind") == "error":
                raise SelfTestFailed(f"the till did not {what}: it says {banner.text()!r}")
            if time.monotonic() > deadline:
                said = f" (it says {banner.text()!r})" if banner.isVisible() else ""
                raise SelfTestFailed(f"the till did not {what} within {WAIT_SECONDS:.0f} s{said}")
            QTest.qWait(10)


def _visible(widget: QWidget | None) -> bool:
    return widget is not None and widget.isVisible()
