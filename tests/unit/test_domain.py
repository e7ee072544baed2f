"""The pure shop rules: quantities, money, product fields, name search words, messages."""

from __future__ import annotations

import string

import pytest

from pos.domain.catalogue import (
    MAX_NAME_LENGTH,
    MAX_WORD_LENGTH,
    clean_barcode,
    clean_name,
    clean_sku,
    gtin_check_digit_ok,
    parse_tax_rate,
    search_words,
    valid_tax_rate,
)
from pos.domain.messages import LOCALES, MESSAGES, render
from pos.domain.money import (
    MAX_PRICE_MINOR,
    format_money,
    is_currency,
    minor_digits,
    parse_price,
)
from pos.domain.quantities import (
    MAX_QUANTITY,
    parse_delta,
    parse_quantity,
    split_quantity_prefix,
)
from pos.domain.results import Code, Err, Warn

# -- quantities ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "quantity"),
    [(1, 1), (7, 7), (MAX_QUANTITY, MAX_QUANTITY), ("3", 3), (" 12 ", 12), ("0005", 5)],
)
def test_a_whole_positive_quantity_is_accepted(typed, quantity):
    assert parse_quantity(typed) == quantity


@pytest.mark.parametrize(
    "typed",
    [
        0,
        -1,
        MAX_QUANTITY + 1,
        10**30,
        1.0,
        1.5,
        True,
        False,
        None,
        "",
        " ",
        "0",
        "-1",
        "+1",
        "1.5",
        "1,5",
        "1 2",
        "1e3",
        "12345678",
        "abc",
        "\u0663",  # ARABIC-INDIC DIGIT THREE: a digit to str.isdigit(), not to a keypad
        "\uff13",  # FULLWIDTH DIGIT THREE
        [3],
    ],
)
def test_anything_but_a_whole_positive_quantity_is_refused(typed):
    assert parse_quantity(typed) is None


def test_zero_is_a_quantity_only_where_the_caller_allows_it():
    assert parse_quantity(0, allow_zero=True) == 0
    assert parse_quantity("0", allow_zero=True) == 0
    assert parse_quantity(-1, allow_zero=True) is None


@pytest.mark.parametrize(
    ("typed", "delta"),
    [
        (5, 5),
        (-5, -5),
        ("5", 5),
        ("+5", 5),
        ("-5", -5),
        (" -5 ", -5),
        (-MAX_QUANTITY, -MAX_QUANTITY),
        (MAX_QUANTITY, MAX_QUANTITY),
    ],
)
def test_a_signed_adjustment_is_accepted(typed, delta):
    assert parse_delta(typed) == delta


@pytest.mark.parametrize(
    "typed",
    [
        0,
        "0",
        "-0",
        "+0",
        MAX_QUANTITY + 1,
        -MAX_QUANTITY - 1,
        "-1000001",
        True,
        1.0,
        -2.5,
        "-2.5",
        None,
        "",
        "-",
        "+",
        "abc",
        "-abc",
        "+-5",
        "--5",
        "-+5",
        "++5",
    ],
)
def test_anything_but_a_signed_non_zero_whole_adjustment_is_refused(typed):
    assert parse_delta(typed) is None


# -- money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12,50", "TRY", 1250),
        ("12.50", "TRY", 1250),
        ("12,5", "TRY", 1250),
        (" 12.5 ", "TRY", 1250),
        ("12", "TRY", 1200),
        ("0", "TRY", 0),
        ("0,01", "TRY", 1),
        ("10000000", "TRY", MAX_PRICE_MINOR),
        ("12.50", "EUR", 1250),
        ("500", "JPY", 500),
        ("1.234", "KWD", 1234),
        (12, "TRY", 1200),
    ],
)
def test_a_typed_price_becomes_minor_units_of_its_currency(typed, currency, minor):
    assert parse_price(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency"),
    [
        ("-1", "TRY"),
        ("+1", "TRY"),
        ("12.505", "TRY"),  # more decimals than kuruş
        ("500.5", "JPY"),  # the yen has no minor unit
        ("1.234,56", "TRY"),  # thousands separators are ambiguous: refused
        ("1,234.56", "TRY"),
        ("1 234", "TRY"),
        ("10000000.01", "TRY"),
        ("1e3", "TRY"),
        ("12.", "TRY"),
        (".5", "TRY"),
        ("", "TRY"),
        ("abc", "TRY"),
        ("\uff11\uff12", "TRY"),  # fullwidth digits
        (12.5, "TRY"),
        (True, "TRY"),
        (None, "TRY"),
    ],
)
def test_anything_but_a_plain_non_negative_price_is_refused(typed, currency):
    assert parse_price(typed, currency) is None


def test_minor_digits_follow_the_currency():
    assert (minor_digits("TRY"), minor_digits("JPY"), minor_digits("KWD")) == (2, 0, 3)


def test_money_is_formatted_for_the_locale():
    assert format_money(123456, "TRY", "tr") == "₺1.234,56"
    assert format_money(123456, "TRY", "en") == "₺1,234.56"
    assert format_money(5, "TRY", "tr") == "₺0,05"


