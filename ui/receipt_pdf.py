"""A laid-out document as a PDF page the size of the paper roll, or as a picture of one.

Qt's own printing (``QPdfWriter`` and ``QPainter``) rather than reportlab or fpdf2: the
till already ships Qt, so this costs no new library; Qt embeds the system's monospaced
font, which has every Turkish letter (reportlab's and fpdf2's built-in fonts are
Latin-1 and need a TrueType file found and registered first); and the same painting
code draws onto a ``QImage`` for the screen or the README. Qt lives in ``ui``, never in
``pos`` (tests/unit/test_layers.py), so the PDF is made here from the document the core
laid out, exactly as the printer prints it: same lines, same columns.
"""

from __future__ import annotations

from pathlib import Path

import qrcode
from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from pos.domain.document import Cut, Document, Line, QrCode, Size, placed

MM_PER_INCH = 25.4
PRINTED_WIDTH_MM = {32: 48.0, 42: 72.0, 48: 72.0}
"""What a thermal head prints across: 48 mm of 58 mm paper, 72 mm of 80 mm paper."""
MARGIN_MM = 4.0
QR_MM = 28.0
LINE_SPACING = 1.15
CUT_MM = 6.0


class _Page:
    """The document's geometry at a resolution: where each item goes, in device pixels."""

    def __init__(self, document: Document, dpi: float) -> None:
        self.document = document
        self.dpi = dpi
        self.width_px = self.mm(PRINTED_WIDTH_MM.get(document.width, 72.0))
        self.margin_px = self.mm(MARGIN_MM)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(10)
        # Scale the font so the document's columns fill the printed width exactly.
        advance = QFontMetricsF(font, _Resolution(dpi)).horizontalAdvance("M" * 10) / 10
        font.setPointSizeF(10 * self.width_px / (advance * document.width))
        self.font = font
        self.bold = QFont(font)
        self.bold.setBold(True)
        self.line_px = QFontMetricsF(font, _Resolution(dpi)).height() * LINE_SPACING

    def mm(self, millimetres: float) -> float:
        return millimetres * self.dpi / MM_PER_INCH

    def height_of(self, item: object) -> float:
        if isinstance(item, Line):
            return self.line_px * (1 if item.size is Size.NORMAL else 2)
        if isinstance(item, QrCode):
            return self.mm(QR_MM) + self.line_px
        return self.mm(CUT_MM)

    @property
    def height_px(self) -> float:
        content = sum(self.height_of(item) for item in self.document.items)
        return content + 2 * self.margin_px

    def paint(self, painter: QPainter) -> None:
        painter.setPen(QColor("black"))
        y = self.margin_px
        for item in self.document.items:
            if isinstance(item, Line):
                self._line(painter, item, y)
            elif isinstance(item, QrCode):
                self._qr(painter, item.data, y)
            elif isinstance(item, Cut):
                self._cut(painter, y)
            y += self.height_of(item)

    def _line(self, painter: QPainter, line: Line, top: float) -> None:
        columns = self.document.columns(line.size)
        text = placed(line, columns)
        painter.save()
        painter.setFont(self.bold if line.bold else self.font)
        painter.translate(self.margin_px, top)
        painter.scale(
            2.0 if line.size is Size.DOUBLE else 1.0, 1.0 if line.size is Size.NORMAL else 2.0
        )
        ascent = QFontMetricsF(painter.font(), painter.device()).ascent()
        painter.drawText(QPointF(0, ascent), text)
        painter.restore()

    def _qr(self, painter: QPainter, data: str, top: float) -> None:
        code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(data)
        matrix = code.get_matrix()
        side = self.mm(QR_MM)
        module = side / len(matrix)
        left = self.margin_px + (self.width_px - side) / 2
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("black"))
        for row, cells in enumerate(matrix):
            for column, dark in enumerate(cells):
                if dark:
                    # A hair larger than the module, so no seam shows between dark ones.
                    painter.drawRect(
                        QRectF(
                            left + column * module, top + row * module, module + 0.5, module + 0.5
                        )
                    )
        painter.restore()

    def _cut(self, painter: QPainter, top: float) -> None:
        painter.save()
        pen = QPen(QColor("gray"))
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidthF(max(1.0, self.dpi / 150))
        painter.setPen(pen)
        y = top + self.mm(CUT_MM) / 2
        painter.drawLine(QPointF(0, y), QPointF(self.width_px + 2 * self.margin_px, y))
        painter.restore()


class _Resolution(QImage):
    """A paint device of a given resolution, for measuring the font before painting."""

    def __init__(self, dpi: float) -> None:
        super().__init__(1, 1, QImage.Format.Format_RGB32)
        dots_per_metre = round(dpi / MM_PER_INCH * 1000)
        self.setDotsPerMeterX(dots_per_metre)
        self.setDotsPerMeterY(dots_per_metre)


def write_pdf(document: Document, path: Path, *, dpi: int = 300) -> None:
    """The document on one PDF page as wide as its paper roll and as long as it needs."""
    writer = QPdfWriter(str(path))
    writer.setResolution(dpi)
    writer.setCreator("Kasa")
    page = _Page(document, dpi)
    size_mm = QSizeF(
        (page.width_px + 2 * page.margin_px) * MM_PER_INCH / dpi,
        page.height_px * MM_PER_INCH / dpi,
    )
    writer.setPageLayout(
        QPageLayout(
            QPageSize(size_mm, QPageSize.Unit.Millimeter, "Kasa receipt"),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    painter = QPainter(writer)
    try:
        page.paint(painter)
    finally:
        painter.end()


def render_image(document: Document, *, dpi: int = 150) -> QImage:
    """The same page as a picture (for the screen, or the README)."""
    page = _Page(document, dpi)
    image = QImage(
        round(page.width_px + 2 * page.margin_px),
        round(page.height_px),
        QImage.Format.Format_RGB32,
    )
    dots_per_metre = round(dpi / MM_PER_INCH * 1000)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    try:
        page.paint(painter)
    finally:
        painter.end()
    return image
