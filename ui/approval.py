"""A manager's approval at the till, without the cashier signing out.

The manager picks their name and types their PIN; the PIN is checked on the store's
worker by ``approve``, counted and locked out like a sign-in. A wrong PIN is said in
the dialog, which stays open. Once approved, the dialog hands the approval (with the
price, note or outcome it asked for) to the till, which runs the approved action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from pos.bootstrap import Till
from pos.domain.approvals import price_override_needs_reason
from pos.domain.messages import render
from pos.domain.money import format_money, parse_price
from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Err, Result
from pos.domain.stock import MAX_NOTE_LENGTH as MAX_REASON_LENGTH
from pos.domain.users import Role
from pos.services.approvals import Approval, approve
from pos.services.card_payments import MAX_NOTE_LENGTH
from pos.services.users import UserView, list_users
from ui.dialogs import lay_out_question, shortcut_text
from ui.i18n import N_, _, language
from ui.operations import Operations

OUTCOMES = (
    (PaymentStatus.PAID, N_("Paid: the card was charged")),
    (PaymentStatus.CANCELLED, N_("Cancelled: nothing was charged")),
    (PaymentStatus.FAILED, N_("Failed: the card was declined")),
)
"""What a manager may say a stuck card payment came to, as the dialog offers it."""


@dataclass(frozen=True)
class PriceAsked:
    """The line whose new price the dialog asks for."""

    name: str
    current_minor: int
    currency: str


@dataclass(frozen=True)
class Approved:
    """What the dialog answers once the manager's PIN was right."""

    approval: Approval
    price_minor: int | None = None
    note: str | None = None
    outcome: PaymentStatus | None = None
    reason: str | None = None
    """Why the item is given away, when the price asked is 0."""


