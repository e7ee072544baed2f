"""The session before the till's row, everywhere (``pos.services.cash_sessions``): a
close of the day and returns at the same till at once never deadlock, and a return is
either in the closed day's Z or refused ``NO_CASH_SESSION``, never lost between days."""

from __future__ import annotations

from sqlalchemy import select

from pos.domain.results import Code, Err
from pos.services.cart import add_to_cart
from pos.services.cash_sessions import close_session, open_session
from pos.services.drawer import open_drawer_without_sale
from pos.services.returns import LooseReturn, ReturnRequest, return_items, return_without_receipt
from pos.services.users import UserView
from pos.store.models import CashSession, DrawerOpening, Order, SaleReturn
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.integration.test_cash_sessions import at_once
from tests.sales import new_cart, pay_cash

ROUNDS = 12
PRICE = 1000
FLOAT = 50_000


def test_returns_and_a_close_at_one_till_at_once_never_deadlock_nor_lose_the_return(
    store: Store,
    clock: FakeClock,
    uow: UnitOfWork,
    shelf: Shelf,
    cashier: UserView,
    manager: UserView,
) -> None:
    shelf.product(stock=ROUNDS, price_minor=PRICE)  # SKU-0001: brought back without a receipt
    for _ in range(ROUNDS):
        day = value(open_session(uow, user_id=cashier.id, float_minor=FLOAT)).session_id
        cart = new_cart(uow)
        value(add_to_cart(uow, cart, shelf.product(stock=1, price_minor=PRICE), 1))
        receipt = value(pay_cash(uow, cart)).receipt
        assert receipt is not None
        waiting = new_cart(uow)
        value(add_to_cart(uow, waiting, shelf.product(stock=1, price_minor=PRICE), 1))
        _race(store, clock, day, receipt, waiting, cashier, manager)


def _race(
    store: Store,
    clock: FakeClock,
    day: int,
    receipt: str,
    cart: int,
    cashier: UserView,
    manager: UserView,
) -> None:
    """A return with the receipt, one without, a drawer opened, a cash sale and the day
    closed, at once at one till; then every one of them where it belongs."""
    *returned, drawer, sold, closed = at_once(
        lambda: return_items(
            UnitOfWork(store.engine, clock),
            receipt,
            [ReturnRequest(1, 1)],
            reason="vazgeçti",
            user_id=cashier.id,
        ),
        lambda: return_without_receipt(
            UnitOfWork(store.engine, clock),
            [LooseReturn("SKU-0001", 1)],
            reason="fişsiz",
            user_id=manager.id,
        ),
        lambda: open_drawer_without_sale(
            UnitOfWork(store.engine, clock), user_id=cashier.id, reason="bozuk para"
        ),
        lambda: pay_cash(UnitOfWork(store.engine, clock), cart),
        lambda: close_session(
            UnitOfWork(store.engine, clock), day, user_id=manager.id, counted={"cash": 0}
        ),
    )
    for answer in returned:  # never a deadlock nor a busy store: only "no day is open"
        assert not isinstance(answer, Err) or answer.code is Code.NO_CASH_SESSION, answer
    value(drawer)
    assert not isinstance(sold, Err) or sold.code is Code.NO_CASH_SESSION, sold
    z = value(closed)
    done = [answer for answer in returned if not isinstance(answer, Err)]
    sales = 1 if isinstance(sold, Err) else 2
    with store.engine.connect() as connection:
        kept = connection.execute(select(SaleReturn.cash_session_id)).scalars().all()
        opened = connection.execute(
            select(DrawerOpening.cash_session_id).order_by(DrawerOpening.id.desc()).limit(1)
        ).scalar_one()
        sold_in = connection.execute(
            select(Order.cash_session_id).where(Order.cart_id == cart)
        ).scalar()
        left_open = connection.execute(
            select(CashSession.id).where(CashSession.closed_at.is_(None))
        ).all()
    assert left_open == []
    # Every return written belongs to a day whose Z counts it: this round's, here.
    assert None not in kept
    assert kept.count(day) == len(done) == z.returns
    assert z.returns_minor == PRICE * len(done)
    cash = z.cash
    assert cash is not None
    assert cash.expected_minor == FLOAT + PRICE * sales - PRICE * len(done)
    # The sale is in the day and its Z, or was refused once the day had closed.
    assert z.sales == sales
    assert sold_in == (None if isinstance(sold, Err) else day)
    # The drawer opened in the day and is on its Z, or opened after it closed.
    assert (opened == day) == (len(z.drawer_openings) == 1)
    assert opened in (day, None)
