"""Draw Kasa's icon with Qt: a till's receipt, torn at the bottom, on a rounded green tile.

Writes ``resources/icons/kasa-<size>.png`` for the sizes the desktops ask for (the
window and the Linux installer use them) and ``packaging/icons/kasa.ico`` for the
Windows executable. The PNGs are committed; run this again after changing the drawing::

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/icons.py

Small sizes are drawn, not scaled down: below 32 px the receipt keeps two thick lines
instead of four thin ones, so it still reads as a receipt in a panel or a title bar.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
"""What Windows shows in Explorer, the taskbar and a shortcut (256 is the largest an
ICO entry can say it is)."""
PNG_FOLDER = ROOT / "resources" / "icons"
ICO_PATH = ROOT / "packaging" / "icons" / "kasa.ico"

TILE = "#1a7f37"  # the green of the till's Pay keys (resources/style.qss)
PAPER = "#ffffff"
INK = "#12612a"


def draw(size: int) -> bytes:
    """The icon at ``size`` x ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)

    tile = QRectF(s * 0.03, s * 0.03, s * 0.94, s * 0.94)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(TILE))
    painter.drawRoundedRect(tile, s * 0.2, s * 0.2)

    # The receipt: a strip of paper with a zigzag tear at the bottom.
    left, right, top, bottom = s * 0.25, s * 0.75, s * 0.16, s * 0.84
    teeth = 4 if size >= 32 else 3
    paper = QPainterPath(QPointF(left, top))
    paper.lineTo(right, top)
    paper.lineTo(right, bottom)
    step = (right - left) / teeth
    for tooth in range(teeth):
        x = right - tooth * step
        paper.lineTo(x - step / 2, bottom - s * 0.06)
        paper.lineTo(x - step, bottom)
    paper.closeSubpath()
    painter.setBrush(QColor(PAPER))
    painter.drawPath(paper)

    # The printed lines, and the total under its rule.
    painter.setBrush(QColor(INK))
    lines = (0.26, 0.36, 0.46) if size >= 32 else (0.3, 0.46)
    thickness = max(s * 0.045, 1.5) if size >= 32 else max(s * 0.08, 1.5)
    for row, y in enumerate(lines):
        width = 0.38 if row % 2 == 0 else 0.28
        painter.drawRect(QRectF(s * 0.32, s * y, s * width, thickness))
    total_top = s * (0.6 if size >= 32 else 0.62)
    painter.drawRect(QRectF(s * 0.32, total_top, s * 0.36, max(s * 0.02, 1.0)))
    painter.drawRect(QRectF(s * 0.48, total_top + s * 0.06, s * 0.2, thickness * 1.4))
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding PNG images (Windows Vista and later read them), smallest first.

    ICONDIR, then one ICONDIRENTRY per image, then the images; a size of 256 is written
    as 0 in the entry's one-byte width and height.
    """
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        png = pngs[size]
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])
    PNG_FOLDER.mkdir(parents=True, exist_ok=True)
    ICO_PATH.parent.mkdir(parents=True, exist_ok=True)
    pngs = {size: draw(size) for size in SIZES}
    for size, png in pngs.items():
        (PNG_FOLDER / f"kasa-{size}.png").write_bytes(png)
    ICO_PATH.write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    print(f"{len(pngs)} PNGs in {PNG_FOLDER.relative_to(ROOT)}, {ICO_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
