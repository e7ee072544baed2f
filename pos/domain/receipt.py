"""The printed receipt of a paid sale.

:class:`ReceiptData` is what a receipt shows, taken from the order as it was sold
(its snapshot lines and stored totals, never today's catalogue). :func:`receipt_document`
lays it out once, as a :class:`~pos.domain.document.Document`, for a thermal printer of
``width`` columns (42 on 80 mm paper): every line at most that wide, money in the
locale's own way (``₺1.234,56`` in Turkish, or ``1.234,56 TL`` where the printer's code
page has no "₺"). The screen (:func:`render_receipt`), the ESC/POS printer and the PDF
all render that one document.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.dates import format_datetime
from babel.numbers import format_decimal

from pos.domain.clock import DEFAULT_TIME_ZONE, shop_zone
from pos.domain.document import (
    Align,
    Cut,
    Document,
    Item,
    Line,
    QrCode,
    Size,
    document_text,
    turkish_upper,
)
from pos.domain.money import format_money
from pos.domain.payments import PaymentMethod
from pos.domain.pricing import PriceLine, TaxLine, line_amount, quote
from pos.domain.text import printable
from pos.domain.units import SaleUnit, format_quantity

LIRA_SIGN = "₺"
RECEIPT_WIDTH = 42
"""Characters per line on 80 mm paper with the printer's standard font."""
MIN_WIDTH = 24
MAX_NAME_LINES = 2
"""A product name longer than this many lines is cut short with an ellipsis."""
ELLIPSIS = "…"

# The receipt's own labels (not result messages): Turkish as a Turkish fiş prints
# them, and English. ``{rate}`` is the tax rate already written as a percentage.
LABELS: Mapping[str, Mapping[str, str]] = {
    "tr": {
        "number": "Fiş No",
        "date": "Tarih",
        "cashier": "Kasiyer",
        "subtotal": "Ara toplam",
        "discount": "İndirim",
        "line_discounts": "Satır indirimleri",
        "net_total": "KDV hariç toplam",
        "base": "Matrah",
        "tax": "KDV",
        "tax_rate": "KDV {rate}",
        "tax_total": "TOPKDV",
        "total": "TOPLAM",
        "cash": "Nakit",
        "card": "Kart",
        "change": "Para üstü",
        "thanks": "Teşekkür ederiz",
        "percent": "%{n}",
        "copy": "*** KOPYA ***",
        "slip": "Bilgi fişi: mali değeri yoktur",
    },
    "en": {
        "number": "Receipt No",
        "date": "Date",
        "cashier": "Cashier",
        "subtotal": "Subtotal",
        "discount": "Discount",
        "line_discounts": "Line discounts",
        "net_total": "Total excl. VAT",
        "base": "Base",
        "tax": "VAT",
        "tax_rate": "VAT {rate}",
        "tax_total": "Total VAT",
        "total": "TOTAL",
        "cash": "Cash",
        "card": "Card",
        "change": "Change",
        "thanks": "Thank you",
        "percent": "{n}%",
        "copy": "*** COPY ***",
        # The law's words, which a Turkish customer or inspector reads whatever the
        # cashier's language: Kasa's slip is not the fiscal receipt of an ÖKC.
        "slip": "Bilgi fişi: mali değeri yoktur",
    },
}
DEFAULT_LOCALE = "tr"

# Babel writes some spaces as no-break ones ("12:00\u202fPM"); a printer wants plain ones.
_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " "})


def receipt_label(till_code: str, number: int) -> str:
    """A receipt's number as printed: the till, then its sequence (``T01-000042``)."""
    return f"{till_code}-{number:06d}"


@dataclass(frozen=True)
class ReceiptLine:
    """One line of the sale as it was sold."""

    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    discount_minor: int
    """Everything off this line: its own discount and its share of the coupon's."""
    total_minor: int
    """What the line came to after its discounts."""
    sale_unit: SaleUnit = SaleUnit.PIECE
    """Piece, or kg/l/m: then ``quantity`` is grams/ml/mm and the price per kg/l/m."""
    line_discount_minor: int = 0
    """The line's own discount, printed under it with its reason."""
    discount_reason: str | None = None

    @property
    def gross_minor(self) -> int:
        """Quantity times unit price: what the line shows before the discount."""
        return line_amount(self.unit_price_minor, self.quantity, self.sale_unit.per_unit)


