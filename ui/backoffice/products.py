"""The catalogue for a manager: find a product among a million, change it, add new ones,
and import a supplier's price list from CSV."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, get_decimal_symbol
from PySide6.QtCore import QModelIndex, QObject, QSignalBlocker, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.domain.catalogue import DEFAULT_TAX_RATE_BP, parse_tax_rate
from pos.domain.messages import encoding_name, render
from pos.domain.money import format_money, minor_digits, parse_price
from pos.domain.results import Changed, Code, Err, Result
from pos.services.catalogue import (
    LIST_LIMIT,
    ProductDraft,
    ProductView,
    create_product,
    deactivate_product,
    reactivate_product,
    update_product,
)
from pos.services.product_import import UTF_8, ImportReport, import_products
from pos.services.product_list import ProductCursor, ProductPage, ProductRow, list_products
from ui.backoffice.common import Column, Context, MessageLine, Page, RowsModel, field_values
from ui.i18n import N_, _, language

SEARCH_DELAY_MS = 250
"""Typing pauses this long before the store is asked: one query per word, not per key."""


def _tax_text(basis_points: int) -> str:
    return format_decimal(Decimal(basis_points) / 100, locale=language())


def _price_text(minor: int, currency: str) -> str:
    """A price as a manager types it back: ``54,50`` in Turkish, no currency or grouping."""
    digits = minor_digits(currency)
    whole, part = divmod(minor, 10**digits)
    if not digits:
        return str(whole)
    return f"{whole}{get_decimal_symbol(language())}{part:0{digits}d}"


def _yes_no(flag: bool) -> str:
    return _("Yes") if flag else _("No")


COLUMNS: tuple[Column[ProductRow], ...] = (
    Column(N_("SKU"), lambda row: row.sku),
    Column(N_("Name"), lambda row: row.name),
    Column(N_("Barcode"), lambda row: row.barcode or ""),
    Column(
        N_("Price"),
        lambda row: format_money(row.price_minor, row.currency, language()),
        align_right=True,
    ),
    Column(N_("Tax %"), lambda row: _tax_text(row.tax_rate_bp), align_right=True),
    Column(N_("On hand"), lambda row: format_decimal(row.on_hand, locale=language()), True),
    Column(N_("Minimum"), lambda row: format_decimal(row.min_stock, locale=language()), True),
    Column(N_("On sale"), lambda row: _yes_no(row.active)),
)
NAME_COLUMN = 1


class ProductsPage(Page):
    title = N_("Products")
    follows = Changed.CATALOGUE | Changed.STOCK

    def __init__(
        self,
        context: Context,
        parent: QWidget | None = None,
        *,
        search_delay_ms: int = SEARCH_DELAY_MS,
        page_size: int = LIST_LIMIT,
    ) -> None:
        super().__init__(context, parent)
        self.setObjectName("ProductsPage")
        self.page_size = page_size
        self.cursors: list[ProductCursor | None] = [None]
        """The ``after`` of each page shown so far: the last is this page's, Previous pops."""
        self.next_cursor: ProductCursor | None = None
        self.editing: ProductRow | None = None
        self.loaded: tuple[object, ...] = ()
        """The form's fields as last filled from the store or saved: what is unsaved differs."""
        self.import_dialog: ImportDialog | None = None
        self._generation = 0

        self.search = QLineEdit(objectName="ProductSearch")
        self.search.setClearButtonEnabled(True)
        self.search.textEdited.connect(lambda _text: self.search_timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.search_timer = QTimer(self, singleShot=True, interval=search_delay_ms)
        self.search_timer.timeout.connect(self._search_now)
        self.show_inactive = QCheckBox(objectName="ShowInactive")
        self.show_inactive.setChecked(True)
        self.show_inactive.toggled.connect(lambda _on: self._search_now())
        self.import_button = QPushButton(objectName="ImportButton")
        self.import_button.clicked.connect(self.open_import)

        self.model: RowsModel[ProductRow] = RowsModel(COLUMNS)
        self.table = QTableView(objectName="ProductTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)

        self.previous_button = QPushButton(objectName="PreviousPage")
        self.previous_button.clicked.connect(self.previous_page)
        self.next_button = QPushButton(objectName="NextPage")
        self.next_button.clicked.connect(self.next_page)
        self.page_label = QLabel(objectName="PageNumber")

        self.form_title = QLabel(objectName="Caption")
        self.sku = QLineEdit(objectName="ProductSku")
        self.barcode = QLineEdit(objectName="ProductBarcode")
        self.name = QLineEdit(objectName="ProductName")
        self.price = QLineEdit(objectName="ProductPrice")
        self.tax = QLineEdit(objectName="ProductTax")
        self.active = QCheckBox(objectName="ProductActive")
        for field in (self.sku, self.barcode, self.name, self.price, self.tax):
            field.returnPressed.connect(self.save)
        self.sku.setMaxLength(64)
        self.barcode.setMaxLength(32)
        self.name.setMaxLength(200)
        self.save_button = QPushButton(objectName="SaveProduct")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        self.new_button = QPushButton(objectName="NewProduct")
        self.new_button.clicked.connect(self.new_product)
        self.deactivate_button = QPushButton(objectName="DeactivateProduct")
        self.deactivate_button.setProperty("danger", True)
        self.deactivate_button.clicked.connect(self.toggle_active)

        self._lay_out()
        self._clear_form()
        self._show_paging()

    def _lay_out(self) -> None:
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.show_inactive)
        search_row.addWidget(self.import_button)
        paging = QHBoxLayout()
        paging.addWidget(self.previous_button)
        paging.addWidget(self.page_label)
        paging.addWidget(self.next_button)
        paging.addStretch(1)

        # Under the table, so the table has the window's width for long names.
        self.labels = {field: QLabel() for field in ("sku", "barcode", "name", "price", "tax")}
        fields = QGridLayout()
        fields.addWidget(self.labels["sku"], 0, 0)
        fields.addWidget(self.sku, 0, 1)
        fields.addWidget(self.labels["barcode"], 0, 2)
        fields.addWidget(self.barcode, 0, 3)
        fields.addWidget(self.labels["name"], 0, 4)
        fields.addWidget(self.name, 0, 5)
        fields.addWidget(self.labels["price"], 1, 0)
        fields.addWidget(self.price, 1, 1)
        fields.addWidget(self.labels["tax"], 1, 2)
        fields.addWidget(self.tax, 1, 3)
        fields.addWidget(self.active, 1, 4, 1, 2)
        fields.setColumnStretch(1, 2)
        fields.setColumnStretch(3, 3)
        fields.setColumnStretch(5, 6)
        buttons = QHBoxLayout()
        buttons.addWidget(self.form_title, 1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.deactivate_button)
        buttons.addWidget(self.save_button)
        panel = QFrame(objectName="Panel")
        editor = QVBoxLayout(panel)
        editor.addLayout(buttons)
        editor.addLayout(fields)

        self.layout_.addLayout(search_row)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(paging)
        self.layout_.addWidget(panel)
        self.layout_.addWidget(self.message)

    # -- the list ---------------------------------------------------------------------

    def refresh(self) -> None:
        self._load()

    def _search_now(self) -> None:
        self.search_timer.stop()
        self.cursors = [None]
        self._load()

    def next_page(self) -> None:
        if self.next_cursor is not None:
            self.cursors.append(self.next_cursor)
            self._load()

    def previous_page(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self._load()

    def _load(self) -> None:
        """Ask for the current page; an answer to an older question is dropped."""
        self._generation += 1
        generation = self._generation
        query, after = self.search.text(), self.cursors[-1]
        include_inactive, limit = self.show_inactive.isChecked(), self.page_size
        manager_id = self.manager_id
        self.call(
            lambda uow: list_products(
                uow,
                manager_id=manager_id,
                query=query,
                after=after,
                limit=limit,
                include_inactive=include_inactive,
            ),
            lambda page: self._shown(generation, page),
        )

    def _shown(self, generation: int, page: ProductPage) -> None:
        if generation != self._generation:
            return
        self.model.show(page.rows)
        self.next_cursor = page.next
        self._show_paging()
        if self.editing is not None:
            for row, product in enumerate(page.rows):
                if product.id == self.editing.id:
                    # Marked, not reloaded: the form keeps what the manager is typing.
                    with QSignalBlocker(self.table.selectionModel()):
                        self.table.selectRow(row)
                    self.editing = product

    def _show_paging(self) -> None:
        self.previous_button.setEnabled(len(self.cursors) > 1)
        self.next_button.setEnabled(self.next_cursor is not None)
        self.page_label.setText(_("Page {number}").format(number=len(self.cursors)))

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        product = self.model.row_at(current.row()) if current.isValid() else None
        if product is not None:
            self._edit(product)

    # -- the form ---------------------------------------------------------------------

    def _edit(self, product: ProductRow) -> None:
        self.editing = product
        self.sku.setText(product.sku)
        self.barcode.setText(product.barcode or "")
        self.name.setText(product.name)
        self.price.setText(_price_text(product.price_minor, product.currency))
        self.tax.setText(_tax_text(product.tax_rate_bp))
        self.active.setChecked(product.active)
        self.loaded = self.form_values()
        self._show_form_state()

    def new_product(self) -> None:
        self.table.clearSelection()
        self._clear_form()
        self.message.clear_message()
        self.sku.setFocus()

    def _clear_form(self) -> None:
        self.editing = None
        for field in (self.sku, self.barcode, self.name, self.price):
            field.clear()
        self.tax.setText(_tax_text(DEFAULT_TAX_RATE_BP))
        self.active.setChecked(True)
        self.loaded = self.form_values()
        self._show_form_state()

    def form_values(self) -> tuple[object, ...]:
        return field_values(self.sku, self.barcode, self.name, self.price, self.tax, self.active)

    def unsaved(self) -> str | None:
        if self.form_values() == self.loaded:
            return None
        editing = self.editing
        return _("New product") if editing is None else _("Product {sku}").format(sku=editing.sku)

    def _show_form_state(self) -> None:
        editing = self.editing
        if editing is None:
            self.form_title.setText(_("New product"))
        else:
            self.form_title.setText(_("Product {sku}").format(sku=editing.sku))
        self.deactivate_button.setEnabled(editing is not None)
        on_sale = editing is None or editing.active
        self.deactivate_button.setText(_("Deactivate") if on_sale else _("Reactivate"))
        self.deactivate_button.setProperty("danger", on_sale)
        self.deactivate_button.style().unpolish(self.deactivate_button)
        self.deactivate_button.style().polish(self.deactivate_button)

    @property
    def currency(self) -> str:
        editing = self.editing
        return editing.currency if editing is not None else self.context.till.settings.currency

    def draft(self) -> ProductDraft | Err:
        """What the form says, or the first thing in it that is not a price or a rate."""
        price = parse_price(self.price.text(), self.currency)
        if price is None:
            return Err(Code.INVALID_PRICE)
        tax_rate = parse_tax_rate(self.tax.text())
        if tax_rate is None:
            return Err(Code.INVALID_TAX_RATE)
        return ProductDraft(
            sku=self.sku.text(),
            name=self.name.text(),
            price_minor=price,
            barcode=self.barcode.text() or None,
            tax_rate_bp=tax_rate,
            currency=self.currency,
            active=self.active.isChecked(),
        )

    def save(self) -> None:
        draft = self.draft()
        if isinstance(draft, Err):
            self.message.show_result(draft)
            return
        editing, manager_id, sent = self.editing, self.manager_id, self.form_values()

        def saving(uow: Any) -> Result[ProductView]:
            if editing is None:
                return create_product(uow, draft, user_id=manager_id)
            return update_product(uow, editing.id, draft, user_id=manager_id)

        self.call(saving, lambda product: self._saved(product, sent))

    def _saved(self, product: ProductView, sent: tuple[object, ...]) -> None:
        self.editing = _as_row(product, self.editing)
        self.loaded = sent
        self._show_form_state()
        sku = product.sku
        self.message.say("info", lambda: _("Saved {sku}.").format(sku=sku))
        self._load()

    def toggle_active(self) -> None:
        editing, manager_id = self.editing, self.manager_id
        if editing is None:
            return
        change = deactivate_product if editing.active else reactivate_product
        self.call(lambda uow: change(uow, editing.id, user_id=manager_id), self._toggled)

    def _toggled(self, product: ProductView) -> None:
        self.editing = _as_row(product, self.editing)
        self.active.setChecked(product.active)
        self.loaded = (*self.loaded[:-1], product.active)  # what else was typed stays unsaved
        self._show_form_state()
        sku = product.sku
        if product.active:
            self.message.say("info", lambda: _("{sku} is on sale again.").format(sku=sku))
        else:
            self.message.say("info", lambda: _("{sku} is no longer on sale.").format(sku=sku))
        self._load()

    # -- import -----------------------------------------------------------------------

    def open_import(self) -> ImportDialog:
        if self.import_dialog is None:
            self.import_dialog = ImportDialog(self.context, self)
            self.import_dialog.imported.connect(lambda _report: self._search_now())
        self.import_dialog.open()
        return self.import_dialog

    def retranslate(self) -> None:
        super().retranslate()
        self.search.setPlaceholderText(_("Search by name, SKU or barcode"))
        self.show_inactive.setText(_("Show inactive"))
        self.import_button.setText(_("Import CSV…"))
        self.previous_button.setText(_("Previous"))
        self.next_button.setText(_("Next"))
        self.labels["sku"].setText(_("SKU"))
        self.labels["barcode"].setText(_("Barcode"))
        self.labels["name"].setText(_("Name"))
        self.labels["price"].setText(_("Price"))
        self.labels["tax"].setText(_("Tax %"))
        self.active.setText(_("On sale"))
        self.save_button.setText(_("Save"))
        self.new_button.setText(_("New"))
        self._show_paging()
        self._show_form_state()
        self.model.refresh_texts()
        if self.import_dialog is not None:
            self.import_dialog.retranslate()


def _as_row(product: ProductView, shown: ProductRow | None) -> ProductRow:
    """The saved product as the list shows it (its stock as the list last showed it)."""
    return ProductRow(
        id=product.id,
        sku=product.sku,
        barcode=product.barcode,
        name=product.name,
        price_minor=product.price_minor,
        currency=product.currency,
        tax_rate_bp=product.tax_rate_bp,
        active=product.active,
        min_stock=shown.min_stock if shown is not None else 0,
        on_hand=shown.on_hand if shown is not None else 0,
    )


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
