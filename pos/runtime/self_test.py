"""The till checks itself: a demo shop in a throwaway folder, two sales, and what they left.

``kasa --self-test`` (and ``pos --self-test``) opens the demo shop in a temporary
directory with its simulated card terminal running in-process, rings up one sale paid in
cash and one paid by card, and checks that each left a receipt that is the sale and
moved the stock. The bundle's window does the ringing up with the keys a cashier
presses (``ui/self_test.py``); without a window (``python -m pos --self-test``) the use
cases do it here. Either way the same checks (``SALE_CHECKS``) judge the store afterwards,
so what passes is what the store holds, not what a screen said.

Nothing here knows about Qt. A failure raises ``SelfTestFailed`` with a sentence that says
what did not hold; the command line prints it and exits non-zero.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from pos.bootstrap import Till, bootstrap
from pos.domain.messages import DEFAULT_LOCALE, render
from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.domain.results import Err, Result
from pos.runtime.payments import PaymentRuntime, payment_runtime
from pos.runtime.printing import TillPrinter, till_printer
from pos.services.card_payments import card_payment, start_card_payment
from pos.services.cart import add_scanned, cart_summary, open_cart
from pos.services.catalogue import find_product
from pos.services.checkout import checkout
from pos.services.demo import DEMO_CASHIER, demo_catalogue, load_demo_store
from pos.services.receipts import receipt_data, receipt_text
from pos.services.stock import stock_levels
from pos.services.tenders import Card, Cash
from pos.services.users import UserView, list_users
from pos.settings import Settings
from pos.store.migrate import upgrade
from pos.store.uow import UnitOfWork

T = TypeVar("T")

DECISION_SECONDS = 0.2
"""How long the simulated terminal takes to approve: long enough to be a real wait."""
SETTLE_SECONDS = 20.0
"""The longest a card payment may take to be settled before the self-test gives up."""


class SelfTestFailed(Exception):
    """Something the self-test checked did not hold; the message says what."""


@dataclass(frozen=True)
class PlannedSale:
    """A sale the self-test rings up: a demo product, how many, and how it is paid."""

    tender: PaymentMethod
    product_id: int
    barcode: str
    name: str
    quantity: int
    price_minor: int
    available_before: int

    @property
    def total_minor(self) -> int:
        return self.quantity * self.price_minor

    @property
    def given_minor(self) -> int:
        """The cash handed over: the next whole hundred of the currency, so there is change."""
        return (self.total_minor // 100_00 + 1) * 100_00


@dataclass(frozen=True)
class PaidSale:
    """A planned sale after the till took its payment."""

    planned: PlannedSale
    order_id: UUID
    shown_receipt: str | None = None
    """The receipt as the till's window showed it; None when no window rang it up."""


@dataclass(frozen=True)
class SelfTestShop:
    """The demo shop the self-test sells in: its till, card terminal and cashier."""

    till: Till
    runtime: PaymentRuntime
    cashier: UserView
    cashier_pin: str
    sales: tuple[PlannedSale, ...]
    """One sale paid in cash, one by card."""
    printer: TillPrinter | None = None
    """The demo's receipt printer: a simulator in-process, which keeps what it printed."""


SaleCheck = Callable[[UnitOfWork, PaidSale], str | None]
"""Looks at a paid sale in the store; answers what is wrong with it, or None."""


def receipt_is_the_sale(uow: UnitOfWork, sale: PaidSale) -> str | None:
    """The stored receipt holds the product, quantity, total and tender rung up, and is
    the receipt the window showed."""
    planned, label = sale.planned, _label(sale.planned)
    data = receipt_data(uow, sale.order_id)
    if isinstance(data, Err):
        return f"the {label} has no receipt: {render(data, DEFAULT_LOCALE)}"
    receipt = data.value
    lines = [(line.name, line.quantity) for line in receipt.lines]
    if lines != [(planned.name, planned.quantity)]:
        return f"the {label}'s receipt lists {lines}, not {planned.quantity} x {planned.name}"
    tenders = [
        (tender.method, tender.amount_minor, tender.tendered_minor, tender.change_minor)
        for tender in receipt.tenders
    ]
    cash = planned.tender is PaymentMethod.CASH
    expected = (
        planned.tender,
        planned.total_minor,
        planned.given_minor if cash else None,
        planned.given_minor - planned.total_minor if cash else None,
    )
    if receipt.total_minor != planned.total_minor or tenders != [expected]:
        return (
            f"the {label}'s receipt says a total of {receipt.total_minor} paid by {tenders} "
            f"(method, amount, given, change), not {planned.total_minor} paid by {[expected]}"
        )
    text = receipt_text(uow, sale.order_id)
    if isinstance(text, Err) or planned.name not in text.value:
        return f"the {label}'s printed receipt does not name {planned.name}"
    if sale.shown_receipt is not None and sale.shown_receipt != text.value:
        return f"the receipt the till showed for the {label} is not the one in the store"
    return None


