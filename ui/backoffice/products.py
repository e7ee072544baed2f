"""The catalogue for a manager: find a product among a million, change it, add new ones,
and import a supplier's price list from CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, get_decimal_symbol
from PySide6.QtCore import QModelIndex, QSignalBlocker, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.domain.catalogue import DEFAULT_TAX_RATE_BP, parse_tax_rate
from pos.domain.money import format_money, minor_digits, parse_price
from pos.domain.results import Changed, Code, Err, Result
from pos.domain.units import SaleUnit, format_quantity
from pos.services.catalogue import (
    LIST_LIMIT,
    ProductDraft,
    ProductView,
    create_product,
    deactivate_product,
    reactivate_product,
    update_product,
)
from pos.services.product_list import ProductCursor, ProductPage, ProductRow, list_products
from ui.backoffice.common import Column, Context, Page, RowsModel, field_values
from ui.backoffice.product_file import ImportDialog
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


def _amount(quantity: int, unit: str) -> str:
    """Pieces as a count, a weighed product's grams as kilos (``50,000 kg``)."""
    return format_quantity(quantity, SaleUnit(unit), language())


UNITS = (SaleUnit.PIECE, SaleUnit.KG, SaleUnit.LITRE, SaleUnit.METRE)
UNIT_NAMES = {
    SaleUnit.PIECE: N_("piece"),
    SaleUnit.KG: N_("kg (by weight)"),
    SaleUnit.LITRE: N_("litre"),
    SaleUnit.METRE: N_("metre"),
}


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
    Column(N_("On hand"), lambda row: _amount(row.on_hand, row.sale_unit), align_right=True),
    Column(N_("Minimum"), lambda row: _amount(row.min_stock, row.sale_unit), align_right=True),
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
        self.unit = QComboBox(objectName="ProductUnit")
        for unit in UNITS:
            self.unit.addItem("", unit.value)
        self.scale_code = QLineEdit(objectName="ProductScaleCode")
        self.scale_code.setMaxLength(6)
        self.scale_code.returnPressed.connect(self.save)
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
        self.labels = {
            field: QLabel() for field in ("sku", "barcode", "name", "price", "tax", "unit", "scale")
        }
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
        fields.addWidget(self.labels["unit"], 2, 0)
        fields.addWidget(self.unit, 2, 1)
        fields.addWidget(self.labels["scale"], 2, 2)
        fields.addWidget(self.scale_code, 2, 3)
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
        self.unit.setCurrentIndex(max(self.unit.findData(product.sale_unit), 0))
        self.scale_code.setText(product.scale_code or "")
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
        for field in (self.sku, self.barcode, self.name, self.price, self.scale_code):
            field.clear()
        self.unit.setCurrentIndex(0)
        self.tax.setText(_tax_text(DEFAULT_TAX_RATE_BP))
        self.active.setChecked(True)
        self.loaded = self.form_values()
        self._show_form_state()

    def form_values(self) -> tuple[object, ...]:
        fields = (self.sku, self.barcode, self.name, self.price, self.tax, self.active)
        # The unit, not its name: a change of language is no edit.
        return (*field_values(*fields, self.scale_code), self.unit.currentData())

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
            sale_unit=self.unit.currentData(),
            scale_code=self.scale_code.text(),
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
        self.labels["unit"].setText(_("Sold by"))
        self.labels["scale"].setText(_("Scale item code"))
        for index, unit in enumerate(UNITS):
            self.unit.setItemText(index, _(UNIT_NAMES[unit]))
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
        sale_unit=product.sale_unit,
        scale_code=product.scale_code,
    )
