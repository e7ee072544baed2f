"""Sales racing each other at the tills: a coupon's last use, a checkout against the
sweeper, a payment's two outcomes, one Pay pressed many times, receipt numbers.

Threads share one PostgreSQL store, or one SQLite file (where ``BEGIN IMMEDIATE``
queues them); the 8-process race runs on one SQLite file. Every worker has its own
unit of work, and all of them read one shared clock.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Err, Result
from pos.services.cart import add_to_cart, cart_summary, open_cart, void_sale
from pos.services.checkout import Card, Cash, Sale, Tender, checkout
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon, find_coupon
from pos.services.payments import mark_failed, mark_paid
from pos.services.reservations import release_expired
from pos.store.engine import make_engine
from pos.store.models import (
    Cart,
    CartItem,
    CartStatus,
    Order,
    OrderStatus,
    OutboxMessage,
    Payment,
    Receipt,
    Reservation,
    ReservationStatus,
    TillRow,
)
from pos.store.uow import UnitOfWork
from tests.conftest import START, FakeClock, Shelf, Store, error, value
from tests.invariants import assert_coupon_invariant, assert_invariants, stock_books

ROUNDS = 6


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions on threads of their own, released together; their answers in order."""
    start = threading.Barrier(len(actions))
    answers: list[Any] = [None] * len(actions)
    failures: list[BaseException] = []

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            start.wait()
            answers[index] = action()
        except BaseException as exc:  # raised again in the test's own thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return answers


def press_pay(
    engine: Engine, clock: FakeClock, cart: int, total: int, key: str, tender: Tender | None = None
) -> Callable[[], Result[Sale]]:
    """Pay pressed at a till for the total on its screen (exact cash unless told otherwise),
    ready to run on a thread of its own."""
    return lambda: checkout(
        UnitOfWork(engine, clock),
        cart,
        shown_total_minor=total,
        tender=tender or Cash(total),
        idempotency_key=key,
    )


def ring_up(uow: UnitOfWork, *lines: tuple[int, int], coupon: str | None = None) -> tuple[int, int]:
    """A new sale with these (product, quantity) lines: its cart and the total the till shows."""
    cart = value(open_cart(uow)).cart_id
    for product, quantity in lines:
        value(add_to_cart(uow, cart, product, quantity))
    if coupon is not None:
        value(apply_coupon(uow, cart, coupon))
    return cart, value(cart_summary(uow, cart)).total_minor


def limited_coupon(uow: UnitOfWork, manager_id: int, code: str, limit: int) -> str:
    draft = CouponDraft(code, CouponKind.PERCENT, 1000, usage_limit=limit)
    return value(create_coupon(uow, draft, user_id=manager_id)).terms.code


def times_used(uow: UnitOfWork, code: str) -> int:
    return value(find_coupon(uow, code)).terms.times_used


