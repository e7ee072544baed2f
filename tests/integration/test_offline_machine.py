"""A random till selling on its replica: lines added, changed and removed, sales paid in
cash or voided, the unsent total's cap met and lifted by a manager, the outbox sent home
now and then. After every step: the last known stock is untouched, nothing is reserved,
the receipts run without gaps, every paid sale has exactly one outbox record carrying its
lines, and the banner's count and total are the model's."""

from __future__ import annotations

import json
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
from sqlalchemy import Engine, func, select, update

from pos.domain.policy import OfflinePolicy, Policy
from pos.domain.results import Code, Err, Ok, Warn
from pos.services.cart import add_to_cart, open_cart, set_quantity, void_sale
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Cash, checkout
from pos.services.offline import offline_status
from pos.services.stock import receive_stock
from pos.services.users import create_user
from pos.store.models import Role
from pos.store.tables import inventory, outbox, receipts, reservations
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from tests.machines import run_machine

PRICE = 100
UNSENT_CAP = 1500


class OfflineTill(RuleBasedStateMachine):
    products = Bundle("products")
    carts = Bundle("carts")
    new_store: staticmethod  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = self.new_store()
        self.clock = FakeClock()
        self.online = UnitOfWork(self.engine, self.clock)
        policy = Policy(offline=OfflinePolicy(max_unsent_minor=UNSENT_CAP))
        self.uow = UnitOfWork(self.engine, self.clock, policy, offline=True)
        self.known: dict[int, int] = {}
        self.lines: dict[int, dict[int, int]] = {}
        self.open: set[int] = set()
        self.sold: list[dict[int, int]] = []
        self.unsent: list[int] = []

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize(target=products, stocks=st.lists(st.integers(0, 6), min_size=2, max_size=3))
    def stock_the_shelf(self, stocks: list[int]):
        self.manager = value(create_user(self.online, "mudur", "Ayşe", Role.MANAGER, "4321"))
        made = []
        for number, units in enumerate(stocks, start=1):
            draft = ProductDraft(sku=f"SKU-{number}", name=f"Ürün {number}", price_minor=PRICE)
            product = value(create_product(self.online, draft)).id
            if units:
                value(receive_stock(self.online, product, units, user_id=self.manager.id))
            self.known[product] = units
            made.append(product)
        return multiple(*made)

    @rule(target=carts)
    def open_a_cart(self):
        cart = value(open_cart(self.uow)).cart_id
        self.lines[cart] = {}
        self.open.add(cart)
        return cart

    def covered(self, cart: int, product: int, quantity: int) -> bool:
        unsent = sum(sale.get(product, 0) for sale in self._unsent_sales())
        return self.known[product] - unsent - quantity >= 0

    def _unsent_sales(self) -> list[dict[int, int]]:
        return [self.sold[index] for index in self.unsent]

    @rule(cart=carts, product=products, quantity=st.integers(1, 4))
    def add(self, cart: int, product: int, quantity: int):
        result = add_to_cart(self.uow, cart, product, quantity)
        if cart not in self.open:
            assert isinstance(result, Err)
            assert result.code is Code.CART_NOT_OPEN
            return
        total = self.lines[cart].get(product, 0) + quantity
        if self.covered(cart, product, total):
            assert isinstance(result, Ok), result
        else:
            assert isinstance(result, Warn), result
            assert result.code is Code.ADDED_UNVERIFIED
        self.lines[cart][product] = total

    @rule(cart=carts, product=products, quantity=st.integers(0, 5))
    def set_line(self, cart: int, product: int, quantity: int):
        result = set_quantity(self.uow, cart, product, quantity)
        if cart not in self.open or product not in self.lines[cart]:
            assert isinstance(result, Err)
            return
        before = self.lines[cart][product]
        if quantity > before and not self.covered(cart, product, quantity):
            assert isinstance(result, Warn), result
        else:
            assert isinstance(result, Ok), result
        if quantity:
            self.lines[cart][product] = quantity
        else:
            del self.lines[cart][product]

    @rule(cart=carts, approve=st.booleans())
    def pay_in_cash(self, cart: int, approve: bool):
        total = sum(self.lines.get(cart, {}).values()) * PRICE
        result = checkout(
            self.uow,
            cart,
            shown_total_minor=total,
            tender=Cash(total),
            idempotency_key=str(uuid.uuid4()),
            approved_by=self.manager.id if approve else None,
        )
        if cart not in self.open:
            assert isinstance(result, Err)
            return
        if not self.lines[cart]:
            assert isinstance(result, Err)
            assert result.code is Code.CART_EMPTY
            return
        unsent_total = sum(sum(sale.values()) * PRICE for sale in self._unsent_sales())
        if unsent_total + total > UNSENT_CAP and not approve:
            assert isinstance(result, Err)
            assert result.code is Code.OFFLINE_UNSENT_OVER_CAP
            return
        sale = value(result)
        assert sale.paid
        assert sale.receipt == f"T01-{len(self.sold) + 1:06d}"
        self.sold.append(dict(self.lines[cart]))
        self.unsent.append(len(self.sold) - 1)
        self.open.discard(cart)

    @rule(cart=carts)
    def void(self, cart: int):
        result = void_sale(self.uow, cart)
        if cart not in self.open:
            assert isinstance(result, Err)
            return
        assert value(result).units_released == 0
        self.open.discard(cart)

    @rule()
    def send_home(self):
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox).where(outbox.c.sent_at.is_(None)).values(sent_at=func.now())
            )
        self.unsent = []

    @invariant()
    def the_last_known_stock_is_untouched_and_nothing_reserved(self):
        with self.engine.connect() as connection:
            rows = dict(
                connection.execute(select(inventory.c.product_id, inventory.c.available)).all()
            )
            held = connection.execute(select(func.count()).select_from(reservations)).scalar()
        assert {product: rows.get(product, 0) for product in self.known} == self.known
        assert held == 0

    @invariant()
    def every_paid_sale_went_out_once_with_its_lines_and_its_number(self):
        with self.engine.connect() as connection:
            numbers = list(
                connection.execute(select(receipts.c.number).order_by(receipts.c.number)).scalars()
            )
            bodies = list(
                connection.execute(select(outbox.c.payload).order_by(outbox.c.id)).scalars()
            )
        assert numbers == list(range(1, len(self.sold) + 1))
        records = [json.loads(body) for body in bodies]
        assert [record["sequence"] for record in records] == numbers
        assert [
            {line["product_id"]: line["quantity"] for line in record["lines"]} for record in records
        ] == self.sold

    @invariant()
    def the_banner_counts_what_is_unsent(self):
        status = value(offline_status(self.uow))
        unsent = self._unsent_sales()
        assert status.unsent_count == len(unsent)
        assert status.unsent_total_minor == sum(sum(sale.values()) * PRICE for sale in unsent)


def test_a_random_till_selling_offline_keeps_its_books(store: Store, tmp_path: Path, request):
    run_machine(OfflineTill, store, tmp_path, request, examples=(40, 15), steps=30)
