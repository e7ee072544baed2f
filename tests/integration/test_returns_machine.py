"""Random returns against a few paid sales: lines brought back bit by bit, to the shelf
or written off, sometimes more than is left, in a shop whose prices include the tax or
one that adds it on top, at several rates; the books and the money checked after every
step, on both databases. (The tills' own state machine returns goods too, among all else
a till does; this one returns often enough to find what only many returns show.)"""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import Engine, func, select

from pos.domain.results import Code, Err
from pos.services.cart import add_to_cart, open_cart
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Cash, checkout
from pos.services.returns import ReturnRequest, return_items
from pos.services.shop import update_shop_settings
from pos.services.stock import receive_stock
from pos.services.users import create_user
from pos.store.models import Order, Refund, Role, SaleReturn
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from tests.invariants import assert_invariants
from tests.machines import run_machine

PRICES = ((999, 2_000), (1001, 100), (2550, 1_000))
"""(price, tax rate): rates whose tax rounds every way."""


class Returns(RuleBasedStateMachine):
    new_store: staticmethod

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = self.new_store()
        self.uow = UnitOfWork(self.engine, FakeClock())
        self.sales: dict[str, list[list[int]]] = {}
        """Receipt: per line, [units sold, units returned]."""
        self.paid: dict[str, list[int]] = {}
        """Receipt: [what the customer paid, what its returns gave back]."""
        self.returns = 0

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize(
        baskets=st.lists(
            st.lists(st.integers(1, 4), min_size=1, max_size=3), min_size=1, max_size=3
        ),
        include_tax=st.booleans(),
    )
    def sell(self, baskets: list[list[int]], include_tax: bool) -> None:
        self.manager = value(create_user(self.uow, "mudur", "Müdür", Role.MANAGER, "9999")).id
        value(update_shop_settings(self.uow, user_id=self.manager, prices_include_tax=include_tax))
        products = []
        for number, (price, rate) in enumerate(PRICES):
            draft = ProductDraft(
                sku=f"R{number}", name=f"Ürün {number}", price_minor=price, tax_rate_bp=rate
            )
            product = value(create_product(self.uow, draft)).id
            value(receive_stock(self.uow, product, 50, user_id=self.manager))
            products.append(product)
        for basket in baskets:
            cart = value(open_cart(self.uow)).cart_id
            for product, quantity in zip(products, basket, strict=False):
                summary = value(add_to_cart(self.uow, cart, product, quantity))
            sale = value(
                checkout(
                    self.uow,
                    cart,
                    shown_total_minor=summary.total_minor,
                    tender=Cash(summary.total_minor),
                    idempotency_key=uuid.uuid4().hex,
                )
            )
            assert sale.receipt is not None
            self.sales[sale.receipt] = [[line.quantity, 0] for line in summary.lines]
            self.paid[sale.receipt] = [sale.total_minor, 0]

    @rule(data=st.data(), quantity=st.one_of(st.integers(1, 5), st.just(0)), restock=st.booleans())
    def bring_back(self, data: st.DataObject, quantity: int, restock: bool) -> None:
        receipt = data.draw(st.sampled_from(sorted(self.sales)), label="receipt")
        lines = self.sales[receipt]
        line_no = data.draw(st.integers(1, len(lines)), label="line")
        sold, returned = lines[line_no - 1]
        quantity = quantity or max(sold - returned, 1)  # 0: the rest of the line
        result = return_items(
            self.uow,
            receipt,
            [ReturnRequest(line_no, quantity, restock)],
            reason="iade",
            user_id=self.manager,
        )
        if returned + quantity > sold:
            assert isinstance(result, Err), result
            assert result.code is Code.RETURN_TOO_MANY
            return
        made = value(result)
        self.returns += 1
        assert made.number_label == f"T01-I-{self.returns:06d}"
        lines[line_no - 1][1] += quantity
        self.paid[receipt][1] += made.total_minor

    @invariant()
    def each_sale_gives_back_what_it_took_and_never_more(self) -> None:
        for receipt, (taken, given) in self.paid.items():
            assert given <= taken
            if all(returned == sold for sold, returned in self.sales[receipt]):
                assert given == taken, receipt  # all of it back: every kuruş, tax on top too

    @invariant()
    def books_balance(self) -> None:
        if self.sales:
            assert_invariants(self.engine)

    @invariant()
    def money_back_never_exceeds_the_sales(self) -> None:
        with self.engine.connect() as connection:
            sold = connection.execute(select(func.coalesce(func.sum(Order.total_minor), 0)))
            back = connection.execute(select(func.coalesce(func.sum(Refund.amount_minor), 0)))
            documents = connection.execute(
                select(func.coalesce(func.sum(SaleReturn.total_minor), 0))
            )
            sold_total, back_total, returned_total = (
                sold.scalar_one(),
                back.scalar_one(),
                documents.scalar_one(),
            )
        assert back_total == returned_total
        assert back_total <= sold_total
        everything_back = all(
            returned == sold for lines in self.sales.values() for sold, returned in lines
        )
        if self.sales and everything_back:
            assert back_total == sold_total  # every line back: every kuruş back


def test_random_returns_keep_the_books_and_the_money(store: Store, tmp_path: Path, request):
    run_machine(Returns, store, tmp_path, request, examples=(40, 15), steps=15)
