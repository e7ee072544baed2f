"""What a return pays back is what the customer paid, in both kinds of shop: where the
shelf's prices include the tax and where the tax comes on top at checkout. Whole and
bit by bit, with coupons and several tax rates, to the drawer and to the card; the
refund receipt and the Z count the tax of what went back. Both stores."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from pos.domain.coupons import CouponKind
from pos.domain.payments import PaymentStatus, RefundStatus
from pos.domain.pricing import PriceLine, quote
from pos.domain.results import Code
from pos.domain.return_receipt import render_return_receipt
from pos.services.card_payments import start_card_payment
from pos.services.cart import add_to_cart
from pos.services.cash_sessions import open_session
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Card, Cash, checkout
from pos.services.coupons import CouponDraft, create_coupon
from pos.services.day_reports import x_report
from pos.services.receipts import receipt_data
from pos.services.refunds import refund, start_refund, void_tendered_sale
from pos.services.return_receipts import return_receipt_data
from pos.services.returns import (
    ReturnRequest,
    return_items,
    returnable_sale,
)
from pos.services.shop import update_shop_settings
from pos.services.stock import receive_stock
from pos.services.tenders import add_tender
from pos.store.models import Order, OrderStatus, Payment, Refund
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, error, value
from tests.invariants import assert_invariants
from tests.payments import terminal_rig
from tests.sales import key, new_cart, rows, shown_total

BOTH_SHOPS = pytest.mark.parametrize("include_tax", [True, False], ids=["included", "on-top"])
MIXED = ((333, 7, 2_000), (1_001, 3, 100), (1_999, 2, 1_000), (5, 3, 2_000))
"""(unit price, quantity, tax rate) lines: prices whose tax rounds every way."""


class Shop:
    """A shop priced one way or the other, its products made with their tax rates."""

    def __init__(self, uow: UnitOfWork, manager: Any, include_tax: bool) -> None:
        self.uow, self.manager, self.count = uow, manager, 0
        value(update_shop_settings(uow, user_id=manager.id, prices_include_tax=include_tax))

    def product(self, price: int, rate: int = 2_000) -> int:
        self.count += 1
        draft = ProductDraft(
            sku=f"V{self.count:03d}", name=f"Ürün {self.count}", price_minor=price, tax_rate_bp=rate
        )
        made = value(create_product(self.uow, draft)).id
        value(receive_stock(self.uow, made, 50, user_id=self.manager.id))
        return made

    def sell(self, *lines: tuple[int, int, int], coupon: str | None = None,
             tender: Cash | Card | None = None) -> Any:  # fmt: skip
        from pos.services.coupons import apply_coupon

        cart = new_cart(self.uow)
        for price, quantity, rate in lines:
            value(add_to_cart(self.uow, cart, self.product(price, rate), quantity))
        if coupon is not None:
            value(apply_coupon(self.uow, cart, coupon))
        total = shown_total(self.uow, cart)
        return value(
            checkout(
                self.uow,
                cart,
                shown_total_minor=total,
                tender=tender or Cash(total),
                idempotency_key=key(),
            )
        )


@pytest.fixture
def on_top(uow: UnitOfWork, manager: Any) -> Shop:
    return Shop(uow, manager, include_tax=False)


def back(uow: UnitOfWork, sale: Any, user: Any, *requests: ReturnRequest, **kwargs: Any) -> Any:
    # A card sale has its receipt once the card pays: its id finds it before then.
    named = sale.receipt or str(sale.order_id)
    return return_items(uow, named, list(requests), reason="iade", user_id=user.id, **kwargs)


def paid_back(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(select(func.coalesce(func.sum(Refund.amount_minor), 0))).scalar_one()
        )


def test_all_of_a_sale_with_tax_on_top_comes_back_as_it_was_paid(
    store: Store, uow: UnitOfWork, on_top: Shop, cashier: Any
) -> None:
    sale = on_top.sell((10_000, 1, 2_000))
    assert sale.total_minor == 12_000  # 100,00 and 20 % on top
    (line,) = value(returnable_sale(uow, sale.receipt)).lines
    assert line.worth(1) == 12_000  # what the till shows before the return is made
    made = value(back(uow, sale, cashier, ReturnRequest(1, 1)))
    assert (made.total_minor, made.cash_back_minor) == (12_000, 12_000)
    assert paid_back(store) == 12_000
    assert {row.status for row in rows(store, Payment.status)} == {PaymentStatus.REFUNDED}
    assert_invariants(store.engine)


def _one_at_a_time(sale_lines: tuple[tuple[int, int, int], ...]) -> list[list[ReturnRequest]]:
    """Each unit back on its own, the lines taken in turn."""
    units = [[n] * quantity for n, (_, quantity, _) in enumerate(sale_lines, start=1)]
    order = [n for n in itertools.chain(*itertools.zip_longest(*units)) if n is not None]
    return [[ReturnRequest(n, 1)] for n in order]


def _in_uneven_bites(sale_lines: tuple[tuple[int, int, int], ...]) -> list[list[ReturnRequest]]:
    """Two units of a line where it has them, with another line's unit beside them."""
    left = {n: quantity for n, (_, quantity, _) in enumerate(sale_lines, start=1)}
    steps = []
    while any(left.values()):
        step = []
        for n, count in left.items():
            if count:
                take = min(count, 2 if len(steps) % 2 == 0 else 1)
                step.append(ReturnRequest(n, take))
                left[n] -= take
            if len(step) == 2:
                break
        steps.append(step)
    return steps


