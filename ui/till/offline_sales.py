"""The till's own list of the sales it made offline and how each stands: not sent yet,
sent, or a conflict the central store could not take (a manager settles those in the
back office). Read from the till's replica on the store's worker, so it answers while
the central store is away."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos.bootstrap import Till
from pos.domain.messages import render
from pos.domain.results import Err, Result
from pos.services.till_offline_sales import SendState, TillOfflineSale, till_offline_sales
from ui.backoffice.common import Column, RowsModel, when
from ui.backoffice.widgets import money, table
from ui.i18n import N_, _, language
from ui.operations import Operations

OFFLINE_SALES_KEY = "Shift+F11"
"""Opens the list from the sale screen, beside F11 (the back office). Not a Ctrl+letter:
the scan field, a line edit, takes those (Ctrl+U clears it on Linux)."""
STATES = {
    SendState.UNSENT: N_("Not sent yet"),
    SendState.SENT: N_("Sent"),
    SendState.CONFLICT: N_("Conflict: a manager must settle it"),
}
COLUMNS: tuple[Column[TillOfflineSale], ...] = (
    Column(N_("Receipt"), lambda sale: sale.receipt or "—"),
    Column(N_("Time"), lambda sale: when(sale.at)),
    Column(N_("Total"), lambda sale: money(sale.total_minor, sale.currency), align_right=True),
    Column(N_("State"), lambda sale: _(STATES[sale.state])),
)


def read_offline_sales(till: Till) -> Result[Any]:
    """On the replica when the till keeps one (it holds the offline sales, online or
    not); a till with only a local store asks that."""
    uow = till.replica_uow() if till.replica is not None else till.uow()
    return till_offline_sales(uow)


class OfflineSalesDialog(QDialog):
    def __init__(self, till: Till, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OfflineSalesDialog")
        self.setModal(True)
        self.till, self.ops = till, ops
        self.sales: tuple[TillOfflineSale, ...] | None = None
        self.model: RowsModel[TillOfflineSale] = RowsModel(COLUMNS)
        self.view = table(self.model, "OfflineSales", stretch=len(COLUMNS) - 1)
        self.summary = QLabel(objectName="OfflineSalesSummary")
        self.summary.setWordWrap(True)
        self.close_button = QPushButton(objectName="CloseOfflineSales")
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.resize(640, 420)
        self.retranslate()
        self.refresh()

    def refresh(self) -> None:
        till = self.till
        self.ops.run(lambda: read_offline_sales(till), self._answered, self._failed)

    def _answered(self, result: Result[Any]) -> None:
        if isinstance(result, Err):
            self.summary.setText(render(result, language()))
            return
        self.sales = result.value
        self.model.show(result.value)
        self.retranslate()

    def _failed(self, error: BaseException) -> None:
        self.summary.setText(_("The store did not answer: {error}").format(error=error))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Offline sales at this till"))
        self.close_button.setText(_("Close"))
        self.model.refresh_texts()
        sales = self.sales
        if sales is None:
            self.summary.setText(_("Reading the sales…"))
            return
        counts = {state: sum(1 for sale in sales if sale.state is state) for state in SendState}
        self.summary.setText(
            _("Not sent yet: {unsent} · sent: {sent} · conflicts: {conflicts}").format(
                unsent=counts[SendState.UNSENT],
                sent=counts[SendState.SENT],
                conflicts=counts[SendState.CONFLICT],
            )
            if sales
            else _("This till has made no sales offline.")
        )
