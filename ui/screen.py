"""Windows sized for the screen they open on: never taller or wider than its free area."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

FRAME_ALLOWANCE = QSize(16, 40)
"""Room the window manager's frame and title bar take around a window."""


def fitted_size(wanted: QSize, free: QSize, minimum: QSize) -> QSize:
    """``wanted``, or less where the screen's ``free`` area (less a window's frame) is
    smaller, but never under the window's ``minimum``."""
    return wanted.boundedTo(free - FRAME_ALLOWANCE).expandedTo(minimum)


def fit_on_screen(window: QWidget, wanted: QSize) -> None:
    """Resize ``window`` to ``wanted``, or less where its screen's free area is smaller."""
    free = window.screen().availableGeometry().size()
    window.resize(fitted_size(wanted, free, window.minimumSizeHint()))