@pytest.mark.parametrize("code", ["TRY", "EUR", "USD", "JPY", "KWD"])
def test_iso_currencies_are_currencies(code):
    assert is_currency(code)


@pytest.mark.parametrize(
    "code", ["try", "TR", "TRYY", "", " TRY", "₺", None, 949, "ZZZ", "ABC", "QQQ"]
)
def test_anything_but_an_iso_currency_code_is_refused(code):
    assert not is_currency(code)


# -- product fields -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sku"),
    [
        ("CAY-1", "CAY-1"),
        ("  cay_1.2  ", "cay_1.2"),
        ("8690000000005", "8690000000005"),
        ("A" * 64, "A" * 64),
    ],
)
def test_a_sku_is_trimmed_and_kept_as_typed(typed, sku):
    assert clean_sku(typed) == sku


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "A" * 65,
        "-CAY",
        ".CAY",
        "CAY 1",
        "ÇAY-1",
        "x'; DROP TABLE products;--",
        "A%",
        "A\x00",
        None,
        123,
    ],
)
def test_a_sku_outside_the_allowed_characters_is_refused(typed):
    assert clean_sku(typed) is None


@pytest.mark.parametrize(
    "code",
    [
        "4006381333931",  # EAN-13
        "5901234123457",  # EAN-13, GS1's own example
        "8690000000005",  # a Turkish (869) prefix
        "96385074",  # EAN-8
        "036000291452",  # UPC-A
        "00012345678905",  # GTIN-14
    ],
)
def test_a_gtin_with_its_true_check_digit_passes(code):
    assert gtin_check_digit_ok(code)
    assert clean_barcode(code) == code


@pytest.mark.parametrize(
    "code",
    ["4006381333932", "8690000000001", "96385075", "036000291453", "00012345678901"],
)
def test_a_gtin_with_a_wrong_check_digit_is_refused(code):
    assert not gtin_check_digit_ok(code)
    assert clean_barcode(code) is None


def test_numbers_that_are_not_a_gtin_length_carry_no_check_digit():
    # An in-store numeric label of ten digits: nothing to verify, taken as it is.
    assert clean_barcode("1234567890") == "1234567890"


@pytest.mark.parametrize(
    ("typed", "code"),
    [(" abc-123 ", "ABC-123"), ("RAF7", "RAF7"), ("A" * 32, "A" * 32)],
)
def test_an_in_store_label_is_trimmed_and_upper_cased(typed, code):
    assert clean_barcode(typed) == code


@pytest.mark.parametrize(
    "typed",
    ["", "  ", "A" * 33, "-ABC", "AB C", "ÇAY", "AB_C", "'; DROP TABLE products;--", None, 869],
)
def test_a_barcode_a_scanner_cannot_print_is_refused(typed):
    assert clean_barcode(typed) is None


def test_a_name_has_its_spaces_collapsed():
    assert clean_name("  Toz   Şeker  1 kg ") == "Toz Şeker 1 kg"


@pytest.mark.parametrize("typed", ["Toz\tŞeker", "Toz\nŞeker", "Toz\x85Şeker", "Toz\u2028Şeker"])
def test_a_name_with_a_tab_or_line_break_is_refused(typed):
    assert clean_name(typed) is None


def test_a_name_may_be_as_long_as_the_limit_and_no_longer():
    assert clean_name("a" * MAX_NAME_LENGTH) == "a" * MAX_NAME_LENGTH
    assert clean_name("a" * (MAX_NAME_LENGTH + 1)) is None


def test_a_name_keeps_apostrophes_and_turkish_letters_verbatim():
    assert clean_name("L'Oréal Şampuan") == "L'Oréal Şampuan"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "Süt\x00",
        "Süt\x07",
        "\x1b[31mSüt",
        "Süt\x7f",
        "Süt\u202eabc",  # RIGHT-TO-LEFT OVERRIDE: text that displays as something else
        "Süt\u200b",  # ZERO WIDTH SPACE
        None,
        42,
    ],
)
def test_a_blank_name_or_one_with_control_characters_is_refused(typed):
    assert clean_name(typed) is None


@pytest.mark.parametrize(("rate", "accepted"), [(0, 0), (800, 800), (2000, 2000), (10_000, 10_000)])
def test_a_tax_rate_in_basis_points_from_zero_to_a_hundred_percent_is_accepted(rate, accepted):
    assert valid_tax_rate(rate) == accepted


@pytest.mark.parametrize("rate", [-1, 10_001, 20.0, "2000", True, None])
def test_a_tax_rate_outside_the_range_or_not_an_integer_is_refused(rate):
    assert valid_tax_rate(rate) is None


