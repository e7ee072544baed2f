"""Parked sales at the till: a room of ``TillWindow``, and the list a sale is recalled from.

F1 parks the sale on the screen (its holds stay, with their time) and starts an empty
one; Shift+F1 lists the sales parked at this till with their time, cashier and total,
and Enter (or a double-click, or the button) recalls the one selected. A recall over a
sale with lines is refused by the store (park or finish that one first); lines whose
stock could not be held again come back named, in the seed's words.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos.bootstrap import Till
from pos.domain.messages import render
from pos.domain.results import Err, Result, Warn
from pos.services.parked import Parked, ParkedSale, Recalled
from ui import sale as sale_ops
from ui.backoffice.common import Column, RowsModel, when
from ui.backoffice.widgets import money, table
from ui.i18n import N_, _, language
from ui.operations import Operations

PARK_KEY = "F1"
PARKED_KEY = "Shift+F1"


def _holds(sale: ParkedSale) -> str:
    if sale.all_held and sale.held_until is not None:
        return _("Held until {time}").format(time=when(sale.held_until))
    return _("Lapsed: held again on recall")


COLUMNS: tuple[Column[ParkedSale], ...] = (
    Column(N_("Parked at"), lambda sale: when(sale.parked_at)),
    Column(N_("Cashier"), lambda sale: sale.parked_by),
    Column(N_("Items"), lambda sale: str(sale.item_count), align_right=True),
    Column(N_("Total"), lambda sale: money(sale.total_minor, sale.currency), align_right=True),
    Column(N_("Stock"), _holds),
)


class ParkedSalesDialog(QDialog):
    """The till's parked sales, oldest first; Enter recalls the one selected."""

    recall_requested = Signal(int)  # cart id

    def __init__(self, till: Till, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ParkedSalesDialog")
        self.setModal(True)
        self.till, self.ops = till, ops
        self.sales: tuple[ParkedSale, ...] | None = None
        self._problem: Err | None = None
        self.model: RowsModel[ParkedSale] = RowsModel(COLUMNS)
        self.view = table(self.model, "ParkedSales", stretch=len(COLUMNS) - 1)
        self.view.doubleClicked.connect(lambda _index: self.recall_selected())
        self.summary = QLabel(objectName="ParkedSalesSummary")
        self.summary.setWordWrap(True)
        self.recall_button = QPushButton(objectName="RecallParkedSale")
        self.recall_button.setDefault(True)
        self.recall_button.clicked.connect(self.recall_selected)
        self.close_button = QPushButton(objectName="CloseParkedSales")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.recall_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.resize(900, 420)
        self.retranslate()
        self.refresh()

    def refresh(self) -> None:
        till = self.till
        self.ops.run(lambda: sale_ops.parked_sales(till), self._answered, self._failed)

    def _answered(self, result: Result[tuple[ParkedSale, ...]]) -> None:
        if isinstance(result, Err):
            self.show_problem(result)
            return
        self.sales = result.value
        self.model.show(result.value)
        if result.value:
            self.view.selectRow(0)
        self.view.setFocus()
        self.retranslate()

    def _failed(self, error: BaseException) -> None:
        self.summary.setText(_("The store did not answer: {error}").format(error=error))

    def selected(self) -> ParkedSale | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows or self.sales is None:
            return None
        return self.sales[rows[0].row()]

    def recall_selected(self) -> None:
        sale = self.selected()
        if sale is not None:
            self.recall_button.setEnabled(False)  # one recall per press; the store decides
            self.recall_requested.emit(sale.cart_id)

    def show_problem(self, problem: Err) -> None:
        """A refused recall (a sale on the screen, gone meanwhile): said here, list read again."""
        self._problem = problem
        self.recall_button.setEnabled(True)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Parked sales at this till"))
        self.recall_button.setText(_("Recall (Enter)"))
        self.close_button.setText(_("Close (Esc)"))
        self.model.refresh_texts()
        sales = self.sales
        if sales is None:
            text = _("Reading the parked sales…")
        elif sales:
            text = _("{count} parked sales. Select one and press Enter to recall it.").format(
                count=len(sales)
            )
        else:
            text = _("No sale is parked at this till.")
        if self._problem is not None:
            text = render(self._problem, language()) + "\n" + text
        self.summary.setText(text)
        self.recall_button.setEnabled(bool(sales))


class SaleParking:
    """A room of ``TillWindow`` (see the module)."""

    parked_dialog: ParkedSalesDialog | None = None
    parked_offline = False
    """Sales wait parked on the replica: like a sale begun offline, they end offline, so
    the till stays on its replica until they are recalled (``may_go_online``)."""

    def _note_parked(self: Any, waiting: int) -> None:
        self.parked_offline = self.till.offline and waiting > 0

    def park_sale(self: Any) -> None:
        """F1: the sale on the screen waits, held; an empty one takes its place."""
        if self.user is None or self.cart is None:
            return
        cart_id, user_id = self.cart.cart_id, self.user.id
        self.ops.run(
            lambda: sale_ops.park_sale(self.till, cart_id, user_id),
            self._parked,
            self._store_failed,
            originator=self,
        )

    def _parked(self: Any, result: Result[Parked]) -> None:
        if isinstance(result, Err):
            self.show_result(result)
            self.focus_scan()
            return
        self._note_parked(result.value.waiting)
        parked = result.value.parked
        total = money(parked.total_minor, parked.currency)
        self.coupon.clear()
        self.show_cart(result.value.next_sale)
        self.show_banner(
            "info",
            lambda: _("Sale parked ({total}); {key} lists the parked sales").format(
                total=total, key=PARKED_KEY
            ),
        )
        self.focus_scan()

    def show_parked_sales(self: Any) -> None:
        """Shift+F1: the sales parked at this till, to recall one."""
        if self.user is None or self.parked_dialog is not None or self.dialog_open():
            return
        dialog = ParkedSalesDialog(self.till, self.ops, self)
        dialog.recall_requested.connect(self.recall_parked)
        dialog.finished.connect(self._parked_list_closed)
        self.parked_dialog = dialog
        dialog.open()

    def _parked_list_closed(self: Any) -> None:
        dialog, self.parked_dialog = self.parked_dialog, None
        if dialog is not None:
            # It may still wait for the store's answer (the list read again): it goes after.
            self.after_queued_work(dialog.deleteLater)
        QTimer.singleShot(0, self.focus_scan)

    def recall_parked(self: Any, cart_id: int) -> None:
        if self.user is None:
            return
        user_id = self.user.id
        current = self.cart.cart_id if self.cart is not None else None
        self.ops.run(
            lambda: sale_ops.recall_sale(self.till, cart_id, user_id, current),
            self._recalled,
            self._store_failed,
            originator=self,
        )

    def _recalled(self: Any, result: Result[Recalled]) -> None:
        if isinstance(result, Err):
            if self.parked_dialog is not None:
                self.parked_dialog.show_problem(result)
            else:
                self.show_result(result)
            return
        if self.parked_dialog is not None:
            self.parked_dialog.accept()
        recalled = result.value
        self._note_parked(recalled.waiting)
        self.coupon.clear()
        self.show_cart(recalled.summary)
        if isinstance(result, Warn):
            short = recalled.short
            self.show_banner(
                "warning",
                lambda: "\n".join(
                    [render(result, language())]
                    + [
                        _("{name}, {quantity} units: {problem}").format(
                            name=line.name,
                            quantity=line.quantity,
                            problem=render(line.problem(), language()),
                        )
                        for line in short
                    ]
                ),
            )
        else:
            self.show_banner("info", lambda: _("Parked sale recalled"))
        self.focus_scan()