@dataclass(frozen=True)
class ReceiptTender:
    """One tender the sale was paid with, as the receipt prints it."""

    method: PaymentMethod
    amount_minor: int
    """What it paid towards the sale."""
    tendered_minor: int | None = None
    """Cash handed over; None for a card."""
    change_minor: int | None = None

    @property
    def handed_minor(self) -> int:
        """What the customer handed over: the cash given, or what the card paid."""
        return self.tendered_minor if self.tendered_minor is not None else self.amount_minor


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt prints, from the order as stored."""

    header: tuple[str, ...]
    """The shop's name, address and tax number, one printed line each."""
    till_code: str
    receipt_number: int
    issued_at: datetime
    cashier: str | None
    currency: str
    prices_include_tax: bool
    lines: tuple[ReceiptLine, ...]
    subtotal_minor: int
    discount_minor: int
    """Every discount of the sale: the lines' own and the coupon's."""
    coupon_code: str | None
    taxes: tuple[TaxLine, ...]
    """The tax per rate, rates ascending; they add up to ``tax_minor``."""
    tax_minor: int
    total_minor: int
    tenders: tuple[ReceiptTender, ...]
    """Every tender that paid the sale, in the order they were taken."""
    time_zone: str = DEFAULT_TIME_ZONE
    """The shop's zone: the time printed is the shop's, whatever the machine's clock says."""
    order_id: str | None = None
    """The order's id, printed as a QR code so a return finds the sale; None: no code."""
    line_discount_minor: int = 0
    """The part of ``discount_minor`` given on lines; the rest is the coupon's."""

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("a receipt's time must be an aware instant")
        if sum(t.tax_minor for t in self.taxes) != self.tax_minor:
            raise ValueError("the taxes per rate do not add up to the sale's tax")
        if self.tenders and sum(t.amount_minor for t in self.tenders) != self.total_minor:
            raise ValueError("the tenders do not add up to the sale's total")
        if sum(line.line_discount_minor for line in self.lines) != self.line_discount_minor:
            raise ValueError("the lines' own discounts do not add up to the sale's")

    @property
    def change_minor(self) -> int | None:
        """The change given back (on the cash tender that settled the rest); None with no
        cash tender."""
        cash = [t.change_minor or 0 for t in self.tenders if t.method is PaymentMethod.CASH]
        return sum(cash) if cash else None

    @property
    def number_label(self) -> str:
        return receipt_label(self.till_code, self.receipt_number)


def tax_summary(
    lines: Sequence[ReceiptLine],
    *,
    prices_include_tax: bool,
    subtotal_minor: int,
    discount_minor: int,
    tax_minor: int,
    total_minor: int,
) -> tuple[TaxLine, ...]:
    """The tax per rate of a stored sale, from its lines' stored totals.

    Each line's total already has its share of the discount taken off, so the sale
    is priced again with those totals and no further discount: the same rounding,
    once per rate, as when it was sold. The stored figures are what the receipt
    prints; if they do not agree with the lines, the order is damaged and this
    raises ``ValueError`` rather than print a receipt that does not add up.
    """
    priced = quote(
        [PriceLine(line.total_minor, 1, line.tax_rate_bp) for line in lines],
        prices_include_tax=prices_include_tax,
    )
    if (
        any(line.total_minor != line.gross_minor - line.discount_minor for line in lines)
        or sum(line.gross_minor for line in lines) != subtotal_minor
        or sum(line.discount_minor for line in lines) != discount_minor
        or priced.subtotal_minor != subtotal_minor - discount_minor
        or priced.tax_minor != tax_minor
        or priced.total_minor != total_minor
    ):
        raise ValueError("the order's stored totals do not match its lines")
    return priced.taxes


def render_receipt(
    data: ReceiptData,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    *,
    copy: bool = False,
) -> str:
    """The receipt as fixed-width text for the screen, one printer line per text line."""
    return document_text(receipt_document(data, locale, width, copy=copy))


def receipt_document(
    data: ReceiptData,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    *,
    copy: bool = False,
    currency_sign: bool = True,
) -> Document:
    """The receipt laid out for ``width`` columns: the one layout every output renders.

    A ``copy`` (a reprint from the back office) says so above the shop's header and
    under the last line, so it is never taken for the customer's original. Without
    ``currency_sign`` (a printer's code page has no "₺") lira print as "12,50 TL", and
    the columns are laid out with that width. Nothing unprintable reaches the printer,
    whatever the stored rows hold (``ESC p`` in a cashier's name would open the drawer).
    """
    if width < MIN_WIDTH:
        raise ValueError(f"a receipt needs at least {MIN_WIDTH} columns")
    layout = _Layout(data, locale, width, copy)
    layout.currency_sign = currency_sign
    return Document(tuple(layout.render()), width)


