"""A till's day in the shop's words: the float counted by denomination, what the drawer
should hold, and the X and Z reports as plain values (DESIGN.md §9).

The services fill a ``DayReport`` from the store; the layout (``pos.domain.day_layout``)
turns it into the document the screen, the printer and the PDF show. A Z report is
kept as ``as_record()`` wrote it and read back with ``report_from_record``: what was
printed is what the back office shows, whatever changes later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from pos.domain.money import MAX_PRICE_MINOR
from pos.domain.pricing import BASIS_POINTS, round_half_up

MAX_DRAWER_MINOR = MAX_PRICE_MINOR
"""The most a float, a count or a cash movement may be: more is a slip of the finger."""
MAX_PIECES = 100_000
"""The most notes or coins of one denomination a count may give."""

DENOMINATIONS: dict[str, tuple[int, ...]] = {
    "TRY": (20_000, 10_000, 5_000, 2_000, 1_000, 500, 100, 50, 25, 10, 5),
}
"""The notes and coins a float is counted in, largest first (minor units); a currency
not here is counted as one sum."""

PAY_IN = "in"
PAY_OUT = "out"


def drawer_amount(value: object) -> int | None:
    """Minor units of cash as a person counted them: a whole number 0..MAX; else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_DRAWER_MINOR else None


def counted_total(counts: object) -> int | None:
    """The sum of a count by denomination (``{denomination_minor: pieces}``); None when a
    denomination or a number of pieces is not a whole number in range, or the sum is."""
    if not isinstance(counts, Mapping) or not counts:
        return None
    total = 0
    for denomination, pieces in counts.items():
        if drawer_amount(denomination) is None or denomination == 0:
            return None
        if isinstance(pieces, bool) or not isinstance(pieces, int) or not 0 <= pieces <= MAX_PIECES:
            return None
        total += denomination * pieces
    return drawer_amount(total)


def tax_split(amount_minor: int, rate_bp: int, prices_include_tax: bool) -> tuple[int, int]:
    """The gross (what the customer paid) and the tax in ``amount_minor`` of lines at
    ``rate_bp``, rounded as checkout rounds them (once per rate per sale)."""
    if prices_include_tax:
        tax = round_half_up(amount_minor * rate_bp, BASIS_POINTS + rate_bp)
        return amount_minor, tax
    tax = round_half_up(amount_minor * rate_bp, BASIS_POINTS)
    return amount_minor + tax, tax


@dataclass(frozen=True)
class TenderLine:
    """One tender over the session: what came in, what went back, what should be there."""

    method: str
    taken_minor: int
    """Settled tenders (change not counted: it went back across the counter)."""
    refunded_minor: int
    net_minor: int
    expected_minor: int
    """For cash: the float, plus the net, plus paid in, less paid out."""
    counted_minor: int | None = None
    """What the blind count found (None on an X report, or a tender not counted)."""

    @property
    def difference_minor(self) -> int | None:
        """Over (positive) or short (negative); None when not counted."""
        if self.counted_minor is None:
            return None
        return self.counted_minor - self.expected_minor


@dataclass(frozen=True)
class TaxRateLine:
    rate_bp: int
    sold_minor: int
    """What the customers paid at this rate, tax included."""
    sold_tax_minor: int
    returned_minor: int
    returned_tax_minor: int

    @property
    def net_minor(self) -> int:
        return self.sold_minor - self.returned_minor

    @property
    def net_tax_minor(self) -> int:
        return self.sold_tax_minor - self.returned_tax_minor


@dataclass(frozen=True)
class CashierLine:
    name: str
    sales: int
    total_minor: int


@dataclass(frozen=True)
class MovementLine:
    kind: str
    amount_minor: int
    reason: str
    by: str
    at: datetime
    approved_by: str | None = None


@dataclass(frozen=True)
class DrawerLine:
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class DiscountLine:
    """The lines given a discount of their own for one reason, and what it took off."""

    reason: str
    lines: int
    amount_minor: int


@dataclass(frozen=True)
class DayReport:
    """An X report (``z_number`` None: the session so far) or a Z report (it closed)."""

    session_id: int
    till_code: str
    currency: str
    opened_at: datetime
    opened_by: str
    float_minor: int
    made_at: datetime
    z_number: int | None = None
    closed_by: str | None = None
    float_counts: tuple[tuple[int, int], ...] = ()
    sales: int = 0
    sales_minor: int = 0
    first_receipt: str | None = None
    last_receipt: str | None = None
    discounts_minor: int = 0
    """Every discount of the day's sales: the lines' own and the coupons'."""
    line_discounts: tuple[DiscountLine, ...] = ()
    """The lines' own discounts by reason, reasons in order (a part of ``discounts_minor``)."""
    returns: int = 0
    returns_minor: int = 0
    """What returns paid back (all of a return's worth, whichever tender took it)."""
    voids: int = 0
    voids_minor: int = 0
    paid_in_minor: int = 0
    paid_out_minor: int = 0
    tenders: tuple[TenderLine, ...] = ()
    taxes: tuple[TaxRateLine, ...] = ()
    cashiers: tuple[CashierLine, ...] = ()
    movements: tuple[MovementLine, ...] = ()
    drawer_openings: tuple[DrawerLine, ...] = ()
    header: tuple[str, ...] = ()
    """The shop's name and address as its receipts print them."""

    @property
    def is_z(self) -> bool:
        return self.z_number is not None

    @property
    def total_minor(self) -> int:
        """The day's takings: every tender's net (sales less what went back)."""
        return sum(line.net_minor for line in self.tenders)

    @property
    def cash(self) -> TenderLine | None:
        return next((line for line in self.tenders if line.method == "cash"), None)

    def as_record(self) -> str:
        """The report as kept with its closed session (JSON)."""
        return json.dumps(asdict(self), default=_iso, ensure_ascii=False, sort_keys=True)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not kept in a report")


def report_from_record(record: str) -> DayReport:
    """A kept Z report, as it was printed."""
    data: dict[str, Any] = json.loads(record)
    for name in ("opened_at", "made_at"):
        data[name] = datetime.fromisoformat(data[name])
    data["float_counts"] = tuple(tuple(pair) for pair in data["float_counts"])
    data["header"] = tuple(data.get("header", ()))
    data["tenders"] = tuple(TenderLine(**line) for line in data["tenders"])
    data["taxes"] = tuple(TaxRateLine(**line) for line in data["taxes"])
    data["cashiers"] = tuple(CashierLine(**line) for line in data["cashiers"])
    data["line_discounts"] = tuple(DiscountLine(**line) for line in data.get("line_discounts", ()))
    data["movements"] = tuple(
        MovementLine(**{**line, "at": datetime.fromisoformat(line["at"])})
        for line in data["movements"]
    )
    data["drawer_openings"] = tuple(
        DrawerLine(**{**line, "at": datetime.fromisoformat(line["at"])})
        for line in data["drawer_openings"]
    )
    return DayReport(**data)
