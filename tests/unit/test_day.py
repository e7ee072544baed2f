"""A till's day in the domain: counting the float, splitting tax as checkout does, a Z
kept as made, and the audit log's words for its steps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pos.domain.audit_wording import AuditFacts, describe
from pos.domain.day import (
    MAX_DRAWER_MINOR,
    CashierLine,
    DayReport,
    DrawerLine,
    MovementLine,
    TaxRateLine,
    TenderLine,
    counted_total,
    report_from_record,
    tax_split,
)
from pos.domain.pricing import PriceLine, quote

AT = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def test_a_count_by_denomination_adds_up_and_rejects_what_is_not_a_count() -> None:
    assert counted_total({20_000: 2, 5: 3}) == 40_015
    for wrong in ({}, {0: 1}, {100: -1}, {100: 1.0}, {"100": 1}, {True: 1}, [(100, 1)], None):
        assert counted_total(wrong) is None, wrong
    assert counted_total({MAX_DRAWER_MINOR: 1}) == MAX_DRAWER_MINOR
    assert counted_total({MAX_DRAWER_MINOR: 2}) is None


@pytest.mark.parametrize("include", [True, False])
@pytest.mark.parametrize("amount", [1, 999, 12_345, 10_000_001])
@pytest.mark.parametrize("rate", [0, 100, 1000, 2000])
def test_the_tax_split_is_checkouts_own(amount: int, rate: int, include: bool) -> None:
    priced = quote([PriceLine(amount, 1, rate)], prices_include_tax=include)

    assert tax_split(amount, rate, include) == (priced.total_minor, priced.tax_minor)


def test_a_kept_z_reads_back_as_it_was_made() -> None:
    made = DayReport(
        session_id=4,
        till_code="T01",
        currency="TRY",
        opened_at=AT,
        opened_by="Ayşe",
        float_minor=50_000,
        made_at=AT,
        z_number=7,
        closed_by="Ayşe",
        float_counts=((20_000, 2), (5_000, 2)),
        tenders=(TenderLine("cash", 10, 1, 9, 50_009, 50_000),),
        taxes=(TaxRateLine(2000, 10, 2, 1, 0),),
        cashiers=(CashierLine("Ayşe", 1, 10),),
        movements=(MovementLine("out", 500, "Su", "Ayşe", AT, "Mehmet"),),
        drawer_openings=(DrawerLine("Bozuk", "Ayşe", AT),),
        header=("KASA BAKKAL",),
    )

    assert report_from_record(made.as_record()) == made
    assert made.cash is not None
    assert made.cash.difference_minor == -9


@pytest.mark.parametrize(
    ("action", "turkish"),
    [("cash.paid_in", "kasaya para girişi"), ("cash.paid_out", "kasadan para çıkışı")],
)
def test_a_managers_approval_of_cash_in_or_out_is_said_in_words(action: str, turkish: str) -> None:
    facts = AuditFacts("approval.granted", "Mehmet", "Ayşe Müdür", {"approved": action})

    assert describe(facts, "tr") == f"Ayşe Müdür: Mehmet için {turkish} onayını verdi"
    assert action not in describe(facts, "en")