class SlipLayout:
    """A slip's primitives for ``width`` columns: money and times in the locale's way,
    the shop's header, rules, centred lines, two columns. The sale's receipt and the
    refund receipt (:mod:`pos.domain.return_receipt`) are both laid out with them."""

    def __init__(self, locale: str, width: int, currency: str) -> None:
        self.locale = locale
        self.width = width
        self.currency = currency
        self.currency_sign = True
        self.out: list[Item] = []

    def money(self, minor: int) -> str:
        written = format_money(minor, self.currency, self.locale).translate(_PLAIN_SPACES)
        if not self.currency_sign and LIRA_SIGN in written:
            return written.replace(LIRA_SIGN, "").strip() + " TL"
        return written

    def quantity(self, quantity: int, unit: SaleUnit) -> str:
        """``2`` pieces, or ``1,250 kg`` (three decimals) of a weighed line."""
        return format_quantity(quantity, unit, self.locale).translate(_PLAIN_SPACES)

    def when(self, at: datetime, time_zone: str) -> str:
        """``at`` as the shop's clock showed it, in the locale's way."""
        written = format_datetime(at, "medium", tzinfo=shop_zone(time_zone), locale=self.locale)
        return written.translate(_PLAIN_SPACES)

    def header(self, lines: Sequence[str]) -> None:
        """The shop's name, then its address and tax number, then a rule."""
        for index, heading in enumerate(lines):
            if index == 0:
                self.shop_name(heading)
            else:
                self.centred(heading)
        if lines:
            self.rule("-")

    def shop_name(self, name: str) -> None:
        """The shop's name in capitals (Turkish ones in Turkish), twice the size where
        it fits in half the columns."""
        upper = turkish_upper(name) if self.locale.split("_")[0] == "tr" else name.upper()
        half = self.width // 2
        pieces = _wrapped(upper, half, max_lines=None)
        if all(pieces) and len(pieces) <= MAX_NAME_LINES:
            for piece in pieces:
                line = Line(_printed(piece), bold=True, size=Size.DOUBLE, align=Align.CENTRE)
                self.out.append(line)
        else:
            self.centred(upper, bold=True)

    def rule(self, char: str) -> None:
        self.out.append(Line(char * self.width))

    def lines(self, texts: Sequence[str], *, bold: bool = False, size: Size = Size.NORMAL) -> None:
        self.out.extend(Line(_printed(text), bold=bold, size=size) for text in texts)

    def wrapped(self, text: str, *, max_lines: int | None = MAX_NAME_LINES) -> None:
        """``text`` over as many lines as it takes, cut short beyond ``max_lines``."""
        self.lines(_wrapped(text, self.width, max_lines=max_lines))

    def centred(self, line: str, *, bold: bool = False) -> None:
        for piece in _wrapped(line, self.width, max_lines=None):
            self.out.append(Line(_printed(piece), bold=bold, align=Align.CENTRE))

    def columns(
        self, left: str, right: str, *, bold: bool = False, size: Size = Size.NORMAL
    ) -> None:
        """``left`` at the margin and ``right`` against the right edge, on one line if
        they fit, else ``left`` on its own line(s) and ``right`` below it."""
        room = self.width - len(right) - 1
        if len(left) <= room:
            self.lines([left + right.rjust(self.width - len(left))], bold=bold, size=size)
            return
        self.lines(_wrapped(left, self.width), bold=bold, size=size)
        self.lines([_clip(right, self.width).rjust(self.width)], bold=bold, size=size)

    def three(self, label: str, middle: str, right: str) -> None:
        """A tax line: the rate, then base and tax in two right-aligned columns."""
        column = self.width // 3
        first = self.width - 2 * column
        if len(label) < first and len(middle) < column and len(right) < column:
            self.lines([f"{label:<{first}}{middle:>{column}}{right:>{column}}".rstrip()])
            return
        if label:
            self.lines(_wrapped(label, self.width))
        self.columns(middle, right)

    def percent(self, rate_bp: int) -> str:
        number = format_decimal(Decimal(rate_bp) / 100, locale=self.locale)
        return _labels(self.locale)["percent"].format(n=number)

    def tax_lines(self, taxes: Sequence[TaxLine], *, added: bool) -> None:
        """Each rate's base and tax, then the tax in all; ``added``: it came on top of
        the lines (a tax-exclusive sale) rather than being part of them."""
        text = _labels(self.locale)
        if taxes:
            self.three("", text["base"], text["tax"])
        for tax in taxes:
            self.three(
                text["tax_rate"].format(rate=self.percent(tax.rate_bp)),
                self.money(tax.base_minor),
                self.money(tax.tax_minor),
            )
        total = sum(tax.tax_minor for tax in taxes)
        self.columns(text["tax_total"], ("+" if added else "") + self.money(total))


