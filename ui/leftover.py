"""Card payments a till left in flight when it stopped, shown to the cashier at start.

The poller's first round finds them (``claim_leftover_payments``) and the runtime tells
the window. Once a cashier is signed in, ``LeftoverDialog`` lists each with what can be
done now: ask the terminal again, cancel it at the terminal, or settle it by hand with
a manager's PIN. A payment that ends failed or cancelled gives its sale back, goods
still held, and the cashier may take that sale up again. The same dialog opens when a
new card payment is refused because the terminal waits for another one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from babel.dates import format_time
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.payments import PaymentStatus
from pos.domain.results import Err, Result, Warn
from pos.services.card_payments import CardPaymentView
from ui import card as card_ops
from ui import sale as sale_ops
from ui import shop_time
from ui.approval import Approved, ManagerApprovalDialog
from ui.i18n import N_, _, language

if TYPE_CHECKING:
    from ui.till import TillWindow

STATES = {
    PaymentStatus.INITIATED: N_("never reached the terminal"),
    PaymentStatus.PENDING: N_("the terminal was waiting for the card"),
    PaymentStatus.PAID: N_("paid"),
    PaymentStatus.FAILED: N_("failed: the sale is back at the till"),
    PaymentStatus.CANCELLED: N_("cancelled: the sale is back at the till"),
    PaymentStatus.REFUNDED: N_("refunded"),
}


class LeftoverDialog(QDialog):
    """The left-over payments, one a line, and the ways out for the selected one."""

    check_requested = Signal(int)  # payment id
    cancel_requested = Signal(int)
    resolve_requested = Signal(int)
    resume_requested = Signal(int)  # cart id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LeftoverDialog")
        self.setModal(True)
        self.views: tuple[CardPaymentView, ...] = ()
        self._note = ""
        self.intro = QLabel(objectName="LeftoverIntro")
        self.intro.setWordWrap(True)
        self.payments = QListWidget(objectName="LeftoverPayments")
        self.payments.currentRowChanged.connect(self._update)
        self.note_label = QLabel(objectName="InlineError")
        self.note_label.setWordWrap(True)
        self.check_button = QPushButton(objectName="LeftoverCheck")
        self.cancel_button = QPushButton(objectName="LeftoverCancel")
        self.resolve_button = QPushButton(objectName="LeftoverResolve")
        self.resume_button = QPushButton(objectName="LeftoverResume")
        self.close_button = QPushButton(objectName="LeftoverClose")
        for button, signal in (
            (self.check_button, self.check_requested),
            (self.cancel_button, self.cancel_requested),
            (self.resolve_button, self.resolve_requested),
        ):
            button.clicked.connect(self._emitter(signal))
        self.resume_button.clicked.connect(self._resume)
        self.close_button.clicked.connect(self.accept)
        actions = QHBoxLayout()
        for button in (self.check_button, self.cancel_button, self.resolve_button):
            actions.addWidget(button)
        closing = QHBoxLayout()
        closing.addWidget(self.resume_button)
        closing.addStretch(1)
        closing.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.payments, 1)
        layout.addWidget(self.note_label)
        layout.addLayout(actions)
        layout.addLayout(closing)
        self.setMinimumSize(620, 380)
        self.retranslate()

    def selected(self) -> CardPaymentView | None:
        row = self.payments.currentRow()
        return self.views[row] if 0 <= row < len(self.views) else None

    def show_payments(self, views: tuple[CardPaymentView, ...]) -> None:
        chosen = self.selected()
        self.views = views
        self.payments.clear()
        for view in views:
            item = QListWidgetItem(self._line(view))
            item.setData(Qt.ItemDataRole.UserRole, view.payment_id)
            self.payments.addItem(item)
        ids = [view.payment_id for view in views]
        keep = ids.index(chosen.payment_id) if chosen and chosen.payment_id in ids else 0
        if views:
            self.payments.setCurrentRow(keep)
        self._update()

    def show_note(self, text: str) -> None:
        self._note = text
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def _line(self, view: CardPaymentView) -> str:
        started = format_time(shop_time.local(view.created_at), format="short", locale=language())
        return _("Payment {payment}, {amount}, started {time}: {state}").format(
            payment=view.payment_id,
            amount=format_money(view.amount_minor, view.currency, language()),
            time=started,
            state=_(STATES.get(view.status, view.status.value)),
        )

    def _emitter(self, signal: Any) -> Callable[[], None]:
        def emit() -> None:
            view = self.selected()
            if view is not None and view.unresolved:
                self.show_note("")
                signal.emit(view.payment_id)

        return emit

    def _resume(self) -> None:
        view = self.selected()
        if view is not None and view.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            self.resume_requested.emit(view.cart_id)
            self.accept()

    def _update(self, *_args: object) -> None:
        view = self.selected()
        open_ = view is not None and view.unresolved
        for button in (self.check_button, self.cancel_button, self.resolve_button):
            button.setEnabled(open_)
        given_back = view is not None and view.status in (
            PaymentStatus.FAILED,
            PaymentStatus.CANCELLED,
        )
        self.resume_button.setVisible(given_back)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Card payments left by a restart"))
        self.intro.setText(
            _(
                "This till stopped while these card payments were in flight. Until each "
                "is settled the terminal takes no other card. What can be done now:"
            )
        )
        self.check_button.setText(_("Ask the terminal again"))
        self.cancel_button.setText(_("Cancel at the terminal"))
        self.resolve_button.setText(_("Settle by hand (manager)…"))
        self.resume_button.setText(_("Take this sale up again"))
        self.close_button.setText(_("Close"))
        for row, view in enumerate(self.views):
            item = self.payments.item(row)
            if item is not None:
                item.setText(self._line(view))


class LeftoverPayments(QObject):
    """Wires the runtime's start-up finding to the till window and the dialog."""

    found = Signal(object)  # tuple of payment ids, from the poller's thread (queued)

    def __init__(self, window: TillWindow) -> None:
        super().__init__(window)
        self.window = window
        self.ids: tuple[int, ...] = ()
        self.dialog: LeftoverDialog | None = None
        self.approval: ManagerApprovalDialog | None = None
        self._shown = False
        self.found.connect(self._found)
        window.payment_settled.connect(lambda _payment: self.refresh())
        if window.runtime is not None:
            window.runtime.on_leftovers = self.found.emit

    def _found(self, ids: tuple[int, ...]) -> None:
        self.ids = ids
        if self.window.user is not None:
            self.show()

    def signed_in(self) -> None:
        """After sign-in: show what the start-up found, once."""
        runtime = self.window.runtime
        if runtime is not None and runtime.leftovers and not self._shown:
            self.ids = runtime.leftovers
            self.show()

    def show(self) -> None:
        if self.window.runtime is None or self.window.user is None:
            return
        self._shown = True
        if self.dialog is None:
            dialog = LeftoverDialog(self.window)
            dialog.check_requested.connect(self._check)
            dialog.cancel_requested.connect(self._cancel)
            dialog.resolve_requested.connect(self._ask_manager)
            dialog.resume_requested.connect(self._resume)
            dialog.finished.connect(self._closed)
            self.dialog = dialog
            dialog.open()
        self.refresh()

    def refresh(self) -> None:
        runtime = self.window.runtime
        if self.dialog is None or runtime is None:
            return
        till, ids = self.window.till, self.ids
        self.window.ops.run(
            lambda: card_ops.leftover_payments(till, runtime, ids),
            self._show,
            self._failed,
            originator=self.window,
        )

    def _show(self, views: tuple[CardPaymentView, ...]) -> None:
        if self.dialog is not None:
            self.dialog.show_payments(views)

    def _answered(self, result: Result[Any]) -> None:
        if self.dialog is not None:
            note = render(result, language()) if isinstance(result, Err | Warn) else ""
            self.dialog.show_note(note)
        self.window.refresh_status()
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        if self.dialog is not None:
            self.dialog.show_note(str(error))

    def _check(self, payment_id: int) -> None:
        runtime, till = self.window.runtime, self.window.till
        assert runtime is not None
        self.window.ops.run(
            lambda: card_ops.check_card_payment(till, runtime, payment_id),
            self._answered,
            self._failed,
            network=True,
            originator=self.window,
        )

    def _cancel(self, payment_id: int) -> None:
        runtime, till = self.window.runtime, self.window.till
        assert runtime is not None
        self.window.ops.run(
            lambda: card_ops.cancel_card_payment(till, runtime, payment_id),
            self._answered,
            self._failed,
            network=True,
            originator=self.window,
        )

    def _ask_manager(self, payment_id: int) -> None:
        user = self.window.user
        if user is None or self.dialog is None or self.approval is not None:
            return
        approval = ManagerApprovalDialog(
            self.window.till,
            self.window.ops,
            cashier_id=user.id,
            action="payment.force_resolve",
            question=lambda: _(
                "Resolving this card payment by hand needs a manager: say how it ended and why."
            ),
            details={"payment": payment_id},
            resolve=True,
            parent=self.dialog,
        )
        approval.approved.connect(lambda answer: self._resolve(payment_id, answer))
        approval.finished.connect(self._approval_closed)
        self.approval = approval
        approval.open()

    def _approval_closed(self) -> None:
        self.approval = None

    def _resolve(self, payment_id: int, answer: Approved) -> None:
        assert answer.outcome is not None
        assert answer.note is not None
        outcome, note, till = answer.outcome, answer.note, self.window.till
        manager_id, cashier_id = answer.approval.manager.id, answer.approval.cashier_id
        self.window.ops.run(
            lambda: card_ops.force_resolve(
                till, payment_id, outcome, manager_id=manager_id, cashier_id=cashier_id, note=note
            ),
            self._answered,
            self._failed,
            originator=self.window,
        )

    def _resume(self, cart_id: int) -> None:
        """The given-back sale becomes the till's sale, unless one is already rung up."""
        window = self.window
        if window.cart is not None and window.cart.lines:
            return
        window.ops.run(
            lambda: sale_ops.cart_summary(window.till, cart_id),
            lambda result: window.show_cart(result.value) if not isinstance(result, Err) else None,
            self._failed,
            originator=window,
        )

    def _closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
        self.window.focus_scan()
