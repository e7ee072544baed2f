"""F10: a card payment on the terminal, followed until it ends (webhook, poll, or a
manager's hand), cancelled, or resolved by a manager."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer

from pos.domain.messages import render
from pos.domain.payments import PaymentStatus
from pos.domain.results import Changed, Code, Err, Ok, Result, Warn
from ui import card as card_ops
from ui.approval import Approved
from ui.dialogs import CardDialog
from ui.i18n import _, language
from ui.till.paying import Paying

SETTLING_CHANGES = Changed.ORDERS | Changed.CART | Changed.STOCK | Changed.COUPONS
"""What a payment the runtime settled (webhook, poller) may have changed in the store."""


class CardPaying(Paying):
    """A room of ``TillWindow`` (see the module)."""

    def pay_card(self) -> None:
        self.after_queued_work(self._open_card_dialog)

    def _open_card_dialog(self) -> None:
        cart = self._payable()
        if cart is None:
            return
        if self.runtime is None:
            self.show_banner("error", lambda: _("No card terminal is set up at this till"))
            return
        part = self._typed_part()
        if isinstance(part, Err):
            return
        runtime = self.runtime
        charged = self.due_minor() if part is None else part
        self.card_dialog = CardDialog(charged, cart.currency, self)
        self.card_dialog.cancel_requested.connect(self._cancel_card)
        self.card_dialog.manager_requested.connect(self._ask_to_resolve)
        self.card_dialog.finished.connect(self._card_dialog_closed)
        self.card_dialog.open()
        key = self._key_for("card", None, part)
        if self.tendered is not None:
            order_id = self.tendered.order_id
            self.ops.run(
                lambda: card_ops.add_card(self.till, runtime, order_id, amount_minor=part, key=key),
                self._card_started,
                self._card_failed,
                originator=self,
            )
            return
        cart_id, total = cart.cart_id, cart.total_minor
        cashier = self.user.id if self.user else None  # the sale is whoever takes the card
        self.ops.run(
            lambda: card_ops.checkout_card(
                self.till,
                runtime,
                cart_id,
                shown_total_minor=total,
                key=key,
                cashier_id=cashier,
                amount_minor=part,
            ),
            self._card_started,
            self._card_failed,
            originator=self,
        )

    def _card_started(self, start: card_ops.CardStart) -> None:
        dialog, result = self.card_dialog, start.result
        self.card_payment_id = start.payment_id
        if start.payment_id is None:
            # Checkout refused: nothing was started.
            self.attempt = None
            if dialog is not None:
                dialog.show_state(PaymentStatus.FAILED, None)
                dialog.show_note(render(result, language()))
            if isinstance(result, Err) and result.code is Code.PRICE_CHANGED:
                self._reload_cart()
            return
        waiting = isinstance(result, Warn) and result.code is Code.PAYMENT_PENDING
        if isinstance(result, Err) and result.code is Code.TERMINAL_BUSY:
            self.leftover.show()  # the ways out of the payment the terminal waits on
        if isinstance(result, Err | Warn) and dialog is not None and not waiting:
            dialog.show_note(render(result, language()))
            dialog.offer_manager()  # the terminal cannot say how it went: a manager may
        if not isinstance(result, Err):
            self._card_view(result)
        self.card_timer.start()

    def _card_failed(self, error: BaseException) -> None:
        if self.card_dialog is not None:
            self.card_dialog.show_note(self._failure_text(error))
            self.card_dialog.offer_manager()
        if self.card_payment_id is not None:
            self.card_timer.start()

    def _poll_card(self) -> None:
        if self.card_payment_id is None or self._card_polling:
            return
        self._card_polling = True
        payment_id = self.card_payment_id

        def answered(result: Result[Any]) -> None:
            self._card_polling = False
            if payment_id == self.card_payment_id and not isinstance(result, Err):
                self._card_view(result)

        def failed(error: BaseException) -> None:
            self._card_polling = False

        self.ops.run(
            lambda: card_ops.card_payment(self.till, payment_id), answered, failed, originator=self
        )

    def _payment_settled(self, payment_id: int) -> None:
        # The runtime names only the payment; what settling a payment may change.
        self.ops.broadcast(SETTLING_CHANGES, self.runtime)
        if payment_id == self.card_payment_id:
            self._poll_card()
        self.refresh_status()

    def _card_view(self, result: Ok[Any] | Warn[Any]) -> None:
        view = result.value
        dialog = self.card_dialog
        if dialog is not None:
            dialog.show_state(view.status, view.settled_by)
        if view.status is PaymentStatus.PAID:
            self._card_done()
            if dialog is not None:
                dialog.close_now()
            sources = {
                "webhook": _("Card approved by the terminal"),
                "poll": _("Card approved by the terminal"),
                "manager": _("Card approved (resolved by a manager)"),
            }
            note = sources.get(view.settled_by or "", _("Card approved"))
            self.show_banner("info", lambda: note)
            self._follow_sale(view.order_id, note)
        elif view.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            # The goods are still at the till: the sale is open again for another tender
            # (its cart, or what is still due when another tender of it stands).
            self._card_done()
            self.attempt = None
            self._follow_sale(view.order_id, "")

    def _card_done(self) -> None:
        self.card_timer.stop()
        self.card_payment_id = None

    def _cancel_card(self) -> None:
        payment_id, runtime = self.card_payment_id, self.runtime
        if payment_id is None or runtime is None:
            if self.card_dialog is not None and self.card_payment_id is None:
                self.card_dialog.show_state(PaymentStatus.CANCELLED, None)
            return

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                if self.card_dialog is not None:
                    self.card_dialog.show_note(render(result, language()))
                    self.card_dialog.offer_manager()
                return
            self._card_view(result)

        self.ops.run(
            lambda: card_ops.cancel_card_payment(self.till, runtime, payment_id),
            answered,
            self._card_failed,
            originator=self,
        )

    def _ask_to_resolve(self) -> None:
        """A manager settles the stuck payment by hand, with the cashier still signed in."""
        payment_id, dialog = self.card_payment_id, self.card_dialog
        if payment_id is None or dialog is None or self.approval_dialog is not None:
            return
        approval = self._ask_manager(
            "payment.force_resolve",
            lambda: _(
                "Resolving this card payment by hand needs a manager: say how it ended and why."
            ),
            details={"payment": payment_id},
            resolve=True,
            parent=dialog,
        )
        approval.approved.connect(lambda answer: self._resolve_approved(payment_id, answer))

    def _resolve_approved(self, payment_id: int, answer: Approved) -> None:
        assert answer.outcome is not None
        assert answer.note is not None
        outcome, note = answer.outcome, answer.note
        manager_id, cashier_id = answer.approval.manager.id, answer.approval.cashier_id

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                if self.card_dialog is not None:
                    self.card_dialog.show_note(render(result, language()))
                return
            if payment_id == self.card_payment_id:
                self._card_view(result)

        self.ops.run(
            lambda: card_ops.force_resolve(
                self.till,
                payment_id,
                outcome,
                manager_id=manager_id,
                cashier_id=cashier_id,
                note=note,
            ),
            answered,
            self._card_failed,
            originator=self,
        )

    def _card_dialog_closed(self) -> None:
        self.card_dialog = None
        self.settle_mode()  # a switch to the replica may have waited for the card
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back
