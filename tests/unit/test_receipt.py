"""The printed receipt: what a 42-column thermal printer gets for a paid sale."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from pos.domain.payments import PaymentMethod
from pos.domain.pricing import PriceLine, TaxLine, quote
from pos.domain.receipt import (
    RECEIPT_WIDTH,
    ReceiptData,
    ReceiptLine,
    ReceiptTender,
    receipt_label,
    render_receipt,
    tax_summary,
)

PAID_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 12:00 in Istanbul
HEADER = ("Kasa Market", "Atatürk Cd. 1", "VKN 1234567890")
# name, unit price, quantity, tax rate: a subtotal of ₺117,48 with milk and bread at
# 1 % and detergent at 20 %; the 10 % coupon takes ₺11,75 off (11,748 rounded half up).
ITEMS = (
    ("Süt 1 L", 2450, 2, 100),
    ("Ekmek", 995, 3, 100),
    ("Çamaşır deterjanı 3 kg", 3863, 1, 2000),
)
COUPON_DISCOUNT = 1175


def sale(
    *,
    items=ITEMS,
    discount=COUPON_DISCOUNT,
    coupon="YAZ10",
    prices_include_tax=True,
    tender=PaymentMethod.CASH,
    given=20000,
    header=HEADER,
) -> ReceiptData:
    """A paid sale's receipt data, priced by the shop's own rules."""
    priced = quote(
        [PriceLine(price, quantity, rate) for _, price, quantity, rate in items],
        discount_minor=discount,
        prices_include_tax=prices_include_tax,
    )
    lines = tuple(
        ReceiptLine(name, quantity, price, rate, line.discount_minor, line.total_minor)
        for (name, price, quantity, rate), line in zip(items, priced.lines, strict=True)
    )
    cash = tender is PaymentMethod.CASH
    return ReceiptData(
        header=header,
        till_code="T01",
        receipt_number=1,
        issued_at=PAID_AT,
        cashier="Mehmet Demir",
        currency="TRY",
        prices_include_tax=prices_include_tax,
        lines=lines,
        subtotal_minor=priced.subtotal_minor,
        discount_minor=priced.discount_minor,
        coupon_code=coupon if discount else None,
        taxes=tax_summary(
            lines,
            prices_include_tax=prices_include_tax,
            subtotal_minor=priced.subtotal_minor,
            discount_minor=priced.discount_minor,
            tax_minor=priced.tax_minor,
            total_minor=priced.total_minor,
        ),
        tax_minor=priced.tax_minor,
        total_minor=priced.total_minor,
        tenders=(
            ReceiptTender(
                tender,
                priced.total_minor,
                given if cash else None,
                given - priced.total_minor if cash else None,
            ),
        ),
    )


def line_starting(text: str, label: str) -> str:
    """The one line that starts with ``label`` as a whole word."""
    found = [line for line in text.splitlines() if line.startswith(f"{label} ")]
    assert len(found) == 1, f"expected one line starting {label!r}, got {found}"
    return found[0]


TURKISH = """\
               Kasa Market
              Atatürk Cd. 1
              VKN 1234567890
------------------------------------------
Fiş No                          T01-000001
Tarih                  2 Mar 2026 12:00:00
Kasiyer                       Mehmet Demir
------------------------------------------
Süt 1 L
  2 x ₺24,50                     %1 ₺49,00
Ekmek
  3 x ₺9,95                      %1 ₺29,85
Çamaşır deterjanı 3 kg
  1 x ₺38,63                    %20 ₺38,63
------------------------------------------
Ara toplam                         ₺117,48
İndirim (YAZ10)                    -₺11,75
                      Matrah           KDV
KDV %1                ₺70,26         ₺0,70
KDV %20               ₺28,97         ₺5,80
TOPKDV                               ₺6,50
==========================================
TOPLAM                             ₺105,73
==========================================
Nakit                              ₺200,00
Para üstü                           ₺94,27
------------------------------------------
             Teşekkür ederiz
