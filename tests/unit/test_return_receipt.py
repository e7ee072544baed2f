"""The refund receipt's one layout: its own number and the sale's, each line's worth and
where it went, how the money went back, the reason; nothing unprintable, no line too wide."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pos.domain.document import Line, document_text
from pos.domain.payments import PaymentMethod
from pos.domain.return_receipt import (
    ReturnReceiptData,
    ReturnReceiptLine,
    ReturnReceiptRefund,
    render_return_receipt,
    return_receipt_document,
)


def data(**changes: object) -> ReturnReceiptData:
    fields: dict[str, object] = {
        "header": ("Kasa Demo Market", "Atatürk Cad. 1"),
        "till_code": "T01",
        "number": 7,
        "sale_receipt": "T01-000042",
        "issued_at": datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
        "cashier": "Ayşe",
        "approved_by": None,
        "currency": "TRY",
        "lines": (
            ReturnReceiptLine("Süt 1 L", 2, 5000, True, 2000),
            ReturnReceiptLine("Yumurta 10'lu", 1, 3990, False, 100),
        ),
        "total_minor": 8990,
        "refunds": (
            ReturnReceiptRefund(PaymentMethod.CARD, 5000),
            ReturnReceiptRefund(PaymentMethod.CASH, 3990),
        ),
        "reason": "Müşteri vazgeçti",
        "time_zone": "Europe/Istanbul",
    }
    fields.update(changes)
    return ReturnReceiptData(**fields)  # type: ignore[arg-type]


def test_the_refund_receipt_names_itself_the_sale_and_where_everything_went() -> None:
    text = render_return_receipt(data(), "tr")
    assert "İADE FİŞİ" in text
    assert "T01-I-000007" in text
    assert "T01-000042" in text
    assert "12:30" in text  # the shop's clock in Istanbul, not UTC's 09:30
    assert "2 x (rafa)" in text
    assert "₺50,00" in text
    assert "1 x (hasarlı)" in text
    assert "İADE TOPLAMI" in text
    assert "₺89,90" in text
    assert "Karta iade" in text
    assert "Nakit iade" in text
    assert "₺39,90" in text
    assert "Neden: Müşteri vazgeçti" in text
    assert "Onaylayan" not in text
    english = render_return_receipt(data(approved_by="Mehmet"), "en")
    assert "REFUND" in english
    assert "Approved by" in english
    assert "Mehmet" in english
    assert "Back to card" in english
    assert "Cash back" in english


@pytest.mark.parametrize("width", [24, 32, 42, 48])
def test_every_line_fits_the_paper_and_nothing_unprintable_reaches_it(width: int) -> None:
    sly = data(
        reason="Kutu\x1bp açık " + "çok uzun bir neden " * 10,
        lines=(ReturnReceiptLine("Ürün\x1b@ " + "uzun ad " * 12, 1, 8990, True, 2000),),
    )
    document = return_receipt_document(sly, "tr", width, currency_sign=False)
    for item in document.items:
        if isinstance(item, Line):
            assert len(item.text) <= width
            assert "\x1b" not in item.text
    text = document_text(document)
    assert "89,90 TL" in text
    assert "₺" not in text
    assert "neden" in text.split("Neden")[-1]  # the reason is printed in full, wrapped


def test_a_return_whose_lines_do_not_add_up_is_not_printed() -> None:
    with pytest.raises(ValueError, match="add up"):
        data(total_minor=1)
    with pytest.raises(ValueError, match="aware"):
        data(issued_at=datetime(2026, 12, 6, 9, 30))


def test_a_copy_says_so() -> None:
    assert render_return_receipt(data(), "tr", copy=True).count("KOPYA") == 2


def test_goods_back_without_a_receipt_say_so_where_the_sales_number_would_be() -> None:
    loose = data(sale_receipt=None, approved_by="Mehmet")
    text = render_return_receipt(loose, "tr")
    assert "İADE FİŞİ" in text
    assert "Fişsiz iade" in text
    assert "Satış fişi" not in text
    assert "Onaylayan" in text
    english = render_return_receipt(loose, "en")
    assert "Without receipt" in english
    assert "Sale receipt" not in english


def test_the_tax_of_what_went_back_is_each_rates_share_of_it() -> None:
    two_rates = data(
        lines=(
            ReturnReceiptLine("Süt 1 L", 2, 6000, True, 2000),
            ReturnReceiptLine("Ekmek", 1, 1010, True, 100),
            ReturnReceiptLine("Peynir", 1, 1200, False, 2000),
        ),
        total_minor=8210,
        refunds=(ReturnReceiptRefund(PaymentMethod.CASH, 8210),),
    )
    # 72,00 back at 20 %: 12,00 of it is KDV; 10,10 at 1 %: 0,10.
    assert [(t.rate_bp, t.base_minor, t.tax_minor) for t in two_rates.taxes] == [
        (100, 1000, 10),
        (2000, 6000, 1200),
    ]
    text = render_return_receipt(two_rates, "tr")
    assert "KDV %1" in text
    assert "KDV %20" in text
    assert "TOPKDV" in text
    assert "₺12,10" in text
    assert "+₺" not in text  # the tax is in what went back, never on top of it
    assert "VAT 20%" in render_return_receipt(two_rates, "en")
