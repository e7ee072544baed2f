"""The day's orders for a manager, one order in full, and a reprinted receipt, on both
databases."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from pos.domain.coupons import CouponKind
from pos.domain.payments import PaymentMethod, PaymentStatus, Settler
from pos.domain.results import Code
from pos.services.card_payments import force_resolve
from pos.services.cart import add_to_cart, open_cart
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.orders import (
    OrderCursor,
    order_choices,
    order_detail,
    orders_of_day,
    reprint_receipt,
)
from pos.services.payment_events import apply_payment_event
from pos.services.payments import mark_failed
from pos.services.receipts import receipt_text
from pos.services.users import UserView
from pos.store.models import AuditEntry, EventOutcome, OrderStatus, TillRow
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.invariants import assert_invariants
from tests.payments import terminal_event
from tests.sales import pay_by_card, pay_cash, rows

ISTANBUL = ZoneInfo("Europe/Istanbul")
DAY = date(2026, 3, 2)


def at_local(clock: FakeClock, hour: int, minute: int, day: date = DAY) -> None:
    clock.current = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ISTANBUL)


def sell(
    uow: UnitOfWork,
    shelf: Shelf,
    *,
    card: bool = False,
    cashier: UserView | None = None,
    till_id: int = 1,
    price_minor: int = 1000,
    quantity: int = 1,
) -> tuple[uuid.UUID, int]:
    """One sale of one product: paid in cash, or left waiting for the card."""
    product = shelf.product(stock=10, price_minor=price_minor)
    cashier_id = cashier.id if cashier is not None else None
    cart = value(open_cart(uow, cashier_id=cashier_id, till_id=till_id)).cart_id
    value(add_to_cart(uow, cart, product, quantity))
    sale = value(pay_by_card(uow, cart) if card else pay_cash(uow, cart))
    return sale.order_id, sale.payment_id


def day_of(uow: UnitOfWork, manager: UserView, **filters: object) -> list[uuid.UUID]:
    page = value(
        orders_of_day(uow, manager_id=manager.id, **{"day": DAY, "tz": ISTANBUL, **filters})
    )
    return [row.order_id for row in page.rows]


@pytest.fixture
def second_till(store: Store) -> int:
    with store.engine.begin() as connection:
        connection.execute(insert(TillRow).values(id=2, code="T02", location_id=1))
    return 2


def test_the_day_is_the_shops_local_day(
    uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    at_local(clock, 0, 1)
    first, _ = sell(uow, shelf)
    at_local(clock, 23, 59)
    last, _ = sell(uow, shelf)
    at_local(clock, 0, 1, DAY + timedelta(days=1))
    next_day, _ = sell(uow, shelf)
    at_local(clock, 23, 59, DAY - timedelta(days=1))
    day_before, _ = sell(uow, shelf)

    assert day_of(uow, manager) == [last, first]
    assert day_of(uow, manager, day=DAY + timedelta(days=1)) == [next_day]
    assert day_of(uow, manager, day=DAY - timedelta(days=1)) == [day_before]
    # In UTC the same sales fall on other days: 00:01 in Istanbul is 21:01 the day before.
    assert day_of(uow, manager, tz=UTC) == [next_day, last]
    assert day_of(uow, manager, tz=timezone(timedelta(hours=3))) == [last, first]


@pytest.mark.usefixtures("machine_in_utc")
def test_without_a_zone_the_day_is_the_shops_day_not_the_machines(
    uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    at_local(clock, 0, 1)
    first, _ = sell(uow, shelf)
    at_local(clock, 0, 1, DAY + timedelta(days=1))
    sell(uow, shelf)
    page = value(orders_of_day(uow, manager_id=manager.id, day=DAY))
    assert [row.order_id for row in page.rows] == [first]


def test_a_row_says_when_where_who_what_and_how(
    uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    at_local(clock, 10, 15)
    cash_order, _ = sell(uow, shelf, cashier=cashier, price_minor=1250, quantity=2)
    at_local(clock, 10, 20)
    card_order, _ = sell(uow, shelf, card=True, cashier=manager)
    page = value(orders_of_day(uow, manager_id=manager.id, day=DAY, tz=ISTANBUL))
    card_row, cash_row = page.rows
    assert page.next_after is None
    assert cash_row.order_id == cash_order
    assert cash_row.created_at == datetime(2026, 3, 2, 7, 15, tzinfo=UTC)
    assert (cash_row.till_code, cash_row.receipt) == ("T01", "T01-000001")
    assert (cash_row.cashier_id, cash_row.cashier) == (cashier.id, "Mehmet Demir")
    assert (cash_row.status, cash_row.total_minor, cash_row.currency) == (
        OrderStatus.PAID,
        2500,
        "TRY",
    )
    assert cash_row.methods == (PaymentMethod.CASH,)
    assert card_row.order_id == card_order
    assert (card_row.status, card_row.receipt) == (OrderStatus.PENDING, None)
    assert card_row.methods == (PaymentMethod.CARD,)
    assert card_row.cashier == "Ayşe Yılmaz"


def test_each_filter_narrows_the_day_and_they_combine(
    uow: UnitOfWork,
    clock: FakeClock,
    shelf: Shelf,
    manager: UserView,
    cashier: UserView,
    second_till: int,
) -> None:
    at_local(clock, 9, 0)
    cash_by_cashier, _ = sell(uow, shelf, cashier=cashier)  # T01-000001
    clock.advance(minutes=1)
    card_waiting, _ = sell(uow, shelf, card=True, cashier=cashier)
    clock.advance(minutes=1)
    card_failed, failed_payment = sell(uow, shelf, card=True, cashier=manager)
    value(mark_failed(uow, failed_payment))
    clock.advance(minutes=1)
    cash_on_t02, _ = sell(uow, shelf, cashier=manager, till_id=second_till)  # T02-000001
    clock.advance(minutes=1)
    cash_by_manager, _ = sell(uow, shelf, cashier=manager)  # T01-000002

    assert day_of(uow, manager, status=OrderStatus.PAID) == [
        cash_by_manager,
        cash_on_t02,
        cash_by_cashier,
    ]
    assert day_of(uow, manager, status=OrderStatus.FAILED) == [card_failed]
    assert day_of(uow, manager, status=OrderStatus.PENDING) == [card_waiting]
    assert day_of(uow, manager, status=OrderStatus.CANCELLED) == []
    assert day_of(uow, manager, till_id=second_till) == [cash_on_t02]
    assert day_of(uow, manager, cashier_id=cashier.id) == [card_waiting, cash_by_cashier]
    assert day_of(uow, manager, method=PaymentMethod.CARD) == [card_failed, card_waiting]
    assert day_of(uow, manager, receipt_number=1) == [cash_on_t02, cash_by_cashier]
    assert day_of(uow, manager, receipt_number=1, till_id=1) == [cash_by_cashier]
    assert day_of(uow, manager, method=PaymentMethod.CASH, cashier_id=manager.id, till_id=1) == [
        cash_by_manager
    ]
    assert day_of(uow, manager, method=PaymentMethod.CARD, status=OrderStatus.PAID) == []


def test_the_day_pages_by_keyset_without_gaps_or_repeats(
    uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    at_local(clock, 12, 0)
    made = []
    for n in range(7):
        made.append(sell(uow, shelf)[0])
        if n % 3 == 2:  # some sales share an instant: the id breaks the tie
            clock.advance(seconds=1)
    seen: list[uuid.UUID] = []
    after = None
    pages = 0
    while True:
        page = value(
            orders_of_day(uow, manager_id=manager.id, day=DAY, tz=ISTANBUL, after=after, limit=3)
        )
        pages += 1
        assert len(page.rows) <= 3
        seen.extend(row.order_id for row in page.rows)
        if page.next_after is None:
            break
        after = page.next_after
    assert pages == 3
    assert sorted(seen) == sorted(made)
    assert len(seen) == 7
    assert seen == day_of(uow, manager, limit=7)  # the pages, end to end, are the day


def test_an_order_in_full_lines_payments_events_coupon_and_receipt(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    value(create_coupon(uow, CouponDraft("ON", CouponKind.FIXED, 500), user_id=manager.id))
    ayran = shelf.product(stock=10, price_minor=1250, name="Ayran 300 ml")
    peynir = shelf.product(stock=5, price_minor=3000, name="Beyaz Peynir 500 g")
    cart = value(open_cart(uow, cashier_id=manager.id)).cart_id
    value(add_to_cart(uow, cart, ayran, 2))
    value(add_to_cart(uow, cart, peynir, 1))
    value(apply_coupon(uow, cart, "ON"))
    sale = value(pay_by_card(uow, cart))
    wrong = terminal_event("evt_wrong", "pay_1", payment_id=sale.payment_id, amount_minor=1)
    value(apply_payment_event(uow, wrong))
    clock.advance(seconds=5)
    right = terminal_event(
        "evt_right", "pay_1", payment_id=sale.payment_id, amount_minor=sale.total_minor
    )
    value(apply_payment_event(uow, right))

    detail = value(order_detail(uow, str(sale.order_id), manager_id=manager.id))

    assert (detail.order_id, detail.status, detail.receipt) == (
        sale.order_id,
        OrderStatus.PAID,
        "T01-000001",
    )
    assert (detail.coupon_code, detail.cashier, detail.till_code) == ("ON", "Ayşe Yılmaz", "T01")
    assert (detail.subtotal_minor, detail.discount_minor, detail.total_minor) == (5500, 500, 5000)
    assert [
        (line.sku, line.name, line.quantity, line.unit_price_minor) for line in detail.lines
    ] == [
        ("SKU-0001", "Ayran 300 ml", 2, 1250),
        ("SKU-0002", "Beyaz Peynir 500 g", 1, 3000),
    ]
    assert sum(line.discount_minor for line in detail.lines) == 500
    assert sum(line.total_minor for line in detail.lines) == 5000
    assert {line.tax_rate_bp for line in detail.lines} == {2000}
    (payment,) = detail.payments
    assert (payment.method, payment.status, payment.amount_minor) == (
        PaymentMethod.CARD,
        PaymentStatus.PAID,
        5000,
    )
    assert (payment.settled_by, payment.provider_payment_id) == (Settler.WEBHOOK, "pay_1")
    assert payment.review_reason == "amount_mismatch"
    assert [(e.event_id, e.outcome, e.amount_minor, e.source) for e in detail.events] == [
        ("evt_wrong", EventOutcome.MISMATCH, 1, "webhook"),
        ("evt_right", EventOutcome.APPLIED, 5000, "webhook"),
    ]
    assert detail.events[0].received_at < detail.events[1].received_at
    assert_invariants(store.engine)


def test_a_reprint_is_the_receipt_marked_as_a_copy_and_is_audited(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    order_id, _ = sell(uow, shelf, price_minor=1250)
    original = value(receipt_text(uow, order_id))
    clock.advance(hours=2)

    copy = value(reprint_receipt(uow, order_id, manager_id=manager.id))

    lines = copy.splitlines()
    assert lines[0].strip() == "*** KOPYA ***"
    assert lines[-1].strip() == "*** KOPYA ***"
    assert "\n".join(lines[1:-1]) + "\n" == original  # the same receipt, word for word
    assert "KOPYA" not in original
    english = value(reprint_receipt(uow, str(order_id), manager_id=manager.id, locale="en"))
    assert english.splitlines()[0].strip() == "*** COPY ***"
    entries = rows(
        store, AuditEntry, AuditEntry.action == "receipt.reprint", order_by=AuditEntry.id
    )
    assert len(entries) == 2
    assert (entries[0].user_id, entries[0].entity, entries[0].entity_id) == (
        manager.id,
        "order",
        str(order_id),
    )
    assert json.loads(entries[0].details) == {"receipt": "T01-000001"}
    assert entries[0].at == clock.current


def test_an_unpaid_or_unknown_order_has_no_reprint_and_nothing_is_audited(
    store: Store, uow: UnitOfWork, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    waiting, payment_id = sell(uow, shelf, card=True)
    assert error(reprint_receipt(uow, waiting, manager_id=manager.id)).code is Code.ORDER_NOT_PAID
    value(force_resolve(uow, payment_id, PaymentStatus.FAILED, manager_id=manager.id, note="x"))
    assert error(reprint_receipt(uow, waiting, manager_id=manager.id)).code is Code.ORDER_NOT_PAID
    for nothing in (uuid.uuid4(), str(uuid.uuid4()), "", "x", None, 42, "' OR 1=1 --", "a" * 10**5):
        assert error(reprint_receipt(uow, nothing, manager_id=manager.id)).code is (
            Code.ORDER_NOT_FOUND
        )
        assert error(order_detail(uow, nothing, manager_id=manager.id)).code is (
            Code.ORDER_NOT_FOUND
        )
    paid, _ = sell(uow, shelf)
    assert error(reprint_receipt(uow, paid, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(reprint_receipt(uow, paid, manager_id=manager.id, locale="de")).code is (
        Code.INVALID_FILTER
    )
    assert rows(store, AuditEntry.id, AuditEntry.action == "receipt.reprint") == []


def test_orders_and_their_detail_are_for_managers_only(
    uow: UnitOfWork, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    order_id, _ = sell(uow, shelf)
    refused = error(orders_of_day(uow, manager_id=cashier.id, day=DAY))
    assert refused.code is Code.NOT_PERMITTED
    assert error(order_detail(uow, order_id, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(order_choices(uow, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(orders_of_day(uow, manager_id="1", day=DAY)).code is Code.USER_NOT_FOUND


@pytest.mark.parametrize(
    "bad",
    [
        {"day": datetime(2026, 3, 2, tzinfo=UTC)},
        {"day": "2026-03-02"},
        {"day": None},
        {"day": date.max},
        {"tz": "Europe/Istanbul"},
        {"status": "paid"},
        {"method": "cash"},
        {"till_id": 0},
        {"till_id": True},
        {"cashier_id": -1},
        {"cashier_id": "2"},
        {"receipt_number": 0},
        {"receipt_number": "T01-000001"},
        {"receipt_number": 2**70},
        {"after": "2026-03-02"},
        {"after": OrderCursor(datetime(2026, 3, 2), uuid.uuid4())},
        {"after": OrderCursor(datetime(2026, 3, 2, tzinfo=UTC), "not-a-uuid")},  # type: ignore[arg-type]
        {"limit": 0},
        {"limit": 10**6},
        {"limit": 2.5},
    ],
)
def test_bad_filters_are_refused(
    uow: UnitOfWork, manager: UserView, bad: dict[str, object]
) -> None:
    query: dict[str, object] = {"day": DAY, **bad}
    assert error(orders_of_day(uow, manager_id=manager.id, **query)).code is Code.INVALID_FILTER


def test_the_filters_offer_every_till_and_everyone_who_sells(
    uow: UnitOfWork, manager: UserView, cashier: UserView, second_till: int
) -> None:
    choices = value(order_choices(uow, manager_id=manager.id))
    assert [(till.id, till.code) for till in choices.tills] == [(1, "T01"), (second_till, "T02")]
    assert [person.display_name for person in choices.people] == ["Ayşe Yılmaz", "Mehmet Demir"]
