"""Small helpers the till's rooms share."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def repolish(widget: QWidget) -> None:
    """Apply the stylesheet again after a dynamic property (``kind``) changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
