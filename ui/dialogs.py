"""The till's dialogs: cash, card, receipt and confirming a void.

They only show and ask; the till window runs the operations and tells them the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.numbers import get_decimal_symbol
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.money import format_money, minor_digits, parse_amount, quick_cash
from pos.domain.payments import PaymentStatus
from ui.i18n import N_, _, language
from ui.screen import fit_on_screen

QUICK_KEYS = ("F6", "F7", "F8", "F11")
"""The keys of the quick-cash buttons: the total rounded up to round sums."""


def shortcut_text(label: str, key: str) -> str:
    """A button's text with its key, e.g. "Cash (F9)"."""
    return f"{label} ({key})"


def lay_out_question(
    dialog: QDialog,
    question: QWidget,
    form: QLayout,
    problem: QWidget,
    buttons: Sequence[tuple[QPushButton, int]],
) -> None:
    """A dialog that asks something of the cashier: the question, its fields, the line
    that says what is wrong, and its buttons (each with its stretch) along the bottom."""
    row = QHBoxLayout()
    for button, stretch in buttons:
        button.setMinimumHeight(56)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(button, stretch)
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(24, 20, 24, 20)
    layout.setSpacing(14)
    layout.addWidget(question)
    layout.addLayout(form)
    layout.addWidget(problem)
    layout.addStretch(1)
    layout.addLayout(row)
    dialog.setMinimumWidth(560)


def _button(parent: QWidget, key: str | None, name: str) -> QPushButton:
    button = QPushButton(parent)
    button.setObjectName(name)
    button.setMinimumHeight(56)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the dialog's entry keeps the keyboard
    if key:
        shortcut = QShortcut(QKeySequence(key), parent)
        shortcut.activated.connect(button.click)
    return button


