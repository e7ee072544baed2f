"""Receiving a delivery: a grid typed like the delivery note in hand.

A code, then its quantity, then the next line: Tab runs on from the last quantity into
a new line, Enter on a code shows the product it names with its stock (asked of the
store on its worker) and moves to the quantity, and lines left blank are left out.
The lines are received together or not at all.
"""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from pos.domain.messages import render
from pos.domain.results import Err, Result
from pos.domain.stock import MAX_NOTE_LENGTH
from pos.services.stock import ProductStock, StockLevel, delivery_product, receive_delivery
from ui.backoffice.sections import Section, shown
from ui.backoffice.widgets import button
from ui.i18n import N_, _, language

if TYPE_CHECKING:
    from ui.backoffice.stock import StockPage

UNKNOWN_COLOUR = QColor("#b42318")
_TOKEN = Qt.ItemDataRole.UserRole
"""Each line's code cell carries a token, so a late answer finds its line or none."""


class DeliveryGrid(QTableWidget):
    """Lines of code, the product it names (shown, not typed) and quantity."""

    CODE, PRODUCT, QUANTITY = 0, 1, 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("DeliveryLines")
        self.setTabKeyNavigation(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setDefaultSectionSize(32)
        header = self.horizontalHeader()
        # Code and quantity as wide as their headings and what was typed, at any text size.
        header.setSectionResizeMode(self.CODE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.PRODUCT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.QUANTITY, QHeaderView.ResizeMode.ResizeToContents)
        self._tokens = count(1)

    def add_row(self, code: str = "", quantity: str = "") -> int:
        row = self.rowCount()
        self.insertRow(row)
        code_item = QTableWidgetItem(code)
        code_item.setData(_TOKEN, next(self._tokens))
        product = QTableWidgetItem("")
        product.setFlags(Qt.ItemFlag.ItemIsEnabled)  # shown, never typed into
        amount = QTableWidgetItem(quantity)
        amount.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        blocked = self.blockSignals(True)  # a new line is not a code typed
        self.setItem(row, self.CODE, code_item)
        self.setItem(row, self.PRODUCT, product)
        self.setItem(row, self.QUANTITY, amount)
        self.blockSignals(blocked)
        return row

    def enter(self, row: int, column: int) -> None:
        """Put the cursor in a cell and start typing there."""
        self.setFocus()
        self.setCurrentCell(row, column)
        self.editItem(self.item(row, column))

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        # Tab goes code → quantity → the next line's code, past the product shown between,
        # and from the last line into a new one; Shift+Tab goes back the same way.
        current = self.currentIndex()
        if current.isValid():
            row, column = current.row(), current.column()
            model = self.model()
            if cursorAction == QAbstractItemView.CursorAction.MoveNext:
                if column == self.CODE:
                    return model.index(row, self.QUANTITY)
                if row + 1 == self.rowCount():
                    self.add_row()
                return model.index(row + 1, self.CODE)
            if cursorAction == QAbstractItemView.CursorAction.MovePrevious:
                if column != self.CODE:
                    return model.index(row, self.CODE)
                return model.index(row - 1, self.QUANTITY) if row > 0 else current
        return super().moveCursor(cursorAction, modifiers)

    def text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text().strip() if item is not None else ""

    def code(self, row: int) -> str:
        return self.text(row, self.CODE)

    def quantity(self, row: int) -> str:
        return self.text(row, self.QUANTITY)

    def product_text(self, row: int) -> str:
        return self.text(row, self.PRODUCT)

    def token(self, row: int) -> int:
        item = self.item(row, self.CODE)
        return int(item.data(_TOKEN)) if item is not None else 0

    def row_of(self, token: int) -> int | None:
        return next((row for row in range(self.rowCount()) if self.token(row) == token), None)

    def show_product(self, row: int, text: str, *, known: bool) -> None:
        item = self.item(row, self.PRODUCT)
        if item is not None:
            item.setText(text)
            item.setForeground(QBrush() if known else QBrush(UNKNOWN_COLOUR))

    def drop_blank_rows(self) -> None:
        for row in reversed(range(self.rowCount())):
            if not self.code(row) and not self.quantity(row):
                self.removeRow(row)

    def lines(self) -> list[tuple[object, object]]:
        return [(self.code(row), self.quantity(row)) for row in range(self.rowCount())]


class ReceiveTab(Section):
    """A delivery: lines of code and quantity, received together or not at all."""

    title = N_("Receive")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.lines = DeliveryGrid()
        self.lines.itemChanged.connect(self._cell_changed)
        self.found: dict[int, ProductStock | Err] = {}
        """What each line's code named when last asked, by the line's token."""
        self.add = button("AddDeliveryLine")
        self.add.clicked.connect(lambda: self.add_line())
        self.remove = button("RemoveDeliveryLine")
        self.remove.clicked.connect(self.remove_line)
        self.note = QLineEdit(objectName="DeliveryNote")
        self.note.setMaxLength(MAX_NOTE_LENGTH)
        self.note_caption = QLabel()
        self.submit = button("ReceiveDelivery", primary=True)
        self.submit.clicked.connect(self.receive)
        self.hint = QLabel(objectName="Caption")
        self.hint.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_caption)
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.submit)
        self.layout_.addWidget(self.hint)
        self.layout_.addWidget(self.lines, 1)
        self.layout_.addLayout(buttons)
        self.layout_.addLayout(note_row)
        self.lines.add_row()

    def add_line(self, code: str | None = None, quantity: str = "") -> None:
        """A new line, for the picked product unless told otherwise, with the cursor in it."""
        if code is None:
            code = self.page.product.sku if self.page.product is not None else ""
        row = self.lines.add_row(code, quantity)
        if code:
            self._look_up(row)
        self.lines.enter(row, DeliveryGrid.QUANTITY if code else DeliveryGrid.CODE)

    def remove_line(self) -> None:
        row = self.lines.currentRow()
        if row >= 0:
            self.found.pop(self.lines.token(row), None)
            self.lines.removeRow(row)
        if self.lines.rowCount() == 0:
            self.lines.add_row()

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != DeliveryGrid.CODE:
            return
        row = item.row()
        self._look_up(row)
        # Enter (not Tab) leaves the cursor on the code: go on to its quantity, once
        # the editor that was just closed has let go.
        token = self.lines.token(row)
        QTimer.singleShot(0, lambda: self._on_to_quantity(token))

    def _on_to_quantity(self, token: int) -> None:
        row = self.lines.row_of(token)
        grid = self.lines
        if (
            row is not None
            and grid.currentRow() == row
            and grid.currentColumn() == DeliveryGrid.CODE
            and grid.state() != QAbstractItemView.State.EditingState
            and grid.code(row)
        ):
            grid.enter(row, DeliveryGrid.QUANTITY)

    def _look_up(self, row: int) -> None:
        token, code = self.lines.token(row), self.lines.code(row)
        self.found.pop(token, None)
        self.lines.show_product(row, "", known=True)
        if not code:
            return
        context, manager = self.page.context, self.page.manager_id

        def answered(result: Result[ProductStock]) -> None:
            line = self.lines.row_of(token)
            if line is None or self.lines.code(line) != code:
                return  # the line went, or its code changed since
            self.found[token] = result if isinstance(result, Err) else result.value
            self._show_found(line)

        context.ops.run(
            lambda: delivery_product(context.uow(), code, manager_id=manager),
            answered,
            self.page._failed,
        )

    def _show_found(self, row: int) -> None:
        found = self.found.get(self.lines.token(row))
        if found is None:
            return
        if isinstance(found, Err):
            self.lines.show_product(row, render(found, language()), known=False)
        else:
            free = shown(found.available, found.unit)
            text = _("{name} — in stock: {free}").format(name=found.name, free=free)
            self.lines.show_product(row, text, known=True)

    def unsaved(self) -> bool:
        grid = self.lines
        typed = any(code or quantity for code, quantity in grid.lines())
        return typed or bool(self.note.text().strip())

    def receive(self) -> None:
        grid = self.lines
        # Moving off the cell being typed in keeps what was typed there.
        grid.setCurrentIndex(QModelIndex())
        grid.drop_blank_rows()  # before numbering: the refusal's line numbers are the grid's
        lines, note = grid.lines(), self.note.text()
        if grid.rowCount() == 0:
            grid.add_row()
        manager = self.page.manager_id
        self.page.call(
            lambda uow: receive_delivery(uow, lines, user_id=manager, note=note),
            self._received,
        )

    def _received(self, levels: tuple[StockLevel, ...]) -> None:
        self.lines.setRowCount(0)
        self.found.clear()
        self.lines.add_row()
        self.note.clear()
        products = len(levels)
        self.page.say(lambda: _("Delivery received. Products: {count}").format(count=products))
        self.page.after_change()
        self.lines.enter(0, DeliveryGrid.CODE)

    def retranslate(self) -> None:
        self.lines.setHorizontalHeaderLabels([_("Barcode or SKU"), _("Product"), _("Quantity")])
        for row in range(self.lines.rowCount()):
            self._show_found(row)
        self.add.setText(_("Add line"))
        self.remove.setText(_("Remove line"))
        self.note_caption.setText(_("Note"))
        self.note.setPlaceholderText(_("Delivery note number, supplier…"))
        self.submit.setText(_("Receive delivery"))
        self.hint.setText(
            _(
                "One line per product on the delivery note: Tab goes on to the next line,"
                " Enter on a code shows its product. Nothing is received while a line is"
                " wrong."
            )
        )
