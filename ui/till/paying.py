"""What every tender shares: the sale that may be paid, the key of one press of Pay,
and the receipt once it is paid. Cash and card build on it; further tenders will too."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QTimer

from pos.domain.results import Code, Err
from pos.domain.sales import CartStatus
from pos.services.cart import CartSummary
from ui.dialogs import ReceiptDialog
from ui.i18n import _


@dataclass
class Attempt:
    """One press of Pay for one sale: its idempotency key is reused only to retry it."""

    cart_id: int
    shown_total_minor: int
    tender: str
    given_minor: int | None
    key: str

    def same(self, cart_id: int, total: int, tender: str, given: int | None) -> bool:
        return (self.cart_id, self.shown_total_minor, self.tender, self.given_minor) == (
            cart_id,
            total,
            tender,
            given,
        )


class Paying:
    """A room of ``TillWindow`` (see the module)."""

    def after_queued_work(self, then: Callable[[], None]) -> None:
        """Run ``then`` once every operation asked for before it has answered (the worker
        runs them in order), so a dialog shows the sale with its last scan in it."""
        self.ops.run(lambda: None, lambda _nothing: then(), self._store_failed, originator=self)

    def _payable(self) -> CartSummary | None:
        if self.cart is None or self.cart.status is not CartStatus.OPEN:
            return None
        if self.dialog_open():
            return None
        if not self.cart.lines:
            self.show_result(Err(Code.CART_EMPTY))
            return None
        return self.cart

    def _key_for(self, tender: str, given: int | None) -> str:
        """The idempotency key of this press of Pay: the same only when retrying it."""
        assert self.cart is not None
        cart, total = self.cart.cart_id, self.cart.total_minor
        if self.attempt is None or not self.attempt.same(cart, total, tender, given):
            self.attempt = Attempt(cart, total, tender, given, str(uuid.uuid4()))
        return self.attempt.key

    def _paid(self, order_id: Any, receipt: str | None, note: str) -> None:
        """The sale is paid: show its receipt and start the next one."""
        self.attempt = None
        self.sale_paid.emit(order_id)
        self.clear_banner()
        self.receipt_dialog = ReceiptDialog(
            receipt or _("Receipt not available"), self, scale=self.text_scale
        )
        self.receipt_dialog.show_change(note)
        self.receipt_dialog.finished.connect(self._receipt_closed)
        self.receipt_dialog.open()
        self.coupon.clear()
        self.coupon_note.setProperty("kind", "")
        self.start_new_sale()

    def _receipt_closed(self) -> None:
        self.receipt_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back
