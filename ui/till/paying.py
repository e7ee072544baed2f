"""What every tender shares: the sale that may be paid, the amount this press pays, the
key of one press of Pay, where a sale paid in part stands, and the receipt once it is paid.
Cash and card build on it.

A sale may be paid by several tenders. The first goes through checkout; once one has
settled and something is still due, the till shows the tender panel (total, each
tender, what is due) and F9 and F10 pay what is due. An amount typed in the scan field
before F9 or F10 pays only that part of it: keys only, as F2 takes a quantity.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QTimer

from pos.domain.messages import render
from pos.domain.money import parse_amount
from pos.domain.results import Code, Err, Result
from pos.domain.sales import CartStatus, OrderStatus
from pos.domain.tenders import part_problem
from pos.services.cart import CartSummary
from pos.services.tenders import SaleTenders
from ui import sale as sale_ops
from ui.dialogs import ReceiptDialog
from ui.i18n import _, language

ALL_DUE = None
"""The part of a press of Pay when no amount was typed: all that is still due."""


@dataclass
class Attempt:
    """One press of Pay for one sale: its idempotency key is reused only to retry it."""

    cart_id: int
    shown_total_minor: int
    tender: str
    given_minor: int | None
    key: str
    amount_minor: int | None = None
    """The part this press pays; None: all that is due."""
    due_minor: int | None = None
    """What the sale still wanted when it was pressed (None before its first tender)."""

    def same(
        self,
        cart_id: int,
        total: int,
        tender: str,
        given: int | None,
        amount: int | None = None,
        due: int | None = None,
    ) -> bool:
        return (
            self.cart_id,
            self.shown_total_minor,
            self.tender,
            self.given_minor,
            self.amount_minor,
            self.due_minor,
        ) == (cart_id, total, tender, given, amount, due)


class Paying:
    """A room of ``TillWindow`` (see the module)."""

    def after_queued_work(self, then: Callable[[], None]) -> None:
        """Run ``then`` once every operation asked for before it has answered (the worker
        runs them in order), so a dialog shows the sale with its last scan in it."""
        self.ops.run(lambda: None, lambda _nothing: then(), self._store_failed, originator=self)

    def _payable(self) -> CartSummary | None:
        if self.card_payment_id is not None:
            self._say_terminal_busy()
            return None
        if self.cart is None:
            return None
        if self.tendered is None and self.cart.status is not CartStatus.OPEN:
            return None
        if self.dialog_open():
            return None
        if not self.cart.lines:
            self.show_result(Err(Code.CART_EMPTY))
            return None
        return self.cart

    def _say_terminal_busy(self) -> None:
        """A second Pay while a card tender is in flight: the terminal takes one at a time."""
        refusal = Err(Code.TERMINAL_BUSY)
        if self.card_dialog is not None:
            self.card_dialog.show_note(render(refusal, language()))
        self.show_result(refusal)

    def due_minor(self) -> int:
        """What this press of Pay may pay at most: the sale's total, or what is still due."""
        if self.tendered is not None:
            return self.tendered.due_minor
        return self.cart.total_minor if self.cart is not None else 0

    def _typed_part(self) -> int | Err | None:
        """The amount typed in the scan field before F9/F10: the part this press pays.

        ``ALL_DUE`` when nothing was typed; a refusal (shown in the banner) for an
        amount that is not one, nothing, or more than is due.
        """
        text = self.scan.text().strip()
        if not text:
            return ALL_DUE
        currency = self.cart.currency if self.cart is not None else ""
        part = parse_amount(text, currency, language())
        refusal = part_problem(part, self.due_minor(), currency)
        if refusal is not None:
            self.show_result(refusal)
            self.focus_scan()
            return refusal
        self.scan.clear()
        assert part is not None  # part_problem refuses none
        return part

    def _key_for(self, tender: str, given: int | None, amount: int | None = ALL_DUE) -> str:
        """The idempotency key of this press of Pay: the same only when retrying it."""
        assert self.cart is not None
        cart, total = self.cart.cart_id, self.cart.total_minor
        due = self.tendered.due_minor if self.tendered is not None else None
        if self.attempt is None or not self.attempt.same(cart, total, tender, given, amount, due):
            self.attempt = Attempt(cart, total, tender, given, str(uuid.uuid4()), amount, due)
        return self.attempt.key

    def _follow_sale(self, order_id: Any, note: str) -> None:
        """A tender ended: show the receipt if the sale is paid, the tender panel if it is
        paid in part, or the cart again if no tender of it stands."""
        locale = language()
        self.ops.run(
            lambda: sale_ops.sale_state(self.till, order_id, locale),
            lambda state: self._sale_followed(order_id, state, note),
            self._store_failed,
            originator=self,
        )

    def _sale_followed(self, order_id: Any, state: sale_ops.SaleState, note: str) -> None:
        tenders = state.tenders
        if order_id == self.last_paid_order:
            return  # followed twice (its own tender, and the store's news of it): paid once
        if tenders is not None and tenders.status is OrderStatus.PAID:
            self._paid(order_id, state.receipt, note)
        elif tenders is not None and tenders.status is OrderStatus.PENDING:
            self.show_tenders(tenders)
        else:
            self.show_tenders(None)
            self._reload_cart()

    def take_up_or_start(self) -> None:
        """The till's first sale since it started: one it left paid in part (a crash, a
        restart) comes back with its panel, to pay the rest or void; else a new sale."""
        cashier = self.user.id if self.user else None
        self.ops.run(
            lambda: sale_ops.part_paid_or_new_sale(self.till, cashier),
            self._taken_up,
            self._store_failed,
            originator=self,
        )

    def _taken_up(self, found: sale_ops.TakenUp | Result[CartSummary]) -> None:
        if not isinstance(found, sale_ops.TakenUp):
            self.attempt = None
            self._cart_answer(found)
            return
        self.show_cart(found.summary)
        self.show_tenders(found.tenders)
        self.show_banner(
            "warning", lambda: _("A sale paid in part was left open: take the rest, or void it")
        )

    def show_tenders(self, tenders: SaleTenders | None) -> None:
        """The sale part paid (its panel shown), or not in payment any more (hidden)."""
        self.attempt = None  # the next press pays what is due now: a new attempt
        self.tendered = tenders if tenders is not None and tenders.tenders else None
        self.tender_panel.show_tenders(self.tendered)
        self.retranslate_scan()
        if self.tendered is None:
            self.settle_mode()  # a switch to the replica may have waited for this sale

    def _paid(self, order_id: Any, receipt: str | None, note: str) -> None:
        """The sale is paid: show its receipt and start the next one."""
        self.attempt = None
        self.last_paid_order = order_id
        self.show_tenders(None)
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
