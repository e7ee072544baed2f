"""The X and Z reports: every section from a day of sales at a till, and the one layout
shown on the screen, printed through the printer simulator and in both languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pos.domain.day import DayReport
from pos.domain.day_layout import day_report_document, render_day_report
from pos.domain.payments import Settler
from pos.printing.printers import escpos_printer
from pos.printing.profile import WIDTHS, printer_profile
from pos.printing.simulator import PrinterSimulator
from pos.services.cart import add_to_cart, open_cart, void_sale
from pos.services.cash_sessions import close_session, open_session, pay_in, pay_out
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Card, Cash, checkout
from pos.services.day_reports import x_report
from pos.services.drawer import open_drawer_without_sale
from pos.services.payments import mark_paid
from pos.services.returns import ReturnRequest, return_items
from pos.services.shop import update_shop_settings
from pos.services.stock import receive_stock
from pos.services.users import UserView
from pos.store.uow import UnitOfWork
from tests.conftest import value
from tests.sales import key


@pytest.fixture
def day(uow: UnitOfWork, cashier: UserView, manager: UserView) -> int:
    """A day at till T01: float 500,00 counted by denomination; Mehmet sells two loaves
    at 1 % and a cheese at 20 % in cash (paying 100,00); Ayşe sells a cheese by card;
    one loaf comes back; a cart is voided; 50,00 in, 120,00 out; the drawer opened once."""
    products = []
    for sku, price, rate in (("EKMEK", 1_000, 100), ("PEYNIR", 24_990, 2_000)):
        draft = ProductDraft(sku=sku, name=sku.title(), price_minor=price, tax_rate_bp=rate)
        product = value(create_product(uow, draft)).id
        value(receive_stock(uow, product, 50, user_id=manager.id))
        products.append(product)
    bread, cheese = products
    value(update_shop_settings(uow, user_id=manager.id, receipt_header="Kasa Bakkal\nModa Cad. 12"))
    session = value(
        open_session(uow, user_id=cashier.id, float_counts={20_000: 2, 5_000: 1, 1_000: 5})
    ).session_id
    cart = value(open_cart(uow, cashier_id=cashier.id)).cart_id
    value(add_to_cart(uow, cart, bread, 2))
    total = value(add_to_cart(uow, cart, cheese, 1)).total_minor
    assert total == 26_990
    cash_sale = value(
        checkout(uow, cart, shown_total_minor=total, tender=Cash(30_000), idempotency_key=key())
    )
    cart = value(open_cart(uow, cashier_id=manager.id)).cart_id
    total = value(add_to_cart(uow, cart, cheese, 1)).total_minor
    card_sale = value(
        checkout(uow, cart, shown_total_minor=total, tender=Card(), idempotency_key=key())
    )
    value(mark_paid(uow, card_sale.payment_id, settler=Settler.WEBHOOK))
    value(
        return_items(
            uow, cash_sale.receipt, [ReturnRequest(1, 1)], reason="Bayat", user_id=cashier.id
        )
    )
    cart = value(open_cart(uow, cashier_id=cashier.id)).cart_id
    value(add_to_cart(uow, cart, bread, 3))
    value(void_sale(uow, cart, user_id=cashier.id))
    value(pay_in(uow, user_id=cashier.id, amount_minor=5_000, reason="Bozuk para"))
    value(pay_out(uow, user_id=cashier.id, amount_minor=12_000, reason="Su faturası"))
    value(open_drawer_without_sale(uow, user_id=cashier.id, reason="Müşteriye bozuk"))
    return session


def test_the_x_report_shows_the_day_so_far_and_closes_nothing(uow: UnitOfWork, day: int) -> None:
    report = value(x_report(uow))

    assert (report.session_id, report.z_number) == (day, None)
    assert report.float_minor == 50_000
    assert report.float_counts == ((20_000, 2), (5_000, 1), (1_000, 5))
    assert (report.sales, report.sales_minor) == (2, 26_990 + 24_990)
    assert (report.first_receipt, report.last_receipt) == ("T01-000001", "T01-000002")
    assert (report.returns, report.returns_minor) == (1, 1_000)
    assert (report.voids, report.voids_minor) == (1, 3_000)
    assert (report.paid_in_minor, report.paid_out_minor) == (5_000, 12_000)
    cash, card = report.tenders
    assert (cash.method, cash.taken_minor, cash.refunded_minor) == ("cash", 26_990, 1_000)
    assert cash.expected_minor == 50_000 + 26_990 - 1_000 + 5_000 - 12_000
    assert (card.method, card.taken_minor, card.net_minor) == ("card", 24_990, 24_990)
    assert report.total_minor == 26_990 + 24_990 - 1_000
    one, twenty = report.taxes
    assert (one.rate_bp, one.sold_minor, one.returned_minor) == (100, 2_000, 1_000)
    assert (one.sold_tax_minor, one.returned_tax_minor) == (20, 10)
    assert (twenty.rate_bp, twenty.sold_minor, twenty.sold_tax_minor) == (2_000, 49_980, 8_330)
    assert [(c.name, c.sales, c.total_minor) for c in report.cashiers] == [
        ("Ayşe Yılmaz", 1, 24_990),
        ("Mehmet Demir", 1, 26_990),
    ]
    assert [(m.kind, m.reason) for m in report.movements] == [
        ("in", "Bozuk para"),
        ("out", "Su faturası"),
    ]
    assert [(o.by, o.reason) for o in report.drawer_openings] == [
        ("Mehmet Demir", "Müşteriye bozuk")
    ]
    assert value(x_report(uow)).tenders == report.tenders  # asking again changed nothing


def test_the_z_report_weighs_the_blind_count_against_what_should_be_there(
    uow: UnitOfWork, day: int, cashier: UserView
) -> None:
    z = value(close_session(uow, day, user_id=cashier.id, counted={"cash": 68_900, "card": 24_990}))

    cash, card = z.tenders
    assert (cash.expected_minor, cash.counted_minor, cash.difference_minor) == (68_990, 68_900, -90)
    assert (card.expected_minor, card.counted_minor, card.difference_minor) == (24_990, 24_990, 0)
    assert (z.z_number, z.closed_by) == (1, "Mehmet Demir")


def texts(report: DayReport, locale: str, width: int = 42) -> str:
    return render_day_report(report, locale, width)


def test_the_z_report_reads_in_turkish_and_in_english(
    uow: UnitOfWork, day: int, cashier: UserView
) -> None:
    z = value(close_session(uow, day, user_id=cashier.id, counted={"cash": 69_000}))

    turkish, english = texts(z, "tr"), texts(z, "en")
    assert turkish.splitlines()[:2] == [
        "KASA BAKKAL".center(42).rstrip(),
        "Moda Cad. 12".center(42).rstrip(),
    ]
    for shown in ("Z RAPORU", "Z No", "0001", "T01-000001", "T01-000002", "Fazla", "Bozuk para"):
        assert shown in turkish, shown
    assert "Olması gereken" in turkish
    assert "₺689,90" in turkish
    assert "KDV %20" in turkish
    for shown in ("Z REPORT", "Expected", "Counted", "Over", "VAT 20%", "₺689.90"):
        assert shown in english, shown
    total = next(line for line in turkish.splitlines() if line.startswith("GÜN TOPLAMI"))
    assert total.endswith("₺509,80")


def test_an_x_report_says_the_day_is_not_closed(uow: UnitOfWork, day: int) -> None:
    shown = texts(value(x_report(uow)), "tr")

    assert "X RAPORU" in shown
    assert "Ara rapor: gün kapanmadı" in shown
    assert "Sayılan" not in shown


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as printer:
        yield printer


@pytest.mark.parametrize("width", WIDTHS)
def test_the_z_report_prints_at_the_printers_width_with_tl_for_the_lira(
    uow: UnitOfWork, day: int, cashier: UserView, simulator: PrinterSimulator, width: int
) -> None:
    z = value(close_session(uow, day, user_id=cashier.id, counted={"cash": 68_990}))
    printer = escpos_printer(printer_profile(simulator.url, width=width))

    printer.print_document(day_report_document(z, "tr", width, currency_sign=False))

    (paper,) = simulator.wait_for(1)
    assert paper.code_pages == ["CP857"]
    for line in paper.lines:
        assert len(line.text) <= (width // 2 if line.wide else width), line
    assert any(line.text.strip() == "Z RAPORU" and line.wide for line in paper.lines)
    assert "₺" not in paper.text
    assert "509,80 TL" in paper.text
    assert "Fark yok" in paper.text
    assert paper.cuts == 1
