"""Random tills: add, set, remove, wait, sweep, receive and adjust, with the books
checked after every step on both databases."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import Engine, make_url

from pos.domain.results import Code, Err, Ok
from pos.services.cart import add_to_cart, cart_summary, open_cart, remove_line, set_quantity
from pos.services.catalogue import ProductDraft, create_product
from pos.services.reservations import release_expired
from pos.services.stock import adjust_stock, receive_stock
from pos.services.users import create_user
from pos.store.engine import make_engine
from pos.store.models import Role
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, _empty_postgres, value
from tests.invariants import assert_stock_invariant

PRODUCTS = 3
CARTS = 3


class Tills(RuleBasedStateMachine):
    """Several carts over a few products; the model keeps only each line's quantity."""

    products = Bundle("products")
    carts = Bundle("carts")
    new_store: staticmethod  # set by the test: returns a fresh, empty, migrated engine

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = self.new_store()
        self.clock = FakeClock()
        self.uow = UnitOfWork(self.engine, self.clock)
        self.lines: dict[tuple[int, int], int] = {}

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize(
        target=products, stocks=st.lists(st.integers(0, 8), min_size=PRODUCTS, max_size=PRODUCTS)
    )
    def stock_the_shelves(self, stocks: list[int]):
        self.manager = value(create_user(self.uow, "mudur", "Müdür", Role.MANAGER, "9999")).id
        ids = []
        for number, stock in enumerate(stocks):
            draft = ProductDraft(sku=f"P{number}", name=f"Ürün {number}", price_minor=100)
            product = value(create_product(self.uow, draft)).id
            if stock:
                value(receive_stock(self.uow, product, stock, user_id=self.manager))
            ids.append(product)
        return multiple(*ids)

    @initialize(target=carts)
    def open_the_tills(self):
        return multiple(*(value(open_cart(self.uow)).cart_id for _ in range(CARTS)))

    @rule(cart=carts, product=products, quantity=st.integers(1, 4))
    def add(self, cart: int, product: int, quantity: int) -> None:
        result = add_to_cart(self.uow, cart, product, quantity)
        if isinstance(result, Ok):
            self.lines[cart, product] = self.lines.get((cart, product), 0) + quantity
        else:
            assert result.code is Code.INSUFFICIENT_STOCK
        self.check_cart(cart)

    @rule(cart=carts, product=products, quantity=st.integers(0, 6))
    def set(self, cart: int, product: int, quantity: int) -> None:
        result = set_quantity(self.uow, cart, product, quantity)
        if (cart, product) not in self.lines:
            assert isinstance(result, Err)
            assert result.code is Code.LINE_NOT_FOUND
        elif isinstance(result, Ok):
            if quantity:
                self.lines[cart, product] = quantity
            else:
                del self.lines[cart, product]
        else:
            assert result.code is Code.INSUFFICIENT_STOCK
        self.check_cart(cart)

    @rule(cart=carts, product=products)
    def remove(self, cart: int, product: int) -> None:
        result = remove_line(self.uow, cart, product)
        assert isinstance(result, Ok) == ((cart, product) in self.lines)
        self.lines.pop((cart, product), None)
        self.check_cart(cart)

    @rule(minutes=st.integers(1, 20))
    def wait(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule()
    def sweep(self) -> None:
        value(release_expired(self.uow))

    @rule(product=products, quantity=st.integers(1, 5))
    def receive(self, product: int, quantity: int) -> None:
        value(receive_stock(self.uow, product, quantity, user_id=self.manager))

    @rule(product=products, delta=st.integers(-3, 3).filter(bool))
    def adjust(self, product: int, delta: int) -> None:
        result = adjust_stock(self.uow, product, delta, reason="count", user_id=self.manager)
        assert isinstance(result, Ok) or result.code is Code.ADJUSTMENT_BELOW_ZERO

    def check_cart(self, cart: int) -> None:
        summary = value(cart_summary(self.uow, cart))
        shown = {(cart, line.product_id): line.quantity for line in summary.lines}
        assert shown == {key: qty for key, qty in self.lines.items() if key[0] == cart}
        assert all(0 <= line.reserved <= line.quantity for line in summary.lines)

    @invariant()
    def books_balance(self) -> None:
        if hasattr(self, "manager"):
            assert_stock_invariant(self.engine)


def test_random_tills_keep_the_stock_books_balanced(store: Store, tmp_path: Path, request):
    if store.dialect == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        runs = iter(range(10**6))

        def new_store() -> Engine:
            path = tmp_path / f"machine-{next(runs)}.sqlite3"
            shutil.copyfile(template, path)
            return make_engine(make_url(f"sqlite:///{path}"))

        examples = 60
    else:

        def new_store() -> Engine:
            engine = make_engine(store.url)
            _empty_postgres(engine)
            return engine

        examples = 30

    Tills.new_store = staticmethod(new_store)
    Tills.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Tills.TestCase().runTest()
