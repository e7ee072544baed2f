"""The manager's stock page: find a product, then receive, adjust, count, look back
through its movements, its holds at the tills, the low-stock list and the oversells.

Every store call goes through ``Page.call``; what the services refuse is shown in the
page's message line in the manager's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos.domain.results import Changed, Err, Ok, Result
from pos.domain.stock import MAX_NOTE_LENGTH, AdjustReason, MoveKind
from pos.domain.units import SaleUnit, format_quantity
from pos.services import UnitOfWork
from pos.services.catalogue import ProductView, find_product, search_products
from pos.services.stock import (
    ProductStock,
    StockLevel,
    StockMoveView,
    adjust_stock,
    count_stock,
    low_stock,
    product_stock,
    set_min_stock,
    stock_history,
)
from ui.backoffice.common import Column, Context, Page, RowsModel, when
from ui.backoffice.holds import OversellsTab, ReservationsTab
from ui.backoffice.receiving import ReceiveTab
from ui.backoffice.sections import PAGE_SIZE, Section, fit_columns, shown
from ui.backoffice.widgets import button, table
from ui.i18n import N_, _, language

SEARCH_DELAY_MS = 250
LEFT_PANEL_WIDTH = 230

REASONS: dict[AdjustReason, str] = {
    AdjustReason.COUNT: N_("Count"),
    AdjustReason.DAMAGE: N_("Damage"),
    AdjustReason.THEFT: N_("Theft"),
    AdjustReason.FOUND: N_("Found"),
    AdjustReason.CORRECTION: N_("Correction"),
}
KINDS: dict[MoveKind, str] = {
    MoveKind.RECEIVE: N_("Goods received"),
    MoveKind.ADJUST: N_("Adjusted"),
}


def _signed(quantity: int, unit: SaleUnit) -> str:
    """``+12`` pieces, ``-0,250 kg``."""
    if not unit.measured:
        return f"{quantity:+d}"
    return ("-" if quantity < 0 else "+") + shown(abs(quantity), unit)


def _typed(quantity: int, unit: SaleUnit) -> str:
    """A quantity as the manager would type it back: ``12``, ``2,500`` (kg)."""
    return format_quantity(quantity, unit, language(), symbol=False)


class StockPage(Page):
    title = N_("Stock")
    follows = Changed.STOCK | Changed.CATALOGUE | Changed.CART

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.product: ProductStock | None = None
        self._search_generation = 0

        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self._search_now)
        self.search = QLineEdit(objectName="StockSearch")
        self.search.textEdited.connect(lambda _text: self.search_timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.hits: RowsModel[ProductView] = RowsModel(
            [Column(N_("SKU"), lambda p: p.sku), Column(N_("Name"), lambda p: p.name)]
        )
        self.results = table(self.hits, "StockResults", fit_to_contents=False)
        self.results.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.results.clicked.connect(self._hit_clicked)
        self.results.activated.connect(self._hit_clicked)
        self.card = QLabel(objectName="StockCard")
        self.card.setWordWrap(True)
        self.card.setTextFormat(Qt.TextFormat.PlainText)

        left_panel = QFrame(objectName="Panel")
        # Narrow on a 1024-pixel screen, a quarter of a wide one.
        left_panel.setMinimumWidth(LEFT_PANEL_WIDTH)
        left = QVBoxLayout(left_panel)
        self.search_caption = QLabel(objectName="Caption")
        left.addWidget(self.search_caption)
        left.addWidget(self.search)
        left.addWidget(self.results, 1)
        left.addWidget(self.card)

        self.receive = ReceiveTab(self)
        self.adjust = AdjustTab(self)
        self.history = HistoryTab(self)
        self.holds = ReservationsTab(self)
        self.low = LowStockTab(self)
        self.oversells = OversellsTab(self)
        self.tabs = QTabWidget(objectName="StockTabs")
        self.sections: tuple[Section, ...] = (
            self.receive,
            self.adjust,
            self.history,
            self.holds,
            self.low,
            self.oversells,
        )
        for section in self.sections:
            self.tabs.addTab(section, "")
        self.tabs.currentChanged.connect(lambda _index: self._refresh_section())

        row = QHBoxLayout()
        row.addWidget(left_panel, 1)
        row.addWidget(self.tabs, 3)
        self.layout_.addLayout(row, 1)
        self.layout_.addWidget(self.message)
        self.retranslate()

    # -- the picked product -------------------------------------------------------

    def refresh(self) -> None:
        self._reload_product()
        self._refresh_section()

    def pick(self, product_id: int) -> None:
        """Work on this product: its card, and the sections about it."""
        self.call(
            lambda uow: product_stock(uow, product_id, manager_id=self.manager_id),
            self._picked,
        )

    def _picked(self, stock: ProductStock) -> None:
        changed = self.product is None or self.product.product_id != stock.product_id
        self.product = stock
        self._show_card()
        if changed:
            for section in self.sections:
                section.product_changed()
            self._refresh_section()

    def _reload_product(self) -> None:
        if self.product is not None:
            self.pick(self.product.product_id)

    def after_change(self) -> None:
        """A change went through: the card and the section shown reread the store."""
        self.refresh()

    def _show_card(self) -> None:
        stock = self.product
        if stock is None:
            self.card.setText(_("Pick a product to see its stock."))
            return
        lines = [
            stock.name,
            stock.sku,
            *([stock.barcode] if stock.barcode else []),
            _("Free: {free}").format(free=shown(stock.available, stock.unit)),
            _("Held at tills: {held}").format(held=shown(stock.reserved, stock.unit)),
            _("Minimum: {minimum}").format(minimum=shown(stock.min_stock, stock.unit))
            if stock.min_stock
            else _("No minimum"),
        ]
        if not stock.active:
            lines.append(_("Not sold any more"))
        self.card.setText("\n".join(lines))

    def _refresh_section(self) -> None:
        section = self.tabs.currentWidget()
        if isinstance(section, Section):
            section.refresh()

    def say(self, text: Callable[[], str]) -> None:
        self.message.say("info", text)

    # -- search -------------------------------------------------------------------

    def unsaved(self) -> str | None:
        tabs = [_(section.title) for section in self.sections if section.unsaved()]
        return "{page}: {tabs}".format(page=_(self.title), tabs=", ".join(tabs)) if tabs else None

    def _search_now(self) -> None:
        self.search_timer.stop()
        text = self.search.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if not text:
            self.hits.show(())
            return

        def found(uow: UnitOfWork) -> Result[tuple[ProductView, ...]]:
            # A scanned barcode or a typed SKU first, then the products whose name matches.
            exact = find_product(uow, text)
            named = search_products(uow, text, include_inactive=True)
            hits = [exact.value] if isinstance(exact, Ok) else []
            if isinstance(named, Err):
                return named
            hits += [p for p in named.value if not hits or p.id != hits[0].id]
            return Ok(tuple(hits))

        def show(hits: tuple[ProductView, ...]) -> None:
            if generation != self._search_generation:
                return
            self.hits.show(hits)
            if len(hits) == 1:
                self.pick(hits[0].id)

        self.call(found, show)

    def _hit_clicked(self, index: QModelIndex) -> None:
        hit = self.hits.row_at(index.row())
        if hit is not None:
            self.pick(hit.id)

    def retranslate(self) -> None:
        super().retranslate()
        self.search_caption.setText(_("Product"))
        self.search.setPlaceholderText(_("Name, SKU, barcode"))
        self.hits.refresh_texts()
        self._show_card()
        for index, section in enumerate(self.sections):
            self.tabs.setTabText(index, _(section.title))
            section.retranslate()


class AdjustTab(Section):
    """Change the picked product's free units by a signed amount, or to what was counted."""

    title = N_("Adjust")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.by = QRadioButton(objectName="AdjustBy")
        self.to = QRadioButton(objectName="CountTo")
        self.by.setChecked(True)
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.by)
        self.mode.addButton(self.to)
        self.mode.buttonToggled.connect(lambda _button, _on: self._mode_changed())
        self.quantity = QLineEdit(objectName="AdjustQuantity")
        self.quantity.setMaxLength(9)
        self.quantity.returnPressed.connect(self.apply)
        self.reason = QComboBox(objectName="AdjustReason")
        for reason in REASONS:
            self.reason.addItem("", reason.value)
        self.reason.setCurrentIndex(self.reason.findData(AdjustReason.DAMAGE.value))
        self.note = QLineEdit(objectName="AdjustNote")
        self.note.setMaxLength(MAX_NOTE_LENGTH)
        self.submit = button("ApplyAdjustment", primary=True)
        self.submit.clicked.connect(self.apply)
        self.hint = QLabel(objectName="Caption")
        self.hint.setWordWrap(True)

        modes = QHBoxLayout()
        modes.addWidget(self.by)
        modes.addWidget(self.to)
        modes.addStretch(1)
        self.labels = [QLabel() for _ in range(4)]
        form = QFormLayout()
        fields = (modes, self.quantity, self.reason, self.note)
        for label, field in zip(self.labels, fields, strict=True):
            if isinstance(field, QWidget):  # level with the middle of its field
                label.setMinimumHeight(field.sizeHint().height())
                label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            form.addRow(label, field)
        submit_row = QHBoxLayout()
        submit_row.addStretch(1)
        submit_row.addWidget(self.submit)
        self.layout_.addWidget(self.hint)
        self.layout_.addLayout(form)
        self.layout_.addLayout(submit_row)
        self.layout_.addStretch(1)
        self.product_changed()

    @property
    def counting(self) -> bool:
        return self.to.isChecked()

    def _mode_changed(self) -> None:
        if self.counting:
            self.reason.setCurrentIndex(self.reason.findData(AdjustReason.COUNT.value))
        self.reason.setEnabled(not self.counting)
        self.retranslate()

    def product_changed(self) -> None:
        self.submit.setEnabled(self.product_id is not None)
        self.quantity.clear()
        self.retranslate()

    def unsaved(self) -> bool:
        return bool(self.quantity.text().strip() or self.note.text().strip())

    def apply(self) -> None:
        product_id = self.product_id
        if product_id is None:
            return
        quantity, note, manager = self.quantity.text(), self.note.text(), self.page.manager_id
        if self.counting:
            self.page.call(
                lambda uow: count_stock(uow, product_id, quantity, user_id=manager, note=note),
                self._applied,
            )
            return
        reason = self.reason.currentData()
        self.page.call(
            lambda uow: adjust_stock(
                uow, product_id, quantity, reason=reason, user_id=manager, note=note
            ),
            self._applied,
        )

    def _applied(self, level: StockLevel) -> None:
        self.quantity.clear()
        self.note.clear()
        free, unit = level.available, level.unit
        self.page.say(lambda: _("Stock updated. Free now: {free}").format(free=shown(free, unit)))
        self.page.after_change()

    def retranslate(self) -> None:
        texts = (
            _("How"),
            _("Counted") if self.counting else _("Quantity change"),
            _("Reason"),
            _("Note"),
        )
        for label, text in zip(self.labels, texts, strict=True):
            label.setText(text)
        self.by.setText(_("Change by"))
        self.to.setText(_("Counted on the shelf"))
        picked = self.page.product
        if picked is not None and picked.unit.measured:  # typed as the till reads a weight
            symbol = picked.unit.symbol
            self.quantity.setPlaceholderText(
                _("{unit} on the shelf, e.g. 12,5").format(unit=symbol)
                if self.counting
                else _("In {unit}: e.g. -0,5 or +12,5").format(unit=symbol)
            )
        else:
            self.quantity.setPlaceholderText(
                _("Units on the shelf, e.g. 12") if self.counting else _("e.g. -3 or +5")
            )
        for index in range(self.reason.count()):
            self.reason.setItemText(index, _(REASONS[AdjustReason(self.reason.itemData(index))]))
        self.note.setPlaceholderText(_("Optional"))
        self.submit.setText(_("Apply"))
        self.hint.setText(
            _("Pick a product first.")
            if self.product_id is None
            else _(
                "Units held for sales at the tills are never taken; a count is of the free"
                " units on the shelf."
            )
        )