"""


def test_a_turkish_receipt_prints_the_sale_as_a_turkish_till_slip():
    assert render_receipt(sale(), "tr") == TURKISH


def test_the_turkish_receipt_carries_the_number_the_figures_and_the_tender():
    text = render_receipt(sale(), "tr")

    assert "T01-000001" in text
    assert line_starting(text, "Fiş No").endswith(" T01-000001")
    assert line_starting(text, "TOPLAM").endswith(" ₺105,73")
    assert line_starting(text, "İndirim (YAZ10)").endswith(" -₺11,75")
    assert line_starting(text, "KDV %1").split() == ["KDV", "%1", "₺70,26", "₺0,70"]
    assert line_starting(text, "KDV %20").split() == ["KDV", "%20", "₺28,97", "₺5,80"]
    assert line_starting(text, "TOPKDV").endswith(" ₺6,50")
    assert line_starting(text, "Nakit").endswith(" ₺200,00")
    assert line_starting(text, "Para üstü").endswith(" ₺94,27")
    assert text.splitlines()[-1].strip() == "Teşekkür ederiz"


def test_the_taxes_printed_per_rate_add_up_to_the_sales_tax():
    data = sale()

    assert [(t.rate_bp, t.base_minor, t.tax_minor) for t in data.taxes] == [
        (100, 7026, 70),
        (2000, 2897, 580),
    ]
    assert sum(t.tax_minor for t in data.taxes) == data.tax_minor == 650
    # With tax in the price, base and tax of every rate make up what was paid.
    assert sum(t.base_minor + t.tax_minor for t in data.taxes) == data.total_minor == 10573


def test_an_english_receipt_uses_english_labels_and_english_money():
    text = render_receipt(sale(), "en")

    assert line_starting(text, "Receipt No").endswith(" T01-000001")
    assert line_starting(text, "Date").endswith(" Mar 2, 2026, 12:00:00 PM")
    assert line_starting(text, "Discount (YAZ10)").endswith(" -₺11.75")
    assert line_starting(text, "VAT 20%").split() == ["VAT", "20%", "₺28.97", "₺5.80"]
    assert line_starting(text, "Total VAT").endswith(" ₺6.50")
    assert line_starting(text, "TOTAL").endswith(" ₺105.73")
    assert line_starting(text, "Cash").endswith(" ₺200.00")
    assert line_starting(text, "Change").endswith(" ₺94.27")
    assert text.splitlines()[-1].strip() == "Thank you"
    for turkish in ("TOPLAM", "KDV", "Nakit", "Teşekkür"):
        assert turkish not in text


def test_the_printer_gets_plain_spaces_not_babels_no_break_ones():
    text = render_receipt(sale(), "en")

    assert "\u202f" not in text
    assert "\u00a0" not in text


@pytest.mark.parametrize("locale", ["tr", "en"])
@pytest.mark.parametrize("prices_include_tax", [True, False])
def test_every_line_fits_the_80_mm_paper(locale, prices_include_tax):
    text = render_receipt(sale(prices_include_tax=prices_include_tax), locale)

    assert max(len(line) for line in text.splitlines()) == RECEIPT_WIDTH


def test_the_date_is_the_shops_local_time_not_utc():
    assert "12:00:00" in render_receipt(sale(), "tr")
    assert "09:00:00" in render_receipt(replace(sale(), time_zone="UTC"), "tr")
    assert "12:00:00" not in render_receipt(replace(sale(), time_zone="UTC"), "tr")


@pytest.mark.usefixtures("machine_in_utc")
def test_the_date_is_the_shops_whatever_zone_the_machine_is_set_to():
    late = replace(sale(), issued_at=datetime(2026, 12, 5, 22, 1, tzinfo=UTC))

    assert "6 Ara 2026 01:01:00" in render_receipt(late, "tr")
    assert "5 Ara 2026 17:01:00" in render_receipt(replace(late, time_zone="America/New_York"))


def test_a_zone_the_store_does_not_know_prints_the_default_zones_time_not_the_machines():
    assert "12:00:00" in render_receipt(replace(sale(), time_zone="Mars/Olympus_Mons"), "tr")


def test_the_shops_header_is_centred_above_the_sale():
    lines = render_receipt(sale(), "tr").splitlines()

    assert lines[:3] == [line.center(RECEIPT_WIDTH).rstrip() for line in HEADER]
    assert lines[0] == " " * 15 + "Kasa Market"


def test_a_header_line_wider_than_the_paper_wraps_and_stays_centred():
    long_line = "Cumhuriyet Mahallesi Atatürk Caddesi No 123 Kat 4"  # 49 characters
    lines = render_receipt(sale(header=(long_line,)), "tr").splitlines()

    assert lines[0].strip() + " " + lines[1].strip() == long_line
    assert all(len(line) <= RECEIPT_WIDTH for line in lines[:2])
    assert lines[0].startswith(" ")
    assert lines[1].startswith(" ")


def test_a_receipt_without_a_header_starts_with_the_receipt_number():
    lines = render_receipt(sale(header=()), "tr").splitlines()

    assert lines[0].startswith("Fiş No")


@pytest.mark.parametrize(
    "name",
    [
        ("Organik tam buğday unu ekşi mayalı köy ekmeği " * 5)[:200],
        "X" * 200,
    ],
)
def test_a_200_character_product_name_is_cut_short_within_the_width(name):
    assert len(name) == 200
    items = ((name, 1000, 1, 2000), *ITEMS[1:])
    lines = render_receipt(sale(items=items, discount=0), "tr").splitlines()

    start = lines.index("-" * RECEIPT_WIDTH, 4) + 1
    printed = lines[start : start + 2]
    assert all(len(line) <= RECEIPT_WIDTH for line in lines)
    assert printed[1].endswith("…")
    assert name.startswith(printed[0].rstrip())
    # The quantity line follows straight after the two name lines.
    assert lines[start + 2].startswith("  1 x ₺10,00")


def test_a_name_a_little_wider_than_the_paper_wraps_onto_a_second_line_whole():
    name = "Doğal kaynak suyu cam şişe 6 x 750 ml koli paket"  # 49 characters
    items = ((name, 1000, 1, 2000), *ITEMS[1:])
    lines = render_receipt(sale(items=items, discount=0), "tr").splitlines()

    first = lines.index("Doğal kaynak suyu cam şişe 6 x 750 ml koli")
    assert lines[first + 1] == "paket"
    assert "…" not in "\n".join(lines)


def test_every_line_fits_narrower_paper_too():
    items = (("Y" * 200, 123456789, 7, 2000), *ITEMS)
    text = render_receipt(sale(items=items), "tr", width=32)

    assert max(len(line) for line in text.splitlines()) <= 32
    assert line_starting(text, "TOPLAM").endswith(" ₺8.642.080,96")


def test_a_tax_exclusive_sale_shows_the_tax_added_on_top():
    data = sale(prices_include_tax=False)
    text = render_receipt(data, "tr")

    assert data.total_minor == data.subtotal_minor - data.discount_minor + data.tax_minor
    assert line_starting(text, "KDV hariç toplam").endswith(" ₺105,73")
    assert line_starting(text, "TOPKDV").endswith(" +₺7,66")
    assert line_starting(text, "TOPLAM").endswith(" ₺113,39")
    assert line_starting(text, "Para üstü").endswith(" ₺86,61")
    english = render_receipt(data, "en")
    assert line_starting(english, "Total excl. VAT").endswith(" ₺105.73")
    assert line_starting(english, "Total VAT").endswith(" +₺7.66")


def test_a_tax_inclusive_sale_shows_the_tax_as_part_of_the_total():
    text = render_receipt(sale(), "tr")

    assert "KDV hariç toplam" not in text
    assert "+" not in line_starting(text, "TOPKDV")


def test_a_card_sale_prints_the_card_and_no_change():
    text = render_receipt(sale(tender=PaymentMethod.CARD), "tr")

    assert line_starting(text, "Kart").endswith(" ₺105,73")
    assert "Nakit" not in text
    assert "Para üstü" not in text


def test_a_sale_without_a_coupon_prints_no_discount_line():
    text = render_receipt(sale(discount=0), "tr")

    assert "İndirim" not in text
    assert line_starting(text, "TOPLAM").endswith(" ₺117,48")


def test_a_regional_locale_uses_its_languages_labels():
    assert line_starting(render_receipt(sale(), "en_GB"), "TOTAL").endswith(" ₺105.73")


def test_the_receipt_number_names_the_till_and_six_digits():
    assert receipt_label("T01", 1) == "T01-000001"
    assert receipt_label("T02", 1234567) == "T02-1234567"


def test_tax_figures_that_do_not_add_up_are_refused():
    data = sale()

    with pytest.raises(ValueError, match="add up"):
        replace(data, taxes=(*data.taxes, TaxLine(800, 100, 8)))


def test_an_order_whose_stored_tax_disagrees_with_its_lines_is_not_printed():
    data = sale()
    figures = {
        "prices_include_tax": True,
        "subtotal_minor": data.subtotal_minor,
        "discount_minor": data.discount_minor,
        "tax_minor": data.tax_minor,
        "total_minor": data.total_minor,
    }
    assert tax_summary(data.lines, **figures) == data.taxes

    for field, wrong in [("tax_minor", 651), ("total_minor", 10574), ("discount_minor", 1174)]:
        with pytest.raises(ValueError, match="do not match"):
            tax_summary(data.lines, **{**figures, field: wrong})


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        replace(sale(), issued_at=datetime(2026, 3, 2, 12, 0))


def test_paper_narrower_than_a_receipt_can_use_is_refused():
    with pytest.raises(ValueError, match="columns"):
        render_receipt(sale(), "tr", width=20)