def stock_moved(uow: UnitOfWork, sale: PaidSale) -> str | None:
    """The units sold left the shelf, and none is still held for the cart."""
    planned, label = sale.planned, _label(sale.planned)
    levels = stock_levels(uow, [planned.product_id])
    if isinstance(levels, Err) or len(levels.value) != 1:
        return f"the stock of {planned.name} cannot be read after the {label}"
    level = levels.value[0]
    expected = planned.available_before - planned.quantity
    if (level.available, level.reserved) != (expected, 0):
        return (
            f"after the {label} {planned.name} has {level.available} available and "
            f"{level.reserved} reserved, not {expected} and 0"
        )
    return None


SALE_CHECKS: tuple[SaleCheck, ...] = (receipt_is_the_sale, stock_moved)
"""What every paid sale must have left in the store. A part of the till that acts on a
paid sale and keeps something of it in the store adds its check here; what is printed is
judged by ``check_printed``."""
PRINT_WAIT_SECONDS = 10.0
"""How long the printer may take to receive a sale's receipt (it prints off the GUI thread)."""


def check_printed(shop: SelfTestShop, paid: Sequence[PaidSale]) -> None:
    """Every sale the window rang up came out of the demo's printer with its receipt
    number, and the cash sale opened the drawer; ``SelfTestFailed`` naming what did not."""
    simulator = shop.printer.simulator if shop.printer is not None else None
    rung_up = [sale for sale in paid if sale.shown_receipt is not None]
    if simulator is None or not rung_up:
        return  # no window, so no printing: the services alone sold
    wanted = {}
    for sale in rung_up:
        data = receipt_data(shop.till.uow(), sale.order_id)
        if isinstance(data, Err):
            raise SelfTestFailed(f"the {_label(sale.planned)} has no receipt to print")
        wanted[_label(sale.planned)] = data.value.number_label
    deadline = time.monotonic() + PRINT_WAIT_SECONDS
    while True:
        printed = "\n".join(document.text for document in simulator.printed)
        missing = [label for label, number in wanted.items() if number not in printed]
        kicks = sum(len(document.drawer_kicks) for document in simulator.documents)
        cash = any(sale.planned.tender is PaymentMethod.CASH for sale in rung_up)
        if not missing and (kicks or not cash):
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    problems = [f"the {label}'s receipt {wanted[label]} was not printed" for label in missing]
    if cash and not kicks:
        problems.append("the cash sale did not open the drawer")
    raise SelfTestFailed("; ".join(problems))


def check_sale(uow: UnitOfWork, sale: PaidSale, checks: Sequence[SaleCheck] = SALE_CHECKS) -> None:
    """Raise ``SelfTestFailed`` naming every check the paid sale fails."""
    problems = [problem for check in checks if (problem := check(uow, sale)) is not None]
    if problems:
        raise SelfTestFailed("; ".join(problems))


@contextmanager
def demo_shop(decision_delay: float = DECISION_SECONDS) -> Iterator[SelfTestShop]:
    """The demo shop, migrated and filled, in a temporary folder removed afterwards, with
    its simulated card terminal and webhook listener serving (the poller not yet started:
    whoever runs the till starts ``shop.runtime``)."""
    with tempfile.TemporaryDirectory(prefix="kasa-self-test-") as folder:
        store = Path(folder) / "demo.sqlite3"
        settings = Settings(database_url=f"sqlite:///{store}", locale=DEFAULT_LOCALE)
        till = bootstrap(settings, environ={})  # the user's settings and secrets play no part
        try:
            upgrade(till.engine)
            _value(load_demo_store(till.uow()), "loading the demo shop")
            cashier = _demo_cashier(till.uow())
            sales = plan_sales(till.uow())
            runtime = payment_runtime(till, demo=True, decision_delay=decision_delay)
            printer = till_printer(settings, demo=True)
            try:
                yield SelfTestShop(till, runtime, cashier, DEMO_CASHIER[2], sales, printer)
            finally:
                runtime.stop()
                if printer is not None:
                    printer.stop()
        finally:
            till.close()


