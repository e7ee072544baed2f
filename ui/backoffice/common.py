"""What every back-office page shares: its context, a table model over service rows,
and how an answer from a service is shown.

A page never touches the store itself: it asks a service through ``Page.call``, which
runs it on the store's worker and hands the result back on the GUI thread. A refusal
is shown in the page's message line, in the manager's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from babel.dates import format_datetime
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from pos.bootstrap import Till
from pos.domain.messages import render
from pos.domain.results import Changed, Err, Result, Warn
from pos.services import UnitOfWork
from pos.services.users import UserView
from ui.i18n import _, language
from ui.operations import Operations
from ui.shop_time import local

if TYPE_CHECKING:
    from pos.printing.printers import ReceiptPrinter
    from pos.runtime.payments import PaymentRuntime

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex
_NO_INDEX = QModelIndex()


@dataclass(frozen=True)
class Context:
    """What a page works with: the store, the workers, and the manager at the keyboard."""

    till: Till
    ops: Operations
    manager: UserView
    runtime: PaymentRuntime | None = None
    """The till's card machinery, for asking the terminal again; None without a terminal."""
    printer: ReceiptPrinter | None = None
    """The till's receipt printer, for printing a copy; None without one."""
    print_ops: Operations | None = None
    """The till's printing worker: a slow printer holds up neither store nor terminal."""

    def uow(self) -> UnitOfWork:
        return self.till.uow()


@dataclass(frozen=True)
class Column(Generic[Row]):
    header: str
    """English, marked with ``N_``; translated when shown."""
    text: Callable[[Row], str]
    align_right: bool = False


class RowsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table of the rows a service answered, one column per ``Column``."""

    def __init__(self, columns: Sequence[Column[Row]]) -> None:
        super().__init__()
        self.columns = tuple(columns)
        self.rows: tuple[Row, ...] = ()

    def show(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self.rows = tuple(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Row | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def refresh_texts(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1)
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.rows) - 1, len(self.columns) - 1)
            )

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(self.rows[index.row()])
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return _(self.columns[section].header)
        return None


def when(at: datetime | None) -> str:
    """An instant in the shop's local time, written the manager's way."""
    if at is None:
        return ""
    return format_datetime(local(at), "short", locale=language())


class MessageLine(QLabel):
    """One line under a page's controls: the last refusal or confirmation, re-translated
    when the language changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="MessageLine")
        self.setWordWrap(True)
        self._text: Callable[[], str] | None = None
        self.kind = ""

    def show_result(self, result: Err | Warn[Any]) -> None:
        self.say("error" if isinstance(result, Err) else "warning", lambda: _lines(result))

    def say(self, kind: str, text: Callable[[], str]) -> None:
        self.kind, self._text = kind, text
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text())

    def clear_message(self) -> None:
        self.kind, self._text = "", None
        self.setText("")

    def retranslate(self) -> None:
        if self._text is not None:
            self.setText(self._text())


def _lines(result: Err | Warn[Any]) -> str:
    """The message, and under it each detail (an import's bad rows, say)."""
    text = render(result, language())
    details = result.details if isinstance(result, Err) else ()
    return "\n".join([text, *(render(detail, language()) for detail in details)])


class Page(QWidget):
    """One screen of the back office. Subclasses build their controls, then ask for data
    in ``refresh`` and write their texts in ``retranslate``."""

    title = ""
    """English, marked with ``N_``: the page's tab."""
    follows = Changed.NOTHING
    """What in the store this page shows: it reads again when another view changes it."""

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.message = MessageLine(self)
        self.layout_ = QVBoxLayout(self)

    @property
    def manager_id(self) -> int:
        return self.context.manager.id

    def call(
        self,
        fn: Callable[[UnitOfWork], Result[Any]],
        then: Callable[[Any], None],
        *,
        network: bool = False,
        on_refused: Callable[[Err], None] | None = None,
    ) -> None:
        """Run the service ``fn`` on a worker; ``then(value)`` on success, the refusal in
        the message line (and to ``on_refused``) otherwise. A warning is shown and its
        value still handed to ``then``."""

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                self.message.show_result(result)
                if on_refused is not None:
                    on_refused(result)
                return
            if isinstance(result, Warn):
                self.message.show_result(result)
            then(result.value)

        self.context.ops.run(
            lambda: fn(self.context.uow()),
            answered,
            self._failed,
            network=network,
            originator=self,
        )

    def _failed(self, error: BaseException) -> None:
        self.message.say(
            "error", lambda: _("The store did not answer: {error}").format(error=error)
        )

    def refresh(self) -> None:
        """Ask the store again for what the page shows (called when the page is shown)."""

    def unsaved(self) -> str | None:
        """What the manager typed and has not saved, in their words (a form's title, the
        fields changed), or None when closing the window would lose nothing."""
        return None

    def retranslate(self) -> None:
        self.message.retranslate()


def field_values(*fields: QWidget) -> tuple[object, ...]:
    """What a form's fields hold now, to compare with what they held when the form was
    filled from the store: typing a letter and deleting it again changes nothing."""
    values: list[object] = []
    for field in fields:
        if isinstance(field, QLineEdit):
            values.append(field.text())
        elif isinstance(field, QPlainTextEdit):
            values.append(field.toPlainText())
        elif isinstance(field, QComboBox):
            values.append(field.currentText())
        elif isinstance(field, QAbstractButton):
            values.append(field.isChecked())
        else:
            raise TypeError(f"no value to compare in {type(field).__name__}")
    return tuple(values)
