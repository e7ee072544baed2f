"""The printed refund receipt ("İADE FİŞİ") of a return.

:class:`ReturnReceiptData` is what it shows, taken from the return as it was made: its
own number in the till's refund series, the sale's receipt number it returns goods of
("Fişsiz iade" in its place for goods taken back without a receipt), each line with how
many came back and what they were worth, the tax in what went back per rate, where the
money went (the drawer or the card) and why. :func:`return_receipt_document` lays it out
once, with the sale receipt's own primitives (:class:`~pos.domain.receipt.SlipLayout`),
for the screen (:func:`render_return_receipt`), the ESC/POS printer and the PDF alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pos.domain.clock import DEFAULT_TIME_ZONE
from pos.domain.document import Align, Cut, Document, Line, Size, document_text
from pos.domain.payments import PaymentMethod
from pos.domain.pricing import PriceLine, TaxLine, quote
from pos.domain.receipt import (
    DEFAULT_LOCALE,
    MIN_WIDTH,
    RECEIPT_WIDTH,
    SlipLayout,
    labels_in,
)
from pos.domain.units import SaleUnit

RETURN_LABELS: Mapping[str, Mapping[str, str]] = {
    "tr": {
        "title": "İADE FİŞİ",
        "number": "İade No",
        "sale": "Satış fişi",
        "no_receipt": "Fişsiz iade",
        "date": "Tarih",
        "cashier": "Kasiyer",
        "approved_by": "Onaylayan",
        "restock": "rafa",
        "damaged": "hasarlı",
        "total": "İADE TOPLAMI",
        "cash": "Nakit iade",
        "card": "Karta iade",
        "reason": "Neden",
        "copy": "*** KOPYA ***",
        "slip": "Bilgi fişi: mali değeri yoktur",
    },
    "en": {
        "title": "REFUND",
        "number": "Refund No",
        "sale": "Sale receipt",
        "no_receipt": "Without receipt",
        "date": "Date",
        "cashier": "Cashier",
        "approved_by": "Approved by",
        "restock": "restocked",
        "damaged": "damaged",
        "total": "REFUND TOTAL",
        "cash": "Cash back",
        "card": "Back to card",
        "reason": "Reason",
        "copy": "*** COPY ***",
        # The law's words, whatever the cashier's language (see pos.domain.receipt).
        "slip": "Bilgi fişi: mali değeri yoktur",
    },
}


def return_label(till_code: str, number: int) -> str:
    """A refund receipt's number as printed: the till, ``I`` (iade), its own sequence."""
    return f"{till_code}-I-{number:06d}"


@dataclass(frozen=True)
class ReturnReceiptLine:
    """One line brought back: how many, what they were worth, where they went."""

    name: str
    quantity: int
    total_minor: int
    """What went back for them: what the customer paid, tax included in either kind of store."""
    restock: bool
    tax_rate_bp: int
    sale_unit: SaleUnit = SaleUnit.PIECE
    """Piece, or kg/l/m: then ``quantity`` is grams/ml/mm, printed as ``0,500 kg``."""


@dataclass(frozen=True)
class ReturnReceiptRefund:
    """Money given back on one tender: from the drawer, or to the card."""

    method: PaymentMethod
    amount_minor: int


@dataclass(frozen=True)
class ReturnReceiptData:
    """Everything a refund receipt prints, from the return as stored."""

    header: tuple[str, ...]
    till_code: str
    number: int
    sale_receipt: str | None
    """The original sale's receipt number (``T01-000042``); None for goods taken back
    without a receipt, which the receipt says in its place."""
    issued_at: datetime
    cashier: str | None
    approved_by: str | None
    currency: str
    lines: tuple[ReturnReceiptLine, ...]
    total_minor: int
    refunds: tuple[ReturnReceiptRefund, ...]
    """Where the money went; a card refund the terminal declined is not among them."""
    reason: str
    time_zone: str = DEFAULT_TIME_ZONE

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("a receipt's time must be an aware instant")
        if sum(line.total_minor for line in self.lines) != self.total_minor:
            raise ValueError("the return's lines do not add up to its total")

    @property
    def number_label(self) -> str:
        return return_label(self.till_code, self.number)

    @property
    def taxes(self) -> tuple[TaxLine, ...]:
        """The tax in what went back, per rate, rounded once per rate as a sale's is.

        What goes back is what was paid, tax included whichever way the shop prices its
        shelf, so the tax is each rate's share of it (the Z report counts it the same way).
        """
        return quote(
            [PriceLine(line.total_minor, 1, line.tax_rate_bp) for line in self.lines],
            prices_include_tax=True,
        ).taxes


def render_return_receipt(
    data: ReturnReceiptData,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    *,
    copy: bool = False,
) -> str:
    """The refund receipt as fixed-width text for the screen."""
    return document_text(return_receipt_document(data, locale, width, copy=copy))


def return_receipt_document(
    data: ReturnReceiptData,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    *,
    copy: bool = False,
    currency_sign: bool = True,
) -> Document:
    """The refund receipt laid out for ``width`` columns: the one layout every output
    renders. ``copy`` and ``currency_sign`` as for the sale's receipt."""
    if width < MIN_WIDTH:
        raise ValueError(f"a receipt needs at least {MIN_WIDTH} columns")
    text = labels_in(RETURN_LABELS, locale)
    slip = SlipLayout(locale, width, data.currency)
    slip.currency_sign = currency_sign
    if copy:
        slip.centred(text["copy"], bold=True)
    slip.header(data.header)
    if len(text["title"]) <= width // 2:  # twice the size: never taken for a sale's receipt
        slip.out.append(Line(text["title"], bold=True, size=Size.DOUBLE, align=Align.CENTRE))
    else:
        slip.centred(text["title"], bold=True)
    slip.rule("-")
    slip.columns(text["number"], data.number_label)
    if data.sale_receipt is not None:
        slip.columns(text["sale"], data.sale_receipt)
    else:
        slip.centred(text["no_receipt"], bold=True)
    slip.columns(text["date"], slip.when(data.issued_at, data.time_zone))
    if data.cashier:
        slip.columns(text["cashier"], data.cashier)
    if data.approved_by:
        slip.columns(text["approved_by"], data.approved_by)
    slip.rule("-")
    for line in data.lines:
        slip.wrapped(line.name)
        where = text["restock"] if line.restock else text["damaged"]
        quantity = slip.quantity(line.quantity, line.sale_unit)
        slip.columns(f"  {quantity} x ({where})", slip.money(line.total_minor))
    slip.rule("-")
    slip.tax_lines(data.taxes, added=False)
    slip.rule("=")
    slip.columns(text["total"], slip.money(data.total_minor), bold=True, size=Size.TALL)
    slip.rule("=")
    for refund in data.refunds:
        label = text["cash"] if refund.method is PaymentMethod.CASH else text["card"]
        slip.columns(label, slip.money(refund.amount_minor))
    slip.wrapped(f"{text['reason']}: {data.reason}", max_lines=None)  # in full: on the record
    slip.rule("-")
    slip.centred(text["slip"])
    if copy:
        slip.centred(text["copy"], bold=True)
    slip.out.append(Cut())
    return Document(tuple(slip.out), width)
