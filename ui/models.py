"""Qt models over what the services answer: the sale's lines and the search's hits."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from pos.domain.money import format_money
from pos.domain.quantities import MAX_QUANTITY, read_quantity
from pos.domain.results import Err
from pos.domain.units import format_quantity, read_measure
from pos.services.cart import CartLine, CartSummary
from pos.services.catalogue import ProductView
from ui.i18n import _, language

Index = QModelIndex | QPersistentModelIndex
_NO_INDEX = QModelIndex()
# Asked for every cell at every paint: made once.
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_SELECTABLE = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE = _SELECTABLE | Qt.ItemFlag.ItemIsEditable


class CartModel(QAbstractTableModel):
    """The sale's lines: name, quantity, unit price, line total.

    Editing a quantity asks for the change (``quantity_requested``); the store's answer
    comes back as a new summary through ``show``, which also undoes a refused edit. What
    is not a quantity (``1,5``) never leaves the cell: it is refused (``quantity_refused``).
    """

    NAME, QUANTITY, UNIT_PRICE, LINE_TOTAL = range(4)
    quantity_requested = Signal(int, int)  # product id, wanted quantity
    quantity_refused = Signal(object)  # Err: why what was typed is not a quantity

    def __init__(self, currency: str = "TRY") -> None:
        super().__init__()
        self._lines: tuple[CartLine, ...] = ()
        self._currency = currency

    @property
    def lines(self) -> tuple[CartLine, ...]:
        return self._lines

    def show(self, summary: CartSummary) -> None:
        """Show the sale as the store answered it, touching only the rows that changed."""
        old, new = self._lines, summary.lines
        self._currency = summary.currency
        old_ids = [line.product_id for line in old]
        new_ids = [line.product_id for line in new]
        if new_ids == old_ids:
            self._lines = new
            changed = [row for row, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            if changed:
                self.dataChanged.emit(
                    self.index(min(changed), 0), self.index(max(changed), self.LINE_TOTAL)
                )
        elif new_ids[: len(old_ids)] == old_ids:
            self.beginInsertRows(_NO_INDEX, len(old), len(new) - 1)
            self._lines = new
            self.endInsertRows()
            if old != new[: len(old)] and old:
                self.dataChanged.emit(self.index(0, 0), self.index(len(old) - 1, self.LINE_TOTAL))
        elif len(new_ids) == len(old_ids) - 1 and _one_removed(old_ids, new_ids) is not None:
            row = _one_removed(old_ids, new_ids)
            assert row is not None
            self.beginRemoveRows(_NO_INDEX, row, row)
            self._lines = new
            self.endRemoveRows()
            if new and tuple(x for i, x in enumerate(old) if i != row) != new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, self.LINE_TOTAL))
        else:
            self.beginResetModel()
            self._lines = new
            self.endResetModel()

    def refresh_texts(self) -> None:
        """The language changed: headers and money are written anew."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.LINE_TOTAL)
        if self._lines:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._lines) - 1, self.LINE_TOTAL)
            )

    def line(self, row: int) -> CartLine | None:
        return self._lines[row] if 0 <= row < len(self._lines) else None

    def row_of(self, product_id: int) -> int:
        return next(
            (row for row, line in enumerate(self._lines) if line.product_id == product_id), -1
        )

    # -- QAbstractTableModel -------------------------------------------------------

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else 4

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        line, column = self._lines[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return self._name(line)
            if column == self.QUANTITY:
                return format_quantity(line.quantity, line.sale_unit, language())
            minor = (
                line.unit_price_minor
                if column == self.UNIT_PRICE
                else line.line_total_minor - line.discount_minor
            )
            money = format_money(minor, self._currency, language())
            if column == self.UNIT_PRICE and line.sale_unit.measured:
                money = f"{money}/{line.sale_unit.symbol}"  # the price of a kilo
            # A price a manager set at the till is marked, so the cashier sees why it differs.
            return f"* {money}" if column == self.UNIT_PRICE and line.price_overridden else money
        if role == Qt.ItemDataRole.EditRole and column == self.QUANTITY:
            if line.sale_unit.measured:  # "1,250": edited as the weight the cashier reads
                return format_quantity(line.quantity, line.sale_unit, language(), symbol=False)
            return line.quantity
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.NAME:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME:
            if line.discount is not None:
                return f"{line.sku}\n{self._name(line)}"
            return line.sku
        if role == Qt.ItemDataRole.ToolTipRole and column == self.UNIT_PRICE:
            return _("Price set by a manager") if line.price_overridden else None
        return None

    def _name(self, line: CartLine) -> str:
        """The line's name, and its own discount with the reason, if it has one."""
        if line.discount is None:
            return line.name
        off = format_money(-line.discount_minor, self._currency, language())
        return f"{line.name}  [{off} {line.discount.reason}]"

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        if index.column() != self.QUANTITY or not 0 <= index.row() < len(self._lines):
            return False
        line = self._lines[index.row()]
        unit = line.sale_unit
        typed_zero = isinstance(value, str) and value.strip().strip("0,.") == ""
        quantity = (
            (0 if typed_zero and value.strip() else read_measure(value, unit, MAX_QUANTITY))
            if unit.measured
            else read_quantity(value, allow_zero=True)
        )
        if isinstance(quantity, Err):
            self.quantity_refused.emit(quantity)
            return False
        if quantity == line.quantity:
            return True
        self.dataChanged.emit(index, index, [role])
        self.quantity_requested.emit(line.product_id, quantity)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _EDITABLE if index.column() == self.QUANTITY else _SELECTABLE

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = (_("Product"), _("Qty"), _("Unit price"), _("Total"))
        return titles[section] if 0 <= section < len(titles) else None


class QuantityDelegate(QStyledItemDelegate):
    """Edits a line's quantity as the text typed, so the model's one rule judges all of it.

    Qt's default editor for a number is a spin box that silently drops what it does not
    take: ``1,5`` became 15. A plain line edit hands ``"1,5"`` over whole, to be refused.
    """

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setObjectName("QuantityEditor")
        editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        editor.setMaxLength(len(str(MAX_QUANTITY)) + 4)  # room to type a mistake, and see it
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole)))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


def _one_removed(old: list[int], new: list[int]) -> int | None:
    for row in range(len(old)):
        if old[:row] + old[row + 1 :] == new:
            return row
    return None


class SearchModel(QAbstractListModel):
    """The products a name search found, one line each: name, SKU and price."""

    def __init__(self) -> None:
        super().__init__()
        self._products: tuple[ProductView, ...] = ()

    def show(self, products: tuple[ProductView, ...]) -> None:
        self.beginResetModel()
        self._products = products
        self.endResetModel()

    def product(self, row: int) -> ProductView | None:
        return self._products[row] if 0 <= row < len(self._products) else None

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._products)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._products):
            return None
        product = self._products[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            price = format_money(product.price_minor, product.currency, language())
            return f"{product.name}  ·  {product.sku}  ·  {price}"
        if role == Qt.ItemDataRole.UserRole:
            return product.id
        return None
