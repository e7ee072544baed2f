"""The tender panel: a sale paid in parts, as the cashier needs it at a glance.

Shown above the sale's lines once a tender of it has settled and something is still
due: the total, each tender (how, how much, how it stands), what is paid and, largest,
what is still due, with the keys that pay it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from pos.domain.money import format_money
from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.services.tenders import SaleTenders, TenderLine
from ui.i18n import N_, _, language
from ui.till.widgets import repolish

METHOD_NAMES = {PaymentMethod.CASH: N_("Cash"), PaymentMethod.CARD: N_("Card")}
TENDER_STATES = {
    PaymentStatus.INITIATED: N_("Waiting for the card…"),
    PaymentStatus.PENDING: N_("Waiting for the card…"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.FAILED: N_("Declined"),
    PaymentStatus.CANCELLED: N_("Cancelled"),
    PaymentStatus.REFUNDED: N_("Refunded"),
}


class TenderPanel(QFrame):
    """Where a sale paid in parts stands; hidden while the sale has no tender."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TenderPanel")
        self.tenders: SaleTenders | None = None
        self.heading = QLabel(objectName="TenderHeading")
        self.rows = QGridLayout()
        self.rows.setColumnStretch(3, 1)  # name, amount and state stay together
        self.rows.setHorizontalSpacing(16)
        self.due_caption = QLabel(objectName="DueCaption")
        self.due_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.due_value = QLabel(objectName="DueValue")
        self.due_value.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.hint = QLabel(objectName="TenderHint")
        self.hint.setWordWrap(True)
        self._labels: list[QLabel] = []
        left = QVBoxLayout()
        left.addWidget(self.heading)
        left.addLayout(self.rows)
        due = QVBoxLayout()
        due.addWidget(self.due_caption)
        due.addWidget(self.due_value)
        due.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addSpacing(24)
        top.addLayout(due)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        self.hide()

    def show_tenders(self, tenders: SaleTenders | None) -> None:
        self.tenders = tenders
        self.setVisible(tenders is not None)
        self.retranslate()

    def lines(self) -> list[str]:
        """The panel's rows as shown, one text per row (for tests and the screen reader)."""
        texts = [label.text() for label in self._labels if label.isVisible()]
        return [" ".join(texts[n : n + 3]).strip() for n in range(0, len(texts), 3)]

    def retranslate(self) -> None:
        tenders = self.tenders
        if tenders is None:
            return
        self.heading.setText(_("Paid in parts"))
        rows = [(_("Total"), self._money(tenders.total_minor), "", "")]
        for tender in tenders.tenders:
            rows.append(self._tender_row(tender))
        rows.append((_("Paid so far"), self._money(tenders.settled_minor), "", "sum"))
        while len(self._labels) < 3 * len(rows):
            row = len(self._labels) // 3
            for column in range(3):
                label = QLabel(objectName="TenderRow")
                if column == 1:
                    label.setAlignment(Qt.AlignmentFlag.AlignRight)
                self.rows.addWidget(label, row, column)
                self._labels.append(label)
        for number, label in enumerate(self._labels):
            label.setVisible(number < 3 * len(rows))
        for row, (name, amount, state, kind) in enumerate(rows):
            for column, text in enumerate((name, amount, state)):
                label = self._labels[3 * row + column]
                label.setText(text)
                label.setProperty("kind", kind)
                repolish(label)
        self.due_caption.setText(_("Still due"))
        self.due_value.setText(self._money(tenders.due_minor))
        if tenders.voiding:
            self.hint.setText(_("Voiding: the paid tenders are being given back"))
        else:
            self.hint.setText(
                _(
                    "F9 cash or F10 card pays what is due. To pay a part, type its "
                    "amount (e.g. 100), then F9 or F10."
                )
            )

    def _tender_row(self, tender: TenderLine) -> tuple[str, str, str, str]:
        state = _(TENDER_STATES.get(tender.status, N_("Waiting for the card…")))
        if tender.refunded_minor:
            state = _("{amount} given back").format(amount=self._money(tender.refunded_minor))
        kind = {PaymentStatus.PAID: "paid", PaymentStatus.FAILED: "failed"}.get(tender.status, "")
        if tender.status is PaymentStatus.CANCELLED:
            kind = "failed"
        return _(METHOD_NAMES[tender.method]), self._money(tender.amount_minor), state, kind

    def _money(self, minor: int) -> str:
        currency = self.tenders.currency if self.tenders is not None else ""
        return format_money(minor, currency, language())
