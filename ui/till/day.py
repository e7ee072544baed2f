"""The till's day: a room of ``TillWindow``.

At sign-in the window asks the store where the till's day stands: at a till that
keeps cash sessions with none open (checkout would refuse the sale), the cashier counts
the float before the first sale. Ctrl+K opens the day's menu: open the till, cash in or
out (a manager's PIN over the shop's limit), the X report, and closing the day: a blind
count, then the Z report on screen and on the till's printer, with a key for a PDF.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu

from pos.domain.day import DayReport
from pos.domain.messages import render
from pos.domain.receipt import RECEIPT_WIDTH
from pos.domain.results import Code, Err, Result
from pos.services.cash_sessions import (
    SessionView,
    TillDay,
    close_session,
    open_session,
    pay_in,
    pay_out,
    till_day,
)
from pos.services.day_reports import x_report
from ui.approval import Approved
from ui.day import (
    BlindCountDialog,
    CashMovementDialog,
    DayReportDialog,
    FloatDialog,
    print_report,
    report_document,
    save_report_pdf,
)
from ui.i18n import N_, _, language
from ui.printing import problem

DAY_KEY = "Ctrl+K"


class CashDay:
    """A room of ``TillWindow`` (see the module)."""

    def setup_day(self) -> None:
        """Call once, after printing is set up."""
        self.day_dialog: Any = None
        """The float, movement, count or report dialog open now, if one is."""
        self.session: SessionView | None = None
        self.day_shortcut = QShortcut(QKeySequence(DAY_KEY), self)
        self.day_shortcut.activated.connect(self.day_menu)
        self.signed_in.connect(lambda _user: QTimer.singleShot(0, self.check_day))

    @property
    def currency(self) -> str:
        return str(self.till.settings.currency)

    def check_day(self) -> None:
        """Ask where the till's day stands; at a till that must open, ask for the float."""
        self.ops.run(lambda: till_day(self.till.uow()), self._day_known, self._store_failed)

    def _day_known(self, result: Result[TillDay]) -> None:
        if isinstance(result, Err):
            self.show_result(result)
            return
        self.session = result.value.session
        if result.value.must_open and self.user is not None and self.day_dialog is None:
            self.ask_float()

    def day_menu(self) -> None:
        if self.user is None or self.day_dialog is not None or self.dialog_open():
            return
        menu = QMenu(self)
        menu.setObjectName("DayMenu")
        entries = (
            (N_("Open the till (count the float)"), self.ask_float),
            (N_("Cash in or out"), self.ask_movement),
            (N_("X report"), self.show_x_report),
            (N_("Close the day (Z report)"), self.ask_count),
        )
        for label, handler in entries:
            menu.addAction(_(label)).triggered.connect(handler)
        self.day_menu_shown = menu
        menu.popup(self.mapToGlobal(self.rect().center()))

    # -- opening -----------------------------------------------------------------------

    def ask_float(self) -> None:
        dialog = FloatDialog(self.currency, self)
        dialog.counted.connect(self._float_counted)
        self._open_day_dialog(dialog)

    def _float_counted(self, counts: dict[int, int] | None, total: int | None) -> None:
        assert self.user is not None
        user_id, currency = self.user.id, self.currency
        self.ops.run(
            lambda: open_session(
                self.till.uow(),
                user_id=user_id,
                float_minor=total,
                float_counts=counts,
                currency=currency,
            ),
            self._till_opened,
            self._store_failed,
            originator=self,
        )

    def _till_opened(self, result: Result[SessionView]) -> None:
        if isinstance(result, Err):
            self._day_problem(result)
            return
        self.session = result.value
        self._close_day_dialog()
        self.show_banner("info", lambda: _("The till is open: good selling"))

    # -- cash in and out -------------------------------------------------------------

    def ask_movement(self) -> None:
        dialog = CashMovementDialog(self.currency, self)
        dialog.moved.connect(lambda kind, minor, reason: self._move(kind, minor, reason, None))
        self._open_day_dialog(dialog)

    def _move(self, kind: str, minor: int, reason: str, approved_by: int | None) -> None:
        assert self.user is not None
        user_id = self.user.id
        move = pay_in if kind == "in" else pay_out

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err) and result.code is Code.APPROVAL_REQUIRED:
                dialog = self._ask_manager(
                    "cash.paid_in" if kind == "in" else "cash.paid_out",
                    lambda: _("Approve this cash movement?"),
                    details={"amount_minor": minor, "reason": reason},
                    parent=self.day_dialog,
                )
                dialog.approved.connect(
                    lambda answer: self._move(kind, minor, reason, _manager(answer))
                )
                if self.day_dialog is not None:
                    self.day_dialog.confirm_button.setEnabled(True)
                return
            if isinstance(result, Err):
                self._day_problem(result)
                return
            self._close_day_dialog()
            self.show_banner("info", lambda: _("Cash movement recorded"))

        self.ops.run(
            lambda: move(
                self.till.uow(),
                user_id=user_id,
                amount_minor=minor,
                reason=reason,
                approved_by=approved_by,
            ),
            answered,
            self._store_failed,
            originator=self,
        )

    # -- the reports -----------------------------------------------------------------

    def show_x_report(self) -> None:
        self.ops.run(lambda: x_report(self.till.uow()), self._show_report, self._store_failed)

    def ask_count(self) -> None:
        if self.session is None:
            self.show_result(Err(Code.NO_CASH_SESSION))
            return
        dialog = BlindCountDialog(self.currency, self)
        dialog.counted.connect(self._counted)
        self._open_day_dialog(dialog)

    def _counted(self, count: dict[str, int]) -> None:
        assert self.user is not None
        assert self.session is not None
        user_id, session_id = self.user.id, self.session.session_id
        self.ops.run(
            lambda: close_session(self.till.uow(), session_id, user_id=user_id, counted=count),
            self._day_closed,
            self._store_failed,
            originator=self,
        )

    def _day_closed(self, result: Result[DayReport]) -> None:
        if isinstance(result, Err):
            self._day_problem(result)
            return
        self.session = None
        self._close_day_dialog()
        self._show_report(result)
        self.print_day_report(result.value)

    def _show_report(self, result: Result[DayReport]) -> None:
        if isinstance(result, Err):
            self._day_problem(result)
            return
        report = result.value
        dialog = DayReportDialog(report, self, printer=self.till_printer is not None)
        dialog.print_requested.connect(lambda: self.print_day_report(report))
        dialog.pdf_requested.connect(lambda: self._save_pdf(report))
        self._open_day_dialog(dialog)

    def print_day_report(self, report: DayReport) -> None:
        if self.till_printer is None:
            return
        printer = self.till_printer.printer
        document = report_document(report, printer.profile.width, for_printer=True)

        def printed(fault: Any) -> None:
            if fault is None:
                self._say_on_report(_("Printed"))
            else:
                text = _("Not printed: the printer is {problem}").format(
                    problem=problem(fault.state)
                )
                self._say_on_report(text)

        self.print_ops.run(lambda: print_report(printer, document), printed)

    def _save_pdf(self, report: DayReport) -> None:
        width = self.till_printer.profile.width if self.till_printer else RECEIPT_WIDTH
        path = save_report_pdf(self, report, width)
        if path is not None:
            self._say_on_report(_("Saved: {path}").format(path=path))

    def _say_on_report(self, text: str) -> None:
        dialog = self.day_dialog
        if isinstance(dialog, DayReportDialog):
            dialog.print_state.setText(text)

    # -- the dialogs -----------------------------------------------------------------

    def _open_day_dialog(self, dialog: Any) -> None:
        if self.day_dialog is not None:
            self.day_dialog.close()
        dialog.finished.connect(lambda _code, d=dialog: self._day_dialog_closed(d))
        self.day_dialog = dialog
        dialog.open()

    def _day_dialog_closed(self, dialog: Any) -> None:
        if self.day_dialog is dialog:
            self.day_dialog = None
            QTimer.singleShot(0, self.focus_scan)

    def _close_day_dialog(self) -> None:
        if self.day_dialog is not None:
            self.day_dialog.accept()

    def _day_problem(self, result: Err) -> None:
        dialog = self.day_dialog
        if dialog is not None and hasattr(dialog, "show_problem"):
            dialog.show_problem(render(result, language()))
        else:
            self.show_result(result)


def _manager(answer: Approved) -> int:
    return answer.approval.manager.id
