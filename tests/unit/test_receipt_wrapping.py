"""A long product name on the receipt breaks between words, and keeps a size with its unit."""

from __future__ import annotations

from pos.domain.receipt import RECEIPT_WIDTH, render_receipt
from tests.unit.test_receipt import sale

COFFEE = "Kurukahveci Mehmet Efendi Türk Kahvesi 100 g"


def test_a_name_too_long_for_a_line_keeps_its_size_and_unit_together() -> None:
    assert len(COFFEE) > RECEIPT_WIDTH
    text = render_receipt(sale(items=((COFFEE, 7450, 1, 2000),), discount=0, coupon=None), "tr")
    lines = text.splitlines()
    first = next(number for number, line in enumerate(lines) if line.startswith("Kurukahveci"))
    assert lines[first : first + 2] == ["Kurukahveci Mehmet Efendi Türk Kahvesi", "100 g"]
    assert "\u00a0" not in text
