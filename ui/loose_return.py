"""Goods brought back without their receipt: the return dialog once a manager approved.

The manager's PIN was given before this dialog opens (a manager at the till needs none),
and it covers a price the manager types for a line. Nothing names a sale, so each
barcode or SKU scanned or typed (and Enter) adds a line at the shelf's price today, or
one more of it when it is already there; in the lines, +/- or a number set how many,
Space says shelf or damaged, F6 types another price; Tab reaches the reason and Enter
takes the goods back, paid from the drawer. The till looks each code up on the store's
worker and tells the dialog (``add_product``, or a refusal).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from pos.domain.messages import render
from pos.domain.money import format_money, parse_price
from pos.domain.pricing import line_amount
from pos.domain.quantities import MAX_QUANTITY
from pos.domain.results import Code, Err
from pos.domain.units import SaleUnit, format_quantity
from pos.services.catalogue import ProductView
from pos.services.returns import LooseReturn
from ui.i18n import N_, _, language
from ui.return_dialog import CASH_INSTEAD_KEY, LinesModel, ReturnDialog

PRICE_KEY = CASH_INSTEAD_KEY
"""F6, as for a line's price on the sale page; no card to choose here."""
MAX_UNITS = 9999
WEIGHT_STEP = 100
"""+/- on a weighed line: 0,100 kg (or L, m) more or less."""


@dataclass(frozen=True)
class LooseLine:
    """One product brought back: at the shelf's price, or at the one the manager typed."""

    product: ProductView
    quantity: int = 1
    """Pieces, or grams (ml, mm) of a weighed product."""
    restock: bool = True
    price_minor: int | None = None

    @property
    def unit_minor(self) -> int:
        """The price of a piece, or of a kilo (litre, metre)."""
        return self.product.price_minor if self.price_minor is None else self.price_minor

    @property
    def unit(self) -> SaleUnit:
        return SaleUnit(self.product.sale_unit)

    @property
    def worth_minor(self) -> int:
        """What the line gives back, priced as the store prices it."""
        return line_amount(self.unit_minor, self.quantity, self.unit.per_unit)


@dataclass(frozen=True)
class LooseAsked:
    """What the cashier confirmed: the items, why, and the manager who approved."""

    items: tuple[LooseReturn, ...]
    reason: str
    approved_by: int | None
    total_minor: int


class LooseLinesModel(LinesModel):
    """The products brought back, with how many, at what price and where they go. It
    answers the return dialog's keys as ``ReturnLinesModel`` does."""

    NAME, PRICE, BACK, WHERE, WORTH = range(5)
    HEADERS = (N_("Product"), N_("Price"), N_("Back now"), N_("Goes to"), N_("Refund"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[LooseLine] = []

    @property
    def back(self) -> list[int]:
        return [line.quantity for line in self.items]

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        line, column = self.items[index.row()], index.column()
        currency = line.product.currency
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return line.product.name
            if column == self.PRICE:
                price = format_money(line.unit_minor, currency, language())
                if line.unit.measured:
                    price = f"{price}/{line.unit.symbol}"  # the price of a kilo
                return price if line.price_minor is None else f"{price} *"
            if column == self.BACK:
                return format_quantity(line.quantity, line.unit, language())
            if column == self.WHERE:
                return _("Shelf") if line.restock else _("Damaged")
            if column == self.WORTH:
                return format_money(line.worth_minor, currency, language())
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.PRICE and line.price_minor:
            return _("The manager's price")
        return None

    def add(self, product: ProductView) -> int:
        """One more of ``product`` (a line of its own the first time); its row. A weighed
        product's line starts at none: the cashier types its weight."""
        weighed = SaleUnit(product.sale_unit).measured
        for row, line in enumerate(self.items):
            if line.product.id == product.id and (weighed or line.quantity < MAX_UNITS):
                if not weighed:
                    self._change(row, replace(line, quantity=line.quantity + 1))
                return row
        row = len(self.items)
        self.beginInsertRows(QModelIndex(), row, row)
        self.items.append(LooseLine(product, quantity=0 if weighed else 1))
        self.endInsertRows()
        return row

    def unit(self, row: int) -> SaleUnit:
        return self.items[row].unit

    def stepped(self, row: int, by: int) -> int:
        if self.unit(row).measured:
            return max(0, self.items[row].quantity + by * WEIGHT_STEP)
        return super().stepped(row, by)

    def set_back(self, row: int, count: int) -> Err | None:
        """``count`` units (grams) of the line ``row`` (0 leaves it out of the return)."""
        most = MAX_QUANTITY if 0 <= row < len(self.items) and self.unit(row).measured else MAX_UNITS
        if 0 <= row < len(self.items) and 0 <= count <= most:
            self._change(row, replace(self.items[row], quantity=count))
        return None

    def toggle_restock(self, row: int) -> None:
        if 0 <= row < len(self.items):
            self._change(row, replace(self.items[row], restock=not self.items[row].restock))

    def set_price(self, row: int, price_minor: int) -> None:
        if 0 <= row < len(self.items):
            self._change(row, replace(self.items[row], price_minor=price_minor))

    def _change(self, row: int, line: LooseLine) -> None:
        self.items[row] = line
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.WORTH))

    def requests(self) -> tuple[LooseReturn, ...]:
        return tuple(
            LooseReturn(line.product.sku, line.quantity, line.restock, line.price_minor)
            for line in self.items
            if line.quantity
        )

    def total_minor(self) -> int:
        return sum(line.worth_minor for line in self.items)

    def currency(self) -> str | None:
        return self.items[0].product.currency if self.items else None

    def refresh_texts(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.HEADERS) - 1)
        if self.items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.items) - 1, self.WORTH))


