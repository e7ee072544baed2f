"""The audit log in the shop's words: every action the code writes has a sentence, in
Turkish and English, with money as money, rates as percentages and sales by receipt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pos.domain.audit_wording import WORDING, AuditFacts, describe
from pos.domain.money import format_money
from pos.store.models import MoveKind

POS = Path(__file__).resolve().parents[2] / "pos"
_LITERAL = re.compile(r"[\"']([a-z_]+\.[a-z_]+)[\"']")
_WRITES = re.compile(r"\baction=|[\"']action[\"']\s*:|^[A-Z_]*_ACTION\s*=")


def written_actions() -> set[str]:
    """Every action a use case writes to the log, read from the code itself: a literal
    given as ``action=`` (or as the ``"action"`` of a row, or named as an ``*_ACTION``
    constant), and the stock moves' kinds."""
    found: set[str] = set()
    for path in POS.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if _WRITES.search(line):
                found.update(_LITERAL.findall(line))
            if 'f"stock.{kind.value}"' in line:
                found.update(f"stock.{kind.value}" for kind in MoveKind)
    return found


def test_the_code_is_read_for_its_actions() -> None:
    # A guard on the reader: if it found nothing, the test below would prove nothing.
    assert {"user.unlock", "cart.price_override", "stock.receive", "payment.force_resolve"} <= (
        written_actions()
    )


@pytest.mark.parametrize("action", sorted(written_actions()))
@pytest.mark.parametrize("locale", ["tr", "en"])
def test_every_action_the_code_writes_has_a_sentence(action: str, locale: str) -> None:
    assert action in WORDING, f"no wording for {action!r}: add it to pos/domain/audit_wording"
    sentence = describe(AuditFacts(action, "Mehmet Müdür", None, {}), locale)
    assert action not in sentence
    assert "{" not in sentence
    assert "}" not in sentence


def test_an_unlock_names_both_people_without_guessing_a_turkish_ending() -> None:
    facts = AuditFacts("user.unlock", "Mehmet Müdür", None, {}, subject="Ayşe Kasiyer")

    assert describe(facts, "tr") == "Mehmet Müdür: Ayşe Kasiyer kullanıcısının kilidini açtı"
    assert describe(facts, "en") == "Mehmet Müdür unlocked Ayşe Kasiyer"


def test_an_item_given_away_says_why() -> None:
    facts = AuditFacts(
        "cart.price_override",
        "Ayşe Kasiyer",
        "Mehmet Müdür",
        {
            "before": {"unit_price_minor": 3250},
            "after": {"unit_price_minor": 0},
            "reason": "Hasarlı ambalaj",
        },
        product="Türk Kahvesi 100 g",
    )

    assert describe(facts, "tr") == (
        "Ayşe Kasiyer: satıştaki Türk Kahvesi 100 g ürününün fiyatını ₺32,50 yerine ₺0,00"
        " yaptı: Hasarlı ambalaj (onaylayan: Mehmet Müdür)"
    )
    before, after = format_money(3250, "TRY", "en"), format_money(0, "TRY", "en")
    assert describe(facts, "en") == (
        f"Ayşe Kasiyer changed the price of Türk Kahvesi 100 g in the sale from {before} to"
        f" {after}: Hasarlı ambalaj (approved by Mehmet Müdür)"
    )


def test_a_price_change_in_a_sale_is_money_with_the_product_and_the_approver() -> None:
    facts = AuditFacts(
        "cart.price_override",
        "Ayşe Kasiyer",
        "Mehmet Müdür",
        {"before": {"unit_price_minor": 3250}, "after": {"unit_price_minor": 2990}},
        product="Türk Kahvesi 100 g",
    )

    assert describe(facts, "tr") == (
        "Ayşe Kasiyer: satıştaki Türk Kahvesi 100 g ürününün fiyatını ₺32,50 yerine ₺29,90"
        " yaptı (onaylayan: Mehmet Müdür)"
    )
    before, after = format_money(3250, "TRY", "en"), format_money(2990, "TRY", "en")
    assert describe(facts, "en") == (
        f"Ayşe Kasiyer changed the price of Türk Kahvesi 100 g in the sale from {before} to"
        f" {after} (approved by Mehmet Müdür)"
    )


def test_a_percent_coupons_value_is_a_percentage() -> None:
    created = AuditFacts(
        "coupon.created", "Mehmet Müdür", None, {"kind": "percent", "value": 1500}, subject="YAZ15"
    )
    changed = AuditFacts(
        "coupon.updated",
        "Mehmet Müdür",
        None,
        {
            "before": {"value": 1500, "min_cart_minor": 0},
            "after": {"value": 2000, "min_cart_minor": 20000},
        },
        subject="YAZ15",
        coupon_kind="percent",
    )

    assert describe(created, "tr") == "Mehmet Müdür: YAZ15 kuponunu oluşturdu (%15 indirim)"
    assert describe(changed, "tr") == (
        "Mehmet Müdür: YAZ15 kuponunu değiştirdi: indirim: %15 → %20, en az sepet: ₺0,00 → ₺200,00"
    )
    assert "value" not in describe(changed, "en")


def test_a_sale_is_named_by_its_receipt_number() -> None:
    facts = AuditFacts("receipt.reprint", "Mehmet Müdür", None, {}, receipt="T01-000042")

    assert (
        describe(facts, "tr") == "Mehmet Müdür: T01-000042 fişli satış için fişi yeniden yazdırdı"
    )
    assert describe(facts, "en") == "Mehmet Müdür reprinted the receipt of sale T01-000042"


def test_a_voided_sale_is_a_sale_not_a_cart_number() -> None:
    facts = AuditFacts(
        "sale.voided", "Ayşe Kasiyer", None, {"units_released": 3, "total_minor": 12000}
    )

    assert describe(facts, "tr") == "Ayşe Kasiyer: satışı iptal etti (₺120,00, 3 adet stoğa döndü)"
    assert "cart" not in describe(facts, "en")


def test_a_product_change_shows_price_and_tax_rate_the_shops_way() -> None:
    facts = AuditFacts(
        "product.update",
        "Mehmet Müdür",
        None,
        {
            "before": {"price_minor": 1250, "tax_rate_bp": 100},
            "after": {"price_minor": 1390, "tax_rate_bp": 2000},
        },
        subject="Ekmek",
    )

    assert describe(facts, "tr") == (
        "Mehmet Müdür: Ekmek ürününü değiştirdi: fiyat: ₺12,50 → ₺13,90, KDV oranı: %1 → %20"
    )


def test_a_recalled_sale_says_how_many_lines_it_lost_for_want_of_stock() -> None:
    facts = AuditFacts(
        "sale.recalled",
        "Mehmet Demir",
        None,
        {"total_minor": 2500, "currency": "TRY", "short": [{"product": 3}, {"product": 4}]},
    )

    assert describe(facts, "en") == (
        f"Mehmet Demir recalled a parked sale ({format_money(2500, 'TRY', 'en')};"
        " 2 lines short of stock taken off)"
    )
