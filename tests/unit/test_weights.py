"""Weights as the cashier types them, line amounts rounded once, scale barcodes and the
scale's continuous output (issue 22)."""

from __future__ import annotations

import socket
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.messages import render
from pos.domain.pricing import PriceLine, line_amount, quote
from pos.domain.results import Code, Err
from pos.domain.scale_barcodes import (
    PRESETS,
    Embedded,
    ScaleCode,
    ScaleLayout,
    ean13_check_digit,
    read_scale_code,
    scale_barcode,
)
from pos.domain.units import SaleUnit, format_quantity, read_measure
from pos.runtime.scale import ScaleSimulator, parse_frame, tcp_scale

KG = SaleUnit.KG
MAX = 30_000


@pytest.mark.parametrize(
    ("typed", "grams"),
    [("1,250", 1250), ("1,25", 1250), ("0,5", 500), (",5", 500), ("2", 2000), ("1.5", 1500),
     (" 0,001 ", 1), ("30", 30_000), ("1.25", 1250), ("+1,2", 1200)],
)  # fmt: skip
def test_a_typed_weight_is_read_with_the_decimal_comma(typed, grams):
    assert read_measure(typed, KG, MAX) == grams


@pytest.mark.parametrize(
    ("typed", "code"),
    [("1.250", Code.WEIGHT_AMBIGUOUS), ("0.500", Code.WEIGHT_AMBIGUOUS),
     ("1,2345", Code.WEIGHT_TOO_PRECISE), ("0,0001", Code.WEIGHT_TOO_PRECISE),
     ("0", Code.WEIGHT_NOT_POSITIVE), ("-0,5", Code.WEIGHT_NOT_POSITIVE),
     ("30,001", Code.WEIGHT_OVER_MAXIMUM), ("1,2,3", Code.WEIGHT_NOT_A_NUMBER),
     ("1 250", Code.WEIGHT_NOT_A_NUMBER), ("1e3", Code.WEIGHT_NOT_A_NUMBER),
     (",", Code.WEIGHT_NOT_A_NUMBER), ("\u0661", Code.WEIGHT_NOT_A_NUMBER)],
)  # fmt: skip
def test_a_weight_that_is_no_weight_says_why(typed, code):
    refused = read_measure(typed, KG, MAX)

    assert isinstance(refused, Err)
    assert refused.code is code
    assert render(refused, "tr") != render(refused, "en")


@pytest.mark.parametrize(("typed", "grams"), [("0", 0), ("0,", 0), ("0,000", 0), ("0,5", 500)])
def test_a_zero_weight_is_none_where_zero_is_allowed(typed, grams):
    assert read_measure(typed, KG, MAX, allow_zero=True) == grams
    refused = read_measure("-0,5", KG, MAX, allow_zero=True)
    assert isinstance(refused, Err)
    assert refused.code is Code.WEIGHT_NOT_POSITIVE


def test_the_ambiguous_dot_is_named_and_the_comma_shown():
    refused = read_measure("1.250", KG, MAX)

    assert isinstance(refused, Err)
    assert render(refused, "tr").startswith("1.250 belirsiz")
    assert "1,250" in render(refused, "en")


@given(st.integers(1, MAX))
def test_a_weight_written_as_the_screen_shows_it_reads_back_the_same(grams):
    assert read_measure(format_quantity(grams, KG, "tr", symbol=False), KG, MAX) == grams


def test_quantities_read_in_each_language():
    assert format_quantity(1250, KG, "tr") == "1,250 kg"
    assert format_quantity(1250, KG, "en") == "1.250 kg"
    assert format_quantity(12_000_500, KG, "tr") == "12000,500 kg"
    assert format_quantity(3, SaleUnit.PIECE, "tr") == "3"
    assert format_quantity(750, SaleUnit.LITRE, "tr") == "0,750 L"


@given(st.integers(0, 10**9), st.integers(0, 10**7), st.sampled_from([1, 1000]))
def test_a_line_amount_is_the_exact_product_rounded_once_half_up(price, quantity, per_unit):
    exact = Decimal(price) * Decimal(quantity) / Decimal(per_unit)

    assert line_amount(price, quantity, per_unit) == exact.quantize(0, rounding=ROUND_HALF_UP)


