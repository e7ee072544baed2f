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
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos.domain.results import Changed, Err, Ok, Result
from pos.domain.stock import AdjustReason, MoveKind
from pos.services import UnitOfWork
from pos.services.catalogue import ProductView, find_product, search_products
from pos.services.holds import (
    ReservationView,
    product_reservations,
    release_expired_reservations,
    release_reservation,
)
from pos.services.oversells import (
    OversellView,
    list_oversells,
    resolve_oversell,
)
from pos.services.reservations import SweepReport
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
from ui.backoffice.receiving import ReceiveTab
from ui.backoffice.sections import Section
from ui.backoffice.widgets import button, selected_row, table
from ui.i18n import N_, _

SEARCH_DELAY_MS = 250
PAGE_SIZE = 50
MAX_COLUMN_WIDTH = 220
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


def _signed(quantity: int) -> str:
    return f"{quantity:+d}"


def _fit(view: QTableView) -> None:
    """Columns as wide as their texts, but none so wide that the others scroll away."""
    view.resizeColumnsToContents()
    for column in range(view.model().columnCount()):
        view.setColumnWidth(column, min(view.columnWidth(column), MAX_COLUMN_WIDTH))


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
            _("Free: {free}").format(free=stock.available),
            _("Held at tills: {held}").format(held=stock.reserved),
            _("Minimum: {minimum}").format(minimum=stock.min_stock)
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
        self.note.setMaxLength(200)
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
        free = level.available
        self.page.say(lambda: _("Stock updated. Free now: {free}").format(free=free))
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
                Column(N_("Quantity"), lambda m: _signed(m.quantity), align_right=True),
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
            _fit(self.view)

        self.page.call(
            lambda uow: stock_history(
                uow, product_id, manager_id=manager, before=before, limit=PAGE_SIZE
            ),
            loaded,
        )

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.more.setText(_("Older movements"))


class ReservationsTab(Section):
    """Units the tills hold for open sales of the picked product."""

    title = N_("Reservations")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[ReservationView] = RowsModel(
            [
                Column(N_("Till"), lambda r: r.till_code or "—"),
                Column(N_("Cart"), lambda r: str(r.cart_id), align_right=True),
                Column(N_("Quantity"), lambda r: str(r.quantity), align_right=True),
                Column(N_("Expires"), lambda r: when(r.expires_at)),
                Column(N_("State"), self._state),
            ]
        )
        self.view = table(self.model, "StockReservations", fit_to_contents=False)
        self.release_one = button("ReleaseReservation")
        self.release_one.clicked.connect(self.release_selected)
        self.release_product = button("ReleaseExpiredOfProduct", primary=True)
        self.release_product.clicked.connect(lambda: self.release_expired(whole_shop=False))
        self.release_shop = button("ReleaseExpiredInShop")
        self.release_shop.clicked.connect(lambda: self.release_expired(whole_shop=True))
        buttons = QHBoxLayout()
        buttons.addWidget(self.release_one)
        buttons.addStretch(1)
        buttons.addWidget(self.release_shop)
        buttons.addWidget(self.release_product)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addLayout(buttons)
        self.product_changed()

    @staticmethod
    def _state(hold: ReservationView) -> str:
        if hold.paying:
            return _("Payment in progress")
        return _("Expired") if hold.expired else _("Active")

    def product_changed(self) -> None:
        self.model.show(())
        picked = self.product_id is not None
        self.release_one.setEnabled(picked)
        self.release_product.setEnabled(picked)

    def refresh(self) -> None:
        product_id = self.product_id
        if product_id is None:
            return
        manager = self.page.manager_id

        def loaded(holds: tuple[ReservationView, ...]) -> None:
            if product_id == self.product_id:
                self.model.show(holds)
                _fit(self.view)

        self.page.call(
            lambda uow: product_reservations(
                uow, product_id, manager_id=manager, limit=PAGE_SIZE * 4
            ),
            loaded,
        )

    def release_selected(self) -> None:
        hold = selected_row(self.view, self.model)
        if hold is None:
            self.page.message.say("warning", lambda: _("Select a reservation first."))
            return
        manager, hold_id = self.page.manager_id, hold.id
        self.page.call(
            lambda uow: release_reservation(uow, hold_id, manager_id=manager), self._released
        )

    def release_expired(self, *, whole_shop: bool) -> None:
        product_id = None if whole_shop else self.product_id
        if product_id is None and not whole_shop:
            return
        manager = self.page.manager_id
        self.page.call(
            lambda uow: release_expired_reservations(
                uow, manager_id=manager, product_id=product_id
            ),
            self._released,
        )

    def _released(self, report: SweepReport) -> None:
        holds, units = report.expired, report.units_returned
        if holds:
            self.page.say(
                lambda: _(
                    "Expired reservations released: {holds}, units back on the shelf: {units}"
                ).format(holds=holds, units=units)
            )
        else:
            self.page.say(lambda: _("No expired reservations to release."))
        self.page.after_change()

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.release_one.setText(_("Release selected"))
        self.release_product.setText(_("Release expired now"))
        self.release_shop.setText(_("Release expired in the whole shop"))


