"""The return dialog: find the sale by its receipt, choose what comes back, say why.

It only shows and asks; the till runs the operations (``ui.till.returns``) and tells it
the answers. Everything works from the keyboard: the receipt's number (typed, or
scanned from its QR code) and Enter load the sale; F7 says the customer has none (see
``ui.loose_return``). In the lines, ↑/↓ choose a line, +/- or a number set how many come
back (of a weighed line, the weight in kg as the till reads it: ``0,5``; + the whole of
what is left of it, - none), Space says whether they go back on the shelf or are damaged;
Tab reaches the reason; Enter takes the goods back, Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.quantities import MAX_QUANTITY
from pos.domain.results import Code, Err
from pos.domain.units import SaleUnit, format_quantity, read_measure
from pos.services.returns import MAX_REASON_LENGTH, ReturnableSale, ReturnRequest
from ui.dialogs import shortcut_text
from ui.i18n import N_, _, language
from ui.screen import fit_on_screen

CASH_INSTEAD_KEY = "F6"
NO_RECEIPT_KEY = "F7"
MAX_TYPED_DIGITS = 4
"""A quantity typed on a line: more digits than any line holds start again."""
MAX_TYPED_WEIGHT = 10
"""A weight typed on a line ("1234,567"): longer starts again."""


@dataclass(frozen=True)
class ReturnAsked:
    """What the cashier confirmed: the sale (as found), its lines, why, and whether a
    manager is to allow cash instead of the card."""

    sale: ReturnableSale
    lines: tuple[ReturnRequest, ...]
    reason: str
    cash_instead: bool
    total_minor: int


class LinesModel(QAbstractTableModel):
    """A return's lines as a flat table under its translated ``HEADERS``: a row per unit
    count in ``back``."""

    HEADERS: tuple[str, ...] = ()

    back: list[int]
    """How many of each line come back now."""

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self.back)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self.HEADERS[section])
        return None

    def unit(self, row: int) -> SaleUnit:
        """What the line ``row`` counts: pieces, or grams typed as kilos."""
        raise NotImplementedError

    def stepped(self, row: int, by: int) -> int:
        """What +/- (``by`` is 1 or -1) make of how many of the line ``row`` come back."""
        return max(0, self.back[row] + by)

    def set_back(self, row: int, count: int) -> Err | None:
        raise NotImplementedError

    def toggle_restock(self, row: int) -> None:
        raise NotImplementedError


class ReturnLinesModel(LinesModel):
    """The sale's lines with how many of each come back and where they go."""

    NAME, SOLD, RETURNED, BACK, WHERE, WORTH = range(6)
    HEADERS = (
        N_("Product"),
        N_("Sold"),
        N_("Returned before"),
        N_("Back now"),
        N_("Goes to"),
        N_("Refund"),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sale: ReturnableSale | None = None
        self.back: list[int] = []
        self.restock: list[bool] = []

    def show_sale(self, sale: ReturnableSale | None) -> None:
        self.beginResetModel()
        self.sale = sale
        lines = sale.lines if sale is not None else ()
        self.back = [0] * len(lines)
        self.restock = [True] * len(lines)
        self.endResetModel()

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        if not index.isValid() or self.sale is None:
            return None
        row, column = index.row(), index.column()
        line = self.sale.lines[row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return line.name
            if column == self.SOLD:
                return format_quantity(line.quantity, line.unit, language())
            if column == self.RETURNED:
                return format_quantity(line.returned, line.unit, language())
            if column == self.BACK:
                return format_quantity(self.back[row], line.unit, language())
            if column == self.WHERE:
                if not self.back[row]:
                    return ""
                return _("Shelf") if self.restock[row] else _("Damaged")
            if column == self.WORTH:
                if not self.back[row]:
                    return ""
                return format_money(line.worth(self.back[row]), self.sale.currency, language())
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME:
            return line.name
        return None

    def set_back(self, row: int, count: int) -> Err | None:
        """``count`` units of the line ``row`` come back; refused (unchanged) beyond what
        is left of it. The store checks again when the return is made."""
        if self.sale is None or not 0 <= row < len(self.back) or count < 0:
            return None
        line = self.sale.lines[row]
        if count > line.left:
            return line.too_many()
        self.back[row] = count
        self.dataChanged.emit(self.index(row, self.BACK), self.index(row, self.WORTH))
        return None

    def unit(self, row: int) -> SaleUnit:
        return self.sale.lines[row].unit if self.sale is not None else SaleUnit.PIECE

    def stepped(self, row: int, by: int) -> int:
        """A weighed line comes back whole or not at all by +/-; a part of it is typed."""
        if self.sale is not None and self.unit(row).measured:
            return self.sale.lines[row].left if by > 0 else 0
        return super().stepped(row, by)

    def toggle_restock(self, row: int) -> None:
        if 0 <= row < len(self.restock):
            self.restock[row] = not self.restock[row]
            self.dataChanged.emit(self.index(row, self.WHERE), self.index(row, self.WHERE))

    def requests(self) -> tuple[ReturnRequest, ...]:
        if self.sale is None:
            return ()
        return tuple(
            ReturnRequest(line.line_no, count, restock)
            for line, count, restock in zip(self.sale.lines, self.back, self.restock, strict=True)
            if count
        )

    def total_minor(self) -> int:
        if self.sale is None:
            return 0
        return sum(
            line.worth(count) for line, count in zip(self.sale.lines, self.back, strict=True)
        )

    def refresh_texts(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.HEADERS) - 1)
        if self.back:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.back) - 1, self.WORTH))


