"""The sale's lines as the cashier sees them: a table over the ``CartModel``."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.models import CartModel, QuantityDelegate

FIXED_WIDTHS = ((CartModel.QUANTITY, 104), (CartModel.UNIT_PRICE, 104), (CartModel.LINE_TOTAL, 96))
"""The numbers' columns keep their widths, so they do not jump while the cashier scans: wide
enough for a weight ("12,500 kg"), a price per kilo ("₺69,90/kg") and a line of
₺9.999,99 at 1024 pixels; the product's name takes all the rest, still over half the
table."""
ROW_HEIGHT = 44


class CartTable(QTableView):
    """One row per line; the quantity is edited in place (double-click or F2 on the row)."""

    def __init__(self, model: CartModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CartTable")
        self.setModel(model)
        self.quantity_delegate = QuantityDelegate(self)
        self.setItemDelegateForColumn(CartModel.QUANTITY, self.quantity_delegate)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        # A long name takes a second line of its row before it is cut; the whole name is
        # its tooltip.
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CartModel.NAME, QHeaderView.ResizeMode.Stretch)
        for column, _width in FIXED_WIDTHS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        self.scale_to(1.0)
        model.rowsInserted.connect(self._select_row_after_insert)

    def scale_to(self, scale: float) -> None:
        """Rows and the numbers' columns as much larger as the window's text is."""
        self.verticalHeader().setDefaultSectionSize(round(ROW_HEIGHT * scale))
        for column, width in FIXED_WIDTHS:
            self.setColumnWidth(column, round(width * scale))

    def _select_row_after_insert(self, _parent: QModelIndex, _first: int, last: int) -> None:
        self.selectRow(last)
