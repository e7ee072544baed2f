"""The supplier's price list into the catalogue: a CSV file chosen, its import watched and
cancelled, and the rows that were wrong listed."""

from __future__ import annotations

import threading

from babel.numbers import format_decimal
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.messages import encoding_name, render
from pos.domain.results import Err, Result
from pos.services.product_import import UTF_8, ImportReport, import_products
from ui.backoffice.common import Context, MessageLine
from ui.i18n import _, language


def _imported_text(report: ImportReport) -> str:
    lines = [
        _("Imported: {created} new, {updated} updated.").format(
            created=format_decimal(report.created, locale=language()),
            updated=format_decimal(report.updated, locale=language()),
        )
    ]
    if report.ignored_columns:
        ignored = ", ".join(report.ignored_columns)
        lines.append(_("Columns not imported: {columns}").format(columns=ignored))
    if report.encoding != UTF_8:
        encoding = encoding_name(report.encoding, language())
        lines.append(_("The file was read as {encoding}").format(encoding=encoding))
    return "\n".join(lines)


class _Progress(QObject):
    """Lives on the GUI thread; the import's worker emits, the dialog hears it queued."""

    moved = Signal(object, object)  # bytes read, bytes in the file (0: not known)


class ImportDialog(QDialog):
    """Choose a CSV file, watch it go in, cancel it, and read which rows were wrong."""

    imported = Signal(object)  # ImportReport

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ImportDialog")
        self.setModal(True)
        self.resize(720, 480)
        self.context = context
        self.running = False
        self.result: Result[ImportReport] | None = None
        self._stop = threading.Event()
        self._close_when_done = False
        self._progress = _Progress(self)
        self._progress.moved.connect(self._moved)

        self.path_label = QLabel()
        self.path_label.setWordWrap(True)
        self.path = QLineEdit(objectName="ImportPath")
        self.choose_button = QPushButton(objectName="ChooseFile")
        self.choose_button.clicked.connect(self.choose_file)
        self.start_button = QPushButton(objectName="StartImport")
        self.start_button.setProperty("primary", True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(objectName="CancelImport")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self.progress = QProgressBar(objectName="ImportProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.summary = MessageLine(self)
        self.errors_label = QLabel(objectName="Caption")
        self.errors = QListWidget(objectName="ImportErrors")

        choose = QHBoxLayout()
        choose.addWidget(self.path, 1)
        choose.addWidget(self.choose_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addLayout(choose)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.errors, 10)
        layout.addStretch(1)  # with no rows to show, the rest stays at the top
        layout.addLayout(buttons)
        self.retranslate()
        self._show_state()

    def file_picker(self) -> QFileDialog:
        """Qt's own file dialog, not the desktop's: it speaks the manager's language."""
        picker = QFileDialog(
            self, _("Choose a CSV file"), self.path.text(), _("CSV files (*.csv);;All files (*)")
        )
        picker.setOption(QFileDialog.Option.DontUseNativeDialog)
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        # Qt's Turkish catalogue leaves these two out.
        picker.setLabelText(QFileDialog.DialogLabel.LookIn, _("Look in:"))
        picker.setLabelText(QFileDialog.DialogLabel.FileType, _("Files of type:"))
        return picker

    def choose_file(self) -> None:
        picker = self.file_picker()
        if picker.exec() and picker.selectedFiles():
            self.path.setText(picker.selectedFiles()[0])
        picker.deleteLater()

    def start(self) -> None:
        path = self.path.text().strip()
        if self.running:
            return
        if not path:
            self.summary.say("error", lambda: _("Choose a CSV file first."))
            self._show_state()
            return
        self.running, self.result = True, None
        self._stop.clear()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.summary.say("info", lambda: _("Importing…"))
        self._show_errors()
        self._show_state()
        context, stop, moved = self.context, self._stop, self._progress.moved
        manager_id = context.manager.id
        self.context.ops.run(
            lambda: import_products(
                context.uow(),
                path,
                user_id=manager_id,
                progress=moved.emit,  # on the worker: only a signal, never a widget
                cancelled=stop.is_set,
            ),
            self._finished,
            self._failed,
        )

    def _moved(self, done: int, total: int) -> None:
        if not self.running:
            return
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, done * 1000 // total))
        else:
            self.progress.setRange(0, 0)  # size not known: a busy bar

    def _finished(self, result: Result[ImportReport]) -> None:
        self.running = False
        self.result = result
        if isinstance(result, Err):
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)
            self.summary.say("error", lambda: render(result, language()))
        else:
            report = result.value
            self.progress.setRange(0, 1000)
            self.progress.setValue(1000)
            self.summary.say("info", lambda: _imported_text(report))
            self.imported.emit(report)
        self._show_errors()
        self._show_state()
        if self._close_when_done:
            self._close_when_done = False
            super().reject()

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self.summary.say(
            "error", lambda: _("The store did not answer: {error}").format(error=error)
        )
        self._show_state()

    def _show_errors(self) -> None:
        self.errors.clear()
        result = self.result
        details = result.details if isinstance(result, Err) else ()
        self.errors.addItems([render(detail, language()) for detail in details])
        self.errors_label.setVisible(bool(details))
        self.errors.setVisible(bool(details))

    def _show_state(self) -> None:
        # The bar shows an import going or gone in; after a refusal the message says it all.
        self.progress.setVisible(self.running or (self.result is not None and self.result.ok))
        self.summary.setVisible(bool(self.summary.text()))
        self.start_button.setEnabled(not self.running)
        self.choose_button.setEnabled(not self.running)
        self.path.setEnabled(not self.running)
        self.cancel_button.setText(_("Cancel import") if self.running else _("Close"))

    def cancel(self) -> None:
        """Ask the running import to stop; it rolls back and answers IMPORT_CANCELLED."""
        if self.running:
            self._stop.set()
            self.summary.say("warning", lambda: _("Cancelling…"))

    def _cancel_or_close(self) -> None:
        if self.running:
            self.cancel()  # the dialog stays, to show that nothing changed
        else:
            self.reject()

    def reject(self) -> None:
        if self.running:
            self._close_when_done = True
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self._close_when_done = True
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Import products from CSV"))
        self.path_label.setText(
            _(
                "A UTF-8 CSV file, comma or semicolon separated as a spreadsheet saves it, with"
                " the columns sku, name and price (barcode, tax_rate and currency if you have"
                " them). Every row goes in, or none does."
            )
        )
        self.path.setPlaceholderText(_("Path of the CSV file"))
        self.choose_button.setText(_("Choose…"))
        self.start_button.setText(_("Import"))
        self.errors_label.setText(_("Rows to correct"))
        self.summary.retranslate()
        self._show_errors()
        self._show_state()
