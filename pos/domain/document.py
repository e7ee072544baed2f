"""A printed document as a few kinds of item: what a receipt, a refund or a report is
on paper, before any printer, screen or PDF has had a say.

The layouts (:mod:`pos.domain.receipt`) place every character once, for a given number
of columns; the renderers only translate: :func:`document_text` for the screen, the
ESC/POS one in ``pos.printing`` for a thermal printer, Qt's PDF writer in ``ui``. A
line already fits its columns when it is made, so no renderer wraps or cuts anything,
and what the screen shows is what the paper carries.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pos.domain.text import printable


class Align(enum.Enum):
    LEFT = "left"
    CENTRE = "centre"


class Size(enum.Enum):
    """How large a line prints. ``DOUBLE`` is twice as wide as well as tall, so a line
    of that size holds half the columns; ``TALL`` keeps them all."""

    NORMAL = "normal"
    TALL = "tall"
    DOUBLE = "double"


@dataclass(frozen=True)
class Line:
    """One printed line, already no wider than its columns (half of them when DOUBLE)."""

    text: str
    bold: bool = False
    size: Size = Size.NORMAL
    align: Align = Align.LEFT

    def __post_init__(self) -> None:
        if "\n" in self.text or printable(self.text) != self.text:
            raise ValueError("a printed line holds printable text only, one line of it")


@dataclass(frozen=True)
class QrCode:
    """A QR code printed centred; ``data`` is what a phone reads from it."""

    data: str


@dataclass(frozen=True)
class Cut:
    """Feed the paper past the cutter and cut it (a printer with no cutter only feeds)."""


Item = Line | QrCode | Cut


@dataclass(frozen=True)
class Document:
    items: tuple[Item, ...]
    width: int
    """Columns of the normal font the document was laid out for."""

    def columns(self, size: Size) -> int:
        return self.width // 2 if size is Size.DOUBLE else self.width

    def __post_init__(self) -> None:
        for item in self.items:
            if isinstance(item, Line) and len(item.text) > self.columns(item.size):
                raise ValueError(f"{item.text!r} is wider than {self.columns(item.size)} columns")

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(item for item in self.items if isinstance(item, Line))


def placed(line: Line, width: int) -> str:
    """The line's characters as they stand in ``width`` columns: centred or at the margin."""
    if line.align is Align.CENTRE:
        return line.text.center(width).rstrip()
    return line.text.rstrip()


def document_text(document: Document) -> str:
    """The document as plain fixed-width text for the screen, one text line per printed one.

    A double-size line is centred across the whole width, as it stands on paper; a QR
    code and a cut have no text (the screen has the order itself)."""
    out = [placed(item, document.width) for item in document.items if isinstance(item, Line)]
    return "\n".join(out) + "\n"


_TURKISH_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def turkish_upper(text: str) -> str:
    """``text`` in capitals as Turkish writes them: "i" is "İ" and "ı" is "I" (Python's
    ``upper`` makes both "I", so "Şişli" would print "ŞIŞLI")."""
    return text.translate(_TURKISH_UPPER).upper()