def test_a_sales_subtotal_is_its_lines_amounts():
    priced = quote([PriceLine(3490, 1250, 100, per_unit=1000), PriceLine(3250, 2, 100)])

    assert [line.gross_minor for line in priced.lines] == [4363, 6500]
    assert priced.subtotal_minor == 10863


@given(st.sampled_from(list(PRESETS.values())), st.integers(0, 9999), st.integers(0, 99999))
def test_a_scale_barcode_reads_back_its_item_and_value(layout, item, amount):
    value = amount % 10**layout.value_digits
    item_code = str(item % 10**layout.item_digits)

    code = scale_barcode(layout, item_code, value)

    assert read_scale_code(code, [layout]) == ScaleCode(item_code, layout.embeds, value)


@given(st.sampled_from(list(PRESETS.values())), st.integers(0, 9999), st.integers(1, 9))
def test_any_one_wrong_digit_is_refused_as_a_misread(layout, item, change):
    code = scale_barcode(layout, str(item % 10**layout.item_digits), 1250)
    for place in range(2, 13):  # past the prefix: a changed prefix is another layout's
        wrong = code[:place] + str((int(code[place]) + change) % 10) + code[place + 1 :]
        refused = read_scale_code(wrong, [layout])
        assert isinstance(refused, Err)
        assert refused.code is Code.SCALE_BARCODE_CHECK_DIGIT


def test_codes_that_are_no_scale_barcode_are_left_to_the_catalogue():
    layouts = [PRESETS["27-weight"]]

    assert read_scale_code("8695830011733", layouts) is None  # a maker's EAN-13
    assert read_scale_code("2900105034956", layouts) is None  # a layout the shop has not
    assert read_scale_code("27001060098", layouts) is None  # too short
    assert read_scale_code("DOMATES-KG", layouts) is None


def test_the_check_digit_is_the_ean13_one():
    assert ean13_check_digit("869583001173") == 3


@pytest.mark.parametrize(
    "shape",
    [("19", 5, Embedded.WEIGHT, 3), ("30", 5, Embedded.WEIGHT, 3), ("2", 5, Embedded.WEIGHT, 3),
     ("27", 3, Embedded.WEIGHT, 3), ("27", 7, Embedded.WEIGHT, 3), ("29", 5, Embedded.PRICE, 3)],
)  # fmt: skip
def test_a_layout_outside_the_in_store_range_is_refused(shape):
    with pytest.raises(ValueError, match=r"scale barcode|decimals"):
        ScaleLayout(*shape)


def test_the_scales_frames_are_read():
    assert parse_frame(b"ST,GS,+  1.250kg\r") is not None
    reading = parse_frame(b"ST,GS,+  1.250kg\r")
    assert reading is not None
    assert (reading.grams, reading.stable) == (1250, True)
    moving = parse_frame(b"US,NT,+   0.98kg")
    assert moving is not None
    assert (moving.grams, moving.stable) == (980, False)
    overloaded = parse_frame(b"OL,GS,+  0.000kg")
    assert overloaded is not None
    assert overloaded.overloaded
    assert parse_frame(b"\x00garbage") is None


def test_the_simulated_scale_answers_once_it_settles():
    with ScaleSimulator(settle=3) as scale:
        scale.put(1250)

        assert tcp_scale(*scale.address).read(2.0) == 1250


@pytest.mark.parametrize(
    ("misbehave", "code"),
    [("silent", Code.SCALE_NO_ANSWER), ("overload", Code.SCALE_OVERLOADED),
     ("moving", Code.SCALE_UNSTABLE)],
)  # fmt: skip
def test_a_scale_that_cannot_say_is_given_up_on_in_time(misbehave, code):
    with ScaleSimulator(settle=10**6 if misbehave == "moving" else 0) as scale:
        scale.put(700)
        if misbehave == "silent":
            scale.silent = True
        if misbehave == "overload":
            scale.overload()
        started = time.monotonic()

        answer = tcp_scale(*scale.address).read(0.4)

        assert isinstance(answer, Err)
        assert answer.code is code
        assert time.monotonic() - started < 1.5


def test_no_scale_at_the_address_is_no_answer_at_once():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there

    answer = tcp_scale("127.0.0.1", port).read(0.5)

    assert isinstance(answer, Err)
    assert answer.code is Code.SCALE_NO_ANSWER
