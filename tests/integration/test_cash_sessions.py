"""A till's day: opened with a counted float, cash paid in and out with a reason (a
manager above the shop's limit), closed once with a blind count into a gapless Z."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from pos.domain.policy import Policy
from pos.domain.results import STORE_FAILURES, Code, Err
from pos.services.cart import add_to_cart
from pos.services.cash_sessions import close_session, current_session, open_session, pay_in, pay_out
from pos.services.checkout import Card, checkout
from pos.services.day_reports import x_report, z_report, z_reports
from pos.services.drawer import open_drawer_without_sale
from pos.services.users import UserView
from pos.store.models import CashMovement, CashSession, DrawerOpening, Order, Payment, TillRow
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.sales import count, key, new_cart, pay_cash, rows


def open_day(uow: UnitOfWork, user: UserView, float_minor: int = 50_000) -> int:
    return value(open_session(uow, user_id=user.id, float_minor=float_minor)).session_id


def sell(uow: UnitOfWork, shelf: Shelf, price: int = 1250, given: int | None = None) -> str:
    product = shelf.product(stock=10, price_minor=price)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_cash(uow, cart, given))
    assert sale.receipt is not None
    return sale.receipt


def test_a_float_counted_by_denomination_is_kept_as_counted(
    uow: UnitOfWork, cashier: UserView
) -> None:
    view = value(
        open_session(uow, user_id=cashier.id, float_counts={20_000: 2, 5_000: 1, 100: 3, 50: 0})
    )

    assert view.float_minor == 45_300
    assert view.float_counts == ((20_000, 2), (5_000, 1), (100, 3))
    assert value(current_session(uow)) == view


def test_a_second_session_at_an_open_till_is_refused(uow: UnitOfWork, cashier: UserView) -> None:
    open_day(uow, cashier)

    assert (
        error(open_session(uow, user_id=cashier.id, float_minor=0)).code is Code.CASH_SESSION_OPEN
    )


@pytest.mark.parametrize(
    ("float_minor", "counts"),
    [
        (-1, None),
        (10**15, None),
        (12.5, None),
        ("100", None),
        (True, None),
        (None, None),
        (None, {20_000: -1}),
        (None, {0: 3}),
        (None, {-100: 1}),
        (None, {"100": 1}),
        (None, {100: 1.5}),
        (None, {10**12: 10**5}),
        (None, {}),
        (500, {100: 4}),  # the counts say 400
    ],
)
def test_a_float_that_is_not_a_count_opens_nothing(
    uow: UnitOfWork, store: Store, cashier: UserView, float_minor: object, counts: object
) -> None:
    refused = error(
        open_session(uow, user_id=cashier.id, float_minor=float_minor, float_counts=counts)
    )

    assert refused.code is Code.INVALID_FLOAT
    assert count(store, CashSession) == 0


def test_cash_paid_in_and_out_moves_what_the_drawer_should_hold(
    uow: UnitOfWork, shelf: Shelf, cashier: UserView
) -> None:
    open_day(uow, cashier, 10_000)
    sell(uow, shelf, 2_500, given=5_000)  # change goes back: the drawer keeps 25,00

    paid_in = value(pay_in(uow, user_id=cashier.id, amount_minor=5_000, reason="Bozuk para"))
    paid_out = value(pay_out(uow, user_id=cashier.id, amount_minor=7_000, reason="Tedarikçi"))

    assert paid_in.drawer_minor == 17_500
    assert paid_out.drawer_minor == 10_500
    report = value(x_report(uow))
    assert (report.paid_in_minor, report.paid_out_minor) == (5_000, 7_000)
    assert report.cash is not None
    assert report.cash.expected_minor == 10_500


def test_a_pay_out_above_what_the_drawer_holds_is_refused(
    uow: UnitOfWork, store: Store, cashier: UserView
) -> None:
    open_day(uow, cashier, 10_000)

    refused = error(pay_out(uow, user_id=cashier.id, amount_minor=10_001, reason="Banka"))

    assert refused.code is Code.PAY_OUT_ABOVE_DRAWER
    assert count(store, CashMovement) == 0


@pytest.mark.parametrize("reason", [None, "", "ab", "  ", "kasa\x1b[2J", "a\nb c d", "x" * 201, 7])
def test_a_movement_without_a_plain_reason_is_refused(
    uow: UnitOfWork, store: Store, cashier: UserView, reason: object
) -> None:
    open_day(uow, cashier)

    refused = error(pay_in(uow, user_id=cashier.id, amount_minor=100, reason=reason))

    assert refused.code is Code.CASH_MOVEMENT_NEEDS_REASON
    assert count(store, CashMovement) == 0


@pytest.mark.parametrize("amount", [0, -100, 10**15, 1.5, "100", True, None])
def test_a_movement_of_no_real_amount_is_refused(
    uow: UnitOfWork, store: Store, cashier: UserView, amount: object
) -> None:
    open_day(uow, cashier)

    refused = error(pay_in(uow, user_id=cashier.id, amount_minor=amount, reason="Bozuk para"))

    assert refused.code is Code.INVALID_AMOUNT
    assert count(store, CashMovement) == 0


def test_over_the_limit_a_cashier_needs_a_manager(
    store: Store, clock: FakeClock, cashier: UserView, manager: UserView
) -> None:
    uow = UnitOfWork(store.engine, clock, Policy(cash_movement_approval_minor=10_000))
    open_day(uow, cashier, 0)

    small = value(pay_in(uow, user_id=cashier.id, amount_minor=10_000, reason="Bozuk para"))
    refused = error(pay_in(uow, user_id=cashier.id, amount_minor=10_001, reason="Bozuk para"))
    not_a_manager = error(
        pay_in(uow, user_id=cashier.id, amount_minor=10_001, reason="Bozuk", approved_by=cashier.id)
    )
    approved = value(
        pay_in(uow, user_id=cashier.id, amount_minor=20_000, reason="Banka", approved_by=manager.id)
    )
    by_manager = value(pay_out(uow, user_id=manager.id, amount_minor=25_000, reason="Banka"))

    assert small.approved_by is None
    assert refused.code is Code.APPROVAL_REQUIRED
    assert not_a_manager.code is Code.NOT_PERMITTED
    assert approved.approved_by == manager.id
    assert by_manager.approved_by is None
    kept = rows(store, CashMovement, order_by=CashMovement.id)
    assert [(m.kind, m.amount_minor, m.approved_by) for m in kept] == [
        ("in", 10_000, None),
        ("in", 20_000, manager.id),
        ("out", 25_000, None),
    ]


def test_nothing_moves_in_or_out_of_a_till_that_is_not_open(
    uow: UnitOfWork, cashier: UserView
) -> None:
    refused = error(pay_in(uow, user_id=cashier.id, amount_minor=100, reason="Bozuk para"))

    assert refused.code is Code.NO_CASH_SESSION
    assert error(x_report(uow)).code is Code.NO_CASH_SESSION


def test_sales_and_drawer_openings_belong_to_the_session_open_when_they_happen(
    uow: UnitOfWork, store: Store, shelf: Shelf, cashier: UserView
) -> None:
    sell(uow, shelf)  # a till that never kept sessions sells as before, in none
    first = open_day(uow, cashier)
    sell(uow, shelf)
    value(open_drawer_without_sale(uow, user_id=cashier.id, reason="Bozuk para"))
    value(close_session(uow, first, user_id=cashier.id, counted={"cash": 51_250}))
    second = open_day(uow, cashier)
    sell(uow, shelf)

    linked = [o.cash_session_id for o in rows(store, Order, order_by=Order.receipt_number)]
    assert linked == [None, first, second]
    assert [p.cash_session_id for p in rows(store, Payment, order_by=Payment.id)] == linked
    (opening,) = rows(store, DrawerOpening)
    assert (opening.cash_session_id, opening.reason) == (first, "Bozuk para")


def test_after_the_day_is_closed_the_till_sells_nothing_until_it_opens_again(
    uow: UnitOfWork, store: Store, shelf: Shelf, cashier: UserView
) -> None:
    day = open_day(uow, cashier)
    value(close_session(uow, day, user_id=cashier.id, counted={"cash": 50_000}))
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))

    assert error(pay_cash(uow, cart)).code is Code.NO_CASH_SESSION
    assert count(store, Order) == 0
    open_day(uow, cashier)
    assert value(pay_cash(uow, cart)).receipt is not None


def test_z_numbers_run_without_gaps_per_till_and_a_second_close_is_refused(
    uow: UnitOfWork, store: Store, cashier: UserView, clock: FakeClock
) -> None:
    numbers = []
    for _ in range(3):
        day = open_day(uow, cashier)
        clock.advance(hours=8)
        numbers.append(
            value(close_session(uow, day, user_id=cashier.id, counted={"cash": 50_000})).z_number
        )
        again = error(close_session(uow, day, user_id=cashier.id, counted={"cash": 1}))
        assert again.code is Code.CASH_SESSION_CLOSED

    assert numbers == [1, 2, 3]
    kept = rows(store, CashSession, order_by=CashSession.id)
    assert [s.z_number for s in kept] == [1, 2, 3]
    assert all(json.loads(s.counted) == {"cash": 50_000} for s in kept)


def test_a_z_report_reads_back_exactly_as_it_was_made(
    uow: UnitOfWork, shelf: Shelf, cashier: UserView, clock: FakeClock
) -> None:
    day = open_day(uow, cashier, 10_000)
    sell(uow, shelf, 3_000)
    value(pay_in(uow, user_id=cashier.id, amount_minor=1_000, reason="Bozuk para"))
    clock.advance(hours=9)
    made = value(close_session(uow, day, user_id=cashier.id, counted={"cash": 13_950}))
    clock.advance(days=1)
    open_day(uow, cashier)  # the next day's money changes nothing in the closed one's Z
    sell(uow, shelf, 999)
    value(pay_in(uow, user_id=cashier.id, amount_minor=1, reason="Bozuk para"))

    assert value(z_report(uow, day)) == made
    (summary,) = value(z_reports(uow))
    assert (summary.z_number, summary.total_minor, summary.cash_difference_minor) == (1, 3_000, -50)


@pytest.mark.parametrize(
    "counted",
    [
        {},
        {"card": 100},
        {"cash": -1},
        {"cash": 1.5},
        {"cash": "100"},
        {"cash": 10**15},
        {"cash": 100, "cheque": 5},
        [("cash", 100)],
        None,
    ],
)
def test_a_count_that_is_not_one_closes_nothing(
    uow: UnitOfWork, store: Store, cashier: UserView, counted: object
) -> None:
    day = open_day(uow, cashier)

    assert error(close_session(uow, day, user_id=cashier.id, counted=counted)).code is (
        Code.INVALID_COUNT
    )
    assert rows(store, CashSession)[0].closed_at is None
    assert value(current_session(uow)) is not None


def test_a_day_with_a_card_payment_in_flight_cannot_close(
    uow: UnitOfWork, shelf: Shelf, cashier: UserView
) -> None:
    day = open_day(uow, cashier)
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    summary = value(add_to_cart(uow, cart, product, 1))
    value(
        checkout(
            uow, cart, shown_total_minor=summary.total_minor, tender=Card(), idempotency_key=key()
        )
    )

    refused = error(close_session(uow, day, user_id=cashier.id, counted={"cash": 50_000}))

    assert refused.code is Code.SALE_OPEN_AT_CLOSE


def test_an_unknown_session_is_not_found(uow: UnitOfWork, cashier: UserView) -> None:
    for unknown in (999, 0, -1, "1", None):
        refused = error(close_session(uow, unknown, user_id=cashier.id, counted={"cash": 0}))  # type: ignore[arg-type]
        assert refused.code is Code.CASH_SESSION_NOT_FOUND
        assert error(z_report(uow, unknown)).code is Code.CASH_SESSION_NOT_FOUND  # type: ignore[arg-type]


def test_an_open_sessions_z_is_not_there_yet(uow: UnitOfWork, cashier: UserView) -> None:
    day = open_day(uow, cashier)

    assert error(z_report(uow, day)).code is Code.NO_CASH_SESSION
    assert value(z_reports(uow)) == ()


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls on threads released together; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        answers[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_two_cashiers_opening_one_till_at_once_open_it_once(
    store: Store, clock: FakeClock, cashier: UserView, manager: UserView
) -> None:
    answers = at_once(
        *(
            lambda who=who: open_session(
                UnitOfWork(store.engine, clock), user_id=who.id, float_minor=100
            )
            for who in (cashier, manager)
        )
    )

    assert sorted(type(answer).__name__ for answer in answers) == ["Err", "Ok"]
    (refused,) = [answer for answer in answers if isinstance(answer, Err)]
    assert refused.code in (Code.CASH_SESSION_OPEN, *STORE_FAILURES)
    assert count(store, CashSession) == 1


def test_two_closes_of_one_day_at_once_make_one_z(
    store: Store, clock: FakeClock, uow: UnitOfWork, cashier: UserView, manager: UserView
) -> None:
    day = open_day(uow, cashier)

    answers = at_once(
        *(
            lambda who=who: close_session(
                UnitOfWork(store.engine, clock), day, user_id=who.id, counted={"cash": 0}
            )
            for who in (cashier, manager)
        )
    )

    assert sorted(type(answer).__name__ for answer in answers) == ["Err", "Ok"]
    (refused,) = [answer for answer in answers if isinstance(answer, Err)]
    assert refused.code in (Code.CASH_SESSION_CLOSED, *STORE_FAILURES)
    (kept,) = rows(store, CashSession)
    assert kept.z_number == 1
    with store.engine.connect() as connection:
        last = connection.execute(select(TillRow.last_z_number)).scalar_one()
    assert last == 1  # the refused close took no number: the series stays gapless
