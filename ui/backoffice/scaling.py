"""The back office's text follows its window: dense enough for a 1024x768 till screen,
and larger on a big screen instead of staying small in the middle of it.

The window sets its own stylesheet over the till's; a widget's own stylesheet wins over
the application's, so these sizes apply to the back office and nothing else.
"""

from __future__ import annotations


def stylesheet(scale: float) -> str:
    """The back office's text sizes at ``scale``; colours and borders stay the till's."""

    def px(size: float) -> str:
        return f"{round(size * scale)}px"

    return f"""
* {{ font-size: {px(14)}; }}
QLineEdit, QComboBox, QDateEdit, QSpinBox {{ font-size: {px(15)}; padding: 3px 6px; }}
QPushButton {{ font-size: {px(14)}; padding: 4px 8px; }}
QPushButton[primary="true"] {{ font-size: {px(15)}; min-height: {px(30)}; }}
QTableView, QTableWidget, QListView, QListWidget, QHeaderView::section {{ font-size: {px(13)}; }}
QHeaderView::section {{ padding: 4px; }}
QLabel#Caption {{ font-size: {px(13)}; }}
QLabel#PageHeading {{ font-size: {px(16)}; }}
"""
