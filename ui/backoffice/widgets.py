"""Small pieces every back-office page builds with: tables, money, percentages, days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QWidget,
)

from pos.domain.money import format_money
from pos.domain.pricing import BASIS_POINTS
from ui import shop_time
from ui.backoffice.common import RowsModel
from ui.i18n import language

DATE_FORMATS = {"tr": "dd.MM.yyyy", "en": "yyyy-MM-dd"}
"""How a date field writes its day: the Turkish way, or one no English reader misreads."""


def table(
    model: RowsModel[Any], name: str, *, stretch: int | None = None, fit_to_contents: bool = True
) -> QTableView:
    """A read-only table of whole rows, one selected at a time.

    The ``stretch`` column (the last if None) takes the room the others leave. With
    ``fit_to_contents`` the columns follow their texts; without, the page sizes them.
    """
    view = QTableView(objectName=name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    header = view.horizontalHeader()
    if fit_to_contents:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(stretch is None)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def button(name: str, *, primary: bool = False) -> QPushButton:
    """A button named for the stylesheet and the tests; ``primary`` for the page's main action."""
    made = QPushButton(objectName=name)
    if primary:
        made.setProperty("primary", True)
    return made


def selected_row(view: QTableView, model: RowsModel[Any]) -> Any:
    """The row the manager selected in ``view``, or None."""
    rows = view.selectionModel().selectedRows()
    return model.row_at(rows[0].row()) if rows else None


def money(minor: int | None, currency: str | None) -> str:
    if minor is None or currency is None:
        return ""
    return format_money(minor, currency, language())


def percent(basis_points: int) -> str:
    return str(format_percent(Decimal(basis_points) / BASIS_POINTS, locale=language()))


def day_text(day: date | None) -> str:
    return "" if day is None else str(format_date(day, "short", locale=language()))


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the shop's time, as an aware instant."""
    return shop_time.day_start(day)


class OptionalDate(QWidget):
    """A day, or none: the box says whether the bound applies at all."""

    def __init__(self, name: str) -> None:
        super().__init__(objectName=name)
        self.enabled = QCheckBox(objectName=f"{name}Set")
        self.date = QDateEdit(objectName=f"{name}Date")
        self.date.setCalendarPopup(True)
        shop_time.follow_today(self.date)
        self.date.setEnabled(False)
        self.enabled.toggled.connect(self.date.setEnabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled)
        layout.addWidget(self.date, 1)

    def day(self) -> date | None:
        if not self.enabled.isChecked():
            return None
        chosen = self.date.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def set_day(self, day: date | None) -> None:
        self.enabled.setChecked(day is not None)
        if day is not None:
            self.date.setDate(QDate(day.year, day.month, day.day))