@BOTH_SHOPS
@pytest.mark.parametrize("coupon", [None, ("YUZDE", CouponKind.PERCENT, 1_500),
                                    ("SABIT", CouponKind.FIXED, 777)])  # fmt: skip
@pytest.mark.parametrize("bites", [_one_at_a_time, _in_uneven_bites])
def test_a_sale_returned_bit_by_bit_gives_back_its_total_to_the_kurus(
    store: Store, uow: UnitOfWork, manager: Any, cashier: Any, include_tax: bool,
    coupon: tuple[str, CouponKind, int] | None, bites: Any,
) -> None:  # fmt: skip
    shop = Shop(uow, manager, include_tax)
    code = None
    if coupon is not None:
        code, kind, amount = coupon
        value(create_coupon(uow, CouponDraft(code, kind, amount), user_id=manager.id))
    sale = shop.sell(*MIXED, coupon=code)
    steps = bites(MIXED)
    totals = []
    for number, step in enumerate(steps, start=1):
        made = value(back(uow, sale, cashier, *step))
        totals.append(made.total_minor)
        assert made.total_minor == sum(line.total_minor for line in made.lines)
        assert paid_back(store) == sum(totals)
        if number < len(steps):
            assert sum(totals) < sale.total_minor  # never a kuruş ahead
    assert sum(totals) == sale.total_minor
    assert {row.status for row in rows(store, Payment.status)} == {PaymentStatus.REFUNDED}
    assert all(line.left == 0 for line in value(returnable_sale(uow, sale.receipt)).lines)
    assert_invariants(store.engine)


def test_the_refund_receipt_shows_the_tax_of_what_went_back_at_each_rate(
    uow: UnitOfWork, on_top: Shop, cashier: Any
) -> None:
    sale = on_top.sell((10_000, 1, 2_000), (1_667, 3, 100))
    # 100,00 + 20,00 at 20 %; 50,01 + 0,50 at 1 %.
    assert sale.total_minor == 10_000 + 2_000 + 5_001 + 50
    whole = value(back(uow, sale, cashier, ReturnRequest(1, 1), ReturnRequest(2, 3)))
    data = value(return_receipt_data(uow, whole.return_id))
    assert [(t.rate_bp, t.base_minor, t.tax_minor) for t in data.taxes] == [
        (100, 5_001, 50),
        (2_000, 10_000, 2_000),
    ]
    sold = value(receipt_data(uow, sale.order_id))
    assert data.taxes == sold.taxes  # all of it back: the sale's own tax, rate by rate
    text = render_return_receipt(data, "tr")
    for shown in ("KDV %20", "KDV %1", "TOPKDV", "₺20,50", "₺170,51"):
        assert shown in text
    english = render_return_receipt(data, "en")
    assert "VAT 20%" in english
    assert "Total VAT" in english


