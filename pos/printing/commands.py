"""A laid-out document as the ESC/POS bytes a thermal printer prints, by python-escpos.

The bytes are made in memory (python-escpos's ``Dummy`` printer) and sent whole by an
adapter afterwards, so making them never waits on a device and sending them is one
write under one timeout. Every document starts by resetting the printer and naming its
code page (``ESC @``, ``ESC t n``): a printer left in another table by the last job,
or by python-escpos's automatic switching, would print "ş" as some other letter.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from pos.domain.document import Cut, Document, Line, QrCode, Size, placed
from pos.printing.profile import PrinterProfile

if TYPE_CHECKING:
    from escpos.printer import Dummy

QR_MODULE_DOTS = 5
"""Dots per QR module: a 36-character id is 29 modules, 145 dots, on paper 384 dots wide."""
FEED_WITHOUT_CUTTER = 6
"""Lines fed at the end on a printer with no cutter, so the slip can be torn off."""


def document_bytes(
    document: Document, profile: PrinterProfile, *, open_drawer: bool = False
) -> bytes:
    """``document`` for the printer ``profile`` describes; ``open_drawer`` kicks the cash
    drawer first, so it opens while the receipt prints."""
    printer = _start(profile)
    if open_drawer:
        _kick(printer, profile)
    for item in document.items:
        if isinstance(item, Line):
            double = item.size is Size.DOUBLE
            printer.set(
                normal_textsize=True,
                double_height=item.size is not Size.NORMAL,
                double_width=double,
                bold=item.bold,
            )
            text = placed(item, document.columns(item.size))
            printer.text(for_code_page(text, profile.encoding) + "\n")
        elif isinstance(item, QrCode):
            printer.set(normal_textsize=True, bold=False, align="center")
            printer.qr(item.data, size=QR_MODULE_DOTS, native=True)
            printer.text("\n")
            printer.set(align="left")
        elif isinstance(item, Cut):
            printer.set(normal_textsize=True, bold=False)
            if profile.cutter:
                printer.cut()
            else:
                printer.print_and_feed(FEED_WITHOUT_CUTTER)
    return bytes(printer.output)


def drawer_bytes(profile: PrinterProfile) -> bytes:
    """Open the cash drawer, printing nothing."""
    printer = _start(profile)
    _kick(printer, profile)
    return bytes(printer.output)


def for_code_page(text: str, encoding: str) -> str:
    """``text`` with every character the code page lacks replaced: by its letter without
    the accent where that exists ("ā" → "a"), else "?". Lira signs never get here: the
    layout writes "TL" for a printer (``receipt_document(currency_sign=False)``)."""
    out: list[str] = []
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char)[:1]
            try:
                base.encode(encoding)
            except UnicodeEncodeError:
                base = "?"
            char = base if base and not unicodedata.combining(base) else "?"
        out.append(char)
    return "".join(out)


def _start(profile: PrinterProfile) -> Dummy:
    from escpos.printer import Dummy  # slow to import (its printer profiles): when printing

    printer = Dummy()
    printer.hw("INIT")
    printer.charcode(profile.code_page)
    return printer


def _kick(printer: Dummy, profile: PrinterProfile) -> None:
    # ESC p m t1 t2: pin 2 is m=0, pin 5 is m=1; the pulse is given in units of 2 ms.
    pulse = max(1, min(255, profile.drawer_pulse_ms // 2))
    printer.cashdraw([27, 112, 0 if profile.drawer_pin == 2 else 1, pulse, pulse])
