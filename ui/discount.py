"""A discount off the till's selected line (Shift+F6): a percentage or an amount, and a
reason picked from the shop's list or typed.

The dialog only asks; the till gives the discount through
``pos.services.discounts.discount_line`` and tells the dialog what the store said
(``show_problem``), so a refused discount leaves the dialog open with the figures typed.
Over the cashier's limit, the till asks a manager's PIN on top of this dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from babel.numbers import get_currency_symbol
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from pos.domain.discounts import MAX_REASON_LENGTH, DiscountKind, LineDiscount
from pos.domain.money import format_money
from ui.dialogs import lay_out_question, shortcut_text
from ui.i18n import _, language


@dataclass(frozen=True)
class DiscountAsked:
    """What the cashier typed: given to ``discount_line`` as it is."""

    kind: DiscountKind
    value: str
    reason: str


class LineDiscountDialog(QDialog):
    """Kind, value and reason of one line's discount; Remove takes a given one off."""

    asked = Signal(object)  # DiscountAsked
    removal_asked = Signal()

    def __init__(
        self,
        name: str,
        line_minor: int,
        currency: str,
        reasons: tuple[str, ...],
        given: LineDiscount | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LineDiscountDialog")
        self.setModal(True)
        self.name, self.line_minor, self.currency = name, line_minor, currency
        self._problem: Callable[[], str] | None = None
        self.busy = False

        self.question = QLabel(objectName="DiscountQuestion")
        self.question.setWordWrap(True)
        self.kind = QComboBox(objectName="DiscountKind")
        self.kind.setMinimumHeight(48)
        self.kind.addItem("", DiscountKind.PERCENT.value)
        self.kind.addItem("", DiscountKind.AMOUNT.value)
        self.value = QLineEdit(objectName="DiscountValue")
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.value.setMinimumHeight(48)
        self.reason = QComboBox(objectName="DiscountReason")
        self.reason.setEditable(True)
        self.reason.setMinimumHeight(48)
        self.reason.addItems(list(reasons))
        line_edit = self.reason.lineEdit()
        if line_edit is not None:
            line_edit.setMaxLength(MAX_REASON_LENGTH)
        self.reason.setCurrentIndex(-1)
        if given is not None:
            self.kind.setCurrentIndex(0 if given.kind is DiscountKind.PERCENT else 1)
            digits = given.value / 100
            self.value.setText(f"{digits:g}".replace(".", ","))
            self.reason.setEditText(given.reason)
        form = QGridLayout()
        form.setColumnStretch(1, 1)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(10)
        self.captions = {name: QLabel(objectName="Caption") for name in ("kind", "value", "reason")}
        for number, (name, field) in enumerate(
            (("kind", self.kind), ("value", self.value), ("reason", self.reason))
        ):
            self.captions[name].setBuddy(field)
            form.addWidget(self.captions[name], number, 0)
            form.addWidget(field, number, 1)
        self.problem = QLabel(objectName="InlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()

        self.give_button = QPushButton(objectName="GiveDiscount")
        self.give_button.setProperty("primary", True)
        self.remove_button = QPushButton(objectName="RemoveDiscount")
        self.remove_button.setVisible(given is not None)
        self.cancel_button = QPushButton(objectName="CancelDiscount")
        self.give_button.clicked.connect(self.submit)
        self.remove_button.clicked.connect(self.removal_asked.emit)
        self.cancel_button.clicked.connect(self.reject)
        buttons = ((self.cancel_button, 0), (self.remove_button, 0), (self.give_button, 2))
        lay_out_question(self, self.question, form, self.problem, buttons)
        self.retranslate()
        self.value.setFocus()

    def submit(self) -> None:
        """Hand what was typed to the till; the store checks it (and says what is wrong)."""
        if self.busy:
            return
        kind = DiscountKind(self.kind.currentData())
        self.asked.emit(DiscountAsked(kind, self.value.text(), self.reason.currentText()))

    def show_problem(self, text: Callable[[], str]) -> None:
        self._problem = text
        self.problem.setText(text())
        self.problem.show()
        self.value.setFocus()
        self.value.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        if not self.busy:
            super().reject()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Line discount"))
        line = format_money(self.line_minor, self.currency, language())
        self.question.setText(
            _("Discount on {name} (the line comes to {amount})").format(name=self.name, amount=line)
        )
        texts = {"kind": _("Discount"), "value": _("How much"), "reason": _("Reason")}
        for name, caption in self.captions.items():
            caption.setText(texts[name])
        self.kind.setItemText(0, _("Percentage (%)"))
        sign = get_currency_symbol(self.currency, locale=language())
        self.kind.setItemText(1, _("Amount ({currency})").format(currency=sign))
        self.value.setPlaceholderText(_("e.g. 10 or 2,50"))
        self.reason.setPlaceholderText(_("Choose or type a reason"))
        self.give_button.setText(shortcut_text(_("Give discount"), "Enter"))
        self.remove_button.setText(_("Remove discount"))
        self.cancel_button.setText(shortcut_text(_("Cancel"), "Esc"))
        if self._problem is not None:
            self.problem.setText(self._problem())