class CashDialog(QDialog):
    """Amount given, quick notes, live change; Enter confirms."""

    confirmed = Signal(int)  # minor units given

    def __init__(
        self,
        total_minor: int,
        currency: str,
        parent: QWidget | None = None,
        *,
        due_minor: int | None = None,
    ) -> None:
        """``total_minor``: what this cash pays; ``due_minor``: what the sale still wants,
        given when it is paid in parts (shown, so the cashier sees which part this is)."""
        super().__init__(parent)
        self.setObjectName("CashDialog")
        self.setModal(True)
        self.total_minor, self.currency, self.due_minor = total_minor, currency, due_minor
        self._busy = False
        self.total_label = QLabel(objectName="DialogTotal")
        self.due_label = QLabel(objectName="DialogDue")
        self.due_label.setWordWrap(True)
        self.due_label.setVisible(due_minor is not None)
        self.given_caption = QLabel()
        self.given = QLineEdit(objectName="AmountGiven")
        self.given.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.given.setMinimumHeight(56)
        self.given.textChanged.connect(self._update_change)
        self.given.returnPressed.connect(self._confirm)
        self.change_label = QLabel(objectName="ChangeDue")
        self.problem = QLabel(objectName="InlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.exact = _button(self, "F5", "ExactButton")
        self.exact.clicked.connect(lambda: self._give(self.total_minor))
        notes = QGridLayout()
        notes.addWidget(self.exact, 0, 0, 1, len(QUICK_KEYS))
        self.quick_amounts = quick_cash(total_minor, currency, len(QUICK_KEYS))
        self.note_buttons: list[QPushButton] = []
        # A large total may have fewer round sums above it than there are keys.
        pairs = zip(self.quick_amounts, QUICK_KEYS, strict=False)
        for column, (amount, key) in enumerate(pairs):
            button = _button(self, key, f"Quick{column + 1}")
            button.setProperty("key_name", key)
            button.clicked.connect(lambda _checked=False, given=amount: self._give(given))
            notes.addWidget(button, 1, column)
            self.note_buttons.append(button)
        if due_minor is not None and due_minor > total_minor:
            for button in self.note_buttons:  # a part is given exactly: no change on it
                button.setEnabled(False)
                button.hide()
        self.confirm_button = _button(self, None, "ConfirmCash")
        self.confirm_button.setProperty("primary", True)
        self.confirm_button.clicked.connect(self._confirm)
        self.cancel_button = _button(self, None, "CancelCash")
        self.cancel_button.clicked.connect(self.reject)
        actions = QHBoxLayout()
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.confirm_button, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.total_label)
        layout.addWidget(self.due_label)
        layout.addWidget(self.given_caption)
        layout.addWidget(self.given)
        layout.addLayout(notes)
        layout.addWidget(self.change_label)
        layout.addWidget(self.problem)
        layout.addLayout(actions)
        self.setMinimumWidth(640)
        self.retranslate()
        self.given.setFocus()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Cash payment"))
        self.total_label.setText(_("To pay: {total}").format(total=self._money(self.total_minor)))
        if self.due_minor is not None and self.due_minor > self.total_minor:
            self.due_label.setText(
                _(
                    "Part of {due} still due: change only on the payment that settles the rest"
                ).format(due=self._money(self.due_minor))
            )
        elif self.due_minor is not None:
            self.due_label.setText(_("The rest of the sale"))
        self.given_caption.setText(_("Amount given"))
        self.exact.setText(shortcut_text(_("Exact"), "F5"))
        for button, amount in zip(self.note_buttons, self.quick_amounts, strict=True):
            # A round sum has no kuruş: "₺2.250", not "₺2.250,00".
            text = format_money(amount, self.currency, language(), whole=True)
            button.setText(shortcut_text(text, str(button.property("key_name"))))
        self.confirm_button.setText(shortcut_text(_("Confirm"), "Enter"))
        self.cancel_button.setText(shortcut_text(_("Back"), "Esc"))
        self._update_change()

    def given_minor(self) -> int | None:
        text = self.given.text().strip()
        if not text:
            return self.total_minor
        # As the cashier's language writes numbers: "1.000" is a thousand in Turkish.
        return parse_amount(text, self.currency, language())

    def show_problem(self, text: str) -> None:
        self._busy = False
        self.confirm_button.setEnabled(True)
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.given.setFocus()

    def _money(self, minor: int) -> str:
        return format_money(minor, self.currency, language())

    def _give(self, minor: int) -> None:
        digits = minor_digits(self.currency)
        major, fraction = divmod(minor, 10**digits)
        point = get_decimal_symbol(language())
        text = str(major) if not fraction else f"{major}{point}{fraction:0{digits}d}"
        self.given.setText(text)
        self.given.setFocus()

    def _update_change(self) -> None:
        given = self.given_minor()
        short = given is not None and given < self.total_minor
        if given is None:
            self.change_label.setText(_("Change: -"))
        elif short:
            amount = self._money(self.total_minor - given)
            self.change_label.setText(_("Short by {amount}").format(amount=amount))
        else:
            change = self._money(given - self.total_minor)
            self.change_label.setText(_("Change: {amount}").format(amount=change))
        self.change_label.setProperty("kind", "short" if short else "")
        self.change_label.style().unpolish(self.change_label)
        self.change_label.style().polish(self.change_label)

    def _confirm(self) -> None:
        if self._busy:
            return
        given = self.given_minor()
        if given is None:
            self.show_problem(_("Type the amount given, e.g. 150 or 150,50"))
            return
        if given < self.total_minor:
            self.show_problem(_("The amount given is less than the total"))
            return
        self._busy = True
        self.confirm_button.setEnabled(False)
        self.confirmed.emit(given)


MANAGER_KEY = "F11"
"""The card dialog's key for a manager to resolve a stuck payment by hand."""


