"""What a receipt sends to the printer: only printable characters, whatever the store holds.

Rows written before the services refused control characters (or written by hand) may
hold an ESC (``ESC p`` opens the cash drawer on an ESC/POS printer), a NUL, a lone
surrogate, a bidi override or a zero-width character. The layout prints none of them.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pos.domain.receipt import ReceiptLine, render_receipt
from tests.unit.test_receipt import sale

UNPRINTABLE = (
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\ud800", "\udfff", "\u200b", "\u200d", "\u200e", "\u202a", "\u202e", "\u2066", "\u2069"]
    + ["\ufeff", "\u00ad", "\u2028", "\u2029", "\ue000", "\U000e0001"]
)
hostile_text = st.lists(
    st.one_of(st.sampled_from(UNPRINTABLE), st.text(max_size=4)), max_size=12
).map("".join)


def printed_characters_are_all_printable(text: str) -> bool:
    return all(char == "\n" or char.isprintable() for char in text)


@settings(max_examples=60, deadline=None)
@example(name="Süt\x1bp", header="Kasa\x00Market", cashier="Ali\x1bp", coupon="YAZ\u202e10")
@example(name="\ud800", header="\u202eteksaM asaK", cashier="\x9b31m", coupon="\x1b@")
@given(name=hostile_text, header=hostile_text, cashier=hostile_text, coupon=hostile_text)
def test_a_receipt_prints_no_unprintable_character_from_stored_text(
    name: str, header: str, cashier: str, coupon: str
) -> None:
    data = sale()
    lines = (replace(data.lines[0], name=name), *data.lines[1:])
    hostile = replace(
        data, lines=lines, header=(header, "Atatürk Cd. 1"), cashier=cashier, coupon_code=coupon
    )

    for locale in ("tr", "en"):
        for copy in (False, True):
            text = render_receipt(hostile, locale, copy=copy)
            assert printed_characters_are_all_printable(text), ascii(text)


def test_a_cashier_named_with_esc_p_does_not_open_the_drawer() -> None:
    text = render_receipt(replace(sale(), cashier="Ali\x1bp"))

    assert "\x1b" not in text
    assert "Alip" in text


def test_a_name_with_a_tab_or_a_no_break_space_keeps_its_words_apart() -> None:
    data = sale()
    named = ReceiptLine("Süt\t1\u00a0L", *(getattr(data.lines[0], f) for f in FIELDS))
    text = render_receipt(replace(data, lines=(named, *data.lines[1:])))

    assert "Süt 1 L" in text


FIELDS = ("quantity", "unit_price_minor", "tax_rate_bp", "discount_minor", "total_minor")