def cart_as_stored(engine: Engine, cart: int) -> tuple[object, ...]:
    """The cart's row, its lines and its reservations, exactly as the store has them."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Cart.status, Cart.coupon_id, Cart.updated_at).where(Cart.id == cart)
        ).one()
        items = connection.execute(
            select(CartItem.product_id, CartItem.quantity, CartItem.unit_price_minor)
            .where(CartItem.cart_id == cart)
            .order_by(CartItem.id)
        ).all()
        held = connection.execute(
            select(
                Reservation.id,
                Reservation.product_id,
                Reservation.quantity,
                Reservation.status,
                Reservation.expires_at,
                Reservation.order_id,
            )
            .where(Reservation.cart_id == cart)
            .order_by(Reservation.id)
        ).all()
    return tuple(row), tuple(map(tuple, items)), tuple(map(tuple, held))


def active_reservations(engine: Engine, cart: int) -> dict[int, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Reservation.product_id, Reservation.quantity).where(
                Reservation.cart_id == cart, Reservation.status == ReservationStatus.ACTIVE
            )
        ).all()
    return {product: quantity for product, quantity in rows}


def orders_of(engine: Engine, cart: int) -> list[UUID]:
    with engine.connect() as connection:
        return list(connection.execute(select(Order.id).where(Order.cart_id == cart)).scalars())


def count(engine: Engine, column: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count(column)).where(*where)).scalar_one())


def outcome(result: Result[object]) -> str:
    return render(result, "tr") if isinstance(result, Err) else "ok"


@pytest.fixture
def engine(store: Store) -> Iterator[Engine]:
    """The racing tills' engine on the test's store: a connection for each thread."""
    racing = make_engine(store.url, pool_size=12, max_overflow=0)
    yield racing
    racing.dispose()


# -- a coupon's last use ------------------------------------------------------------


@pytest.mark.parametrize("method", ["cash", "card"])
def test_two_tills_racing_for_a_coupons_last_use_give_it_to_exactly_one_sale(
    uow, shelf: Shelf, manager, store, engine, clock: FakeClock, method
):
    product = shelf.product(stock=100, price_minor=2000)
    for round_ in range(4):
        code = limited_coupon(uow, manager.id, f"SON-{round_}", limit=1)
        sales = [ring_up(uow, (product, 1 + till), coupon=code) for till in range(2)]
        before = {cart: cart_as_stored(store.engine, cart) for cart, _ in sales}

        answers = race(
            *(
                press_pay(engine, clock, cart, total, f"kupon-{cart}", Cash(total))
                if method == "cash"
                else press_pay(engine, clock, cart, total, f"kupon-{cart}", Card())
                for cart, total in sales
            )
        )

        assert sorted(map(outcome, answers)) == ["Kupon kullanım limiti dolmuş", "ok"]
        won = 0 if answers[0].ok else 1
        (won_cart, won_total), (lost_cart, _) = sales[won], sales[1 - won]
        assert error(answers[1 - won]).code is Code.COUPON_LIMIT_REACHED
        assert times_used(uow, code) == 1
        assert_coupon_invariant(store.engine)

        sold = value(answers[won])
        assert sold.total_minor == won_total
        expected = PaymentStatus.PAID if method == "cash" else PaymentStatus.INITIATED
        assert sold.status is expected
        assert orders_of(store.engine, won_cart) == [sold.order_id]

        assert orders_of(store.engine, lost_cart) == []
        assert cart_as_stored(store.engine, lost_cart) == before[lost_cart]
        shown = value(cart_summary(uow, lost_cart))
        assert (shown.status, shown.coupon_code) == (CartStatus.OPEN, code)
        assert shown.coupon_problem is Code.COUPON_LIMIT_REACHED
        assert_invariants(store.engine)


# -- checkout against the sweeper ----------------------------------------------------


def test_checkout_racing_the_sweeper_either_holds_every_line_again_or_refuses_them_all(
    uow, shelf: Shelf, store, engine, clock: FakeClock
):
    """The sale's holds lapsed; at one instant the sweeper runs, the cashier presses Pay
    and another till wants the scarce units. Checkout takes every line back (and the
    sweeper then leaves the sale alone), or names the product that ran out and holds
    nothing."""
    for round_ in range(8):
        scarce = shelf.product(stock=2, name=f"Son iki {round_}")
        plenty = shelf.product(stock=5)
        cart, total = ring_up(uow, (scarce, 2), (plenty, 1))
        other = value(open_cart(uow)).cart_id
        clock.advance(minutes=16)

        sale, sweep, grab = race(
            press_pay(engine, clock, cart, total, f"sweep-{cart}", Card()),
            lambda: release_expired(UnitOfWork(engine, clock)),
            lambda other=other, scarce=scarce: add_to_cart(
                UnitOfWork(engine, clock), other, scarce, 2
            ),
        )

        value(sweep)
        assert_invariants(store.engine)
        if sale.ok:
            assert value(sale).status is PaymentStatus.INITIATED
            assert error(grab).code is Code.INSUFFICIENT_STOCK
            assert active_reservations(store.engine, cart) == {scarce: 2, plenty: 1}
            clock.advance(minutes=60)  # far past the payment window: still not swept
            value(release_expired(uow))
            assert active_reservations(store.engine, cart) == {scarce: 2, plenty: 1}
            assert value(cart_summary(uow, cart)).status is CartStatus.CHECKING_OUT
            value(mark_paid(uow, value(sale).payment_id))
            books = stock_books(store.engine)
            assert (books[scarce][:2], books[plenty][:2]) == ((0, 0), (4, 0))
        else:
            assert error(sale).code is Code.OUT_OF_STOCK_AT_CHECKOUT
            assert render(sale, "tr") == f"Stok yetersiz: Son iki {round_}"
            assert value(grab).lines[0].reserved == 2
            assert orders_of(store.engine, cart) == []
            assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
            # Nothing was taken again for the refused sale: one more sweep at this very
            # instant leaves it holding nothing at all.
            value(release_expired(uow))
            assert active_reservations(store.engine, cart) == {}
            books = stock_books(store.engine)
            assert (books[scarce][:2], books[plenty][:2]) == ((0, 2), (5, 0))
            value(void_sale(uow, cart))
            value(void_sale(uow, other))
        assert_invariants(store.engine)


# -- a card payment's two outcomes ---------------------------------------------------


def test_a_payment_reported_paid_and_failed_at_once_ends_one_way_and_moves_stock_once(
    uow, shelf: Shelf, manager, store, engine, clock: FakeClock
):
    each_side = 3 if store.dialect == "postgresql" else 2
    for round_ in range(8):
        product = shelf.product(stock=5)
        code = limited_coupon(uow, manager.id, f"KART-{round_}", limit=1)
        cart, total = ring_up(uow, (product, 2), coupon=code)
        sale = value(press_pay(engine, clock, cart, total, f"kart-{cart}", Card())())
        before = stock_books(store.engine)[product]
        assert before == (3, 2, 5, 2)

        payment = sale.payment_id
        answers = race(
            *[lambda payment=payment: mark_paid(UnitOfWork(engine, clock), payment)] * each_side,
            *[lambda payment=payment: mark_failed(UnitOfWork(engine, clock), payment)] * each_side,
        )

        paid_answers, failed_answers = answers[:each_side], answers[each_side:]
        applied = [answer.value for answer in answers if answer.ok and answer.value.applied]
        assert len(applied) == 1, answers
        ended = applied[0].status
        order = sale.order_id
        outbox = count(store.engine, OutboxMessage.id, OutboxMessage.key == str(order))
        receipts = count(store.engine, Receipt.number, Receipt.order_id == order)
        if ended is PaymentStatus.PAID:
            assert {value(answer).status for answer in paid_answers} == {PaymentStatus.PAID}
            assert len({value(answer).receipt for answer in paid_answers}) == 1
            assert all(
                error(answer).code is Code.PAYMENT_TRANSITION_FORBIDDEN for answer in failed_answers
            )
            assert stock_books(store.engine)[product] == (3, 0, 3, 0)
            assert (receipts, outbox) == (1, 1)
            assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
            assert times_used(uow, code) == 1
        else:
            assert ended is PaymentStatus.FAILED
            assert all(
                answer.code is Code.PAYMENT_FAILED and value(answer).status is ended
                for answer in failed_answers
            )
            assert all(
                error(answer).code is Code.PAYMENT_TRANSITION_FORBIDDEN for answer in paid_answers
            )
            assert stock_books(store.engine)[product] == before
            assert (receipts, outbox) == (0, 0)
            summary = value(cart_summary(uow, cart))
            assert summary.status is CartStatus.OPEN
            assert [(line.quantity, line.reserved) for line in summary.lines] == [(2, 2)]
            assert active_reservations(store.engine, cart) == {product: 2}
            assert times_used(uow, code) == 0
            value(void_sale(uow, cart))
        with store.engine.connect() as connection:
            statuses = connection.execute(
                select(Order.status, Payment.status)
                .join(Payment, Payment.order_id == Order.id)
                .where(Order.id == order)
            ).one()
        assert tuple(statuses) == (OrderStatus(ended.value), ended)
        assert_invariants(store.engine)


# -- one idempotency key, many presses -----------------------------------------------


def assert_one_paid_sale(store: Store, key: str, sales: list[Sale]) -> None:
    assert len({sale.order_id for sale in sales}) == 1, sales
    assert len({sale.payment_id for sale in sales}) == 1, sales
    assert {sale.status for sale in sales} == {PaymentStatus.PAID}
    receipts = {sale.receipt for sale in sales}
    assert len(receipts) == 1, sales
    assert None not in receipts
    order = sales[0].order_id
    assert count(store.engine, Order.id, Order.idempotency_key == key) == 1
    assert count(store.engine, Payment.id, Payment.order_id == order) == 1
    assert count(store.engine, Receipt.number, Receipt.order_id == order) == 1


def test_pay_pressed_on_eight_threads_with_one_key_makes_one_paid_sale(
    uow, shelf: Shelf, store, engine, clock: FakeClock
):
    for round_ in range(4):
        product = shelf.product(stock=3)
        cart, total = ring_up(uow, (product, 1))
        key = f"tus-{round_}"

        answers = race(*[press_pay(engine, clock, cart, total, key, Cash(total + 500))] * 8)

        sales = [value(answer) for answer in answers]
        assert_one_paid_sale(store, key, sales)
        assert {sale.change_minor for sale in sales} == {500}
        assert stock_books(store.engine)[product][:2] == (2, 0)
        assert_invariants(store.engine)


def _press_pay_in_a_process(
    url: str, cart: int, total: int, key: str, start: Any, answers: Any
) -> None:
    engine = make_engine(url)
    start.wait()
    answers.put(press_pay(engine, FakeClock(START), cart, total, key)())
    engine.dispose()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_pay_pressed_in_eight_processes_on_one_sqlite_file_makes_one_paid_sale(
    uow, shelf: Shelf, store
):
    product = shelf.product(stock=3)
    cart, total = ring_up(uow, (product, 1))
    # Forked tills start at once; spawned ones import the whole suite again (~20 s here).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    start = context.Barrier(8)
    answers = context.Queue()
    url = store.url.render_as_string(hide_password=False)

    tills = [
        context.Process(
            target=_press_pay_in_a_process, args=(url, cart, total, "tus", start, answers)
        )
        for _ in range(8)
    ]
    for process in tills:
        process.start()
    results = [answers.get(timeout=120) for _ in tills]
    for process in tills:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert_one_paid_sale(store, "tus", [value(result) for result in results])
    assert stock_books(store.engine)[product][:2] == (2, 0)
    assert_invariants(store.engine)


def test_one_key_sent_for_two_different_sales_at_once_makes_one_order_and_refuses_the_other(
    uow, shelf: Shelf, store, engine, clock: FakeClock
):
    product = shelf.product(stock=100)
    for round_ in range(ROUNDS):
        sales = [ring_up(uow, (product, 1)) for _ in range(2)]
        before = {cart: cart_as_stored(store.engine, cart) for cart, _ in sales}
        key = f"ayni-{round_}"

        answers = race(*(press_pay(engine, clock, cart, total, key) for cart, total in sales))

        assert sorted(map(outcome, answers)) == [
            "Bu işlem anahtarı başka bir satışta kullanıldı",
            "ok",
        ]
        won = 0 if answers[0].ok else 1
        (won_cart, _), (lost_cart, _) = sales[won], sales[1 - won]
        assert error(answers[1 - won]).code is Code.IDEMPOTENCY_KEY_REUSED
        sold = value(answers[won])
        assert sold.status is PaymentStatus.PAID
        assert count(store.engine, Order.id, Order.idempotency_key == key) == 1
        assert orders_of(store.engine, won_cart) == [sold.order_id]
        assert orders_of(store.engine, lost_cart) == []
        assert cart_as_stored(store.engine, lost_cart) == before[lost_cart]
        assert_invariants(store.engine)


# -- the last units and the receipt numbers ------------------------------------------


def test_two_tills_holding_the_last_two_units_both_sell_them_at_once(
    uow, shelf: Shelf, store, engine, clock: FakeClock
):
    for _ in range(ROUNDS):
        product = shelf.product(stock=2)
        sales = [ring_up(uow, (product, 1)) for _ in range(2)]
        # The shelf is empty now: a third till cannot even ring the product up.
        third = value(open_cart(uow)).cart_id
        assert error(add_to_cart(uow, third, product, 1)).code is Code.INSUFFICIENT_STOCK

        answers = race(
            *(press_pay(engine, clock, cart, total, f"son-{cart}") for cart, total in sales)
        )

        assert {value(answer).status for answer in answers} == {PaymentStatus.PAID}
        assert stock_books(store.engine)[product] == (0, 0, 0, 0)
        assert_invariants(store.engine)


def test_four_sales_paid_at_once_on_one_till_get_receipt_numbers_without_gaps(
    uow, shelf: Shelf, store, engine, clock: FakeClock
):
    # A product of its own for each sale, so nothing but the till's counter is shared.
    products = [shelf.product(stock=10) for _ in range(4)]
    labels: list[str | None] = []
    for _ in range(3):
        sales = [ring_up(uow, (product, 1)) for product in products]

        answers = race(
            *(press_pay(engine, clock, cart, total, f"fis-{cart}") for cart, total in sales)
        )

        labels += [value(answer).receipt for answer in answers]
    assert sorted(labels) == [f"T01-{number:06d}" for number in range(1, 13)]
    with store.engine.connect() as connection:
        numbers = connection.execute(
            select(Receipt.number).where(Receipt.till_id == 1).order_by(Receipt.number)
        ).scalars()
        assert list(numbers) == list(range(1, 13))
        last = connection.execute(select(TillRow.last_receipt_number).where(TillRow.id == 1))
        assert last.scalar_one() == 12
        paid = connection.execute(
            select(Order.receipt_number).where(Order.status == OrderStatus.PAID)
        ).scalars()
        assert sorted(paid) == list(range(1, 13))
    assert_invariants(store.engine)
