"""The Qt binding can run a till all day.

PySide6 6.12.0 on CPython 3.11 takes a reference to ``None`` away on every call of a
method that returns nothing; a till aborts ("deallocating None") after some hundred
thousand such calls. pyproject.toml excludes that release; this fails on any other
binding with the same defect.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_calls_leave_the_references_to_none_alone() -> None:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(10_000):
        probe.setObjectName("probe")
    assert sys.getrefcount(None) > before - 1_000
