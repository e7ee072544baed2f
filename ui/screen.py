"""Windows sized for the screen they open on: never taller or wider than its free area,
and their text larger on a big screen instead of staying small in the middle of it."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

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


SMALLEST = QSize(1024, 768)
"""The till screen every window must fit: text at its base size."""
LARGEST_SCALE = 1.6
STEPS = 10
"""Sizes change in tenths, so a window dragged wider restyles a few times, not at every pixel."""
_PIXELS = re.compile(r"\b(font-size|min-height|min-width):\s*(\d+)px")


@cache
def stylesheet() -> str:
    """The till's stylesheet (``resources/style.qss``) at its base sizes."""
    return resources.files("resources").joinpath("style.qss").read_text("utf-8")


def text_scale(window: QSize) -> float:
    """How much larger than on a 1024x768 screen the text is in a window this size."""
    raw = min(window.width() / SMALLEST.width(), window.height() / SMALLEST.height())
    return round(max(1.0, min(raw, LARGEST_SCALE)) * STEPS) / STEPS


def scaled_sizes(stylesheet: str, scale: float) -> str:
    """``stylesheet`` with its text sizes and minimum sizes ``scale`` times larger; its
    colours, borders and paddings as they are."""
    return _PIXELS.sub(lambda m: f"{m[1]}: {round(int(m[2]) * scale)}px", stylesheet)