def test_the_z_counts_what_went_back_and_its_tax_as_the_refund_receipts_do(
    uow: UnitOfWork, on_top: Shop, cashier: Any
) -> None:
    value(open_session(uow, user_id=cashier.id, float_counts={10_000: 1}))
    sale = on_top.sell((333, 7, 2_000), (1_001, 3, 100))
    made = [
        value(back(uow, sale, cashier, ReturnRequest(1, 3))),
        value(back(uow, sale, cashier, ReturnRequest(2, 1), ReturnRequest(1, 2))),
    ]
    receipts = [value(return_receipt_data(uow, m.return_id)) for m in made]
    report = value(x_report(uow))
    assert (report.returns, report.returns_minor) == (2, sum(m.total_minor for m in made))
    (cash,) = report.tenders
    assert cash.refunded_minor == sum(m.total_minor for m in made)
    assert cash.net_minor == sale.total_minor - sum(m.total_minor for m in made)
    for line in report.taxes:
        on_receipts = [t for r in receipts for t in r.taxes if t.rate_bp == line.rate_bp]
        assert line.returned_minor == sum(t.base_minor + t.tax_minor for t in on_receipts)
        assert line.returned_tax_minor == sum(t.tax_minor for t in on_receipts)
    twenty = next(line for line in report.taxes if line.rate_bp == 2_000)
    # 5 of 7 units at 3,33 net came back: about 5/7 of 27,97 paid, tax in.
    assert twenty.returned_minor == 2_797 * 5 // 7


def test_a_card_is_paid_back_what_it_paid_tax_on_top_and_all(
    store: Store, clock: FakeClock, uow: UnitOfWork, on_top: Shop, cashier: Any
) -> None:
    with terminal_rig(store, clock) as rig:
        sale = on_top.sell((2_500, 2, 2_000), tender=Card())
        assert sale.total_minor == 6_000
        start_card_payment(uow, rig.terminal, sale.payment_id)
        assert rig.wait_settled(sale.payment_id).status is PaymentStatus.PAID
        made = back(uow, sale, cashier, ReturnRequest(1, 1))
        assert made.code is Code.REFUND_PENDING
        (card,) = made.value.card_refunds
        assert card.amount_minor == 3_000
        start_refund(uow, rig.terminal, card.refund_id)
        import time

        deadline = time.monotonic() + 10
        while value(refund(uow, card.refund_id)).unresolved and time.monotonic() < deadline:
            time.sleep(0.02)
        assert value(refund(uow, card.refund_id)).status is RefundStatus.SUCCEEDED
        rest = back(uow, sale, cashier, ReturnRequest(1, 1))
        (second,) = rest.value.card_refunds
        assert second.amount_minor == 3_000
    assert_invariants(store.engine)


def test_voiding_a_part_paid_sale_with_tax_on_top_gives_back_what_was_tendered(
    store: Store, uow: UnitOfWork, on_top: Shop, cashier: Any
) -> None:
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, on_top.product(10_000, 2_000), 1))
    assert shown_total(uow, cart) == 12_000
    sale = value(
        checkout(
            uow, cart, shown_total_minor=12_000, tender=Cash(5_000, amount_minor=5_000),
            idempotency_key=key(),
        )
    )  # fmt: skip
    value(add_tender(uow, sale.order_id, Cash(4_000, amount_minor=4_000), idempotency_key=key()))
    voided = value(void_tendered_sale(uow, sale.order_id, user_id=cashier.id))
    assert voided.voided
    assert voided.cash_back_minor == 9_000
    assert paid_back(store) == 9_000
    (row,) = rows(store, Order.status)
    assert OrderStatus(row.status) is OrderStatus.CANCELLED
    assert_invariants(store.engine)


@BOTH_SHOPS
def test_a_return_never_gives_back_more_than_is_left_of_the_line(
    uow: UnitOfWork, manager: Any, cashier: Any, include_tax: bool
) -> None:
    sale = Shop(uow, manager, include_tax).sell((999, 3, 2_000))
    expected = quote([PriceLine(999, 3, 2_000)], prices_include_tax=include_tax).total_minor
    assert sale.total_minor == expected
    value(back(uow, sale, cashier, ReturnRequest(1, 2)))
    assert error(back(uow, sale, cashier, ReturnRequest(1, 2))).code is Code.RETURN_TOO_MANY
    last = value(back(uow, sale, cashier, ReturnRequest(1, 1)))
    assert last.total_minor == expected - expected * 2 // 3
