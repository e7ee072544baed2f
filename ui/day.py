"""A till's day on screen: counting the float, cash paid in or out, the blind count at
close, and the X or Z report to read, print and keep as PDF. Used by the till's window
(``ui.till.day``) and the back office's Z history (``ui.backoffice.days``).

The dialogs only show and ask; the window runs the operations and tells them the answer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pos.domain.day import DENOMINATIONS, MAX_PIECES, PAY_IN, PAY_OUT, DayReport
from pos.domain.day_layout import day_report_document, render_day_report
from pos.domain.document import Document
from pos.domain.money import format_money, parse_amount
from pos.domain.receipt import RECEIPT_WIDTH
from pos.printing.printers import PrinterFault, ReceiptPrinter
from ui.backoffice.orders import ReceiptCopyDialog
from ui.i18n import _, language
from ui.receipt_pdf import write_pdf
from ui.shop_time import zone


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency, language())


class _AskDialog(QDialog):
    """A dialog that asks, with a problem line and Back / Confirm at the bottom."""

    def __init__(self, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setModal(True)
        self.problem = QLabel(objectName="InlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.confirm_button = QPushButton(objectName="Confirm")
        self.confirm_button.setProperty("primary", True)
        self.confirm_button.setDefault(True)
        self.confirm_button.setMinimumHeight(56)
        self.confirm_button.clicked.connect(self._confirm)
        self.cancel_button = QPushButton(objectName="Back")
        self.cancel_button.setMinimumHeight(56)
        self.cancel_button.clicked.connect(self.reject)
        self.body = QVBoxLayout(self)

    def finish_layout(self) -> None:
        actions = QHBoxLayout()
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.confirm_button, 2)
        self.body.addWidget(self.problem)
        self.body.addLayout(actions)
        self.setMinimumWidth(560)

    def show_problem(self, text: str) -> None:
        self.confirm_button.setEnabled(True)
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def retranslate(self) -> None:
        self.confirm_button.setText(_("Confirm") + " (Enter)")
        self.cancel_button.setText(_("Back") + " (Esc)")

    def _confirm(self) -> None:
        raise NotImplementedError


class FloatDialog(_AskDialog):
    """Open the till: the float counted note by note and coin by coin, or typed as one
    sum for a currency counted that way. Emits the counts, or the sum."""

    counted = Signal(object, object)  # {denomination_minor: pieces} or None, sum or None

    def __init__(self, currency: str, parent: QWidget | None = None) -> None:
        super().__init__("FloatDialog", parent)
        self.currency = currency
        self.title = QLabel(objectName="DialogTotal")
        self.title.setWordWrap(True)
        self.pieces: dict[int, QSpinBox] = {}
        grid = QGridLayout()
        for index, denomination in enumerate(DENOMINATIONS.get(currency, ())):
            spin = QSpinBox(objectName=f"Pieces_{denomination}")
            spin.setRange(0, MAX_PIECES)
            spin.valueChanged.connect(self._show_total)
            self.pieces[denomination] = spin
            row, column = divmod(index, 2)
            grid.addWidget(QLabel(_money(denomination, currency)), row, column * 2)
            grid.addWidget(spin, row, column * 2 + 1)
        self.sum_caption = QLabel()
        self.one_sum = QLineEdit(objectName="FloatSum")
        self.one_sum.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.one_sum.textChanged.connect(self._show_total)
        self.one_sum.returnPressed.connect(self._confirm)
        self.total = QLabel(objectName="FloatTotal")
        self.body.addWidget(self.title)
        self.body.addLayout(grid)
        self.body.addWidget(self.sum_caption)
        self.body.addWidget(self.one_sum)
        self.body.addWidget(self.total)
        self.finish_layout()
        self.retranslate()

    def counts(self) -> dict[int, int]:
        return {d: spin.value() for d, spin in self.pieces.items() if spin.value()}

    def retranslate(self) -> None:
        super().retranslate()
        self.setWindowTitle(_("Open the till"))
        self.title.setText(_("Count the float in the drawer before the first sale"))
        self.sum_caption.setText(_("Or the float as one sum"))
        self._show_total()

    def _typed(self) -> int | None:
        return parse_amount(self.one_sum.text(), self.currency, language())

    def _show_total(self) -> None:
        typed = self._typed() if self.one_sum.text().strip() else None
        total = typed if typed is not None else sum(d * n for d, n in self.counts().items())
        self.total.setText(_("Float: {amount}").format(amount=_money(total, self.currency)))

    def _confirm(self) -> None:
        if self.one_sum.text().strip():
            typed = self._typed()
            if typed is None:
                self.show_problem(_("Type the amount, e.g. 500 or 500,50"))
                return
            self.confirm_button.setEnabled(False)
            self.counted.emit(None, typed)
            return
        self.confirm_button.setEnabled(False)
        counts = self.counts()
        self.counted.emit(counts or None, None if counts else 0)


class CashMovementDialog(_AskDialog):
    """Cash paid into or out of the drawer: how much, and why."""

    moved = Signal(str, int, str)  # kind, minor, reason

    def __init__(self, currency: str, parent: QWidget | None = None) -> None:
        super().__init__("CashMovementDialog", parent)
        self.currency = currency
        self.pay_in = QRadioButton(objectName="PayIn")
        self.pay_out = QRadioButton(objectName="PayOut")
        self.pay_out.setChecked(True)
        kinds = QHBoxLayout()
        kinds.addWidget(self.pay_in)
        kinds.addWidget(self.pay_out)
        self.amount_caption = QLabel()
        self.amount = QLineEdit(objectName="MovementAmount")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.reason_caption = QLabel()
        self.reason = QLineEdit(objectName="MovementReason")
        self.reason.setMaxLength(200)
        self.reason.returnPressed.connect(self._confirm)
        self.body.addLayout(kinds)
        self.body.addWidget(self.amount_caption)
        self.body.addWidget(self.amount)
        self.body.addWidget(self.reason_caption)
        self.body.addWidget(self.reason)
        self.finish_layout()
        self.retranslate()
        self.amount.setFocus()

    def retranslate(self) -> None:
        super().retranslate()
        self.setWindowTitle(_("Cash in or out"))
        self.pay_in.setText(_("Pay in"))
        self.pay_out.setText(_("Pay out"))
        self.amount_caption.setText(_("Amount"))
        self.reason_caption.setText(_("Reason"))

    def _confirm(self) -> None:
        minor = parse_amount(self.amount.text(), self.currency, language())
        if minor is None or minor == 0:
            self.show_problem(_("Type the amount, e.g. 500 or 500,50"))
            self.amount.setFocus()
            return
        self.confirm_button.setEnabled(False)
        kind = PAY_IN if self.pay_in.isChecked() else PAY_OUT
        self.moved.emit(kind, minor, self.reason.text())


class BlindCountDialog(_AskDialog):
    """Close the day: what the cashier counted, per tender, before any expected amount is
    shown (a blind count: the cashier counts what is there, not towards a figure)."""

    counted = Signal(object)  # {"cash": minor, "card": minor}

    METHODS = ("cash", "card")

    def __init__(self, currency: str, parent: QWidget | None = None) -> None:
        super().__init__("BlindCountDialog", parent)
        self.currency = currency
        self.note = QLabel(objectName="DialogDue")
        self.note.setWordWrap(True)
        self.captions: dict[str, QLabel] = {}
        self.fields: dict[str, QLineEdit] = {}
        self.body.addWidget(self.note)
        for method in self.METHODS:
            self.captions[method] = QLabel()
            field = QLineEdit(objectName=f"Counted_{method}")
            field.setAlignment(Qt.AlignmentFlag.AlignRight)
            field.returnPressed.connect(self._confirm)
            self.fields[method] = field
            self.body.addWidget(self.captions[method])
            self.body.addWidget(field)
        self.finish_layout()
        self.retranslate()
        self.fields["cash"].setFocus()

    def retranslate(self) -> None:
        super().retranslate()
        self.setWindowTitle(_("Close the day"))
        self.note.setText(
            _("Count the drawer and type what is there; what it should hold is shown after.")
        )
        self.captions["cash"].setText(_("Cash counted"))
        self.captions["card"].setText(_("Card slips' total (leave empty if not counted)"))

    def _confirm(self) -> None:
        count: dict[str, int] = {}
        for method, field in self.fields.items():
            if not field.text().strip() and method != "cash":
                continue
            minor = parse_amount(field.text(), self.currency, language())
            if minor is None:
                self.show_problem(_("Type the amount, e.g. 500 or 500,50"))
                field.setFocus()
                return
            count[method] = minor
        self.confirm_button.setEnabled(False)
        self.counted.emit(count)


class DayReportDialog(ReceiptCopyDialog):
    """An X or Z report as it prints, with keys to print it and to keep it as PDF."""

    def __init__(
        self, report: DayReport, parent: QWidget | None = None, *, printer: bool = False
    ) -> None:
        self.report = report
        super().__init__(report_text(report), parent, printer=printer)
        self.setObjectName("DayReportDialog")

    def retranslate(self) -> None:
        super().retranslate()
        self.setWindowTitle(_("Z report") if self.report.is_z else _("X report"))


def report_text(report: DayReport, width: int = RECEIPT_WIDTH) -> str:
    return render_day_report(report, language(), width, time_zone=zone().key)


def report_document(report: DayReport, width: int, *, for_printer: bool) -> Document:
    """The report laid out for the printer (``TL`` for "₺") or for a PDF page."""
    return day_report_document(
        report, language(), width, time_zone=zone().key, currency_sign=not for_printer
    )


def print_report(printer: ReceiptPrinter, document: Document) -> PrinterFault | None:
    """Send the report (on the printing worker); the fault if it did not print."""
    try:
        printer.print_document(document)
    except PrinterFault as fault:
        return fault
    return None


def save_report_pdf(parent: QWidget, report: DayReport, width: int) -> Path | None:
    """Ask where, and write the report there as a PDF page the width of the till's paper."""
    name = f"{report.till_code}-Z{report.z_number:04d}.pdf" if report.is_z else "X.pdf"
    chosen, _filter = QFileDialog.getSaveFileName(parent, _("Save as PDF…"), name, "PDF (*.pdf)")
    if not chosen:
        return None
    path = Path(chosen)
    write_pdf(report_document(report, width, for_printer=False), path)
    return path