class HistoryTab(Section):
    """The picked product's movements, newest first, a page at a time."""

    title = N_("History")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[StockMoveView] = RowsModel(
            [
                Column(N_("Time"), lambda m: when(m.at)),
                Column(N_("Kind"), lambda m: _(KINDS[m.kind])),
                Column(N_("Quantity"), lambda m: _signed(m.quantity, self.unit), align_right=True),
                Column(N_("Reason"), lambda m: _(REASONS[m.reason_code]) if m.reason_code else ""),
                Column(N_("By"), lambda m: m.user_name),
                Column(N_("Note"), lambda m: m.note),
            ]
        )
        self.view = table(self.model, "StockHistory", fit_to_contents=False)
        self.more = button("OlderMoves")
        self.more.clicked.connect(self.load_more)
        self.more.setEnabled(False)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(self.more, 0, Qt.AlignmentFlag.AlignRight)

    @property
    def unit(self) -> SaleUnit:
        picked = self.page.product
        return picked.unit if picked is not None else SaleUnit.PIECE

    def refresh(self) -> None:
        self._load(None)

    def product_changed(self) -> None:
        self.model.show(())
        self.more.setEnabled(False)

    def load_more(self) -> None:
        if self.model.rows:
            self._load(self.model.rows[-1].cursor)

    def _load(self, before: Any) -> None:
        product_id = self.product_id
        if product_id is None:
            return
        manager, shown = self.page.manager_id, self.model.rows if before else ()

        def loaded(moves: tuple[StockMoveView, ...]) -> None:
            if product_id != self.product_id:
                return
            self.model.show(shown + moves)
            self.more.setEnabled(len(moves) == PAGE_SIZE)
            fit_columns(self.view)

        self.page.call(
            lambda uow: stock_history(
                uow, product_id, manager_id=manager, before=before, limit=PAGE_SIZE
            ),
            loaded,
        )

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.more.setText(_("Older movements"))