class ReturnDialog(QDialog):
    """Find the sale, choose the lines, say why; the till makes the return."""

    sale_requested = Signal(str)  # the receipt's number or QR code text
    return_requested = Signal(object)  # ReturnAsked
    no_receipt_requested = Signal()  # F7: the customer has no receipt

    WANTED_SIZE = QSize(900, 660)
    """Less on a screen with less room."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReturnDialog")
        self.setModal(True)
        self._busy = False
        self._problem: Callable[[], str] | None = None
        self._typed = ""
        self.title = QLabel(objectName="DialogTotal")
        self.receipt = QLineEdit(objectName="ReturnReceipt")
        self.receipt.setMinimumHeight(56)
        self.receipt.setMaxLength(64)
        self.receipt.returnPressed.connect(self._find)
        self.sale_label = QLabel(objectName="ReturnSale")
        self.model = self._make_model()
        self.model.dataChanged.connect(self._show_total)
        self.model.modelReset.connect(self._show_total)
        self.lines = QTableView(objectName="ReturnLines")
        self.lines.setModel(self.model)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lines.verticalHeader().hide()
        self.lines.verticalHeader().setDefaultSectionSize(44)
        self.lines.setAlternatingRowColors(True)
        header = self.lines.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ReturnLinesModel.NAME, QHeaderView.ResizeMode.Stretch)
        self.lines.setTabKeyNavigation(False)  # Tab goes on to the reason, not the next cell
        self.lines.installEventFilter(self)
        self.keys_hint = QLabel(objectName="ReturnKeys")
        self.keys_hint.setWordWrap(True)
        self.reason = QLineEdit(objectName="ReturnReason")
        self.reason.setMinimumHeight(48)
        self.reason.setMaxLength(MAX_REASON_LENGTH)
        self.reason.returnPressed.connect(self.confirm)
        self.reason.installEventFilter(self)
        self.reason_caption = QLabel()
        self.reason_caption.setBuddy(self.reason)
        self.cash_instead = QCheckBox(objectName="CashInstead")
        self.cash_instead.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        QShortcut(QKeySequence(CASH_INSTEAD_KEY), self).activated.connect(self._f6_pressed)
        QShortcut(QKeySequence(NO_RECEIPT_KEY), self).activated.connect(self._no_receipt)
        self.total_label = QLabel(objectName="ChangeDue")
        self.problem = QLabel(objectName="InlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.confirm_button = QPushButton(objectName="ConfirmReturn")
        self.confirm_button.setProperty("primary", True)
        self.confirm_button.setMinimumHeight(56)
        self.confirm_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.confirm_button.clicked.connect(self.confirm)
        self.back_button = QPushButton(objectName="CancelReturn")
        self.back_button.setMinimumHeight(56)
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_button.clicked.connect(self.reject)
        self.no_receipt_button = QPushButton(objectName="NoReceipt")
        self.no_receipt_button.setMinimumHeight(56)
        self.no_receipt_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.no_receipt_button.clicked.connect(self._no_receipt)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_caption)
        reason_row.addWidget(self.reason, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.no_receipt_button)
        buttons.addWidget(self.confirm_button, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.receipt)
        layout.addWidget(self.sale_label)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.keys_hint)
        layout.addLayout(reason_row)
        layout.addWidget(self.cash_instead)
        layout.addWidget(self.total_label)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.setTabOrder(self.receipt, self.lines)
        self.setTabOrder(self.lines, self.reason)
        fit_on_screen(self, self.WANTED_SIZE)
        self.retranslate()
        self.receipt.setFocus()

    def _make_model(self) -> Any:
        return ReturnLinesModel(self)

    def _f6_pressed(self) -> None:
        self.cash_instead.toggle()

    def _no_receipt(self) -> None:
        """F7: goods without their receipt; the till asks for a manager's PIN first."""
        if not self._busy:
            self.no_receipt_requested.emit()

    # -- what the till tells ----------------------------------------------------------

    @property
    def sale(self) -> ReturnableSale | None:
        return self.model.sale

    def show_sale(self, sale: ReturnableSale) -> None:
        """The sale was found: its lines, the first chosen, the keyboard on them."""
        self._busy = False
        self.show_problem(None)
        self.model.show_sale(sale)
        self.receipt.setText(sale.receipt)
        self._show_sale_label()
        if self.model.rowCount():
            self.lines.selectRow(0)
        self.lines.setFocus()

    def show_problem(self, text: Callable[[], str] | None, field: QWidget | None = None) -> None:
        """A refusal under the lines (None: none); the dialog stays open to put it right."""
        self._busy = False
        self.confirm_button.setEnabled(True)
        self._problem = text
        self.problem.setText(text() if text else "")
        self.problem.setVisible(text is not None)
        if field is not None:
            field.setFocus()

    def lookup_refused(self, result: Err) -> None:
        """No sale by that number: say so; the sale already on screen, if any, stays with
        its number back in the field, selected to type over."""
        if self.sale is not None:
            self.receipt.setText(self.sale.receipt)
        self.show_problem(lambda: render(result, language()), self.receipt)
        self.receipt.selectAll()

    def show_result(self, result: Err) -> None:
        field = self.receipt if self.sale is None else None
        self.show_problem(lambda: render(result, language()), field)

    # -- the cashier's keys -----------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.lines and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._line_key(event):
                return True
        if (
            event.type() == QEvent.Type.KeyPress  # first: none come while it is built
            and watched is self.reason
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Tab
            and self.sale is not None
        ):
            # Tab goes back to the lines, never round to the receipt's number, where what
            # a cashier types next would look for another sale.
            self.lines.setFocus()
            return True
        return super().eventFilter(watched, event)

    def _line_key(self, event: QKeyEvent) -> bool:
        row = self.lines.currentIndex().row()
        key, text = event.key(), event.text()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._typed = ""
            return False  # the view moves the row
        if row < 0:
            return False
        if key == Qt.Key.Key_Plus:
            self.step(row, +1)
            return True
        if key == Qt.Key.Key_Minus:
            self.step(row, -1)
            return True
        if key == Qt.Key.Key_Space:
            self.model.toggle_restock(row)
            return True
        if self.model.unit(row).measured and text and text in "0123456789,.":
            self._typed = (self._typed + text)[-MAX_TYPED_WEIGHT:]
            self._set_typed_weight(row)
            return True
        if text.isdigit() and text.isascii():
            self._typed = (self._typed + text)[-MAX_TYPED_DIGITS:]
            self._set(row, int(self._typed))
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirm()
            return True
        return False

    def step(self, row: int, by: int) -> None:
        self._typed = ""
        self._set(row, self.model.stepped(row, by))

    def _set_typed_weight(self, row: int) -> None:
        """The weight typed so far, in kg as the till reads it ("0,5"; "0," is none yet)."""
        weight = read_measure(self._typed, self.model.unit(row), MAX_QUANTITY, allow_zero=True)
        if isinstance(weight, Err):
            self._typed = ""
            self.show_result(weight)
        else:
            self._set(row, weight)

    def _set(self, row: int, count: int) -> None:
        refused = self.model.set_back(row, count)
        if refused is not None:
            self._typed = ""
            self.show_result(refused)
        else:
            self.show_problem(None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the dialog does not close on it
        super().keyPressEvent(event)

    def _find(self) -> None:
        text = self.receipt.text().strip()
        if not text or self._busy:
            return
        if self.sale is not None and text == self.sale.receipt:
            self.lines.setFocus()
            return
        # The sale on screen, and what the cashier chose of it, stays until another is
        # found: a number typed by mistake costs nothing (``lookup_refused``).
        self.show_problem(lambda: _("Looking for the sale…"))
        self._busy = True
        self.sale_requested.emit(text)

    def confirm(self) -> None:
        """Check here what can be checked (lines chosen, a reason), then ask the till."""
        if self._busy:
            return
        if self.sale is None:
            self._find()
            return
        lines = self.model.requests()
        if not lines:
            self.show_result(Err(Code.RETURN_NOTHING))
            self.lines.setFocus()
            return
        reason = " ".join(self.reason.text().split())
        if not reason:
            self.show_problem(
                lambda: render(Err(Code.INVALID_RETURN_REASON), language()), self.reason
            )
            return
        self._busy = True
        self.confirm_button.setEnabled(False)
        self.return_requested.emit(
            ReturnAsked(
                self.sale, lines, reason, self.cash_instead.isChecked(), self.model.total_minor()
            )
        )

    def reject(self) -> None:
        """Esc and Back; not while the store is making the return (its answer is coming)."""
        if not self.making:
            super().reject()

    @property
    def making(self) -> bool:
        """The return is asked for and its answer not yet come."""
        return self._busy and not self.confirm_button.isEnabled()

    # -- texts ------------------------------------------------------------------------

    def _show_sale_label(self) -> None:
        sale = self.sale
        self.sale_label.setText(
            _("Sale {receipt}: choose what comes back").format(receipt=sale.receipt)
            if sale is not None
            else ""
        )

    def _show_total(self) -> None:
        sale = self.sale
        if sale is None:
            self.total_label.setText("")
            return
        total = format_money(self.model.total_minor(), sale.currency, language())
        self.total_label.setText(_("To give back: {total}").format(total=total))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Return"))
        self.title.setText(_("Return goods from a sale"))
        self.receipt.setPlaceholderText(_("Receipt number (T01-000042) or scan its QR code"))
        self.keys_hint.setText(
            _("↑/↓ line · +/- or a number: how many · Space: shelf or damaged · Tab: reason")
        )
        self.reason_caption.setText(_("Reason"))
        self.reason.setPlaceholderText(_("Why it comes back (required)"))
        self.cash_instead.setText(
            shortcut_text(_("Cash instead of the card (a manager's PIN)"), CASH_INSTEAD_KEY)
        )
        self.confirm_button.setText(shortcut_text(_("Take back"), "Enter"))
        self.back_button.setText(shortcut_text(_("Back"), "Esc"))
        self.no_receipt_button.setText(shortcut_text(_("Without a receipt"), NO_RECEIPT_KEY))
        self.model.refresh_texts()
        self._show_sale_label()
        self._show_total()
        if self._problem is not None:
            self.problem.setText(self._problem())
