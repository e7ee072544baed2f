"""Several tenders for one sale: part cash, part card, two cards (DESIGN.md §4).

A tender settles on its own; the sale is paid when its settled tenders cover the
total, in the transaction of the tender that completes it, and only then are the
goods sold, the receipt numbered and the outbox written. Every test runs on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pos.domain.messages import render
from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.domain.results import Code
from pos.services.cart import cart_summary
from pos.services.payments import mark_failed, mark_paid
from pos.services.tenders import Card, Cash, add_tender, sale_tenders
from pos.store.models import (
    CartStatus,
    Order,
    OrderStatus,
    OutboxMessage,
    Payment,
    Receipt,
)
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, error, value
from tests.invariants import assert_invariants, stock_books
from tests.sales import key, rows, shown_total, two_line_cart

pytestmark = pytest.mark.usefixtures("manager")

TOTAL = 5500  # two_line_cart: 2 x 12,50 + 1 x 30,00


def first_tender(uow: UnitOfWork, cart: int, tender: Cash | Card) -> Any:
    from pos.services.checkout import checkout

    return checkout(
        uow,
        cart,
        shown_total_minor=shown_total(uow, cart),
        tender=tender,
        idempotency_key=key(),
    )


def count(store: Store, column: Any, *where: Any) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count(column)).where(*where)).scalar_one()


def order_row(store: Store, order_id: object) -> Any:
    (row,) = rows(store, Order, Order.id == order_id)
    return row


def money_adds_up(store: Store, order_id: object) -> None:
    """Settled tenders, less the change given back, come to the order's total."""
    tenders = rows(
        store, Payment, Payment.order_id == order_id, Payment.status == PaymentStatus.PAID
    )
    handed = sum(
        t.tendered_minor if t.tendered_minor is not None else t.amount_minor for t in tenders
    )
    change = sum(t.change_minor or 0 for t in tenders)
    assert handed - change == order_row(store, order_id).total_minor


def test_part_in_cash_leaves_the_sale_open_with_the_rest_due_and_nothing_sold(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, first, second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Cash(2000, amount_minor=2000)))
    assert sale.status is PaymentStatus.PAID
    assert not sale.paid
    assert sale.receipt is None
    assert sale.due_minor == TOTAL - 2000
    assert order_row(store, sale.order_id).status == OrderStatus.PENDING
    assert value(cart_summary(uow, cart)).status is CartStatus.CHECKING_OUT
    assert rows(store, Receipt.number) == []
    assert count(store, OutboxMessage.id) == 0
    assert stock_books(store.engine)[first][:2] == (8, 2)  # still held, not sold
    tenders = value(sale_tenders(uow, sale.order_id))
    assert (tenders.settled_minor, tenders.due_minor) == (2000, 3500)

    rest = value(add_tender(uow, sale.order_id, Cash(5000), idempotency_key=key()))
    assert rest.paid
    assert rest.receipt == "T01-000001"
    assert rest.change_minor == 1500
    assert order_row(store, sale.order_id).status == OrderStatus.PAID
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    assert stock_books(store.engine)[first][:2] == (8, 0)
    assert stock_books(store.engine)[second][:2] == (4, 0)
    assert count(store, OutboxMessage.id) == 1
    money_adds_up(store, sale.order_id)
    assert_invariants(store.engine)


def test_part_by_card_then_the_rest_in_cash(store: Store, uow: UnitOfWork, shelf: Shelf) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Card(amount_minor=3000)))
    assert sale.status is PaymentStatus.INITIATED
    assert sale.amount_minor == 3000
    settled = value(mark_paid(uow, sale.payment_id))
    assert not settled.order_paid
    assert settled.due_minor == 2500
    assert order_row(store, sale.order_id).status == OrderStatus.PENDING
    rest = value(add_tender(uow, sale.order_id, Cash(2500), idempotency_key=key()))
    assert rest.paid
    assert rest.change_minor == 0
    (payment_methods) = sorted(p.method for p in rows(store, Payment))
    assert payment_methods == [PaymentMethod.CARD, PaymentMethod.CASH]
    money_adds_up(store, sale.order_id)
    assert_invariants(store.engine)