# -- name search words --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Şeker", ["seker"]),
        ("İÇECEK", ["icecek"]),
        ("ılık", ["ilik"]),
        ("IŞIK", ["isik"]),
        ("Ğ ğ Ü ü Ö ö Ç ç", ["g", "u", "o", "c"]),
        ("Çaykur Rize Çayı", ["caykur", "rize", "cayi"]),
        ("Toz Şeker 1 kg", ["toz", "seker", "1", "kg"]),
        ("L'Oréal Şampuan", ["l", "oreal", "sampuan"]),
        ("Coca-Cola 0,5 L", ["coca", "cola", "0", "5", "l"]),
        ("süt_tozu", ["sut", "tozu"]),
        ("Su su SU", ["su"]),
        ("\uff53\uff45\uff4b\uff45\uff52", ["seker"]),  # fullwidth letters from an IME
        ("%' OR 1=1 --", ["or", "1"]),
        ("%", []),
        ("_", []),
        ("", []),
        ("   ", []),
    ],
)
def test_search_words_are_folded_split_and_deduplicated(text, words):
    assert search_words(text) == words


def test_a_search_word_is_cut_to_the_indexed_length():
    assert search_words("a" * 100) == ["a" * MAX_WORD_LENGTH]


def test_typed_and_stored_spellings_fold_to_the_same_words():
    assert search_words("seker cay icecek") == search_words("ŞEKER ÇAY İÇECEK")


# -- messages -----------------------------------------------------------------------


@pytest.mark.parametrize("code", list(Code))
def test_every_code_has_a_turkish_and_an_english_text(code):
    texts = MESSAGES[code]
    for locale in LOCALES:
        assert texts[locale].strip(), (code, locale)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", list(Code))
def test_both_languages_name_the_same_parameters(code):
    assert _fields(MESSAGES[code]["tr"]) == _fields(MESSAGES[code]["en"])


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (Err(Code.INVALID_QUANTITY), "Geçersiz adet"),
        (Err(Code.PRODUCT_UNAVAILABLE), "Ürün mevcut değil"),
        (Err(Code.INSUFFICIENT_STOCK, {"available": 2}), "Yeterli stok yok - mevcut: 2"),
        (
            Warn(None, Code.ADDED_UNVERIFIED),
            "Sepete eklendi, ancak stok hemen doğrulanamadı",
        ),
    ],
)
def test_the_seed_texts_are_rendered_in_turkish_exactly(message, text):
    assert render(message, "tr") == text
    assert render(message) == text  # Turkish is the default


def test_the_seed_templates_are_kept_exactly():
    assert MESSAGES[Code.INSUFFICIENT_STOCK]["tr"] == "Yeterli stok yok - mevcut: {available}"


def test_a_bad_import_row_renders_its_problem_inside_it():
    problem = Err(Code.DUPLICATE_SKU, {"sku": "CAY-1"})
    row = Err(Code.IMPORT_BAD_ROW, {"line": 7, "problem": problem})

    assert render(row, "tr") == "Satır 7: Bu stok kodu başka bir üründe kayıtlı: CAY-1"
    assert render(row, "en") == "Line 7: Another product already has this SKU: CAY-1"


def test_counts_are_written_the_way_the_locale_writes_numbers():
    shortage = Err(Code.INSUFFICIENT_STOCK, {"available": 12345})

    assert render(shortage, "tr") == "Yeterli stok yok - mevcut: 12.345"
    assert render(shortage, "en") == "Not enough stock - available: 12,345"


def test_an_unknown_locale_falls_back_to_turkish():
    assert render(Err(Code.INVALID_QUANTITY), "de") == "Geçersiz adet"


@pytest.mark.parametrize(
    ("typed", "basis_points"),
    [("20", 2000), ("8,5", 850), ("0", 0), ("100", 10_000), ("1.25", 125)],
)
def test_a_tax_rate_is_typed_as_a_percentage(typed, basis_points):
    assert parse_tax_rate(typed) == basis_points


@pytest.mark.parametrize("typed", ["", "-1", "100.01", "8,555", "20%", "abc", None, True])
def test_a_tax_rate_outside_0_to_100_percent_or_malformed_is_refused(typed):
    assert parse_tax_rate(typed) is None


OUT_OF_RANGE = Err(Code.QUANTITY_OUT_OF_RANGE, {"lowest": 1, "highest": MAX_QUANTITY})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("8690504000014", (None, "8690504000014")),
        ("3*8690504000014", (3, "8690504000014")),
        (" 12 x SUT-1L ", (12, "SUT-1L")),
        ("2X8690504000014", (2, "8690504000014")),
        ("0*8690504000014", (OUT_OF_RANGE, "8690504000014")),
        ("99999999*8690504000014", (OUT_OF_RANGE, "8690504000014")),
        ("2,5*8690504000014", (Err(Code.QUANTITY_NOT_WHOLE), "8690504000014")),
        ("3*", (None, "3*")),
        ("*8690504000014", (Err(Code.QUANTITY_NOT_WHOLE), "8690504000014")),
    ],
)
def test_the_scan_fields_quantity_prefix_is_read_or_refused(typed, expected):
    assert split_quantity_prefix(typed) == expected