class LowStockTab(Section):
    """Products whose free units are under their minimum, and the picked one's minimum."""

    title = N_("Low stock")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[ProductStock] = RowsModel(
            [
                Column(N_("SKU"), lambda p: p.sku),
                Column(N_("Name"), lambda p: p.name),
                Column(N_("Free"), lambda p: shown(p.available, p.unit), align_right=True),
                Column(N_("Held"), lambda p: shown(p.reserved, p.unit), align_right=True),
                Column(N_("Minimum"), lambda p: shown(p.min_stock, p.unit), align_right=True),
            ]
        )
        self.view = table(self.model, "LowStock", stretch=1, fit_to_contents=False)
        self.view.doubleClicked.connect(self._pick)
        self.more = button("MoreLowStock")
        self.more.clicked.connect(self.load_more)
        self.more.setEnabled(False)
        self.minimum_caption = QLabel()
        self.minimum = QLineEdit(objectName="MinimumStock")
        self.minimum.setMaxLength(9)
        self.minimum.setFixedWidth(120)
        self.minimum.returnPressed.connect(self.set_minimum)
        self.set_button = button("SetMinimum", primary=True)
        self.set_button.clicked.connect(self.set_minimum)
        minimum_row = QHBoxLayout()
        minimum_row.addWidget(self.minimum_caption)
        minimum_row.addWidget(self.minimum)
        minimum_row.addWidget(self.set_button)
        minimum_row.addStretch(1)
        minimum_row.addWidget(self.more)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addLayout(minimum_row)
        self.product_changed()

    def product_changed(self) -> None:
        picked = self.page.product
        self.set_button.setEnabled(picked is not None)
        self.minimum.setEnabled(picked is not None)
        self.minimum.setText(_typed(picked.min_stock, picked.unit) if picked is not None else "")
        self.retranslate()

    def refresh(self) -> None:
        self._load(None)

    def load_more(self) -> None:
        if self.model.rows:
            self._load(self.model.rows[-1].product_id)

    def _load(self, after: int | None) -> None:
        manager, shown = self.page.manager_id, self.model.rows if after else ()

        def loaded(products: tuple[ProductStock, ...]) -> None:
            self.model.show(shown + products)
            self.more.setEnabled(len(products) == PAGE_SIZE)
            fit_columns(self.view)

        self.page.call(
            lambda uow: low_stock(uow, manager_id=manager, after=after, limit=PAGE_SIZE), loaded
        )

    def _pick(self, index: QModelIndex) -> None:
        product = self.model.row_at(index.row())
        if product is not None:
            self.page.pick(product.product_id)

    def set_minimum(self) -> None:
        product_id = self.product_id
        if product_id is None:
            return
        minimum, manager = self.minimum.text().strip(), self.page.manager_id
        self.page.call(
            lambda uow: set_min_stock(uow, product_id, minimum, user_id=manager), self._set
        )

    def _set(self, stock: ProductStock) -> None:
        name, minimum = stock.name, shown(stock.min_stock, stock.unit)
        self.page.say(lambda: _("Minimum of {name}: {minimum}").format(name=name, minimum=minimum))
        self.page.after_change()

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.more.setText(_("More"))
        picked = self.page.product
        self.minimum_caption.setText(
            _("Minimum for {name}").format(name=picked.name)
            if picked is not None
            else _("Pick a product to set its minimum")
        )
        self.set_button.setText(_("Set minimum"))