def test_two_cards_pay_the_sale_when_the_second_settles(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Card(amount_minor=2000)))
    value(mark_paid(uow, sale.payment_id))
    second = value(add_tender(uow, sale.order_id, Card(), idempotency_key=key()))
    assert second.amount_minor == 3500
    assert not second.paid
    done = value(mark_paid(uow, second.payment_id))
    assert done.order_paid
    assert done.receipt == "T01-000001"
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    money_adds_up(store, sale.order_id)
    assert_invariants(store.engine)


def test_a_declined_card_after_cash_leaves_the_cash_and_the_holds_standing(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Cash(1000, amount_minor=1000)))
    card = value(add_tender(uow, sale.order_id, Card(), idempotency_key=key()))
    failed = mark_failed(uow, card.payment_id)
    assert failed.code is Code.PAYMENT_FAILED
    assert order_row(store, sale.order_id).status == OrderStatus.PENDING
    assert value(cart_summary(uow, cart)).status is CartStatus.CHECKING_OUT
    assert stock_books(store.engine)[first][:2] == (8, 2)
    tenders = value(sale_tenders(uow, sale.order_id))
    assert tenders.due_minor == 4500
    assert not tenders.in_flight
    value(add_tender(uow, sale.order_id, Cash(4500), idempotency_key=key()))
    assert order_row(store, sale.order_id).status == OrderStatus.PAID
    money_adds_up(store, sale.order_id)
    assert_invariants(store.engine)


def test_a_declined_card_with_nothing_settled_gives_the_sale_back_to_its_cart(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Card(amount_minor=2000)))
    mark_failed(uow, sale.payment_id)
    assert order_row(store, sale.order_id).status == OrderStatus.FAILED
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert_invariants(store.engine)


@pytest.mark.parametrize(
    ("tender", "code"),
    [
        (Cash(0, amount_minor=0), Code.INVALID_AMOUNT),
        (Cash(-100, amount_minor=-100), Code.INVALID_AMOUNT),
        (Cash(150, amount_minor=1.5), Code.INVALID_AMOUNT),  # type: ignore[arg-type]
        (Card(amount_minor=True), Code.INVALID_AMOUNT),  # type: ignore[arg-type]
        (Card(amount_minor=10**30), Code.INVALID_AMOUNT),
        (Card(amount_minor=0), Code.INVALID_AMOUNT),
        (Card(amount_minor=4501), Code.TENDER_ABOVE_DUE),
        (Cash(9000, amount_minor=4501), Code.TENDER_ABOVE_DUE),
        (Cash(2000, amount_minor=1000), Code.CHANGE_ONLY_ON_LAST),
        (Cash(4000), Code.CASH_SHORT),
        (Card(provider="\x00"), Code.INVALID_TENDER),
        ("nakit", Code.INVALID_TENDER),
    ],
)
def test_a_bad_tender_is_refused_in_both_languages_and_changes_nothing(
    store: Store, uow: UnitOfWork, shelf: Shelf, tender: Any, code: Code
) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Cash(1000, amount_minor=1000)))
    before = (count(store, Payment.id), stock_books(store.engine))
    refused = error(add_tender(uow, sale.order_id, tender, idempotency_key=key()))
    assert refused.code is code
    assert render(refused, "tr")
    assert render(refused, "en")
    assert render(refused, "tr") != render(refused, "en")
    assert (count(store, Payment.id), stock_books(store.engine)) == before


def test_above_due_names_what_is_due(uow: UnitOfWork, shelf: Shelf) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Cash(1000, amount_minor=1000)))
    refused = error(add_tender(uow, sale.order_id, Card(amount_minor=9999), idempotency_key=key()))
    assert "45,00" in render(refused, "tr")


def test_no_tender_is_taken_while_a_card_is_in_flight_nor_once_the_sale_is_paid(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Card(amount_minor=1000)))
    busy = error(add_tender(uow, sale.order_id, Cash(4500), idempotency_key=key()))
    assert busy.code is Code.TERMINAL_BUSY
    assert render(busy, "tr").startswith("Terminal başka bir ödemeyi bekliyor")
    value(mark_paid(uow, sale.payment_id))
    value(add_tender(uow, sale.order_id, Cash(4500), idempotency_key=key()))
    payments_before = count(store, Payment.id)
    covered = error(add_tender(uow, sale.order_id, Cash(100), idempotency_key=key()))
    assert covered.code is Code.SALE_ALREADY_COVERED
    assert count(store, Payment.id) == payments_before
    assert error(add_tender(uow, "no-such-sale", Cash(1), idempotency_key=key())).code is (
        Code.ORDER_NOT_FOUND
    )