class _Layout(SlipLayout):
    def __init__(self, data: ReceiptData, locale: str, width: int, copy: bool = False) -> None:
        super().__init__(locale, width, data.currency)
        self.data = data
        self.copy = copy
        self.text = _labels(locale)

    def render(self) -> list[Item]:
        data, text = self.data, self.text
        if self.copy:
            self.centred(text["copy"], bold=True)
        self.header(data.header)
        self.columns(text["number"], data.number_label)
        self.columns(text["date"], self.when(data.issued_at, data.time_zone))
        if data.cashier:
            self.columns(text["cashier"], data.cashier)
        self.rule("-")
        for item in data.lines:
            self.wrapped(item.name)
            self.columns(
                f"  {self.quantity(item.quantity, item.sale_unit)}"
                f" x {self.money(item.unit_price_minor)}",
                f"{self.percent(item.tax_rate_bp)} {self.money(item.gross_minor)}",
            )
            if item.line_discount_minor:
                reason = f": {item.discount_reason}" if item.discount_reason else ""
                self.columns(f"  {text['discount']}{reason}", self.money(-item.line_discount_minor))
        self.rule("-")
        self.columns(text["subtotal"], self.money(data.subtotal_minor))
        if data.line_discount_minor:
            self.columns(text["line_discounts"], self.money(-data.line_discount_minor))
        coupon_discount = data.discount_minor - data.line_discount_minor
        if coupon_discount:
            label = text["discount"]
            if data.coupon_code:
                label = f"{label} ({data.coupon_code})"
            self.columns(label, self.money(-coupon_discount))
        if not data.prices_include_tax:
            net = data.subtotal_minor - data.discount_minor
            self.columns(text["net_total"], self.money(net))
        self.taxes()
        self.rule("=")
        self.columns(text["total"], self.money(data.total_minor), bold=True, size=Size.TALL)
        self.rule("=")
        self.tender()
        self.rule("-")
        self.centred(text["slip"])
        if data.order_id:
            self.out.append(QrCode(data.order_id))
        self.centred(text["thanks"])
        if self.copy:
            self.centred(text["copy"], bold=True)
        self.out.append(Cut())
        return self.out

    def taxes(self) -> None:
        self.tax_lines(self.data.taxes, added=not self.data.prices_include_tax)

    def tender(self) -> None:
        """Each tender as handed over, then the change if cash was among them."""
        data, text = self.data, self.text
        for tender in data.tenders:
            label = text["cash"] if tender.method is PaymentMethod.CASH else text["card"]
            self.columns(label, self.money(tender.handed_minor))
        if data.change_minor is not None:
            self.columns(text["change"], self.money(data.change_minor))


def _printed(text: str) -> str:
    """``text`` as one printed line: nothing unprintable, no line break."""
    return printable(text).replace("\n", " ")


def labels_in(table: Mapping[str, Mapping[str, str]], locale: str) -> Mapping[str, str]:
    """A slip's labels in ``locale``, its language's, or Turkish (as messages fall back)."""
    return table.get(locale) or table.get(locale.split("_")[0]) or table[DEFAULT_LOCALE]


def _labels(locale: str) -> Mapping[str, str]:
    return labels_in(LABELS, locale)


_SIZE_AND_UNIT = re.compile(r"(?<=\d) (?=[^\W\d]{1,3}\b)")


def _wrapped(text: str, width: int, max_lines: int | None = MAX_NAME_LINES) -> list[str]:
    """``text`` broken into lines of at most ``width``; beyond ``max_lines`` it is cut
    short with an ellipsis."""
    clean = " ".join(unicodedata.normalize("NFC", text).split())
    # A size stays with its unit ("100 g", "1 L"): textwrap does not break at a no-break space.
    bound = _SIZE_AND_UNIT.sub("\u00a0", clean)
    pieces = [piece.replace("\u00a0", " ") for piece in textwrap.wrap(bound, width)] or [""]
    if max_lines is None or len(pieces) <= max_lines:
        return pieces
    kept = pieces[:max_lines]
    kept[-1] = kept[-1][: width - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return kept


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - len(ELLIPSIS)] + ELLIPSIS
