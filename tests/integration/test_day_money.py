"""Money reconciles: random days at a till (cash, card and mixed tenders, change, line
discounts, voids
of part-paid sales and of open carts, returns paid back in cash or to the card, cash
paid in and out, drawer openings, days closed and opened again) and, after every step
and for every closed day, to the kuruş:

- the receipts' totals less the returns = the settled tenders less change less what
  went back = the report's total, per tender and per tax rate;
- each tender's figures equal what this test itself saw the customers pay and get back;
- the cash the drawer should hold is the float, plus net cash, plus paid in, less out;
- Z numbers run 1, 2, 3... and a closed day's Z reads back as it was made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import Engine, func, select

from pos.domain.day import DayReport
from pos.domain.payments import RefundStatus, Settler
from pos.domain.pricing import round_half_up
from pos.domain.results import Code, Err
from pos.services.cart import add_to_cart, open_cart, void_sale
from pos.services.cash_sessions import close_session, open_session, pay_in, pay_out
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Card, Cash, checkout
from pos.services.day_reports import x_report, z_report
from pos.services.discounts import discount_line
from pos.services.drawer import open_drawer_without_sale
from pos.services.payments import mark_paid
from pos.services.refunds import finalise_refund, void_tendered_sale
from pos.services.returns import ReturnRequest, return_items
from pos.services.stock import receive_stock
from pos.services.tenders import add_tender
from pos.services.users import create_user
from pos.store.models import Order, Role, SaleReturn
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from tests.machines import run_machine

PRODUCTS = ((999, 0), (1001, 100), (2550, 1000), (3333, 2000), (12_345, 2000))
"""(price, tax rate in basis points): odd prices, every Turkish KDV rate."""


@dataclass
class Day:
    """What the test itself saw happen at the till since the day opened."""

    session_id: int
    float_minor: int
    taken: dict[str, int] = field(default_factory=lambda: {"cash": 0, "card": 0})
    back: dict[str, int] = field(default_factory=lambda: {"cash": 0, "card": 0})
    paid_in: int = 0
    paid_out: int = 0
    sales: int = 0
    sales_minor: int = 0
    returns_minor: int = 0
    openings: int = 0
    voids: int = 0
    line_discounts: int = 0

    @property
    def drawer(self) -> int:
        cash = self.taken["cash"] - self.back["cash"]
        return self.float_minor + cash + self.paid_in - self.paid_out


class TillDays(RuleBasedStateMachine):
    new_store: staticmethod

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = self.new_store()
        self.clock = FakeClock()
        self.uow = UnitOfWork(self.engine, self.clock)
        self.sold: list[tuple[str, int, str]] = []
        """Receipts of this day's sales: (receipt, units of line 1 left, single tender)."""
        self.closed: list[tuple[int, DayReport]] = []

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize(float_minor=st.integers(0, 200_000))
    def open_the_till(self, float_minor: int) -> None:
        self.manager = value(create_user(self.uow, "mudur", "Ayşe", Role.MANAGER, "9999")).id
        self.cashier = value(create_user(self.uow, "kasiyer", "Mehmet", Role.CASHIER, "1234")).id
        self.products = []
        for number, (price, rate) in enumerate(PRODUCTS):
            draft = ProductDraft(
                sku=f"D{number}", name=f"Ürün {number}", price_minor=price, tax_rate_bp=rate
            )
            product = value(create_product(self.uow, draft)).id
            value(receive_stock(self.uow, product, 10_000, user_id=self.manager))
            self.products.append(product)
        self._open(float_minor)

    def _open(self, float_minor: int) -> None:
        view = value(open_session(self.uow, user_id=self.cashier, float_minor=float_minor))
        self.day = Day(view.session_id, float_minor)
        self.sold = []

    def _cart(self, basket: list[int], who: int) -> tuple[int, int]:
        cart = value(open_cart(self.uow, cashier_id=who)).cart_id
        for product, quantity in zip(self.products, basket, strict=False):
            if quantity:
                total = value(add_to_cart(self.uow, cart, product, quantity)).total_minor
        return cart, total

    def _pay(self, cart: int, total: int, tender: Cash | Card) -> object:
        return value(
            checkout(
                self.uow,
                cart,
                shown_total_minor=total,
                tender=tender,
                idempotency_key=uuid.uuid4().hex,
            )
        )

    baskets = st.lists(st.integers(0, 3), min_size=1, max_size=5).filter(any)

    @rule(basket=baskets, extra=st.integers(0, 10_000), by_manager=st.booleans())
    def sell_in_cash(self, basket: list[int], extra: int, by_manager: bool) -> None:
        cart, total = self._cart(basket, self.manager if by_manager else self.cashier)
        sale = self._pay(cart, total, Cash(total + extra))
        assert sale.change_minor == extra  # type: ignore[attr-defined]
        self._sold(sale.receipt, total, basket, "cash")  # type: ignore[attr-defined]
        self.day.taken["cash"] += total

    @rule(
        basket=baskets,
        percent=st.booleans(),
        share=st.integers(1, 10_000),
        extra=st.integers(0, 5_000),
    )
    def sell_with_a_line_discount(
        self, basket: list[int], percent: bool, share: int, extra: int
    ) -> None:
        """Cash for a sale whose first line has its own discount (a manager approves
        whatever is over the cashier's limit)."""
        cart, _ = self._cart(basket, self.cashier)
        index = next(i for i, quantity in enumerate(basket) if quantity)
        gross = PRODUCTS[index][0] * basket[index]
        if percent:
            kind, off = "percent", round_half_up(gross * share, 10_000)
            typed = str(Decimal(share) / 100)
        else:
            kind, off = "amount", max(1, gross * share // 10_000)
            typed = str(Decimal(off) / 100)
        summary = value(
            discount_line(
                self.uow,
                cart,
                self.products[index],
                kind,
                typed,
                "Hasarlı",
                user_id=self.cashier,
                approved_by=self.manager,
            )
        )
        assert summary.quote.line_discount_minor == off
        total = summary.total_minor
        sale = self._pay(cart, total, Cash(total + extra))
        self._sold(sale.receipt, total, basket, "cash")  # type: ignore[attr-defined]
        self.day.taken["cash"] += total
        self.day.line_discounts += off

    @rule(basket=baskets)
    def sell_by_card(self, basket: list[int]) -> None:
        cart, total = self._cart(basket, self.cashier)
        sale = self._pay(cart, total, Card())
        settled = value(mark_paid(self.uow, sale.payment_id, settler=Settler.WEBHOOK))  # type: ignore[attr-defined]
        self._sold(settled.receipt, total, basket, "card")
        self.day.taken["card"] += total

    @rule(basket=baskets, share=st.floats(0.05, 0.95), extra=st.integers(0, 5_000))
    def sell_part_card_part_cash(self, basket: list[int], share: float, extra: int) -> None:
        cart, total = self._cart(basket, self.cashier)
        part = max(1, min(total - 1, int(total * share)))
        if total < 2:
            return
        sale = self._pay(cart, total, Card(amount_minor=part))
        value(mark_paid(self.uow, sale.payment_id, settler=Settler.WEBHOOK))  # type: ignore[attr-defined]
        rest = total - part
        last = value(
            add_tender(
                self.uow,
                sale.order_id,  # type: ignore[attr-defined]
                Cash(rest + extra),
                idempotency_key=uuid.uuid4().hex,
            )
        )
        self._sold(last.receipt, total, basket, "mixed")
        self.day.taken["card"] += part
        self.day.taken["cash"] += rest

    @rule(basket=baskets, share=st.floats(0.05, 0.95))
    def void_a_part_paid_sale(self, basket: list[int], share: float) -> None:
        cart, total = self._cart(basket, self.cashier)
        if total < 2:
            return
        part = max(1, min(total - 1, int(total * share)))
        sale = self._pay(cart, total, Cash(part, amount_minor=part))
        voided = value(void_tendered_sale(self.uow, sale.order_id, user_id=self.manager))  # type: ignore[attr-defined]
        assert voided.voided
        assert voided.cash_back_minor == part
        self.day.taken["cash"] += part
        self.day.back["cash"] += part
        self.day.voids += 1

    @rule(basket=baskets, share=st.floats(0.05, 0.95), close_early=st.booleans())
    def void_a_part_paid_card_sale(
        self, basket: list[int], share: float, close_early: bool
    ) -> None:
        cart, total = self._cart(basket, self.cashier)
        if total < 2:
            return
        part = max(1, min(total - 1, int(total * share)))
        sale = self._pay(cart, total, Card(amount_minor=part))
        value(mark_paid(self.uow, sale.payment_id, settler=Settler.WEBHOOK))  # type: ignore[attr-defined]
        voiding = void_tendered_sale(self.uow, sale.order_id, user_id=self.manager)  # type: ignore[attr-defined]
        assert voiding.ok
        (waiting,) = voiding.value.card_refunds  # type: ignore[union-attr]
        if close_early:  # the card's money is still on its way back: the day cannot close
            early = close_session(
                self.uow, self.day.session_id, user_id=self.cashier, counted={"cash": 0}
            )
            assert isinstance(early, Err)
            assert early.code is Code.SALE_OPEN_AT_CLOSE
        self._settle_refund(waiting.refund_id)
        self.day.taken["card"] += part
        self.day.back["card"] += part
        self.day.voids += 1

    def _settle_refund(self, refund_id: int) -> None:
        """The terminal confirms the card refund."""
        with self.uow:
            assert finalise_refund(
                self.uow.connection,
                refund_id,
                RefundStatus.SUCCEEDED,
                self.uow.now(),
                Settler.WEBHOOK,
            )
            self.uow.commit()

    @rule(basket=baskets)
    def void_an_open_cart(self, basket: list[int]) -> None:
        cart, _ = self._cart(basket, self.cashier)
        value(void_sale(self.uow, cart, user_id=self.manager))
        self.day.voids += 1

    @precondition(lambda self: any(left for _, left, _ in self.sold))
    @rule(data=st.data(), to_card=st.booleans())
    def bring_one_back(self, data: st.DataObject, to_card: bool) -> None:
        choices = [i for i, (_, left, _) in enumerate(self.sold) if left]
        index = data.draw(st.sampled_from(choices), label="sale")
        receipt, left, tender = self.sold[index]
        card_back = to_card and tender == "card"
        made = value(
            return_items(
                self.uow,
                receipt,
                [ReturnRequest(1, 1)],
                reason="iade",
                user_id=self.manager,
                cash_instead=not card_back and tender != "cash",
            )
        )
        self.sold[index] = (receipt, left - 1, tender)
        for refund in made.card_refunds:  # the terminal confirms each at once
            self._settle_refund(refund.refund_id)
        self.day.back["card" if card_back else "cash"] += made.total_minor
        self.day.returns_minor += made.total_minor

    @rule(amount=st.integers(1, 300_000), out=st.booleans())
    def move_cash(self, amount: int, out: bool) -> None:
        move = pay_out if out else pay_in
        result = move(self.uow, user_id=self.manager, amount_minor=amount, reason="Kasa hareketi")
        if out and amount > self.day.drawer:
            assert isinstance(result, Err)
            assert result.code is Code.PAY_OUT_ABOVE_DRAWER
            return
        value(result)
        if out:
            self.day.paid_out += amount
        else:
            self.day.paid_in += amount

    @rule()
    def open_the_drawer(self) -> None:
        value(open_drawer_without_sale(self.uow, user_id=self.cashier, reason="Bozuk para"))
        self.day.openings += 1

    @rule(off_by=st.integers(-5_000, 5_000), card=st.booleans(), next_float=st.integers(0, 10**5))
    def close_the_day(self, off_by: int, card: bool, next_float: int) -> None:
        self.clock.advance(hours=10)
        counted = {"cash": max(0, self.day.drawer + off_by)}
        if card:
            counted["card"] = self.day.taken["card"] - self.day.back["card"]
        z = value(
            close_session(self.uow, self.day.session_id, user_id=self.cashier, counted=counted)
        )
        self._check(z)
        assert z.z_number == len(self.closed) + 1
        assert z.cash is not None
        assert z.cash.counted_minor == counted["cash"]
        assert z.cash.difference_minor == counted["cash"] - self.day.drawer
        self.closed.append((self.day.session_id, z))
        self.clock.advance(hours=14)
        self._open(next_float)

    def _sold(self, receipt: str | None, total: int, basket: list[int], tender: str) -> None:
        assert receipt is not None
        self.day.sales += 1
        self.day.sales_minor += total
        self.sold.append((receipt, basket[0], tender))

    def _check(self, report: DayReport) -> None:
        day = self.day
        tenders = {line.method: line for line in report.tenders}
        for method in ("cash", "card"):
            line = tenders.get(method)
            taken, back = (line.taken_minor, line.refunded_minor) if line else (0, 0)
            assert (taken, back) == (day.taken[method], day.back[method]), method
        assert report.cash is not None
        assert report.cash.expected_minor == day.drawer
        assert (report.sales, report.sales_minor) == (day.sales, day.sales_minor)
        assert report.returns_minor == day.returns_minor
        assert report.total_minor == day.sales_minor - day.returns_minor
        assert sum(line.net_minor for line in report.tenders) == report.total_minor
        assert sum(line.net_minor for line in report.taxes) == report.total_minor
        assert sum(line.sold_minor for line in report.taxes) == report.sales_minor
        assert sum(line.total_minor for line in report.cashiers) == report.sales_minor
        assert (len(report.drawer_openings), report.voids) == (day.openings, day.voids)
        assert sum(line.amount_minor for line in report.line_discounts) == day.line_discounts
        with self.engine.connect() as connection:
            receipts = connection.execute(
                select(func.coalesce(func.sum(Order.total_minor), 0)).where(
                    Order.cash_session_id == day.session_id
                )
            ).scalar_one()
            returned = connection.execute(
                select(func.coalesce(func.sum(SaleReturn.total_minor), 0)).where(
                    SaleReturn.cash_session_id == day.session_id
                )
            ).scalar_one()
        assert receipts - returned == report.total_minor

    @invariant()
    def the_day_so_far_adds_up(self) -> None:
        if hasattr(self, "day"):
            self._check(value(x_report(self.uow)))

    @invariant()
    def closed_days_stand_as_they_were_made(self) -> None:
        for session_id, made in self.closed:
            assert value(z_report(self.uow, session_id)) == made


def test_random_days_at_a_till_reconcile_to_the_kurus(store: Store, tmp_path: Path, request):
    run_machine(TillDays, store, tmp_path, request, examples=(30, 6), steps=25)