def test_the_same_key_answers_the_same_tender_and_refuses_another(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Cash(1000, amount_minor=1000)))
    again = key()
    one = value(
        add_tender(uow, sale.order_id, Cash(2000, amount_minor=2000), idempotency_key=again)
    )
    two = value(
        add_tender(uow, sale.order_id, Cash(2000, amount_minor=2000), idempotency_key=again)
    )
    assert one.payment_id == two.payment_id
    assert count(store, Payment.id) == 2
    other = error(add_tender(uow, sale.order_id, Card(amount_minor=500), idempotency_key=again))
    assert other.code is Code.IDEMPOTENCY_KEY_REUSED
    assert count(store, Payment.id) == 2


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parts=st.lists(
        st.tuples(st.sampled_from(["cash", "card"]), st.integers(min_value=1, max_value=2000)),
        max_size=5,
    ),
    last_cash=st.booleans(),
    extra=st.integers(min_value=0, max_value=5000),
)
def test_money_adds_up_however_the_sale_is_split(
    store: Store, uow: UnitOfWork, shelf: Shelf, parts: list[tuple[str, int]], last_cash: bool,
    extra: int,
) -> None:  # fmt: skip
    """Any split into part tenders, then the rest in cash (with change) or by card: the
    settled tenders less the change come to the total, and the sale is paid once."""
    cart, _first, _second = two_line_cart(uow, shelf)
    order = None
    due = TOTAL
    for method, part in parts:
        if part >= due:
            break
        tender = Cash(part, amount_minor=part) if method == "cash" else Card(amount_minor=part)
        if order is None:
            sale = value(first_tender(uow, cart, tender))
            order = sale.order_id
        else:
            sale = value(add_tender(uow, order, tender, idempotency_key=key()))
        if method == "card":
            value(mark_paid(uow, sale.payment_id))
        due -= part
        assert value(sale_tenders(uow, order)).due_minor == due
    last = Cash(due + extra) if last_cash else Card()
    if order is None:
        sale = value(first_tender(uow, cart, last))
        order = sale.order_id
    else:
        sale = value(add_tender(uow, order, last, idempotency_key=key()))
    if not last_cash:
        value(mark_paid(uow, sale.payment_id))
    assert order_row(store, order).status == OrderStatus.PAID
    assert count(store, Receipt.number, Receipt.order_id == order) == 1
    money_adds_up(store, order)
    with store.engine.connect() as connection:
        settled = connection.execute(
            select(func.sum(Payment.amount_minor)).where(
                Payment.order_id == order, Payment.status == PaymentStatus.PAID
            )
        ).scalar_one()
    assert settled == TOTAL
    assert_invariants(store.engine)


def test_the_receipt_prints_every_tender_and_the_change(uow: UnitOfWork, shelf: Shelf) -> None:
    from pos.services.receipts import receipt_text

    cart, _first, _second = two_line_cart(uow, shelf)
    sale = value(first_tender(uow, cart, Card(amount_minor=2000)))
    value(mark_paid(uow, sale.payment_id))
    value(add_tender(uow, sale.order_id, Cash(4000), idempotency_key=key()))
    text = value(receipt_text(uow, sale.order_id))
    tender_lines = [
        line.split()[0] + " " + line.split()[-1]
        for line in text.splitlines()
        if line.startswith(("Kart ", "Nakit ", "Para üstü "))
    ]
    assert tender_lines == ["Kart ₺20,00", "Nakit ₺40,00", "Para ₺5,00"]


def test_a_till_finds_its_part_paid_sales_when_it_starts_again(
    uow: UnitOfWork, shelf: Shelf
) -> None:
    from pos.services.tenders import part_paid_sales

    cart, _first, _second = two_line_cart(uow, shelf)
    till = 1  # the first till, T01, which the migrations make
    assert value(part_paid_sales(uow, till)) == ()
    sale = value(first_tender(uow, cart, Cash(1000, amount_minor=1000)))
    (left,) = value(part_paid_sales(uow, till))
    assert left.order_id == sale.order_id
    assert left.due_minor == 4500
    value(add_tender(uow, sale.order_id, Cash(4500), idempotency_key=key()))
    assert value(part_paid_sales(uow, till)) == ()
    assert error(part_paid_sales(uow, -1)).code is Code.TILL_NOT_FOUND