class CardDialog(QDialog):
    """The card payment as the terminal reports it, live; Esc asks to cancel.

    When the outcome cannot be learnt (the cancel was not confirmed, the terminal does
    not answer), the till offers a manager to resolve it by hand (``manager_requested``).
    """

    cancel_requested = Signal()
    manager_requested = Signal()

    def __init__(self, total_minor: int, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CardDialog")
        self.setModal(True)
        self.total_minor, self.currency = total_minor, currency
        self.status: PaymentStatus | None = None
        self.settled_by: str | None = None
        self._note = ""
        self._cancelling = False
        self._manager_offered = False
        self.total_label = QLabel(objectName="DialogTotal")
        self.state_label = QLabel(objectName="CardState")
        self.state_label.setWordWrap(True)
        self.source_label = QLabel(objectName="CardSource")
        self.note_label = QLabel(objectName="InlineError")
        self.note_label.setWordWrap(True)
        self.cancel_button = _button(self, None, "CancelCard")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self.manager_button = _button(self, MANAGER_KEY, "ResolveByManager")
        self.manager_button.clicked.connect(self._manager_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.manager_button)
        buttons.addWidget(self.cancel_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.total_label)
        layout.addWidget(self.state_label)
        layout.addWidget(self.source_label)
        layout.addWidget(self.note_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)
        # Room for a note and the manager's button from the start: the dialog never jumps.
        self.setMinimumHeight(340)
        self.retranslate()

    @property
    def finished_payment(self) -> bool:
        return self.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.PAID)

    def show_state(self, status: PaymentStatus | None, settled_by: str | None) -> None:
        self.status, self.settled_by = status, settled_by
        if self.finished_payment:
            self._cancelling = False
        self.retranslate()

    def show_note(self, text: str) -> None:
        self._note = text
        self._cancelling = False
        self.retranslate()

    def offer_manager(self) -> None:
        """The payment is stuck: a manager may resolve it by hand while it is unresolved."""
        self._manager_offered = True
        self.retranslate()

    @property
    def manager_offered(self) -> bool:
        return self._manager_offered and not self.finished_payment

    def _manager_clicked(self) -> None:
        if self.manager_offered:
            self.manager_requested.emit()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Card payment"))
        total = format_money(self.total_minor, self.currency, language())
        self.total_label.setText(_("To pay: {total}").format(total=total))
        states = {
            None: _("Contacting the terminal…"),
            PaymentStatus.INITIATED: _("Contacting the terminal…"),
            PaymentStatus.PENDING: _("Waiting for the card…"),
            PaymentStatus.PAID: _("Approved"),
            PaymentStatus.FAILED: _("Declined"),
            PaymentStatus.CANCELLED: _("Cancelled"),
            PaymentStatus.REFUNDED: _("Refunded"),
        }
        text = states.get(self.status, str(self.status))
        if self._cancelling and not self.finished_payment:
            text = _("Cancelling: waiting for the terminal's answer…")
        self.state_label.setText(text)
        self.state_label.setProperty("outcome", str(self.status or ""))
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        sources = {
            # How the answer travelled (webhook, polling) is for the back office, not the cashier.
            "webhook": _("The terminal approved"),
            "poll": _("The terminal approved"),
            "manager": _("Resolved by a manager"),
        }
        source = sources.get(self.settled_by or "", "")
        if self.settled_by in ("webhook", "poll") and self.status is not PaymentStatus.PAID:
            source = ""
        self.source_label.setText(source)
        self.note_label.setText(self._note)
        self.note_label.setVisible(bool(self._note))
        if self.finished_payment:
            self.cancel_button.setText(shortcut_text(_("Close"), "Esc"))
        else:
            self.cancel_button.setText(shortcut_text(_("Cancel payment"), "Esc"))
        self.cancel_button.setEnabled(not self._cancelling or self.finished_payment)
        self.manager_button.setText(shortcut_text(_("Manager…"), MANAGER_KEY))
        self.manager_button.setVisible(self.manager_offered)

    def reject(self) -> None:
        """Esc and the close button: a payment still in flight is asked to cancel instead."""
        self._cancel_or_close()

    def _cancel_or_close(self) -> None:
        if self.finished_payment:
            super().reject()
        elif not self._cancelling:
            self._cancelling = True
            self.retranslate()
            self.cancel_requested.emit()

    def close_now(self) -> None:
        super().reject()


