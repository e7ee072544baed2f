"""No module of the till grows past what a reader can hold: about
700 lines (DESIGN.md). A module that gets there is split by concern, not trimmed."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MOST_LINES = 700
ROOMS = (ROOT / "pos", ROOT / "ui")


@pytest.mark.parametrize(
    "module",
    sorted(path for room in ROOMS for path in room.rglob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_a_module_stays_under_700_lines(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MOST_LINES, f"{module.relative_to(ROOT)} has {lines} lines; split it by concern"
