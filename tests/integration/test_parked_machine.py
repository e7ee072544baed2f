"""Random tills parking and recalling sales among ringing up, waiting, sweeping, selling
and voiding, with the books and the till's list of parked sales checked after every step
on both databases."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import Engine

from pos.domain.policy import Policy
from pos.domain.results import Code, Err, Ok, Result, Warn
from pos.services.cart import add_to_cart, cart_summary, open_cart, void_sale
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Cash, checkout
from pos.services.parked import park_sale, parked_sales, recall_sale
from pos.services.reservations import release_expired
from pos.services.stock import receive_stock, stock_levels
from pos.services.users import create_user
from pos.store.models import DEFAULT_TILL_ID, CartStatus, Role
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from tests.invariants import assert_invariants
from tests.machines import run_machine

PRODUCTS = 3
LIMIT = 2
OPEN, PARKED, CLOSED = CartStatus.OPEN, CartStatus.PARKED, CartStatus.CLOSED


class ParkingTill(RuleBasedStateMachine):
    """One till: the sale on its screen, the sales it parked, and a few products. The
    model keeps each cart's lines and state; which lines a recall brings back is the
    store's to say, and the model checks that each came back whole or was named short."""

    products = Bundle("products")
    new_store: staticmethod

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = self.new_store()
        self.clock = FakeClock()
        self.uow = UnitOfWork(self.engine, self.clock, Policy(parked_limit=LIMIT))
        self.lines: dict[int, dict[int, int]] = {}
        self.status: dict[int, CartStatus] = {}
        self.parked: list[int] = []
        self.screen = 0

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize(target=products, stocks=st.lists(st.integers(0, 8), min_size=PRODUCTS))
    def stock_the_shelves(self, stocks: list[int]):
        manager = value(create_user(self.uow, "mudur", "Müdür", Role.MANAGER, "9999")).id
        self.user = manager
        ids = []
        for number, stock in enumerate(stocks[:PRODUCTS]):
            draft = ProductDraft(sku=f"P{number}", name=f"Ürün {number}", price_minor=100)
            product = value(create_product(self.uow, draft)).id
            if stock:
                value(receive_stock(self.uow, product, stock, user_id=manager))
            ids.append(product)
        self.screen = self.new_cart()
        return multiple(*ids)

    def new_cart(self) -> int:
        cart = value(open_cart(self.uow)).cart_id
        self.lines[cart], self.status[cart] = {}, OPEN
        return cart

    @rule(product=products, quantity=st.integers(1, 3))
    def ring_up(self, product: int, quantity: int) -> None:
        result = add_to_cart(self.uow, self.screen, product, quantity)
        if isinstance(result, Ok):
            lines = self.lines[self.screen]
            lines[product] = lines.get(product, 0) + quantity
        else:
            assert isinstance(result, Err)
            assert result.code is Code.INSUFFICIENT_STOCK

    @rule(basket=st.lists(st.tuples(products, st.integers(1, 3)), min_size=1, max_size=3))
    def a_customer_runs_back_for_milk(self, basket: list[tuple[int, int]]) -> None:
        for product, quantity in basket:
            self.ring_up(product, quantity)
        self.park()

    @rule()
    def park(self) -> None:
        result = park_sale(self.uow, self.screen, user_id=self.user)
        if not self.lines[self.screen]:
            self.expect(result, Code.PARK_EMPTY)
        elif len(self.parked) >= LIMIT:
            self.expect(result, Code.PARKED_LIMIT_REACHED)
        else:
            parked = value(result)
            self.status[self.screen] = PARKED
            self.parked.append(self.screen)
            self.screen = parked.next_sale.cart_id
            self.lines[self.screen], self.status[self.screen] = {}, OPEN

    @rule(data=st.data())
    def recall(self, data: st.DataObject) -> None:
        if not self.parked:
            return
        cart = data.draw(st.sampled_from(self.parked))
        result = recall_sale(
            self.uow, cart, user_id=self.user, till_id=DEFAULT_TILL_ID, current_cart_id=self.screen
        )
        if self.lines[self.screen]:
            self.expect(result, Code.SALE_IN_PROGRESS)
            return
        recalled = value(result)
        short = {line.product_id: line.quantity for line in recalled.short}
        back = {line.product_id: line.quantity for line in recalled.summary.lines}
        # Each line came back whole, or was named short with its whole quantity.
        assert {**back, **short} == self.lines[cart]
        assert not set(back) & set(short)
        assert isinstance(result, Warn) == bool(short)
        assert all(line.reserved == line.quantity for line in recalled.summary.lines)
        self.status[self.screen] = CLOSED
        self.parked.remove(cart)
        self.status[cart], self.lines[cart], self.screen = OPEN, back, cart

    @rule(minutes=st.integers(1, 20))
    def wait(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule()
    def sweep(self) -> None:
        value(release_expired(self.uow))

    @rule(product=products, left=st.integers(0, 2))
    def customer_away_too_long(self, product: int, left: int) -> None:
        """The parked sales' holds lapse and are swept; another till sells the shelf's
        units of a product but ``left``."""
        self.wait(16)
        self.sweep()
        (level,) = value(stock_levels(self.uow, [product]))
        if level.available > left:
            self.another_till_sells(product, level.available - left)

    @rule(product=products, quantity=st.integers(1, 4))
    def receive(self, product: int, quantity: int) -> None:
        value(receive_stock(self.uow, product, quantity, user_id=self.user))

    @rule(product=products, quantity=st.integers(1, 4))
    def another_till_sells(self, product: int, quantity: int) -> None:
        """Units free on the shelf go to a customer at another till (a parked sale's,
        once its hold lapsed and was swept)."""
        cart = value(open_cart(self.uow))
        if isinstance(add_to_cart(self.uow, cart.cart_id, product, quantity), Err):
            return
        total = value(cart_summary(self.uow, cart.cart_id)).total_minor
        value(
            checkout(
                self.uow,
                cart.cart_id,
                shown_total_minor=total,
                tender=Cash(total),
                idempotency_key=str(uuid.uuid4()),
            )
        )

    @rule()
    def pay(self) -> None:
        if not self.lines[self.screen]:
            return
        total = value(cart_summary(self.uow, self.screen)).total_minor
        result = checkout(
            self.uow,
            self.screen,
            shown_total_minor=total,
            tender=Cash(total),
            idempotency_key=str(uuid.uuid4()),
        )
        if isinstance(result, Err):  # a line whose hold lapsed, the shelf empty since
            assert result.code is Code.OUT_OF_STOCK_AT_CHECKOUT
            return
        self.status[self.screen] = CLOSED
        self.screen = self.new_cart()

    @rule()
    def void(self) -> None:
        value(void_sale(self.uow, self.screen, user_id=self.user))
        self.status[self.screen] = CLOSED
        self.screen = self.new_cart()

    def expect(self, result: Result[object], code: Code) -> None:
        assert isinstance(result, Err), f"expected {code}, got {result!r}"
        assert result.code is code, f"expected {code}, got {result!r}"

    @invariant()
    def the_list_is_the_parked_sales(self) -> None:
        if not self.screen:
            return
        listed = value(parked_sales(self.uow, DEFAULT_TILL_ID))
        # Oldest first; sales parked in the same instant (the test's clock) by cart.
        assert sorted(sale.cart_id for sale in listed) == sorted(self.parked)
        assert [sale.parked_at for sale in listed] == sorted(sale.parked_at for sale in listed)
        for cart, state in self.status.items():
            summary = value(cart_summary(self.uow, cart))
            assert summary.status is state
            assert {line.product_id: line.quantity for line in summary.lines} == self.lines[cart]

    @invariant()
    def books_balance(self) -> None:
        if self.screen:
            assert_invariants(self.engine)


def test_random_parking_keeps_the_books_and_the_list_true(
    store: Store, tmp_path: Path, request
) -> None:
    run_machine(ParkingTill, store, tmp_path, request, examples=(40, 20), steps=30)
