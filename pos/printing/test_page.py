"""The page ``pos printer test`` prints: enough to set a printer up by eye.

Every Turkish letter in both cases (a wrong code page shows at once), Turkish capitals
made from small letters, a ruler of the profile's width and two columns pushed to its
edges (a wrong width wraps them), each print style, a QR code, and a cut.
"""

from __future__ import annotations

from pos.domain.document import Align, Cut, Document, Item, Line, QrCode, Size, turkish_upper
from pos.printing.profile import PrinterProfile

TURKISH_LETTERS = "ÇĞİÖŞÜ çğıöşü"
CAPITALS_FROM = "istanbul ılık şiş"


def printer_test_page(profile: PrinterProfile) -> Document:
    width = profile.width
    ruler = "".join(str(column % 10) for column in range(1, width + 1))
    left, right = "Sol / Left", "Sağ / Right"
    items: list[Item] = [
        Line("KASA", bold=True, size=Size.DOUBLE, align=Align.CENTRE),
        Line("Yazıcı testi / Printer test", align=Align.CENTRE),
        Line("-" * width),
        Line(f"{profile.connection}"[:width]),
        Line(f"{width} sütun / columns, {profile.code_page}"[:width]),
        Line("-" * width),
        Line(TURKISH_LETTERS),
        Line(CAPITALS_FROM),
        Line(turkish_upper(CAPITALS_FROM)),
        Line("12,50 TL  1.234,56 TL"),
        Line(ruler),
        Line(left + right.rjust(width - len(left))),
        Line("Kalın / Bold", bold=True),
        Line("Uzun / Tall", size=Size.TALL),
        Line("Büyük", size=Size.DOUBLE),
        Line("-" * width),
        QrCode("https://kasa.example/yazici-testi"),
        Line("Bilgi fişi: mali değeri yoktur", align=Align.CENTRE),
        Cut(),
    ]
    return Document(tuple(items), width)
