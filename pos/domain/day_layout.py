"""The X and Z reports on paper: laid out once with the receipts' own primitives
(:class:`~pos.domain.receipt.SlipLayout`), then shown on the screen
(:func:`render_day_report`), printed by the till's printer and written to PDF from the
same :class:`~pos.domain.document.Document`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from babel.dates import format_time
from babel.numbers import format_decimal

from pos.domain.clock import DEFAULT_TIME_ZONE, shop_zone
from pos.domain.day import PAY_IN, DayReport
from pos.domain.document import Align, Cut, Document, Line, Size, document_text
from pos.domain.receipt import DEFAULT_LOCALE, MIN_WIDTH, RECEIPT_WIDTH, SlipLayout, labels_in

DAY_LABELS: Mapping[str, Mapping[str, str]] = {
    "tr": {
        "x": "X RAPORU",
        "z": "Z RAPORU",
        "x_note": "Ara rapor: gün kapanmadı",
        "z_number": "Z No",
        "till": "Kasa",
        "opened": "Açılış",
        "opened_by": "Açan",
        "closed": "Kapanış",
        "closed_by": "Kapatan",
        "made": "Rapor saati",
        "float": "Açılış tutarı",
        "sales": "Satış",
        "sales_count": "Satış adedi",
        "first": "İlk fiş",
        "last": "Son fiş",
        "discounts": "İndirimler",
        "line_discounts": "  Satır indirimleri",
        "returns": "İadeler",
        "voids": "İptaller",
        "tenders": "ÖDEME TÜRLERİ",
        "cash": "Nakit",
        "card": "Kart",
        "taken": "  Alınan",
        "refunded": "  İade edilen",
        "net": "  Net",
        "expected": "  Olması gereken",
        "counted": "  Sayılan",
        "over": "  Fazla",
        "short": "  Eksik",
        "even": "  Fark yok",
        "taxes": "KDV DÖKÜMÜ",
        "rate": "KDV %{n}",
        "rate_sold": "  Satış / KDV",
        "rate_returned": "  İade / KDV",
        "cashiers": "KASİYERLER",
        "cashier_sales": "  {n} satış",
        "movements": "KASA HAREKETLERİ",
        "paid_in": "Kasaya giriş",
        "paid_out": "Kasadan çıkış",
        "approved": "  onay: {name}",
        "drawer": "SATIŞSIZ ÇEKMECE AÇILIŞI",
        "drawer_count": "Açılış sayısı",
        "total": "GÜN TOPLAMI",
        "slip": "Bilgi fişi: mali değeri yoktur",
    },
    "en": {
        "x": "X REPORT",
        "z": "Z REPORT",
        "x_note": "Interim report: the day is not closed",
        "z_number": "Z No",
        "till": "Till",
        "opened": "Opened",
        "opened_by": "Opened by",
        "closed": "Closed",
        "closed_by": "Closed by",
        "made": "Report time",
        "float": "Float",
        "sales": "Sales",
        "sales_count": "Number of sales",
        "first": "First receipt",
        "last": "Last receipt",
        "discounts": "Discounts",
        "line_discounts": "  Line discounts",
        "returns": "Returns",
        "voids": "Voids",
        "tenders": "TENDERS",
        "cash": "Cash",
        "card": "Card",
        "taken": "  Taken",
        "refunded": "  Paid back",
        "net": "  Net",
        "expected": "  Expected",
        "counted": "  Counted",
        "over": "  Over",
        "short": "  Short",
        "even": "  No difference",
        "taxes": "VAT BY RATE",
        "rate": "VAT {n}%",
        "rate_sold": "  Sold / VAT",
        "rate_returned": "  Returned / VAT",
        "cashiers": "CASHIERS",
        "cashier_sales": "  {n} sales",
        "movements": "CASH PAID IN AND OUT",
        "paid_in": "Paid in",
        "paid_out": "Paid out",
        "approved": "  approved: {name}",
        "drawer": "DRAWER OPENED WITHOUT A SALE",
        "drawer_count": "Openings",
        "total": "DAY TOTAL",
        # The law's words, whatever the cashier's language (see pos.domain.receipt).
        "slip": "Bilgi fişi: mali değeri yoktur",
    },
}


def render_day_report(
    report: DayReport,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> str:
    """The report as fixed-width text for the screen."""
    return document_text(day_report_document(report, locale, width, time_zone=time_zone))


def day_report_document(
    report: DayReport,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    *,
    time_zone: str = DEFAULT_TIME_ZONE,
    currency_sign: bool = True,
) -> Document:
    """The X or Z report laid out for ``width`` columns: the one layout every output
    renders (``currency_sign`` False writes "TL" for a code page without "₺")."""
    if width < MIN_WIDTH:
        raise ValueError(f"a report needs at least {MIN_WIDTH} columns")
    text = labels_in(DAY_LABELS, locale)
    slip = SlipLayout(locale, width, report.currency)
    slip.currency_sign = currency_sign
    money = slip.money
    slip.header(report.header)
    title = text["z"] if report.is_z else text["x"]
    slip.out.append(Line(title, bold=True, size=Size.DOUBLE, align=Align.CENTRE))
    if not report.is_z:
        slip.centred(text["x_note"])
    slip.rule("-")
    if report.z_number is not None:
        slip.columns(text["z_number"], f"{report.z_number:04d}", bold=True)
    slip.columns(text["till"], report.till_code)
    slip.columns(text["opened"], slip.when(report.opened_at, time_zone))
    slip.columns(text["opened_by"], report.opened_by)
    if report.is_z:
        slip.columns(text["closed"], slip.when(report.made_at, time_zone))
        slip.columns(text["closed_by"], report.closed_by or "")
    else:
        slip.columns(text["made"], slip.when(report.made_at, time_zone))
    slip.columns(text["float"], money(report.float_minor))
    for denomination, pieces in report.float_counts:
        slip.columns(f"  {pieces} x {money(denomination)}", money(pieces * denomination))
    slip.rule("-")
    slip.columns(text["sales_count"], str(report.sales))
    slip.columns(text["sales"], money(report.sales_minor))
    slip.columns(text["first"], report.first_receipt or "-")
    slip.columns(text["last"], report.last_receipt or "-")
    slip.columns(text["discounts"], money(report.discounts_minor))
    if report.line_discounts:
        given = sum(reason.amount_minor for reason in report.line_discounts)
        slip.columns(text["line_discounts"], money(given))
        for reason in report.line_discounts:
            slip.columns(f"    {reason.reason} ({reason.lines})", money(reason.amount_minor))
    slip.columns(f"{text['returns']} ({report.returns})", money(-report.returns_minor))
    slip.columns(f"{text['voids']} ({report.voids})", money(report.voids_minor))
    slip.rule("-")
    slip.centred(text["tenders"], bold=True)
    for line in report.tenders:
        slip.lines([text.get(line.method, line.method)], bold=True)
        slip.columns(text["taken"], money(line.taken_minor))
        slip.columns(text["refunded"], money(-line.refunded_minor))
        slip.columns(text["net"], money(line.net_minor))
        if report.is_z or line.method == "cash":
            slip.columns(text["expected"], money(line.expected_minor))
        if line.counted_minor is not None:
            slip.columns(text["counted"], money(line.counted_minor))
            difference = line.difference_minor or 0
            if difference > 0:
                slip.columns(text["over"], money(difference), bold=True)
            elif difference < 0:
                slip.columns(text["short"], money(difference), bold=True)
            else:
                slip.lines([text["even"]])
    slip.rule("-")
    slip.centred(text["taxes"], bold=True)
    for rate in report.taxes:
        slip.lines(
            [text["rate"].format(n=format_decimal(Decimal(rate.rate_bp) / 100, locale=locale))]
        )
        slip.columns(text["rate_sold"], f"{money(rate.sold_minor)} / {money(rate.sold_tax_minor)}")
        if rate.returned_minor:
            slip.columns(
                text["rate_returned"],
                f"{money(-rate.returned_minor)} / {money(-rate.returned_tax_minor)}",
            )
    slip.rule("-")
    slip.centred(text["cashiers"], bold=True)
    for cashier in report.cashiers:
        slip.columns(cashier.name, money(cashier.total_minor))
        slip.lines([text["cashier_sales"].format(n=cashier.sales)])
    slip.rule("-")
    slip.centred(text["movements"], bold=True)
    slip.columns(text["paid_in"], money(report.paid_in_minor))
    slip.columns(text["paid_out"], money(-report.paid_out_minor))
    for movement in report.movements:
        sign = 1 if movement.kind == PAY_IN else -1
        slip.columns(
            f"  {_clock(movement.at, time_zone, locale)} {movement.by}",
            money(sign * movement.amount_minor),
        )
        slip.wrapped(f"  {movement.reason}", max_lines=None)
        if movement.approved_by:
            slip.lines([text["approved"].format(name=movement.approved_by)[:width]])
    slip.rule("-")
    slip.centred(text["drawer"], bold=True)
    slip.columns(text["drawer_count"], str(len(report.drawer_openings)))
    for opening in report.drawer_openings:
        slip.wrapped(
            f"  {_clock(opening.at, time_zone, locale)} {opening.by}: {opening.reason}",
            max_lines=None,
        )
    slip.rule("=")
    slip.columns(text["total"], money(report.total_minor), bold=True, size=Size.TALL)
    slip.rule("=")
    slip.centred(text["slip"])
    slip.out.append(Cut())
    return Document(tuple(slip.out), width)


def _clock(at: datetime, time_zone: str, locale: str) -> str:
    """The time of day on the shop's clock (the report's own dates say which day)."""
    written = format_time(at, "short", tzinfo=shop_zone(time_zone), locale=locale)
    return " ".join(written.split())
