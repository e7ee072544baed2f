"""Sample days at the demo shop's till: ``pos demo --days N`` fills a store with N
plausible days of sales (cash, card, both), returns, voids, cash paid in and out, drawer
openings, and each day opened with a counted float and closed with its Z report, for
trying the reports, the back office and the benchmarks on something real-looking.

Every step goes through the use cases, on a clock set to the day being played, so the
days are what a real till would have left: numbered receipts, audit rows, Z reports.
The same ``seed`` plays the same days.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from pos.domain.clock import Clock, shop_zone
from pos.domain.day import DENOMINATIONS
from pos.domain.payments import Settler
from pos.domain.results import Code, Err, Ok, Refused, Result, unwrap
from pos.domain.units import SaleUnit
from pos.services.cart import add_to_cart, open_cart, void_sale
from pos.services.cash_sessions import close_session, open_session, pay_in, pay_out
from pos.services.checkout import checkout
from pos.services.day_reports import expected_cash, open_session_id, session_row
from pos.services.demo import DEMO_CASHIER, DEMO_MANAGER, load_demo_store
from pos.services.drawer import open_drawer_without_sale
from pos.services.payments import mark_paid
from pos.services.returns import ReturnRequest, return_items, returnable_sale
from pos.services.shop import shop_settings
from pos.services.stock import receive_stock
from pos.services.tenders import Card, Cash, Sale, add_tender
from pos.store.models import DEFAULT_LOCATION_ID, Inventory, Product, User
from pos.store.uow import UnitOfWork

MAX_DAYS = 366
OPENS, CLOSES = time(9, 0), time(20, 0)
DRAWER_REASONS = ("Bozuk para lazım", "Sahte para kontrolü", "Yan kasaya bozuk")
PAY_OUT_REASONS = ("Tedarikçi ödemesi: ekmek", "Su faturası", "Temizlik malzemesi")


@dataclass(frozen=True)
class SampleDays:
    days: int
    sales: int
    returns: int
    z_numbers: tuple[int, ...]


class _DayClock:
    """The till's clock during a played day: moved on by hand, step by step."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def fill_days(
    make_uow: Callable[[Clock | None], UnitOfWork],
    *,
    days: int,
    seed: int = 20,
    until: datetime | None = None,
) -> Result[SampleDays]:
    """Play ``days`` days at the demo shop's till, ending the day before ``until`` (now).

    The demo shop is loaded first if the store is empty. Refused ``INVALID_QUANTITY``
    for a number of days outside 1..366 and ``CASH_SESSION_OPEN`` when the till has a
    session open (a day must not be played inside a real one)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_DAYS:
        return Err(Code.INVALID_QUANTITY)
    try:
        return _fill(make_uow, days, random.Random(seed), until)
    except Refused as refusal:
        return refusal.error


def _fill(
    make_uow: Callable[[Clock | None], UnitOfWork],
    days: int,
    rng: random.Random,
    until: datetime | None,
) -> Result[SampleDays]:
    unwrap(load_demo_store(make_uow(None)))
    uow = make_uow(None)
    zone = shop_zone(unwrap(shop_settings(uow)).time_zone)
    with uow.reading():
        if open_session_id(uow.connection, 1) is not None:
            raise Refused(Code.CASH_SESSION_OPEN)
        people = dict(uow.connection.execute(select(User.username, User.id)).all())
        products = {
            product: SaleUnit(unit)
            for product, unit in uow.connection.execute(
                select(Product.id, Product.sale_unit).where(Product.active.is_(True))
            )
        }
        now = uow.now()
    cashier, manager = people[DEMO_CASHIER[0]], people[DEMO_MANAGER[0]]
    today = (until or now).astimezone(zone).date()
    played = _Played(rng, products, cashier, manager)
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        clock = _DayClock(datetime.combine(day, OPENS, tzinfo=zone))
        played.day(make_uow(clock), clock, datetime.combine(day, CLOSES, tzinfo=zone))
    return played.answer(days)


class _Played:
    def __init__(
        self, rng: random.Random, units: dict[int, SaleUnit], cashier: int, manager: int
    ) -> None:
        self.rng, self.units, self.products = rng, units, sorted(units)
        self.cashier, self.manager = cashier, manager
        self.sales, self.returns = 0, 0
        self.z: list[int] = []

    def answer(self, days: int) -> Result[SampleDays]:
        return Ok(SampleDays(days, self.sales, self.returns, tuple(self.z)))

    def day(self, uow: UnitOfWork, clock: _DayClock, closes: datetime) -> None:
        rng = self.rng
        self._restock(uow)
        notes = {d: rng.randint(0, 3) for d in DENOMINATIONS["TRY"][:6]}
        notes[DENOMINATIONS["TRY"][3]] += 5  # never an empty drawer
        session = unwrap(open_session(uow, user_id=self.cashier, float_counts=notes)).session_id
        receipts: list[str] = []
        customers = rng.randint(15, 45)
        step = (closes - clock.now) / (customers + 4)
        for _ in range(customers):
            clock.now += step * rng.uniform(0.5, 1.5)
            receipt = self._customer(uow)
            if receipt:
                receipts.append(receipt)
            odd = rng.random()
            if odd < 0.06 and receipts:
                self._return(uow, rng.choice(receipts))
            elif odd < 0.10:
                self._void(uow)
            elif odd < 0.13:
                reason = rng.choice(DRAWER_REASONS)
                unwrap(open_drawer_without_sale(uow, user_id=self.cashier, reason=reason))
        clock.now += step
        if rng.random() < 0.5:
            unwrap(pay_in(uow, user_id=self.cashier, amount_minor=100_00, reason="Bozuk para"))
        with uow.reading():
            drawer = expected_cash(uow.connection, session_row(uow.connection, session))
        if drawer > 1_000_00:
            out = rng.randrange(100_00, min(drawer, 2_000_00), 50_00)
            reason = rng.choice(PAY_OUT_REASONS)
            unwrap(pay_out(uow, user_id=self.manager, amount_minor=out, reason=reason))
            drawer -= out
        clock.now = closes
        # Most days the count is right; now and then a few lira over or short.
        counted = drawer + rng.choice((0, 0, 0, 0, -500, -1_000, 250, 2_000))
        report = unwrap(
            close_session(uow, session, user_id=self.cashier, counted={"cash": max(counted, 0)})
        )
        assert report.z_number is not None
        self.z.append(report.z_number)

    def _restock(self, uow: UnitOfWork) -> None:
        """The morning's delivery: 40 more (pieces, or kilos) of whatever is under 20."""
        with uow.reading():
            levels = uow.connection.execute(
                select(Inventory.product_id, Inventory.available).where(
                    Inventory.location_id == DEFAULT_LOCATION_ID
                )
            ).all()
        for product, available in levels:
            unit = self.units.get(product)
            if unit is not None and available < 20 * unit.per_unit:
                delivery = 40 * unit.per_unit
                unwrap(receive_stock(uow, product, delivery, user_id=self.manager, reason="demo"))

    def _quantity(self, product: int) -> int:
        """A piece or a few; of a weighed product, a weight from 0,250 to 2,500 kg in grams."""
        if self.units[product].measured:
            return self.rng.randint(250, 2_500)
        return self.rng.choice((1, 1, 1, 2, 3))

    def _customer(self, uow: UnitOfWork) -> str | None:
        rng = self.rng
        cashier = self.manager if rng.random() < 0.2 else self.cashier
        cart = unwrap(open_cart(uow, cashier_id=cashier)).cart_id
        total = 0
        for product in rng.sample(self.products, rng.randint(1, 5)):
            answer = add_to_cart(uow, cart, product, self._quantity(product))
            if not isinstance(answer, Err):
                total = answer.value.total_minor
        if total == 0:
            unwrap(void_sale(uow, cart, user_id=cashier))
            return None
        how = rng.random()
        if how < 0.55:
            given = total + rng.choice((0, 0, 50, 500, 1_000, 5_000)) if how < 0.45 else total
            receipt = _pay(uow, cart, total, Cash(given)).receipt
        elif how < 0.92 or total < 2:
            sale = _pay(uow, cart, total, Card())
            receipt = unwrap(mark_paid(uow, sale.payment_id, settler=Settler.WEBHOOK)).receipt
        else:
            part = total // 2
            sale = _pay(uow, cart, total, Card(amount_minor=part))
            unwrap(mark_paid(uow, sale.payment_id, settler=Settler.WEBHOOK))
            rest = add_tender(uow, sale.order_id, Cash(total - part), idempotency_key=_key())
            receipt = unwrap(rest).receipt
        self.sales += 1
        return receipt

    def _return(self, uow: UnitOfWork, receipt: str) -> None:
        """The first line comes back: one piece, or all of a weighed line."""
        sale = returnable_sale(uow, receipt)
        if isinstance(sale, Err) or not sale.value.lines[0].left:
            return  # the line is back already
        line = sale.value.lines[0]
        back = line.left if line.unit.measured else 1
        answer = return_items(
            uow, receipt, [ReturnRequest(1, back)], reason="Müşteri vazgeçti",
            user_id=self.manager, cash_instead=True,
        )  # fmt: skip
        if not isinstance(answer, Err):  # the line may be back already
            self.returns += 1

    def _void(self, uow: UnitOfWork) -> None:
        cart = unwrap(open_cart(uow, cashier_id=self.cashier)).cart_id
        product = self.rng.choice(self.products)
        add_to_cart(uow, cart, product, self._quantity(product))  # sold out: voided empty
        unwrap(void_sale(uow, cart, user_id=self.manager))


def _key() -> str:
    return uuid.uuid4().hex


def _pay(uow: UnitOfWork, cart: int, total: int, tender: Cash | Card) -> Sale:
    return unwrap(
        checkout(uow, cart, shown_total_minor=total, tender=tender, idempotency_key=_key())
    )
