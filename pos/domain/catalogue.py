"""What a product's SKU, barcode, name and tax rate may be, and how names are searched."""

from __future__ import annotations

import re

from pos.domain.money import parse_scaled
from pos.domain.text import clean_line, trimmed
from pos.domain.words import MAX_SEARCH_WORDS as MAX_SEARCH_WORDS
from pos.domain.words import MAX_WORD_LENGTH as MAX_WORD_LENGTH
from pos.domain.words import search_words as search_words

MAX_NAME_LENGTH = 200
MAX_TAX_RATE_BP = 10_000
"""Tax rates are basis points: 2000 is 20 %."""
DEFAULT_TAX_RATE_BP = 2000
"""Turkey's general KDV rate, for a product whose rate is not given."""
KDV_RATES_BP = (0, 100, 1000, 2000)
"""The KDV rates a Turkish shop charges (since July 2023): a supplier's list with another
(the old 8 % or 18 %, a typo's 7 %) is a mistake to fix before it reaches a receipt."""

_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_BARCODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
_GTIN_LENGTHS = (8, 12, 13, 14)


def clean_sku(value: object) -> str | None:
    sku = trimmed(value)
    return sku if sku is not None and _SKU.fullmatch(sku) else None


def gtin_check_digit_ok(code: str) -> bool:
    """The GS1 mod-10 check digit of an EAN-8, UPC-A, EAN-13 or GTIN-14."""
    body, check = code[:-1], int(code[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def clean_barcode(value: object) -> str | None:
    """A GS1 number with a valid check digit, or an in-store Code 128 label.

    Purely numeric codes of a GTIN length must carry a correct check digit: a
    scanner misread or a typo must not silently match another product.
    """
    text = trimmed(value)
    if text is None:
        return None
    code = text.upper()
    if not _BARCODE.fullmatch(code):
        return None
    if code.isdigit() and len(code) in _GTIN_LENGTHS and not gtin_check_digit_ok(code):
        return None
    return code


def clean_name(value: object) -> str | None:
    """The name with its spaces tidied, or None if it is empty, too long or holds a
    control or format character (tabs and line breaks included: a receipt prints one line)."""
    return clean_line(value, MAX_NAME_LENGTH)


def parse_tax_rate(text: object) -> int | None:
    """Basis points for a rate typed as a percentage: ``20`` is 2000, ``8,5`` is 850."""
    return valid_tax_rate(parse_scaled(text, 2))


def valid_tax_rate(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_TAX_RATE_BP else None
