"""Tenders racing: two cards that together cover the sale settling at once, and a cash
tender against the cashier's void. Threads share one PostgreSQL store or one SQLite
file, each with its own unit of work (see test_sales_races for the harness)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Err
from pos.services.cart import add_to_cart
from pos.services.checkout import checkout
from pos.services.payments import lock_order, mark_paid
from pos.services.refunds import void_tendered_sale
from pos.services.tenders import Card, Cash, add_tender, take_tender
from pos.store.engine import make_engine
from pos.store.models import Order, OrderStatus, OutboxMessage, Payment, Receipt
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.integration.test_sales_races import race
from tests.invariants import assert_invariants, stock_books
from tests.sales import key, new_cart, shown_total

pytestmark = pytest.mark.usefixtures("manager")
ROUNDS = 5


@pytest.fixture
def engine(store: Store) -> Iterator[Engine]:
    racing = make_engine(store.url, pool_size=8, max_overflow=0)
    yield racing
    racing.dispose()


def how_many(store: Store, column: Any, *where: Any) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count(column)).where(*where)).scalar_one()


def open_sale(uow: UnitOfWork, shelf: Shelf, first: Cash | Card) -> tuple[Any, int]:
    product = shelf.product(stock=5, price_minor=5000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(
        checkout(
            uow, cart, shown_total_minor=shown_total(uow, cart), tender=first, idempotency_key=key()
        )
    )
    return sale, product


def test_two_cards_covering_the_sale_settling_at_once_pay_it_once(
    store: Store, uow: UnitOfWork, shelf: Shelf, engine: Engine, clock: FakeClock
) -> None:
    for _round in range(ROUNDS):
        sale, product = open_sale(uow, shelf, Card(amount_minor=2000))
        # A second card in flight beside the first (as a second terminal would take it):
        # the till refuses that, so it is written here the way the store would keep it.
        with uow:
            lock_order(uow.connection, sale.order_id)
            second, _ = take_tender(
                uow.connection,
                uow.now(),
                order_id=sale.order_id,
                due_minor=3000,
                currency="TRY",
                tender=Card(),
                key=key(),
            )
            uow.commit()
        answers = race(
            lambda first=sale.payment_id: mark_paid(UnitOfWork(engine, clock), first),
            lambda second=second: mark_paid(UnitOfWork(engine, clock), second),
        )
        assert all(not isinstance(answer, Err) for answer in answers), answers
        paid = [answer.value for answer in answers if answer.value.order_paid]
        assert len(paid) == 1, answers
        order = sale.order_id
        assert how_many(store, Receipt.number, Receipt.order_id == order) == 1
        assert how_many(store, OutboxMessage.id, OutboxMessage.key == str(order)) == 1
        with store.engine.connect() as connection:
            status = connection.execute(select(Order.status).where(Order.id == order)).scalar()
        assert status == OrderStatus.PAID
        assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_a_cash_tender_racing_the_void_ends_one_way(
    store: Store, uow: UnitOfWork, shelf: Shelf, engine: Engine, clock: FakeClock, cashier: Any
) -> None:
    for _round in range(ROUNDS):
        sale, product = open_sale(uow, shelf, Cash(1000, amount_minor=1000))
        tender, void = race(
            lambda order=sale.order_id: add_tender(
                UnitOfWork(engine, clock), order, Cash(4000), idempotency_key=key()
            ),
            lambda order=sale.order_id: void_tendered_sale(
                UnitOfWork(engine, clock), order, user_id=cashier.id
            ),
        )
        order = sale.order_id
        with store.engine.connect() as connection:
            status = OrderStatus(
                connection.execute(select(Order.status).where(Order.id == order)).scalar()
            )
            payments = (
                connection.execute(
                    select(Payment.status).where(Payment.order_id == order).order_by(Payment.id)
                )
                .scalars()
                .all()
            )
        if status is OrderStatus.PAID:
            # The tender came first: the sale is paid and the void finds nothing to void.
            assert not isinstance(tender, Err)
            assert isinstance(void, Err)
            assert void.code is Code.SALE_NOT_OPEN
            assert payments == [PaymentStatus.PAID, PaymentStatus.PAID]
            assert stock_books(store.engine)[product][:2] == (4, 0)
        else:
            # The void came first: the cash went back, the goods too, and no tender was taken.
            assert status is OrderStatus.CANCELLED
            assert isinstance(tender, Err)
            assert tender.code in (Code.SALE_NOT_OPEN, Code.SALE_BEING_VOIDED)
            assert payments == [PaymentStatus.REFUNDED]
            assert stock_books(store.engine)[product][:2] == (5, 0)
    assert_invariants(store.engine)
