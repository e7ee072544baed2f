"""Money is an integer count of minor units (kuruş, cents) in an ISO 4217 currency.

Decimal appears only while a typed or imported amount is turned into minor units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeGuard

from babel.core import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from babel.numbers import is_currency as babel_is_currency

DEFAULT_CURRENCY = "TRY"
"""The shop's currency unless its settings name another."""

MAX_PRICE_MINOR = 10_000_000_00
"""Ten million in major units: a till's single price above this is a typo."""

_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT = re.compile(r"[0-9]{1,12}([.,][0-9]{1,4})?")


@dataclass(frozen=True)
class Money:
    """An amount as a message parameter, so each locale writes it its own way."""

    minor: int
    currency: str


def is_currency(code: object) -> TypeGuard[str]:
    return isinstance(code, str) and bool(_CURRENCY.fullmatch(code)) and babel_is_currency(code)


def minor_digits(currency: str) -> int:
    return int(get_currency_precision(currency))


def parse_price(text: object, currency: str) -> int | None:
    """Minor units for a price typed as ``12,50`` or ``12.50``; None if it is not one.

    Refuses negatives, signs, thousands separators, more decimals than the currency
    has and anything above ``MAX_PRICE_MINOR``.
    """
    minor = parse_scaled(text, minor_digits(currency))
    return minor if minor is not None and minor <= MAX_PRICE_MINOR else None


def parse_scaled(text: object, digits: int) -> int | None:
    """``text`` as a whole number of 10**-digits units (``12,5`` with 2 digits is 1250).

    The one parser of typed decimals: no signs, no thousands separators, and no more
    decimals than ``digits``; None for anything else.
    """
    if isinstance(text, bool) or not isinstance(text, str | int):
        return None
    raw = str(text).strip()
    if not _AMOUNT.fullmatch(raw):
        return None
    try:
        amount = Decimal(raw.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None
    if amount.as_tuple().exponent < -digits:  # type: ignore[operator]
        return None
    return int((amount * 10**digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_amount(text: object, currency: str, locale: str) -> int | None:
    """Minor units for an amount typed the way ``locale`` writes numbers; None if it is not one.

    In Turkish ``.`` groups thousands and ``,`` marks the decimals: ``1.000`` is a thousand
    and ``1.000,50`` a thousand and a half; in English the other way round. A separator in
    the wrong place (``12.50`` in Turkish), signs, more decimals than the currency has and
    anything above ``MAX_PRICE_MINOR`` are refused rather than guessed at.
    """
    if not isinstance(text, str):
        return None
    raw = text.strip()
    allowed = set("0123456789") | {get_decimal_symbol(locale), get_group_symbol(locale)}
    if not raw or not raw[0].isdigit() or not set(raw) <= allowed or len(raw) > 24:
        return None
    try:
        amount = parse_decimal(raw, locale=locale, strict=True)
    except NumberFormatError:
        return None
    digits = minor_digits(currency)
    if amount.as_tuple().exponent < -digits:  # type: ignore[operator]
        return None
    minor = int(amount.scaleb(digits))
    return minor if minor <= MAX_PRICE_MINOR else None


def format_money(minor: int, currency: str, locale: str, *, whole: bool = False) -> str:
    """``₺1.234,56`` in Turkish, ``₺1,234.56`` in English: the locale's pattern with the
    currency's own symbol where the locale has none but the code (``TRY32.50``).

    ``whole`` leaves the minor digits out, for round sums (``₺2.250``).
    """
    return _format_money(minor, currency, locale, whole)


@lru_cache(maxsize=8192)
def _format_money(minor: int, currency: str, locale: str, whole: bool) -> str:
    """Remembered: the cart's table asks again for every cell at every paint, and babel
    takes a tenth of a millisecond a call."""
    amount = Decimal(minor).scaleb(-minor_digits(currency))
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    if whole:
        pattern = pattern.replace("#,##0.00", "#,##0")
    symbol = _symbol(currency, locale).replace("'", "''")
    return str(
        format_currency(
            amount,
            currency,
            format=pattern.replace("¤", f"'{symbol}'"),
            locale=locale,
            currency_digits=not whole,
        )
    )


def _symbol(currency: str, locale: str) -> str:
    """The locale's symbol for ``currency``, or where it only knows the code, the symbol
    of the currency's home country (ISO 4217 codes start with it: TR for TRY)."""
    own = str(get_currency_symbol(currency, locale))
    if own != currency:
        return own
    try:
        home = Locale.parse(f"und_{currency[:2]}")
    except (UnknownLocaleError, ValueError):
        return own
    return str(home.currency_symbols.get(currency, own))


ROUND_SUMS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
"""Round sums, in major units, a customer's cash usually comes to (the lira's notes, and
multiples of them)."""


def quick_cash(total_minor: int, currency: str, count: int = 4) -> tuple[int, ...]:
    """The amounts a customer is likely to hand over for ``total_minor``, smallest first.

    Each is the total rounded up to one of ``ROUND_SUMS`` (₺32,50: ₺35, ₺40, ₺50, ₺100;
    ₺2.246,55: ₺2.250, ₺2.260, ₺2.300, ₺2.400), so one key press fills in the cash given
    whatever the sale comes to. The exact total is not among them.
    """
    unit = 10 ** minor_digits(currency)
    if total_minor <= 0:
        return ()  # nothing to pay: no note to hand over
    amounts: list[int] = []
    for step in ROUND_SUMS:
        size = step * unit
        amount = -(-max(total_minor, 1) // size) * size  # round up to the step
        if amount > total_minor and amount not in amounts:
            amounts.append(amount)
    return tuple(sorted(amounts)[:count])
