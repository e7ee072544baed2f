"""Back-office pages over the tests' small shop (``tests.gui.conftest.shop``), driven
with pytest-qt as a manager would, with pictures in ``artifacts/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Shop
from ui.backoffice.common import Context
from ui.operations import Operations

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


@pytest.fixture
def context(qtbot: QtBot, shop: Shop) -> Iterator[Context]:
    """The manager of the small shop at the back office, with the workers a till has."""
    ops = Operations()
    yield Context(shop.till, ops, shop.manager)
    ops.close()


def settle(qtbot: QtBot, context: Context) -> None:
    """Wait until every service call asked for so far has answered."""
    qtbot.waitUntil(lambda: context.ops.idle, timeout=10_000)


def shoot(widget: QWidget, name: str) -> Path:
    """Grab ``widget`` to ``artifacts/screenshots/backoffice-<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"backoffice-{name}.png"
    assert widget.grab().save(str(path))
    return path
