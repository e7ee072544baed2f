"""The languages Kasa speaks (the standard library only: the till's first screen reads it)."""

from __future__ import annotations

LOCALES = ("tr", "en")
DEFAULT_LOCALE = "tr"
