"""The Z reports' history: every closed day of every till, newest first, each openable
as it was printed, to print again on the till's printer or keep as PDF.

The list and each report come from ``pos.services.day_reports``; the report shows in
the till's own dialog (``ui.day``), laid out as the printer lays it out.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from pos.domain.day import DayReport
from pos.domain.receipt import RECEIPT_WIDTH
from pos.domain.results import Changed
from pos.services.day_reports import ZSummary, z_report, z_reports
from ui.backoffice.common import Column, Context, Page, RowsModel, when
from ui.backoffice.widgets import money, table
from ui.day import DayReportDialog, print_report, report_document, save_report_pdf
from ui.i18n import N_, _
from ui.printing import problem


def _difference(row: ZSummary) -> str:
    if row.cash_difference_minor is None:
        return ""
    return money(row.cash_difference_minor, row.currency)


Z_COLUMNS: tuple[Column[ZSummary], ...] = (
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("Z No"), lambda row: f"{row.z_number:04d}", align_right=True),
    Column(N_("Opened"), lambda row: when(row.opened_at)),
    Column(N_("Closed"), lambda row: when(row.closed_at)),
    Column(N_("Closed by"), lambda row: row.closed_by),
    Column(N_("Total"), lambda row: money(row.total_minor, row.currency), align_right=True),
    Column(N_("Cash over / short"), _difference, align_right=True),
)


class DaysPage(Page):
    """The Z reports, newest first."""

    title = N_("Z reports")
    follows = Changed.CASH

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.reports: RowsModel[ZSummary] = RowsModel(Z_COLUMNS)
        self.view = table(self.reports, "ZReports")
        self.view.doubleClicked.connect(lambda index: self.open_report(index.row()))
        self.open_button = QPushButton(objectName="OpenZ")
        self.open_button.clicked.connect(self._open_chosen)
        self.dialog: DayReportDialog | None = None
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addLayout(buttons)
        self.layout_.addWidget(self.message)

    def refresh(self) -> None:
        self.call(lambda uow: z_reports(uow), self.reports.show)

    def _open_chosen(self) -> None:
        chosen = self.view.selectionModel().selectedRows()
        self.open_report(chosen[0].row() if chosen else 0)

    def open_report(self, row: int) -> None:
        summary = self.reports.row_at(row)
        if summary is None:
            return
        session_id = summary.session_id
        self.call(lambda uow: z_report(uow, session_id), self._show)

    def _show(self, report: DayReport) -> None:
        dialog = DayReportDialog(report, self, printer=self.context.printer is not None)
        dialog.print_requested.connect(lambda: self._print(report))
        dialog.pdf_requested.connect(lambda: self._save(report))
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()

    def _print(self, report: DayReport) -> None:
        printer, ops = self.context.printer, self.context.print_ops
        if printer is None or ops is None:
            return
        document = report_document(report, printer.profile.width, for_printer=True)

        def printed(fault: object) -> None:
            state = getattr(fault, "state", None)
            text = (
                _("Printed")
                if state is None
                else _("Not printed: the printer is {problem}").format(problem=problem(state))
            )
            self._say(text)

        ops.run(lambda: print_report(printer, document), printed)

    def _save(self, report: DayReport) -> None:
        width = self.context.printer.profile.width if self.context.printer else RECEIPT_WIDTH
        path = save_report_pdf(self, report, width)
        if path is not None:
            self._say(_("Saved: {path}").format(path=path))

    def _say(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.print_state.setText(text)
        self.message.say("", lambda: text)

    def _closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def retranslate(self) -> None:
        super().retranslate()
        self.open_button.setText(_("Open"))
        self.reports.refresh_texts()