class ManagerApprovalDialog(QDialog):
    """Manager, PIN and what the action needs (a price, and a reason for a price of 0;
    or an outcome and a note)."""

    approved = Signal(object)  # Approved

    def __init__(
        self,
        till: Till,
        ops: Operations,
        *,
        cashier_id: int,
        action: str,
        question: Callable[[], str],
        details: Mapping[str, object] | None = None,
        price: PriceAsked | None = None,
        resolve: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ManagerApprovalDialog")
        self.setModal(True)
        self.till, self.ops = till, ops
        self.cashier_id, self.action = cashier_id, action
        self._question, self._details = question, dict(details or {})
        self.price_asked, self.resolve = price, resolve
        self.managers: tuple[UserView, ...] = ()
        self._busy = False
        self._problem: Callable[[], str] | None = None

        self.question = QLabel(objectName="ApprovalQuestion")
        self.question.setWordWrap(True)
        form = QGridLayout()
        form.setColumnStretch(1, 1)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(10)
        self.captions: dict[str, QLabel] = {}

        def row(name: str, field: QWidget) -> None:
            caption = QLabel(objectName="Caption")
            caption.setBuddy(field)
            self.captions[name] = caption
            number = form.rowCount()
            form.addWidget(caption, number, 0)
            form.addWidget(field, number, 1)

        self.price = QLineEdit(objectName="NewPrice")
        self.price.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.price.setMinimumHeight(48)
        self.current_price = QLabel(objectName="CurrentPrice")
        self.reason = QLineEdit(objectName="OverrideReason")
        self.reason.setMaxLength(MAX_REASON_LENGTH)
        self.reason.setMinimumHeight(48)
        if price is not None:
            row("price", self.price)
            form.addWidget(self.current_price, form.rowCount(), 1)
            row("reason", self.reason)
            self.price.textChanged.connect(self._ask_reason_if_free)
            self._ask_reason_if_free()
        self.outcome = QComboBox(objectName="ResolveOutcome")
        self.outcome.setMinimumHeight(48)
        for status, _label in OUTCOMES:
            self.outcome.addItem("", status)
        self.note = QLineEdit(objectName="ApprovalNote")
        self.note.setMaxLength(MAX_NOTE_LENGTH)
        self.note.setMinimumHeight(48)
        if resolve:
            row("outcome", self.outcome)
            row("note", self.note)
        self.manager = QComboBox(objectName="ManagerChoice")
        self.manager.setMinimumHeight(48)
        row("manager", self.manager)
        self.pin = QLineEdit(objectName="PinEntry")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin.setMinimumHeight(56)
        self.pin.setValidator(QRegularExpressionValidator(QRegularExpression("[0-9]{0,8}"), self))
        row("pin", self.pin)
        self.problem = QLabel(objectName="InlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()

        self.approve_button = QPushButton(objectName="ApproveButton")
        self.approve_button.setProperty("primary", True)
        self.approve_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton(objectName="CancelApproval")
        self.cancel_button.clicked.connect(self.reject)
        buttons = ((self.cancel_button, 0), (self.approve_button, 2))
        lay_out_question(self, self.question, form, self.problem, buttons)
        self.retranslate()
        self.first_field().setFocus()
        self.ops.run(lambda: list_users(self.till.uow()), self._users_loaded, self._failed)

    def _typed_price(self) -> int | None:
        if self.price_asked is None:
            return None
        return parse_price(self.price.text(), self.price_asked.currency)

    def _reason_needed(self) -> bool:
        price = self._typed_price()
        return price is not None and price_override_needs_reason(price)

    def _ask_reason_if_free(self) -> None:
        """The reason's field is there only while the price typed gives the item away."""
        needed = self._reason_needed()
        self.reason.setVisible(needed)
        if "reason" in self.captions:
            self.captions["reason"].setVisible(needed)

    def first_field(self) -> QWidget:
        if self.price_asked is not None:
            return self.price
        if self.resolve:
            return self.note
        return self.pin

    # -- the managers ----------------------------------------------------------------

    def _users_loaded(self, result: Result[tuple[UserView, ...]]) -> None:
        if isinstance(result, Err):
            self.show_problem(lambda: render(result, language()))
            return
        self.managers = tuple(user for user in result.value if user.role is Role.MANAGER)
        self.manager.clear()
        for user in self.managers:
            self.manager.addItem(user.display_name, user.id)
        if self.manager.findData(self.cashier_id) != -1:
            self.select_manager(self.cashier_id)  # a manager at the till approves their own
        if not self.managers:
            self.show_problem(lambda: _("No manager can approve: the store has none"))

    def select_manager(self, user_id: int) -> None:
        self.manager.setCurrentIndex(self.manager.findData(user_id))

    # -- approving -------------------------------------------------------------------

    def submit(self) -> None:
        """Check what was typed here, then the PIN on the worker."""
        if self._busy:
            return
        # Whatever is refused next, the PIN is typed again: it never waits in the field.
        pin = self.pin.text()
        self.pin.clear()
        extra: dict[str, object] = {}
        price, reason = None, None
        if self.price_asked is not None:
            price = self._typed_price()
            if price is None:
                self.show_problem(lambda: _("Type the new price, e.g. 9,90"), self.price)
                return
            extra["price_minor"] = price
            if self._reason_needed():
                reason = " ".join(self.reason.text().split())
                if not reason or not reason.isprintable():
                    self.show_problem(
                        lambda: render(Err(Code.FREE_ITEM_NEEDS_REASON), language()), self.reason
                    )
                    return
                extra["reason"] = reason
        note, outcome = None, None
        if self.resolve:
            note = self.note.text().strip()
            if not note or not note.isprintable():
                self.show_problem(lambda: render(Err(Code.INVALID_NOTE), language()), self.note)
                return
            outcome = PaymentStatus(self.outcome.currentData())  # Qt hands back the str
            extra["outcome"] = outcome.value
        manager_id = self.manager.currentData()
        if manager_id is None:
            self.show_problem(lambda: _("Choose the approving manager"), self.manager)
            return
        if not pin:
            self.show_problem(lambda: _("Type the manager's PIN"), self.pin)
            return
        self._busy = True
        self.approve_button.setEnabled(False)
        details: dict[str, Any] = {**self._details, **extra}
        cashier_id, action = self.cashier_id, self.action

        def answered(result: Result[Approval]) -> None:
            self._busy = False
            self.approve_button.setEnabled(True)
            if isinstance(result, Err):
                self.show_problem(lambda: render(result, language()), self.pin)
                return
            answer = Approved(result.value, price, note, outcome, reason)
            self.accept()
            self.approved.emit(answer)

        self.ops.run(
            lambda: approve(
                self.till.uow(), manager_id, pin, cashier_id=cashier_id, action=action, **details
            ),
            answered,
            self._failed,
        )

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        self.approve_button.setEnabled(True)
        self.show_problem(
            lambda: _("The store did not answer ({error}); try again").format(
                error=type(error).__name__
            )
        )

    def show_problem(self, text: Callable[[], str], field: QWidget | None = None) -> None:
        self._problem = text
        self.problem.setText(text())
        self.problem.show()
        (field or self.pin).setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter from any field (they pass it on) approves; the fields check themselves.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Esc and Cancel; not while the PIN is being checked (its answer is on its way)."""
        if not self._busy:
            super().reject()

    # -- texts -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Manager approval"))
        self.question.setText(self._question())
        texts = {
            "price": _("New unit price"),
            "reason": _("Reason"),
            "outcome": _("Outcome"),
            "note": _("Note"),
            "manager": _("Manager"),
            "pin": _("PIN"),
        }
        for name, caption in self.captions.items():
            caption.setText(texts[name])
        if self.price_asked is not None:
            asked = self.price_asked
            now = format_money(asked.current_minor, asked.currency, language())
            self.current_price.setText(_("Now: {price}").format(price=now))
        for index, (_status, label) in enumerate(OUTCOMES):
            self.outcome.setItemText(index, _(label))
        self.note.setPlaceholderText(_("What happened, for the audit log"))
        self.reason.setPlaceholderText(_("Why it is given away, for the audit log"))
        self.approve_button.setText(shortcut_text(_("Approve"), "Enter"))
        self.cancel_button.setText(shortcut_text(_("Cancel"), "Esc"))
        if self._problem is not None:
            self.problem.setText(self._problem())
