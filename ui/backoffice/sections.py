"""One tab of the stock page, and what each tab knows of the page it sits on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTableView, QVBoxLayout, QWidget

from pos.domain.units import SaleUnit, format_quantity
from ui.i18n import language

if TYPE_CHECKING:
    from ui.backoffice.stock import StockPage

PAGE_SIZE = 50
MAX_COLUMN_WIDTH = 220


def fit_columns(view: QTableView) -> None:
    """Columns as wide as their texts, but none so wide that the others scroll away."""
    view.resizeColumnsToContents()
    for column in range(view.model().columnCount()):
        view.setColumnWidth(column, min(view.columnWidth(column), MAX_COLUMN_WIDTH))


class Section(QWidget):
    """One tab of the stock page."""

    title = ""

    def __init__(self, page: StockPage) -> None:
        super().__init__()
        self.page = page
        self.layout_ = QVBoxLayout(self)

    @property
    def product_id(self) -> int | None:
        return self.page.product.product_id if self.page.product is not None else None

    def product_changed(self) -> None:
        """The manager picked another product."""

    def refresh(self) -> None:
        """Read the store again for what this tab shows."""

    def unsaved(self) -> bool:
        """Whether the manager typed here what the store has not taken yet."""
        return False

    def retranslate(self) -> None:
        """Write this tab's texts in the current language."""


def shown(quantity: int, unit: SaleUnit) -> str:
    """A stock quantity as the manager reads it: ``12`` pieces, ``12,500 kg``."""
    return format_quantity(quantity, unit, language())
