"""Card payments that need a manager: five lists, "check again", "force resolve" and
"mark handled".

The lists come from ``payments_needing_attention``. Asking the terminal again goes
to the network worker, as it may wait on the terminal; resolving by hand asks for
the outcome and a note in a small dialog first. A conflict (the terminal charged a
customer where the sale cannot follow) is marked handled with a note in the same
dialog, without the outcome: until refunds go through the terminal, the manager
settles it with the customer and writes down how.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pos.domain.payments import PaymentStatus
from pos.domain.results import Changed
from pos.services import UnitOfWork
from pos.services.attention import (
    Attention,
    HandledConflict,
    ManualResolution,
    Mismatch,
    PaymentConflictRow,
    Section,
    UnmatchedEvent,
    WaitingPayment,
    check_again,
    mark_conflict_handled,
    payments_needing_attention,
)
from pos.services.card_payments import MAX_NOTE_LENGTH, CardPaymentView, force_resolve
from ui.backoffice.common import Column, Context, Page, RowsModel, when
from ui.backoffice.widgets import money, table
from ui.i18n import N_, _

STATUS_NAMES = {
    PaymentStatus.INITIATED: N_("Not started"),
    PaymentStatus.PENDING: N_("Waiting for the card"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.FAILED: N_("Failed"),
    PaymentStatus.CANCELLED: N_("Cancelled"),
    PaymentStatus.REFUNDED: N_("Refunded"),
}
REVIEW_REASONS = {
    "amount_mismatch": N_("Amount differs"),
    "currency_mismatch": N_("Currency differs"),
    "terminal_id_mismatch": N_("Terminal id differs"),
    "terminal_key_conflict": N_("Key used for another payment"),
}
CONFLICT_KINDS = {
    "paid_after_failed": N_("Charged after the payment failed"),
    "paid_after_cancelled": N_("Charged after the payment was cancelled"),
    "amount_mismatch": N_("Charged another amount"),
    "currency_mismatch": N_("Charged in another currency"),
}
SETTLERS = {
    "cash": N_("Cash"),
    "webhook": N_("Terminal (webhook)"),
    "poll": N_("Terminal (asked)"),
    "manager": N_("Manager"),
}
OUTCOMES = (
    (PaymentStatus.PAID, N_("Paid: the money arrived")),
    (PaymentStatus.FAILED, N_("Failed: the card was not charged")),
    (PaymentStatus.CANCELLED, N_("Cancelled: the sale goes back to the till")),
)


def status_name(status: str | None) -> str:
    if status is None:
        return ""
    try:
        return _(STATUS_NAMES[PaymentStatus(status)])
    except ValueError:
        return status


def review_reason_text(reason: str | None) -> str:
    if reason is None:
        return ""
    return _(REVIEW_REASONS[reason]) if reason in REVIEW_REASONS else reason


def conflict_text(kind: str) -> str:
    return _(CONFLICT_KINDS[kind]) if kind in CONFLICT_KINDS else kind


def waiting_why(row: WaitingPayment) -> str:
    if row.left_by_restart:
        return _("Left by a restart")
    return _("Past the payment window")


def settler_name(settler: str | None) -> str:
    if settler is None:
        return ""
    return _(SETTLERS[settler]) if settler in SETTLERS else settler


CONFLICT_COLUMNS: tuple[Column[PaymentConflictRow], ...] = (
    Column(N_("Received"), lambda row: when(row.detected_at)),
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("No."), lambda row: str(row.payment_id), align_right=True),
    Column(N_("What happened"), lambda row: conflict_text(row.kind)),
    Column(N_("Sale now"), lambda row: status_name(row.status)),
    Column(N_("Sale amount"), lambda row: money(row.amount_minor, row.currency), align_right=True),
    Column(
        N_("Charged"),
        lambda row: money(row.event_amount_minor, row.event_currency),
        align_right=True,
    ),
    Column(N_("Terminal's id"), lambda row: row.terminal_payment_id or ""),
    Column(N_("Event id"), lambda row: row.event_id),
)
WAITING_COLUMNS: tuple[Column[WaitingPayment], ...] = (
    Column(N_("Since"), lambda row: when(row.created_at)),
    Column(N_("Why listed"), waiting_why),
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("Cashier"), lambda row: row.cashier or ""),
    Column(N_("Amount"), lambda row: money(row.amount_minor, row.currency), align_right=True),
    Column(N_("Status"), lambda row: status_name(row.status)),
    Column(N_("No."), lambda row: str(row.payment_id), align_right=True),
    Column(N_("Terminal's id"), lambda row: row.terminal_payment_id or ""),
)
UNMATCHED_COLUMNS: tuple[Column[UnmatchedEvent], ...] = (
    Column(N_("Received"), lambda row: when(row.received_at)),
    Column(N_("Event"), lambda row: row.type),
    Column(N_("Amount"), lambda row: money(row.amount_minor, row.currency), align_right=True),
    Column(
        N_("Payment it names"),
        lambda row: str(row.claimed_payment_id) if row.claimed_payment_id is not None else "",
        align_right=True,
    ),
    Column(N_("Terminal's id"), lambda row: row.terminal_payment_id or ""),
    Column(N_("Source"), lambda row: settler_name(row.source)),
    Column(N_("Event id"), lambda row: row.event_id),
)
MISMATCH_COLUMNS: tuple[Column[Mismatch], ...] = (
    Column(N_("Since"), lambda row: when(row.created_at)),
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("No."), lambda row: str(row.payment_id), align_right=True),
    Column(N_("Why"), lambda row: review_reason_text(row.review_reason)),
    Column(N_("Sale amount"), lambda row: money(row.amount_minor, row.currency), align_right=True),
    Column(
        N_("Terminal amount"),
        lambda row: money(row.event_amount_minor, row.event_currency),
        align_right=True,
    ),
    Column(N_("Sale terminal id"), lambda row: row.terminal_payment_id or ""),
    Column(N_("Event terminal id"), lambda row: row.event_terminal_payment_id or ""),
)
RESOLVED_COLUMNS: tuple[Column[ManualResolution], ...] = (
    Column(N_("Resolved"), lambda row: when(row.resolved_at)),
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("Amount"), lambda row: money(row.amount_minor, row.currency), align_right=True),
    Column(N_("Was"), lambda row: status_name(row.before)),
    Column(N_("Now"), lambda row: status_name(row.status)),
    Column(N_("Manager"), lambda row: row.resolved_by or ""),
    Column(N_("At the till"), lambda row: row.requested_by or ""),
    Column(N_("Why"), lambda row: review_reason_text(row.review_reason)),
    Column(N_("Note"), lambda row: " ".join(row.note.split())),
)


class _Section(QGroupBox):
    """One list under a caption that counts it."""

    def __init__(self, caption: str, model: RowsModel[Any], name: str) -> None:
        super().__init__(objectName=name)
        self.caption = caption
        self.model = model
        self.view = table(model, f"{name}Table")
        # Five lists share a 768-pixel screen: each may shrink to a header and a row or two.
        self.view.setMinimumHeight(56)
        self.shown = 0
        self.total = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view)

    def show_section(self, section: Section[Any]) -> None:
        self.model.show(section.rows)
        self.shown, self.total = len(section.rows), section.total
        self.retranslate()

    def retranslate(self) -> None:
        if self.shown < self.total:
            count = _("{shown} of {total}").format(shown=self.shown, total=self.total)
        else:
            count = str(self.total)
        self.setTitle(f"{_(self.caption)} ({count})")
        self.model.refresh_texts()


class ForceResolveDialog(QDialog):
    """The outcome a manager settles a payment with, and why; both are required.

    With ``with_outcome=False`` it only asks why: a conflict is marked handled, and the
    payment keeps its status.
    """

    chosen = Signal(object, str)  # PaymentStatus (None without an outcome), note

    def __init__(
        self, description: str, parent: QWidget | None = None, *, with_outcome: bool = True
    ) -> None:
        super().__init__(parent)
        self.with_outcome = with_outcome
        self.setObjectName("ForceResolveDialog" if with_outcome else "ConflictHandledDialog")
        self.setModal(True)
        self.description = QLabel(description, objectName="ResolveWhat")
        self.description.setWordWrap(True)
        self.outcome_caption = QLabel()
        self.outcomes = QButtonGroup(self)
        self.buttons: dict[PaymentStatus, QRadioButton] = {}
        for outcome, _text in OUTCOMES:
            button = QRadioButton(objectName=f"Outcome_{outcome.value}")
            self.outcomes.addButton(button)
            self.buttons[outcome] = button
            button.toggled.connect(self._update)
        self.note_caption = QLabel()
        self.note = QPlainTextEdit(objectName="ResolveNote")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(90)
        self.note.textChanged.connect(self._update)
        self.resolve_button = QPushButton(objectName="Resolve")
        self.resolve_button.setProperty("danger", True)
        self.resolve_button.clicked.connect(self._resolve)
        self.cancel_button = QPushButton(objectName="CancelResolve")
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resolve_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.description)
        if with_outcome:
            layout.addWidget(self.outcome_caption)
            for button in self.buttons.values():
                layout.addWidget(button)
        else:
            self.outcome_caption.hide()
            for button in self.buttons.values():
                button.hide()
        layout.addWidget(self.note_caption)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.resize(480, 0)
        self.retranslate()
        self._update()

    def outcome(self) -> PaymentStatus | None:
        return next((status for status, b in self.buttons.items() if b.isChecked()), None)

    def note_text(self) -> str:
        return self.note.toPlainText().strip()

    def retranslate(self) -> None:
        if self.with_outcome:
            self.setWindowTitle(_("Resolve the payment by hand"))
        else:
            self.setWindowTitle(_("Mark the conflict handled"))
        self.outcome_caption.setText(_("What became of the payment?"))
        for outcome, text in OUTCOMES:
            self.buttons[outcome].setText(_(text))
        self.note_caption.setText(
            _("Note (required, at most {limit} characters)").format(limit=MAX_NOTE_LENGTH)
        )
        self.resolve_button.setText(_("Resolve") if self.with_outcome else _("Mark handled"))
        self.cancel_button.setText(_("Cancel"))

    def _update(self, *_args: object) -> None:
        note = self.note_text()
        chosen = self.outcome() is not None or not self.with_outcome
        self.resolve_button.setEnabled(chosen and 0 < len(note) <= MAX_NOTE_LENGTH)

    def _resolve(self) -> None:
        outcome = self.outcome()
        if (outcome is None and self.with_outcome) or not self.note_text():
            return
        self.chosen.emit(outcome, self.note_text())
        self.accept()


class PaymentsPage(Page):
    title = N_("Payments")
    follows = Changed.ORDERS

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("PaymentsPage")
        self.attention: Attention | None = None
        self.resolve_dialog: ForceResolveDialog | None = None
        self.heading = QLabel(objectName="PageHeading")
        self.as_of = QLabel(objectName="AsOf")
        self.refresh_button = QPushButton(objectName="Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.check_button = QPushButton(objectName="CheckAgain")
        self.check_button.clicked.connect(self.check_selected)
        self.resolve_button = QPushButton(objectName="ForceResolve")
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.handled_button = QPushButton(objectName="MarkHandled")
        self.handled_button.clicked.connect(self.handle_selected)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(16)
        top.addWidget(self.as_of)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        # The actions on the selected row get a line of their own: beside the heading
        # they made the page wider than a 1024-pixel till screen in English.
        actions = QHBoxLayout()
        actions.addWidget(self.check_button)
        actions.addWidget(self.resolve_button)
        actions.addWidget(self.handled_button)
        actions.addStretch(1)

        self.conflicts = _Section(
            N_("Charged where the sale cannot follow"),
            RowsModel(CONFLICT_COLUMNS),
            "Conflicts",
        )
        self.waiting = _Section(
            N_("Waiting: past the payment window or left by a restart"),
            RowsModel(WAITING_COLUMNS),
            "Waiting",
        )
        self.mismatches = _Section(
            N_("Amount, currency or terminal mismatches"),
            RowsModel(MISMATCH_COLUMNS),
            "Mismatches",
        )
        self.unmatched = _Section(
            N_("Terminal events that matched no payment"),
            RowsModel(UNMATCHED_COLUMNS),
            "Unmatched",
        )
        self.resolved = _Section(
            N_("Resolved by hand"),
            RowsModel(RESOLVED_COLUMNS),
            "Resolved",
        )
        self.sections = (
            self.conflicts,
            self.waiting,
            self.mismatches,
            self.unmatched,
            self.resolved,
        )
        splitter = QSplitter(Qt.Orientation.Vertical, objectName="PaymentSections")
        splitter.setChildrenCollapsible(False)
        for section in self.sections:
            splitter.addWidget(section)
            section.view.selectionModel().selectionChanged.connect(self._selected_in(section))
        self.layout_.addLayout(top)
        self.layout_.addLayout(actions)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(splitter, 1)
        self.retranslate()
        self._update_actions()

    # -- what is selected ------------------------------------------------------------

    def _selected_in(self, section: _Section) -> Callable[..., None]:
        def selected(*_args: object) -> None:
            if section.view.selectionModel().hasSelection():
                for other in self.sections:
                    if other is not section:
                        other.view.clearSelection()
            self._update_actions()

        return selected

    def selected_payment(self) -> WaitingPayment | Mismatch | None:
        """The open payment chosen in the waiting or the mismatch list."""
        for section in (self.waiting, self.mismatches):
            rows = section.view.selectionModel().selectedRows()
            if rows:
                row = section.model.row_at(rows[0].row())
                if isinstance(row, WaitingPayment | Mismatch):
                    return row
        return None

    def selected_conflict(self) -> PaymentConflictRow | None:
        rows = self.conflicts.view.selectionModel().selectedRows()
        if not rows:
            return None
        row = self.conflicts.model.row_at(rows[0].row())
        return row if isinstance(row, PaymentConflictRow) else None

    def select(self, section: _Section, row: int) -> None:
        section.view.selectRow(row)

    def _update_actions(self) -> None:
        chosen = self.selected_payment() is not None
        self.handled_button.setEnabled(self.selected_conflict() is not None)
        self.resolve_button.setEnabled(chosen)
        self.check_button.setEnabled(chosen and self.context.runtime is not None)

    # -- the store -------------------------------------------------------------------

    def refresh(self) -> None:
        manager_id = self.manager_id
        self.call(
            lambda uow: payments_needing_attention(uow, manager_id=manager_id),
            self._show,
        )

    def _show(self, attention: Attention) -> None:
        self.attention = attention
        self.conflicts.show_section(attention.conflicts)
        self.waiting.show_section(attention.waiting)
        self.mismatches.show_section(attention.mismatches)
        self.unmatched.show_section(attention.unmatched)
        self.resolved.show_section(attention.resolved)
        self._write_as_of()
        self._update_actions()

    def check_selected(self) -> None:
        payment = self.selected_payment()
        runtime = self.context.runtime
        if payment is None or runtime is None:
            return
        terminal, manager_id, payment_id = runtime.terminal, self.manager_id, payment.payment_id
        self.message.clear_message()
        self.check_button.setEnabled(False)

        def ask(uow: UnitOfWork) -> Any:
            return check_again(uow, terminal, payment_id, manager_id=manager_id)

        self.call(ask, self._checked, network=True, on_refused=lambda _err: self.refresh())

    def _checked(self, view: CardPaymentView) -> None:
        if not self.message.kind:
            self.message.say(
                "info",
                lambda: _("Payment {payment}: {status}").format(
                    payment=view.payment_id, status=status_name(view.status)
                ),
            )
        self.refresh()

    def resolve_selected(self) -> None:
        payment = self.selected_payment()
        if payment is None:
            return
        description = _("Payment {payment} at {till}: {amount}, {status}").format(
            payment=payment.payment_id,
            till=payment.till_code,
            amount=money(payment.amount_minor, payment.currency),
            status=status_name(payment.status),
        )
        dialog = ForceResolveDialog(description, self)
        dialog.chosen.connect(
            lambda outcome, note: self._resolve(payment.payment_id, outcome, note)
        )
        dialog.finished.connect(self._dialog_closed)
        self.resolve_dialog = dialog
        dialog.open()

    def _dialog_closed(self) -> None:
        if self.resolve_dialog is not None:
            self.resolve_dialog.deleteLater()
            self.resolve_dialog = None

    def _resolve(self, payment_id: int, outcome: PaymentStatus, note: str) -> None:
        manager_id = self.manager_id
        self.message.clear_message()

        def resolve(uow: UnitOfWork) -> Any:
            return force_resolve(uow, payment_id, outcome, manager_id=manager_id, note=note)

        self.call(resolve, self._resolved)

    def _resolved(self, view: CardPaymentView) -> None:
        self.message.say(
            "info",
            lambda: _("Payment {payment} resolved by hand: {status}").format(
                payment=view.payment_id, status=status_name(view.status)
            ),
        )
        self.refresh()

    def handle_selected(self) -> None:
        conflict = self.selected_conflict()
        if conflict is None:
            return
        description = _(
            "Payment {payment} at {till}: {what}. The sale is {status} at {amount}; "
            "the terminal charged {charged}. Settle it with the customer, then say how."
        ).format(
            payment=conflict.payment_id,
            till=conflict.till_code,
            what=conflict_text(conflict.kind),
            status=status_name(conflict.status),
            amount=money(conflict.amount_minor, conflict.currency),
            charged=money(conflict.event_amount_minor, conflict.event_currency),
        )
        dialog = ForceResolveDialog(description, self, with_outcome=False)
        conflict_id = conflict.conflict_id
        dialog.chosen.connect(lambda _outcome, note: self._handle(conflict_id, note))
        dialog.finished.connect(self._dialog_closed)
        self.resolve_dialog = dialog
        dialog.open()

    def _handle(self, conflict_id: int, note: str) -> None:
        manager_id = self.manager_id
        self.message.clear_message()

        def handle(uow: UnitOfWork) -> Any:
            return mark_conflict_handled(uow, conflict_id, manager_id=manager_id, note=note)

        self.call(handle, self._handled)

    def _handled(self, handled: HandledConflict) -> None:
        self.message.say(
            "info",
            lambda: _("Conflict on payment {payment} marked handled").format(
                payment=handled.payment_id
            ),
        )
        self.refresh()

    # -- texts -----------------------------------------------------------------------

    def _write_as_of(self) -> None:
        if self.attention is None:
            self.as_of.setText("")
            return
        minutes = int(self.attention.window.total_seconds() // 60)
        self.as_of.setText(
            _("as of {time}; payment window {minutes} min").format(
                time=when(self.attention.as_of), minutes=minutes
            )
        )

    def retranslate(self) -> None:
        super().retranslate()
        self.heading.setText(_("Card payments that need attention"))
        self.refresh_button.setText(_("Refresh"))
        self.check_button.setText(_("Check again"))
        self.resolve_button.setText(_("Force resolve…"))
        self.check_button.setToolTip(
            _("Ask the card terminal how the selected payment stands")
            if self.context.runtime is not None
            else _("No card terminal is connected to this till")
        )
        self.resolve_button.setToolTip(_("Settle the selected payment by hand, with a note"))
        self.handled_button.setText(_("Mark handled…"))
        self.handled_button.setToolTip(
            _("The selected conflict was settled with the customer: say how, for the audit log")
        )
        for section in self.sections:
            section.retranslate()
        self._write_as_of()
        if self.resolve_dialog is not None:
            self.resolve_dialog.retranslate()
