"""The receipt on paper and the cash drawer: a room of ``TillWindow``.

A paid sale's receipt is read on the store's worker and sent on a printing worker of its
own (a second ``Operations``, one job at a time), so a printer that takes its whole
timeout holds up neither the next sale nor the terminal. The drawer opens with the
receipt of every sale that took cash. Whatever the printer does, the sale stays paid:
a fault is told in the status bar and on the receipt screen, and the receipt is kept
there to print again (Ctrl+P). Opening the drawer without a sale (F5) asks why, and
the reason is on the audit log before the drawer opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QInputDialog, QLabel, QLineEdit

from pos.domain.messages import render
from pos.domain.results import Err, Result
from pos.printing.printers import PrinterFault, PrinterState, PrinterStatus
from ui import printing as printing_ops
from ui.i18n import _, language, on_language_changed
from ui.operations import Operations
from ui.printing import problem
from ui.till.widgets import repolish

if TYPE_CHECKING:
    from pos.runtime.printing import TillPrinter

PRINTER_RECHECK_MS = 10_000
KEPT_UNPRINTED = 100
"""Unprinted receipts kept for this session; older ones print as copies from the back office."""
OPEN_DRAWER_KEY = "F5"
"""Not Ctrl+D, which the scan field keeps for itself (delete the next character)."""


class ReceiptPrinting:
    """A room of ``TillWindow`` (see the module)."""

    def setup_printing(self, printer: TillPrinter | None) -> None:
        """Call once, after the status bar is built."""
        self.till_printer = printer
        self.unprinted: dict[UUID, printing_ops.ReceiptJob] = {}
        """Receipts the printer did not print, by sale: the receipt screen prints them again."""
        self.print_ops = Operations(self)  # the printing worker: never behind the store's queue
        self.printer_status = QLabel(objectName="PrinterStatus")
        self.statusBar().addPermanentWidget(self.printer_status)
        self._printer_text: Callable[[], str] = lambda: ""
        self._printer_tip: Callable[[], str] = lambda: ""
        self._stop_following = on_language_changed(self._show_printer_text)
        self.drawer_dialog: QInputDialog | None = None
        """Open while the cashier says why the drawer opens without a sale."""
        self._drawer_asker: QInputDialog | None = None
        self.drawer_shortcut = QShortcut(QKeySequence(OPEN_DRAWER_KEY), self)
        self.drawer_shortcut.activated.connect(self.ask_to_open_drawer)
        self.paid_order: UUID | None = None
        """The sale the receipt screen shows."""
        # After the paying room has asked for the next sale's cart: the cashier's next scan
        # must not wait behind reading this receipt.
        self.sale_paid.connect(
            lambda order_id: QTimer.singleShot(0, lambda: self.print_receipt(order_id))
        )
        # While the printer is in trouble, ask again now and then, so the status bar
        # shows it back as soon as the paper is in or the cable is back.
        self.printer_timer = QTimer(self, interval=PRINTER_RECHECK_MS)
        self.printer_timer.timeout.connect(self.check_printer)
        if printer is None:
            self._show_printer(lambda: _("Printer: none"), "")
        else:
            self._show_printer(lambda: _("Printer: checking…"), "")
            self.check_printer()

    def close_printing(self) -> None:
        self.printer_timer.stop()
        self._stop_following()
        self.print_ops.close()

    # -- the receipt -----------------------------------------------------------------

    def print_receipt(self, order_id: UUID) -> None:
        """Print the paid sale's receipt (and open the drawer if it took cash)."""
        self.paid_order = order_id
        if self.till_printer is None:
            return
        printer, till, locale = self.till_printer.printer, self.till, language()
        self.ops.run(
            lambda: printing_ops.receipt_job(till, printer, order_id, locale),
            self._send,
            self._store_failed,
            originator=self,
        )

    def print_again(self) -> None:
        """The receipt screen's Ctrl+P: the kept receipt, without the drawer this time."""
        order_id = self.paid_order
        job = self.unprinted.get(order_id) if order_id is not None else None
        if job is None or self.receipt_dialog is None:
            return
        self.receipt_dialog.show_print_state(_("Printing…"), failed=False)
        self._send(job.again())

    def _send(self, result: Result[printing_ops.ReceiptJob] | printing_ops.ReceiptJob) -> None:
        dialog = self.receipt_dialog
        if dialog is not None and not dialog.property("printing"):
            # The receipt screen opened as the sale was paid, before this answer came.
            dialog.setProperty("printing", True)
            dialog.print_again_requested.connect(self.print_again)
        if isinstance(result, Err):
            self._show_on_receipt(render(result, language()), failed=False)
            return
        job = result if isinstance(result, printing_ops.ReceiptJob) else result.value
        if dialog is not None and job.order_id == self.paid_order:
            dialog.show_print_state(_("Printing…"), failed=False)
        assert self.till_printer is not None
        printer, simulator = self.till_printer.printer, self.till_printer.simulator
        self.print_ops.run(lambda: printing_ops.print_job(printer, job, simulator), self._printed)

    def _printed(self, printed: printing_ops.Printed) -> None:
        job, fault = printed.job, printed.fault
        if fault is None:
            self.unprinted.pop(job.order_id, None)
            self._show_printer(lambda: _("Printer: ready"), "")
            self._show_on_receipt(_("Receipt printed"), failed=False, order_id=job.order_id)
            dialog = self.receipt_dialog
            if printed.came_out and dialog is not None and job.order_id == self.paid_order:
                dialog.show_printed(printed.came_out)
            return
        self.unprinted[job.order_id] = job
        while len(self.unprinted) > KEPT_UNPRINTED:
            self.unprinted.pop(next(iter(self.unprinted)))
        self.printer_timer.start()
        state = fault.state
        # Short in the bar, which has little room; the whole of it when pointed at.
        self._show_printer(
            lambda: _("Printer: {state}").format(state=problem(state)),
            "error",
            lambda: _("Printer: {problem}. The sale is paid; print its receipt again").format(
                problem=problem(state)
            ),
        )
        self._show_on_receipt(
            _("Not printed: the printer is {problem}. The sale is paid.").format(
                problem=problem(state)
            ),
            failed=True,
            order_id=job.order_id,
        )

    def _show_on_receipt(self, text: str, *, failed: bool, order_id: UUID | None = None) -> None:
        dialog = self.receipt_dialog
        if dialog is None or (order_id is not None and order_id != self.paid_order):
            return
        dialog.show_print_state(text, failed=failed)

    # -- the printer's state ------------------------------------------------------------

    def check_printer(self) -> None:
        if self.till_printer is None:
            return
        printer = self.till_printer.printer
        self.print_ops.run(lambda: printing_ops.printer_status(printer), self._printer_answered)

    def _printer_answered(self, status: PrinterStatus) -> None:
        state = status.state
        if state.prints:
            self.printer_timer.stop()
        else:
            self.printer_timer.start()
        kind = "" if state.prints else "error"
        if state is PrinterState.PAPER_LOW:
            kind = "warning"
        self._show_printer(lambda: _("Printer: {state}").format(state=problem(state)), kind)

    def _show_printer(
        self, text: Callable[[], str], kind: str, tip: Callable[[], str] | None = None
    ) -> None:
        self._printer_text, self._printer_tip = text, tip or (lambda: "")
        self.printer_status.setProperty("kind", kind)
        repolish(self.printer_status)
        self._show_printer_text()

    def _show_printer_text(self) -> None:
        self.printer_status.setText(self._printer_text())
        self.printer_status.setToolTip(self._printer_tip())

    # -- the drawer without a sale -------------------------------------------------------

    def ask_to_open_drawer(self) -> None:
        if self.till_printer is None or self.user is None or self.drawer_dialog is not None:
            return
        if self.dialog_open():
            return
        dialog = self._drawer_asker
        if dialog is None:  # made once and kept: a dialog freed as it closes takes the focus
            dialog = QInputDialog(self, objectName="DrawerReason")
            dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
            dialog.textValueSelected.connect(self._open_drawer_for)
            dialog.finished.connect(self._drawer_dialog_closed)
            self._drawer_asker = dialog
        dialog.setWindowTitle(_("Open the drawer without a sale"))
        dialog.setLabelText(_("Opening the drawer without a sale: why? (it goes on the record)"))
        dialog.setTextValue("")
        self.drawer_dialog = dialog
        dialog.open()

    def _drawer_dialog_closed(self) -> None:
        self.drawer_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def _open_drawer_for(self, reason: str) -> None:
        assert self.till_printer is not None
        assert self.user is not None
        printer, till, user_id = self.till_printer.printer, self.till, self.user.id

        def recorded(result: Result[str]) -> None:
            if isinstance(result, Err):
                self.show_result(result)
                return
            self.print_ops.run(lambda: printing_ops.kick_drawer(printer), kicked)

        def kicked(fault: PrinterFault | None) -> None:
            if fault is None:
                self._show_printer(lambda: _("Drawer opened"), "")
                return
            state = fault.state
            self._show_printer(
                lambda: _("Drawer not opened: {problem}").format(problem=problem(state)),
                "error",
            )

        self.ops.run(
            lambda: printing_ops.record_drawer_opening(till, user_id, reason),
            recorded,
            self._store_failed,
            originator=self,
        )