class ReceiptDialog(QDialog):
    """The paid sale's receipt; Enter starts the next sale. Below it, how printing went,
    and a key to print it again when it did not."""

    print_again_requested = Signal()

    WANTED_SIZE = QSize(600, 720)
    """Less on a screen with less room (a 1024x768 till's screen less its taskbar)."""

    def __init__(
        self,
        text: str,
        parent: QWidget | None = None,
        *,
        scale: float = 1.0,
        done: str = N_("New sale"),
    ) -> None:
        """``scale``: how much larger the till's text is (on a large screen), so the
        receipt's lines still fit across the dialog. ``done``: what Enter does (English,
        translated when shown)."""
        super().__init__(parent)
        self.setObjectName("ReceiptDialog")
        self._done = done
        self.setModal(True)
        self.text = QPlainTextEdit(objectName="ReceiptText")
        self.text.setReadOnly(True)
        self.text.setPlainText(text)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # A line wider than the dialog breaks between words ("…Kahvesi" / "100 g"), never
        # inside one ("…Kahvesi 100" / "g" is worse than "…" / "Kahvesi 100 g").
        self.text.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.change_label = QLabel(objectName="ChangeDue")
        self.change_label.hide()
        self.print_label = QLabel(objectName="PrintState")
        self.print_label.setWordWrap(True)
        self.print_label.hide()
        self.print_button = _button(self, "Ctrl+P", "PrintAgain")
        self.print_button.clicked.connect(self.print_again_requested)
        self.print_button.hide()
        self.next_button = _button(self, None, "NextSale")
        self.next_button.setProperty("primary", True)
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.change_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.print_label)
        layout.addWidget(self.print_button)
        layout.addWidget(self.next_button)
        fit_on_screen(self, self.WANTED_SIZE * scale)
        self.retranslate()

    def show_change(self, text: str) -> None:
        self.change_label.setText(text)
        self.change_label.setVisible(bool(text))

    def show_print_state(self, text: str, *, failed: bool) -> None:
        """How printing went; a failed print offers to print again."""
        self.print_label.setText(text)
        self.print_label.setProperty("kind", "error" if failed else "")
        self.print_label.style().polish(self.print_label)
        self.print_label.setVisible(bool(text))
        self.print_button.setVisible(failed)

    def show_printed(self, text: str) -> None:
        """What the printer printed, in place of the screen's own layout (the demo's
        simulated printer tells)."""
        self.text.setPlainText(text)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept()
            return
        super().keyPressEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Receipt"))
        self.next_button.setText(shortcut_text(_(self._done), "Enter"))
        self.print_button.setText(shortcut_text(_("Print again"), "Ctrl+P"))


class ConfirmDialog(QDialog):
    """A yes/no question with the keys on its buttons (Enter: yes, Esc: no)."""

    def __init__(self, question: str, yes: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConfirmDialog")
        self.setModal(True)
        self._question, self._yes = question, yes
        self.label = QLabel(objectName="Question")
        self.label.setWordWrap(True)
        self.yes_button = _button(self, None, "Yes")
        self.yes_button.setProperty("danger", True)
        self.yes_button.clicked.connect(self.accept)
        self.no_button = _button(self, None, "No")
        self.no_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.no_button)
        buttons.addWidget(self.yes_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)
        self.retranslate()

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept()
            return
        super().keyPressEvent(event)

    def retranslate(self) -> None:
        self.label.setText(_(self._question))
        self.yes_button.setText(shortcut_text(_(self._yes), "Enter"))
        self.no_button.setText(shortcut_text(_("No"), "Esc"))