class LowStockTab(Section):
    """Products whose free units are under their minimum, and the picked one's minimum."""

    title = N_("Low stock")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[ProductStock] = RowsModel(
            [
                Column(N_("SKU"), lambda p: p.sku),
                Column(N_("Name"), lambda p: p.name),
                Column(N_("Free"), lambda p: str(p.available), align_right=True),
                Column(N_("Held"), lambda p: str(p.reserved), align_right=True),
                Column(N_("Minimum"), lambda p: str(p.min_stock), align_right=True),
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
        self.minimum.setText(str(picked.min_stock) if picked is not None else "")
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
            _fit(self.view)

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
        name, minimum = stock.name, stock.min_stock
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


class OversellsTab(Section):
    """Units paid sales took that the shelf no longer had, to be sorted out and resolved."""

    title = N_("Oversells")
    RESOLVED, BY, NOTE = 4, 5, 6

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[OversellView] = RowsModel(
            [
                Column(N_("Time"), lambda o: when(o.at)),
                Column(N_("Receipt"), lambda o: o.receipt or "—"),
                Column(N_("Product"), lambda o: o.name),
                Column(N_("Quantity"), lambda o: str(o.quantity), align_right=True),
                Column(N_("Resolved"), lambda o: when(o.resolved_at)),
                Column(N_("By"), lambda o: o.resolved_by or ""),
                Column(N_("Note"), lambda o: o.note or ""),
            ]
        )
        self.view = table(self.model, "Oversells", stretch=self.NOTE, fit_to_contents=False)
        self.show_resolved = QCheckBox(objectName="ShowResolved")
        self.show_resolved.toggled.connect(lambda _on: self.refresh())
        self.more = button("MoreOversells")
        self.more.clicked.connect(self.load_more)
        self.more.setEnabled(False)
        self.note = QLineEdit(objectName="ResolutionNote")
        self.note.setMaxLength(500)
        self.note.returnPressed.connect(self.resolve)
        self.resolve_button = button("ResolveOversell", primary=True)
        self.resolve_button.clicked.connect(self.resolve)
        self.hint = QLabel(objectName="Caption")
        self.hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.show_resolved)
        top.addStretch(1)
        top.addWidget(self.more)
        resolve_row = QHBoxLayout()
        resolve_row.addWidget(self.note, 1)
        resolve_row.addWidget(self.resolve_button)
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(self.hint)
        self.layout_.addLayout(resolve_row)

    def refresh(self) -> None:
        self._load(None)

    def load_more(self) -> None:
        if self.model.rows:
            self._load(self.model.rows[-1].id)

    def _load(self, before: int | None) -> None:
        manager, every = self.page.manager_id, self.show_resolved.isChecked()
        shown = self.model.rows if before else ()

        def loaded(found: tuple[OversellView, ...]) -> None:
            for column in (self.RESOLVED, self.BY, self.NOTE):
                self.view.setColumnHidden(column, not every)
            self.model.show(shown + found)
            self.more.setEnabled(len(found) == PAGE_SIZE)
            _fit(self.view)

        self.page.call(
            lambda uow: list_oversells(
                uow, manager_id=manager, include_resolved=every, before=before, limit=PAGE_SIZE
            ),
            loaded,
        )

    def resolve(self) -> None:
        oversell = selected_row(self.view, self.model)
        if oversell is None:
            self.page.message.say("warning", lambda: _("Select an oversell first."))
            return
        manager, note, oversell_id = self.page.manager_id, self.note.text(), oversell.id
        self.page.call(
            lambda uow: resolve_oversell(uow, oversell_id, note, manager_id=manager),
            self._resolved,
        )

    def _resolved(self, oversell: OversellView) -> None:
        self.note.clear()
        receipt = oversell.receipt or "—"
        self.page.say(lambda: _("Oversell on receipt {receipt} resolved").format(receipt=receipt))
        self.refresh()

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.show_resolved.setText(_("Show resolved"))
        self.more.setText(_("More"))
        self.note.setPlaceholderText(_("What was done, e.g. counted the shelf, customer called"))
        self.resolve_button.setText(_("Resolve"))
        self.hint.setText(
            _(
                "Resolving does not change the stock: if the shelf count is wrong, count it"
                " on the Adjust tab."
            )
        )