def plan_sales(uow: UnitOfWork) -> tuple[PlannedSale, ...]:
    """Two of the demo's products with a barcode and stock to spare: two units of the first
    paid in cash, one of the second by card."""
    rows = [
        row
        for row in csv.DictReader(io.StringIO(demo_catalogue()))
        # Sold by the piece: a weighed product's "2" would be two kilos at the till.
        if row["barcode"] and int(row["stock"] or 0) >= 3 and not row.get("unit")
    ]
    if len(rows) < 2:
        raise SelfTestFailed("the demo shop has fewer than two products in stock to sell")
    planned = []
    for row, tender, quantity in (
        (rows[0], PaymentMethod.CASH, 2),
        (rows[1], PaymentMethod.CARD, 1),
    ):
        product = _value(find_product(uow, row["barcode"]), f"finding {row['barcode']}")
        levels = _value(stock_levels(uow, [product.id]), f"reading the stock of {product.name}")
        available = levels[0].available if levels else 0
        if available < quantity:
            raise SelfTestFailed(
                f"the demo shop has {available} of {product.name}, too few to sell"
            )
        planned.append(
            PlannedSale(
                tender,
                product.id,
                row["barcode"],
                product.name,
                quantity,
                product.price_minor,
                available,
            )
        )
    return tuple(planned)


def sell_through_services(shop: SelfTestShop) -> list[PaidSale]:
    """Ring up and pay the planned sales with the use cases, as the window's keys would.

    A card sale is handed to the simulated terminal and waited for until its webhook (or
    the poller) settles it.
    """
    uow = shop.till.uow
    shop.runtime.start()  # the poller, beside the webhooks the listener already hears
    paid = []
    for planned in shop.sales:
        label = _label(planned)
        cart = _value(open_cart(uow(), cashier_id=shop.cashier.id), "opening a cart")
        _value(
            add_scanned(uow(), cart.cart_id, planned.barcode, planned.quantity),
            f"ringing up the {label}",
        )
        total = _value(cart_summary(uow(), cart.cart_id), f"totalling the {label}").total_minor
        tender = Cash(planned.given_minor) if planned.tender is PaymentMethod.CASH else Card()
        sale = _value(
            checkout(
                uow(),
                cart.cart_id,
                shown_total_minor=total,
                tender=tender,
                idempotency_key=str(uuid.uuid4()),
                cashier_id=shop.cashier.id,
            ),
            f"paying the {label}",
        )
        if planned.tender is PaymentMethod.CARD:
            _value(
                start_card_payment(uow(), shop.runtime.terminal, sale.payment_id),
                "starting the card payment",
            )
            shop.runtime.wake()
            _wait_settled(uow, sale.payment_id)
        paid.append(PaidSale(planned, sale.order_id))
    return paid


def _wait_settled(uow: Callable[[], UnitOfWork], payment_id: int) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        view = _value(card_payment(uow(), payment_id), "reading the card payment")
        if not view.unresolved:
            if view.status is not PaymentStatus.PAID:
                raise SelfTestFailed(f"the card payment ended {view.status}, not paid")
            return
        if time.monotonic() > deadline:
            raise SelfTestFailed(
                f"the simulated terminal's card payment was still {view.status} "
                f"after {SETTLE_SECONDS:.0f} s"
            )
        time.sleep(0.05)


def _label(planned: PlannedSale) -> str:
    return f"{planned.tender} sale"


def _demo_cashier(uow: UnitOfWork) -> UserView:
    users = _value(list_users(uow), "listing the demo shop's users")
    cashier = next((user for user in users if user.username == DEMO_CASHIER[0]), None)
    if cashier is None:
        raise SelfTestFailed(f"the demo shop has no cashier {DEMO_CASHIER[0]!r}")
    return cashier


def _value(result: Result[T], doing: str) -> T:
    if isinstance(result, Err):
        raise SelfTestFailed(f"{doing} was refused: {render(result, DEFAULT_LOCALE)}")
    return result.value