class LooseReturnDialog(ReturnDialog):
    """Scan what comes back, set how many, where and (the manager) at what price; say why."""

    item_requested = Signal(str)  # a barcode or SKU
    loose_return_requested = Signal(object)  # LooseAsked

    def __init__(self, approved_by: int | None, manager: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("LooseReturnDialog")
        self.approved_by = approved_by
        self.manager = manager
        self.cash_instead.hide()  # it is cash: there is no card to pay back to
        self.no_receipt_button.hide()
        self.price = QLineEdit(objectName="LoosePrice")
        self.price.setMinimumHeight(48)
        self.price.setMaxLength(16)
        self.price.returnPressed.connect(self._price_typed)
        self.price.installEventFilter(self)
        self.price_caption = QLabel()
        self.price_caption.setBuddy(self.price)
        price_row = QHBoxLayout()
        price_row.addWidget(self.price_caption)
        price_row.addWidget(self.price, 1)
        layout = self.layout()
        layout.insertLayout(layout.indexOf(self.keys_hint) + 1, price_row)  # type: ignore[attr-defined]
        self.setTabOrder(self.lines, self.reason)
        self.model.rowsInserted.connect(self._show_total)
        self.retranslate()

    def _make_model(self) -> Any:
        return LooseLinesModel(self)

    # -- what the till tells ----------------------------------------------------------

    def add_product(self, product: ProductView) -> None:
        """The code was found: one more of it, its line chosen, the code field ready again."""
        self._busy = False
        self.show_problem(None)
        row = self.model.add(product)
        self.lines.selectRow(row)
        self.receipt.clear()
        self.receipt.setFocus()

    def show_result(self, result: Err) -> None:
        field = self.receipt if not self.model.rowCount() else None
        self.show_problem(lambda: render(result, language()), field)

    # -- the cashier's keys -----------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        price = getattr(self, "price", None)  # the lines' keys come during __init__ too
        if watched is price and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Escape:
                price.clear()
                self.lines.setFocus()
                return True
        return super().eventFilter(watched, event)

    def _f6_pressed(self) -> None:
        """F6: the manager types another price for the chosen line."""
        row = self.lines.currentIndex().row()
        if row < 0 or self._busy:
            return
        self.price.clear()
        self.price.setFocus()

    def _price_typed(self) -> None:
        row = self.lines.currentIndex().row()
        currency = self.model.currency()
        if row < 0 or currency is None:
            return
        price = parse_price(self.price.text(), currency)
        if price is None:
            self.show_problem(lambda: render(Err(Code.INVALID_PRICE), language()), self.price)
            return
        self.model.set_price(row, price)
        self.price.clear()
        self.show_problem(None, self.lines)

    def _no_receipt(self) -> None:
        return  # already without one

    def _find(self) -> None:
        text = self.receipt.text().strip()
        if self._busy:
            return
        if not text:
            if self.model.rowCount():
                self.lines.setFocus()
            return
        self.show_problem(lambda: _("Looking for the product…"))
        self._busy = True
        self.item_requested.emit(text)

    def confirm(self) -> None:
        """Check here what can be checked (items, a reason), then ask the till."""
        if self._busy:
            return
        if self.receipt.text().strip():
            self._find()  # a code typed and not yet added
            return
        items = self.model.requests()
        if not items:
            self.show_problem(lambda: render(Err(Code.RETURN_NOTHING), language()), self.receipt)
            return
        reason = " ".join(self.reason.text().split())
        if not reason:
            self.show_problem(
                lambda: render(Err(Code.INVALID_RETURN_REASON), language()), self.reason
            )
            return
        self._busy = True
        self.confirm_button.setEnabled(False)
        self.loose_return_requested.emit(
            LooseAsked(items, reason, self.approved_by, self.model.total_minor())
        )

    # -- texts ------------------------------------------------------------------------

    def _show_sale_label(self) -> None:
        manager = getattr(self, "manager", "")
        self.sale_label.setText(
            _("Without a receipt, approved by {manager}: cash back at the shelf's price").format(
                manager=manager
            )
        )

    def _show_total(self) -> None:
        currency = self.model.currency()
        if currency is None:
            self.total_label.setText("")
            return
        total = format_money(self.model.total_minor(), currency, language())
        self.total_label.setText(_("To give back in cash: {total}").format(total=total))

    def retranslate(self) -> None:
        super().retranslate()
        self.setWindowTitle(_("Return without a receipt"))
        self.title.setText(_("Return goods without a receipt"))
        self.receipt.setPlaceholderText(_("Scan or type the barcode or SKU, then Enter"))
        self.keys_hint.setText(
            _(
                "↑/↓ line · +/- or a number: how many · Space: shelf or damaged · "
                "F6: the manager's price · Tab: reason"
            )
        )
        if hasattr(self, "price"):
            self.price_caption.setText(_("Price (F6)"))
            self.price.setPlaceholderText(_("Another price for the chosen line, then Enter"))
