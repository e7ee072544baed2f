"""Ringing up and paying a sale through the services, for the tests of the sales use cases."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from pos.domain.results import Result
from pos.services.cart import add_to_cart, cart_summary, open_cart
from pos.services.checkout import Card, Cash, Sale, checkout
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, value


def count(store: Store, table: Any) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def rows(store: Store, model: Any, *where: Any, order_by: Any = None) -> list[Any]:
    with store.engine.connect() as connection:
        query = select(model).where(*where)
        if order_by is not None:
            query = query.order_by(order_by)
        return list(connection.execute(query))


def new_cart(uow: UnitOfWork) -> int:
    return value(open_cart(uow)).cart_id


def key() -> str:
    """A fresh idempotency key, as the till makes one when Pay is pressed."""
    return str(uuid.uuid4())


def two_line_cart(uow: UnitOfWork, shelf: Shelf) -> tuple[int, int, int]:
    """A cart of 2 x 12,50 and 1 x 30,00 at 20 % KDV included: 55,00. Returns the cart
    and the two products."""
    first = shelf.product(stock=10, price_minor=1250, name="Ayran 300 ml")
    second = shelf.product(stock=5, price_minor=3000, name="Beyaz Peynir 500 g")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, first, 2))
    value(add_to_cart(uow, cart, second, 1))
    return cart, first, second


def shown_total(uow: UnitOfWork, cart: int) -> int:
    """The total the cashier's screen shows."""
    return value(cart_summary(uow, cart)).total_minor


def pay_cash(uow: UnitOfWork, cart: int, given: int | None = None, **kwargs: Any) -> Result[Sale]:
    """Check out the shown total in cash (exactly the total unless ``given``)."""
    total = shown_total(uow, cart)
    return checkout(
        uow,
        cart,
        shown_total_minor=total,
        tender=Cash(total if given is None else given),
        idempotency_key=kwargs.pop("idempotency_key", key()),
        **kwargs,
    )


def pay_by_card(uow: UnitOfWork, cart: int, **kwargs: Any) -> Result[Sale]:
    """Check out the shown total by card: the payment is left initiated."""
    return checkout(
        uow,
        cart,
        shown_total_minor=shown_total(uow, cart),
        tender=Card(),
        idempotency_key=kwargs.pop("idempotency_key", key()),
        **kwargs,
    )


def sell_in_cash(uow: UnitOfWork, shelf: Shelf, count: int) -> None:
    """``count`` paid cash sales of one unit of a new product each: books with sales in them."""
    product = shelf.product(stock=100)
    for _ in range(count):
        cart = new_cart(uow)
        value(add_to_cart(uow, cart, product, 1))
        value(pay_cash(uow, cart))
