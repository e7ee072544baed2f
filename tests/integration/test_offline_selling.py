"""Selling on the till's replica while the central store is away (DESIGN.md §5).

Most tests sell on one store through a unit of work marked offline: that is all a
replica is to the use cases. The tests that need both stores (carrying a sale over,
joining the receipt series) use the test's store as the central one and a SQLite
replica beside it, filled as a pull would fill it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from pos.domain.messages import render
from pos.domain.results import OFFLINE_APPROVALS, Changed, Code, Ok, Warn
from pos.services.approvals import approve
from pos.services.cart import (
    add_scanned,
    add_to_cart,
    cart_summary,
    open_cart,
    remove_line,
    set_quantity,
    void_sale,
)
from pos.services.checkout import Card, Cash, checkout
from pos.services.coupons import CouponDraft, CouponKind, apply_coupon, create_coupon
from pos.services.offline import (
    back_online,
    carry_over,
    offline_status,
    rejoin_series,
    went_offline,
)
from pos.services.payment_events import apply_payment_event
from pos.services.payments import mark_paid
from pos.services.price_override import override_price
from pos.services.refunds import void_tendered_sale
from pos.services.returns import (
    LooseReturn,
    ReturnRequest,
    return_items,
    return_without_receipt,
    returnable_sale,
)
from pos.services.tenders import add_tender
from pos.services.users import LOCKOUT, MAX_PIN_ATTEMPTS, sign_in
from pos.store.models import AuditEntry, CartStatus
from pos.store.tables import (
    carts,
    inventory,
    offline_sales,
    order_items,
    orders,
    outbox,
    payments,
    receipts,
    reservations,
    tills,
    users,
)
from pos.store.uow import UnitOfWork
from tests.conftest import error, value
from tests.offline import offline_uow, pull, replica_engine
from tests.payments import terminal_event
from tests.sales import count, key, new_cart, pay_cash, shown_total


def stock(store, product: int) -> tuple[int, int]:
    with store.engine.connect() as connection:
        row = connection.execute(
            select(inventory.c.available, inventory.c.reserved).where(
                inventory.c.product_id == product
            )
        ).one()
    return row.available, row.reserved


def offline_records(engine) -> list[dict]:
    with engine.connect() as connection:
        bodies = connection.execute(
            select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id)
        ).all()
    return [{"topic": topic, **json.loads(payload)} for topic, payload in bodies]


def send_home(engine) -> None:
    """What the sync loop does once the central store has the sales: mark them sent."""
    with engine.begin() as connection:
        connection.execute(update(outbox).values(sent_at=func.now()))


@pytest.fixture
def off(store, clock) -> UnitOfWork:
    return offline_uow(store.engine, clock)


# -- Lines without reservations -----------------------------------------------------


def test_a_line_offline_reserves_nothing_and_leaves_the_last_known_stock_alone(off, store, shelf):
    product = shelf.product(stock=5)
    cart = new_cart(off)

    result = add_to_cart(off, cart, product, 2)

    assert isinstance(result, Ok)
    assert result.changed == Changed.CART
    assert result.value.lines[0].quantity == 2
    assert result.value.lines[0].reserved == 0
    assert count(store, reservations) == 0
    assert stock(store, product) == (5, 0)


def test_a_line_the_last_known_stock_does_not_cover_is_added_with_the_seeds_warning(
    off, store, shelf
):
    product = shelf.product(stock=3)
    cart = new_cart(off)

    result = add_to_cart(off, cart, product, 4)

    assert isinstance(result, Warn)
    assert result.code is Code.ADDED_UNVERIFIED
    assert render(result, "tr") == "Sepete eklendi, ancak stok hemen doğrulanamadı"
    assert result.value.lines[0].quantity == 4
    assert stock(store, product) == (3, 0)


def test_the_carts_own_line_counts_against_the_last_known_stock(off, shelf):
    product = shelf.product(stock=3)
    cart = new_cart(off)
    assert isinstance(add_to_cart(off, cart, product, 3), Ok)

    grown = add_to_cart(off, cart, product, 1)

    assert isinstance(grown, Warn)
    assert grown.code is Code.ADDED_UNVERIFIED
    assert grown.value.lines[0].quantity == 4


def test_a_scanned_code_offline_follows_the_same_rule(off, store, shelf):
    product = shelf.product(stock=1)
    cart = new_cart(off)

    result = add_scanned(off, cart, "SKU-0001", 2)

    assert isinstance(result, Warn)
    assert result.code is Code.ADDED_UNVERIFIED
    assert result.value.lines[0].product_id == product
    assert count(store, reservations) == 0


def test_unsent_offline_sales_count_against_the_stock_until_they_are_sent(off, store, shelf):
    product = shelf.product(stock=5)
    sold = new_cart(off)
    value(add_to_cart(off, sold, product, 4))
    value(pay_cash(off, sold))
    cart = new_cart(off)

    assert isinstance(add_to_cart(off, cart, product, 1), Ok)  # 5 - 4 - 1 = 0
    short = set_quantity(off, cart, product, 2)
    assert isinstance(short, Warn)
    assert short.code is Code.ADDED_UNVERIFIED

    send_home(store.engine)  # the central store has the sale; the next pull brings its stock
    assert isinstance(set_quantity(off, cart, product, 3), Ok)


def test_lowering_or_removing_a_line_offline_asks_nothing_of_the_stock(off, store, shelf):
    product = shelf.product(stock=1)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 5))

    lowered = set_quantity(off, cart, product, 3)
    removed = remove_line(off, cart, product)

    assert isinstance(lowered, Ok)
    assert lowered.value.lines[0].quantity == 3
    assert isinstance(removed, Ok)
    assert removed.value.lines == ()
    assert stock(store, product) == (1, 0)


@pytest.mark.parametrize("quantity", [-1, 0, 10**9, 2**63, "üç", "-2", 1.5, True, None])
def test_a_bad_quantity_offline_is_refused_and_changes_nothing(off, store, shelf, quantity):
    product = shelf.product(stock=5)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))

    added = add_to_cart(off, cart, product, quantity)

    assert error(added).code in {
        Code.INVALID_QUANTITY,
        Code.QUANTITY_NOT_WHOLE,
        Code.QUANTITY_OUT_OF_RANGE,
    }
    assert value(cart_summary(off, cart)).lines[0].quantity == 1
    assert count(store, reservations) == 0


def test_a_line_past_the_largest_quantity_offline_is_refused(off, shelf):
    product = shelf.product(stock=5)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 999_999))

    assert error(add_to_cart(off, cart, product, 2)).code is Code.INVALID_QUANTITY


def test_voiding_the_sale_in_progress_offline_works_and_releases_nothing(off, store, shelf):
    product = shelf.product(stock=5)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 2))

    voided = value(void_sale(off, cart))

    assert voided.units_released == 0
    assert stock(store, product) == (5, 0)


# -- Paying offline -------------------------------------------------------------------


def test_a_cash_sale_offline_is_written_with_its_outbox_record_and_takes_no_stock(
    off, store, shelf, cashier
):
    product = shelf.product(stock=5, price_minor=1250, name="Ayran 300 ml")
    with store.engine.begin() as connection:  # the last number the till had online
        connection.execute(update(tills).values(last_receipt_number=41))
    cart = value(open_cart(off, cashier_id=cashier.id)).cart_id
    value(add_to_cart(off, cart, product, 2))

    sale = value(pay_cash(off, cart, given=3000))

    assert sale.paid
    assert sale.receipt == "T01-000042"
    assert sale.change_minor == 500
    assert stock(store, product) == (5, 0)  # the replica's stock is the central store's
    [record] = offline_records(store.engine)
    assert record["topic"] == "sale.offline"
    assert record["order_id"] == str(sale.order_id)
    assert record["receipt_number"] == record["sequence"] == 42
    assert record["cashier_id"] == cashier.id
    assert record["till_code"] == "T01"
    assert record["total_minor"] == 2500
    assert [
        (line["line_no"], line["product_id"], line["quantity"], line["unit_price_minor"])
        for line in record["lines"]
    ] == [(1, product, 2, 1250)]
    assert record["lines"][0]["name"] == "Ayran 300 ml"
    [tender] = record["tenders"]
    assert (tender["method"], tender["status"], tender["amount_minor"]) == ("cash", "paid", 2500)
    assert (tender["tendered_minor"], tender["change_minor"]) == (3000, 500)
    assert tender["idempotency_key"]
    assert "id" not in tender  # the replica's integer ids would collide centrally
    assert record["till_clock"]["paid_at"].startswith("2026-03-02")
    with store.engine.connect() as connection:
        linked = connection.execute(select(offline_sales.c.outbox_id)).scalar_one()
        assert linked == connection.execute(select(outbox.c.id)).scalar_one()


def test_the_sequence_follows_the_order_of_the_sales_when_the_clock_jumps_back(
    off, store, shelf, clock
):
    product = shelf.product(stock=50)
    for _ in range(3):
        cart = new_cart(off)
        value(add_to_cart(off, cart, product, 1))
        value(pay_cash(off, cart))
        clock.advance(hours=-2)  # the till's clock is set back between sales

    sequences = [record["sequence"] for record in offline_records(store.engine)]
    paid = [record["till_clock"]["paid_at"] for record in offline_records(store.engine)]

    assert sequences == [1, 2, 3]
    assert paid == sorted(paid, reverse=True)


def test_a_card_is_refused_offline_unless_the_policy_allows_it(off, store, shelf):
    product = shelf.product(stock=5)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))

    refused = checkout(
        off, cart, shown_total_minor=shown_total(off, cart), tender=Card(), idempotency_key=key()
    )

    assert error(refused).code is Code.CARD_NOT_OFFLINE
    assert "nakit" in render(error(refused), "tr")
    assert count(store, orders) == 0
    assert value(cart_summary(off, cart)).status == "open"


def test_a_card_allowed_offline_is_finalised_the_offline_way_by_whoever_settles_it(
    store, clock, shelf
):
    card_ok = offline_uow(store.engine, clock, card=True)
    product = shelf.product(stock=5)
    cart = new_cart(card_ok)
    value(add_to_cart(card_ok, cart, product, 1))
    sale = value(
        checkout(
            card_ok,
            cart,
            shown_total_minor=shown_total(card_ok, cart),
            tender=Card(),
            idempotency_key=key(),
        )
    )
    assert not sale.paid
    assert offline_records(store.engine) == []

    settled = value(mark_paid(card_ok, sale.payment_id))

    assert settled.receipt == "T01-000001"
    [record] = offline_records(store.engine)
    assert record["tenders"][0]["method"] == "card"
    assert stock(store, product) == (5, 0)


def test_a_second_tender_by_card_is_refused_offline_by_default(off, store, shelf):
    product = shelf.product(stock=5, price_minor=5000)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))
    part = value(
        checkout(
            off,
            cart,
            shown_total_minor=5000,
            tender=Cash(2000, amount_minor=2000),
            idempotency_key=key(),
        )
    )

    refused = add_tender(off, part.order_id, Card(), idempotency_key=key())

    assert error(refused).code is Code.CARD_NOT_OFFLINE
    rest = value(add_tender(off, part.order_id, Cash(3000), idempotency_key=key()))
    assert rest.paid
    assert len(offline_records(store.engine)) == 1


def test_voiding_a_part_paid_offline_sale_works_offline(off, store, shelf, manager):
    product = shelf.product(stock=5, price_minor=5000)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))
    part = value(
        checkout(
            off,
            cart,
            shown_total_minor=5000,
            tender=Cash(2000, amount_minor=2000),
            idempotency_key=key(),
        )
    )

    voided = value(void_tendered_sale(off, part.order_id, user_id=manager.id))

    assert voided.voided
    assert voided.cash_back_minor == 2000
    assert offline_records(store.engine) == []


# -- The offline policy ---------------------------------------------------------------


def test_a_sale_over_the_offline_cap_needs_a_managers_approval(
    store, clock, shelf, cashier, manager
):
    capped = offline_uow(store.engine, clock, max_sale_minor=2000)
    product = shelf.product(stock=5, price_minor=2500)
    cart = new_cart(capped)
    value(add_to_cart(capped, cart, product, 1))

    refused = error(pay_cash(capped, cart))
    by_cashier = error(pay_cash(capped, cart, approved_by=cashier.id))

    assert refused.code is Code.OFFLINE_SALE_OVER_CAP
    assert refused.code in OFFLINE_APPROVALS
    assert render(refused, "tr") == (
        "Çevrimdışı bir satış en çok ₺20,00 olabilir: yönetici onayı gerekli"
    )
    assert by_cashier.code is Code.NOT_PERMITTED
    assert count(store, orders) == 0
    sale = value(pay_cash(capped, cart, cashier_id=cashier.id, approved_by=manager.id))
    assert sale.paid
    [record] = offline_records(store.engine)
    assert record["approved_by"] == manager.id
    with store.engine.connect() as connection:
        audited = connection.execute(
            select(AuditEntry.user_id, AuditEntry.approved_by, AuditEntry.entity_id).where(
                AuditEntry.action == "sale.offline_over_limit"
            )
        ).one()
    assert tuple(audited) == (cashier.id, manager.id, str(sale.order_id))


def test_the_unsent_total_has_a_cap_that_sending_home_lifts(store, clock, shelf):
    capped = offline_uow(store.engine, clock, max_unsent_minor=5000)
    product = shelf.product(stock=50, price_minor=2500)

    def sell() -> object:
        cart = new_cart(capped)
        value(add_to_cart(capped, cart, product, 1))
        return pay_cash(capped, cart)

    assert value(sell()).paid
    assert value(sell()).paid
    third = error(sell())
    assert third.code is Code.OFFLINE_UNSENT_OVER_CAP
    assert value(offline_status(capped)).unsent_total_minor == 5000

    send_home(store.engine)
    assert value(sell()).paid


def test_selling_past_the_time_offline_needs_a_managers_approval(store, clock, shelf, manager):
    limited = offline_uow(store.engine, clock, max_offline=timedelta(hours=24))
    product = shelf.product(stock=50)
    value(went_offline(limited, 1))
    clock.advance(hours=23)
    value(went_offline(limited, 1))  # a flap: the first note stands
    cart = new_cart(limited)
    value(add_to_cart(limited, cart, product, 1))
    clock.advance(hours=2)

    refused = error(pay_cash(limited, cart))

    assert refused.code is Code.OFFLINE_TOO_LONG
    assert "24" in render(refused, "en")
    assert value(pay_cash(limited, cart, approved_by=manager.id)).paid


def test_the_time_offline_counts_from_the_oldest_unsent_sale_when_not_noted(store, clock, shelf):
    limited = offline_uow(store.engine, clock, max_offline=timedelta(hours=1))
    product = shelf.product(stock=50)
    cart = new_cart(limited)
    value(add_to_cart(limited, cart, product, 1))
    value(pay_cash(limited, cart))
    clock.advance(hours=2)
    cart = new_cart(limited)
    value(add_to_cart(limited, cart, product, 1))

    assert error(pay_cash(limited, cart)).code is Code.OFFLINE_TOO_LONG


def test_the_banner_counts_the_unsent_sales_and_since_when(off, store, shelf, clock):
    product = shelf.product(stock=50, price_minor=1000)
    assert value(offline_status(off)).unsent_count == 0
    value(went_offline(off, 1))
    for _ in range(2):
        cart = new_cart(off)
        value(add_to_cart(off, cart, product, 1))
        value(pay_cash(off, cart))

    status = value(offline_status(off))

    assert (status.unsent_count, status.unsent_total_minor) == (2, 2000)
    assert status.offline_since == clock.current
    early = error(back_online(off, 1))
    assert (early.code, render(early, "en")) == (
        Code.OFFLINE_SALES_UNSENT,
        "2 offline sales have not yet been sent to the central store",
    )
    assert value(offline_status(off)).offline_since == clock.current
    send_home(store.engine)
    assert value(back_online(off, 1)).unsent_count == 0
    assert value(offline_status(off)).offline_since is None


def test_noting_offline_for_an_unknown_till_is_refused(off):
    assert error(went_offline(off, 99)).code is Code.TILL_NOT_FOUND
    assert error(went_offline(off, "1")).code is Code.TILL_NOT_FOUND


# -- Coupons offline ------------------------------------------------------------------


def coupon(uow, manager, code: str, **terms) -> None:
    draft = CouponDraft(code=code, kind=CouponKind.PERCENT, value=1000, **terms)
    value(create_coupon(uow, draft, user_id=manager.id))


def test_a_coupon_without_a_usage_limit_is_taken_offline(uow, off, shelf, manager):
    coupon(uow, manager, "YAZ10")
    product = shelf.product(stock=5, price_minor=10000)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))

    applied = value(apply_coupon(off, cart, "YAZ10"))

    assert applied.new_total_minor == 9000
    assert value(pay_cash(off, cart)).paid


def test_a_coupon_with_a_usage_limit_is_refused_offline_by_default_saying_why(
    uow, off, store, shelf, manager
):
    coupon(uow, manager, "TEK", usage_limit=100)
    product = shelf.product(stock=5, price_minor=10000)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))

    refused = error(apply_coupon(off, cart, "TEK"))

    assert refused.code is Code.COUPON_OFFLINE_ALLOWANCE
    assert render(refused, "en") == (
        "This coupon's uses are counted by the central store; offline this till may"
        " take it 0 times at most"
    )
    assert value(cart_summary(off, cart)).coupon_code is None


def test_a_limited_coupon_is_taken_offline_up_to_the_allowance(uow, store, clock, shelf, manager):
    allowed = offline_uow(store.engine, clock, coupon_allowance=1)
    coupon(uow, manager, "TEK", usage_limit=100)
    product = shelf.product(stock=50, price_minor=10000)
    first = new_cart(allowed)
    value(add_to_cart(allowed, first, product, 1))
    value(apply_coupon(allowed, first, "TEK"))
    second = new_cart(allowed)
    value(add_to_cart(allowed, second, product, 1))
    value(apply_coupon(allowed, second, "TEK"))  # the first is not yet paid

    assert value(pay_cash(allowed, first)).paid
    over = error(pay_cash(allowed, second))

    assert over.code is Code.COUPON_OFFLINE_ALLOWANCE
    assert error(apply_coupon(allowed, new_cart(allowed), "TEK")).code is (
        Code.COUPON_OFFLINE_ALLOWANCE
    )
    [record] = offline_records(store.engine)
    assert record["coupon"]["code"] == "TEK"


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"valid_to": "past"}, Code.COUPON_INVALID),
        ({"min_cart_minor": 50000}, Code.COUPON_BELOW_MINIMUM),
    ],
)
def test_a_coupon_offline_is_checked_by_its_dates_and_minimum(
    uow, off, shelf, manager, clock, terms, code
):
    if terms.get("valid_to") == "past":
        terms = {"valid_from": clock.current - timedelta(days=9), "valid_to": clock.current}
    coupon(uow, manager, "ESKI", **terms)
    product = shelf.product(stock=5, price_minor=10000)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))

    assert error(apply_coupon(off, cart, "ESKI")).code is code


def test_a_coupon_the_replica_does_not_know_is_refused(off, shelf):
    product = shelf.product(stock=5)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))

    assert error(apply_coupon(off, cart, "YOK")).code is Code.COUPON_INVALID


# -- What needs the central store -----------------------------------------------------


def test_returns_need_the_central_store(uow, off, store, shelf, cashier, manager):
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_cash(uow, cart))  # sold online

    answers = [
        returnable_sale(off, sale.receipt),
        return_items(off, sale.order_id, [ReturnRequest(1, 1)], reason="bozuk", user_id=cashier.id),
        return_without_receipt(
            off, [LooseReturn("SKU-0001", 1)], reason="fişsiz", user_id=manager.id
        ),
        void_tendered_sale(off, sale.order_id, user_id=manager.id),
    ]

    assert [error(answer).code for answer in answers] == [Code.NEEDS_CENTRAL_STORE] * 4
    assert render(error(answers[0]), "tr") == "Bu işlem merkez kasaya bağlanınca yapılabilir"


# -- Cashiers sign in against the replica ---------------------------------------------


def test_cashiers_sign_in_against_the_replica_and_lockout_is_counted_there(
    off, store, clock, cashier
):
    assert value(sign_in(off, cashier.id, "1234")) == cashier
    for _ in range(MAX_PIN_ATTEMPTS):
        sign_in(off, cashier.id, "0000")

    locked = error(sign_in(off, cashier.id, "1234"))

    assert locked.code is Code.USER_LOCKED
    with store.engine.connect() as connection:
        row = connection.execute(
            select(users.c.failed_pin_attempts, users.c.locked_until).where(
                users.c.id == cashier.id
            )
        ).one()
    assert tuple(row) == (MAX_PIN_ATTEMPTS, clock.current + LOCKOUT)


# -- Two stores: carrying the sale over, joining the receipt series -----------------------


@pytest.fixture
def replica(sqlite_template, tmp_path):
    engine = replica_engine(sqlite_template, tmp_path)
    yield engine
    engine.dispose()


def test_the_sale_in_progress_carries_over_with_its_lines_prices_and_coupon(
    uow, store, replica, clock, shelf, cashier, manager
):
    coupon(uow, manager, "YAZ10")
    first = shelf.product(stock=10, price_minor=1250, name="Ayran")
    second = shelf.product(stock=1, price_minor=3000, name="Peynir")
    cart = value(open_cart(uow, cashier_id=cashier.id)).cart_id
    value(add_to_cart(uow, cart, first, 2))
    value(add_to_cart(uow, cart, second, 1))
    value(
        override_price(
            uow, cart, second, 2000, user_id=cashier.id, approved_by=manager.id, reason="kusurlu"
        )
    )
    value(apply_coupon(uow, cart, "YAZ10"))
    shown = value(cart_summary(uow, cart))
    pull(store.engine, replica)
    with replica.begin() as connection:  # another till sold the last Peynir meanwhile
        connection.execute(
            update(inventory).where(inventory.c.product_id == second).values(available=0)
        )
    off = offline_uow(replica, clock)

    carried = carry_over(off, shown, cashier_id=cashier.id, till_id=1)

    assert isinstance(carried, Warn)
    assert carried.code is Code.ADDED_UNVERIFIED
    summary = carried.value
    assert [(line.product_id, line.quantity, line.unit_price_minor) for line in summary.lines] == [
        (first, 2, 1250),
        (second, 1, 2000),
    ]
    assert summary.lines[1].price_overridden
    assert summary.coupon_code == "YAZ10"
    assert summary.total_minor == shown.total_minor
    with replica.connect() as connection:
        assert connection.execute(select(func.count()).select_from(reservations)).scalar() == 0
    sale = value(pay_cash(off, summary.cart_id, cashier_id=cashier.id))
    assert sale.paid
    assert sale.total_minor == shown.total_minor


def test_a_line_the_replica_does_not_know_is_left_out_and_named(
    uow, store, replica, clock, shelf, cashier
):
    known = shelf.product(stock=10, name="Ayran")
    pull(store.engine, replica)
    new = shelf.product(stock=10, name="Yeni Ürün")  # made after the last pull
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, known, 1))
    value(add_to_cart(uow, cart, new, 1))
    shown = value(cart_summary(uow, cart))

    carried = carry_over(offline_uow(replica, clock), shown, cashier_id=None, till_id=1)

    assert isinstance(carried, Warn)
    assert carried.code is Code.LINES_NOT_CARRIED
    assert carried.params == {"names": "Yeni Ürün"}
    assert [line.product_id for line in carried.value.lines] == [known]


@pytest.mark.parametrize("quantity", [-1, 0, 10**7, 2.5])
def test_a_malformed_sale_is_not_carried_over_and_nothing_is_written(
    uow, store, replica, clock, shelf, quantity
):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    shown = value(cart_summary(uow, cart))
    bad = replace(shown, lines=(replace(shown.lines[0], quantity=quantity),))
    pull(store.engine, replica)

    refused = carry_over(offline_uow(replica, clock), bad, cashier_id=None, till_id=1)

    assert error(refused).code in {
        Code.INVALID_QUANTITY,
        Code.QUANTITY_NOT_WHOLE,
        Code.QUANTITY_OUT_OF_RANGE,
    }
    with replica.connect() as connection:
        assert connection.execute(select(func.count()).select_from(carts)).scalar() == 0
    assert error(
        carry_over(offline_uow(replica, clock), "cart", cashier_id=None, till_id=1)
    ).code is (Code.CART_NOT_FOUND)
    assert error(
        carry_over(offline_uow(replica, clock), shown, cashier_id=None, till_id=7)
    ).code is (Code.TILL_NOT_FOUND)


def receipt_numbers(engine) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(receipts.c.number).order_by(receipts.c.number)).scalars()
        )


def test_one_receipt_series_online_then_offline_then_online_again(
    uow, store, replica, clock, shelf
):
    product = shelf.product(stock=100)

    def sell(unit: UnitOfWork) -> str:
        cart = new_cart(unit)
        value(add_to_cart(unit, cart, product, 1))
        sale = value(pay_cash(unit, cart))
        assert sale.receipt is not None
        return sale.receipt

    online = [sell(uow) for _ in range(3)]
    pull(store.engine, replica)  # the replica knows the till's last number: 3
    off = offline_uow(replica, clock)
    offline = [sell(off) for _ in range(2)]

    joined = value(rejoin_series(uow, off, 1))
    again = [sell(uow) for _ in range(2)]

    assert joined.last_receipt_number == 5
    assert online + offline + again == [f"T01-{n:06d}" for n in range(1, 8)]
    assert sorted(receipt_numbers(store.engine) + receipt_numbers(replica)) == list(range(1, 8))
    assert value(rejoin_series(uow, off, 1)).last_receipt_number == 7  # again: nothing lowered
    with replica.connect() as connection:
        assert connection.execute(select(tills.c.last_receipt_number)).scalar() == 7


def test_rejoining_never_lowers_a_counter(uow, store, replica, clock):
    with store.engine.begin() as connection:
        connection.execute(update(tills).values(last_receipt_number=50, last_return_number=3))
    pull(store.engine, replica)
    with replica.begin() as connection:
        connection.execute(update(tills).values(last_receipt_number=20, last_return_number=9))

    joined = value(rejoin_series(uow, offline_uow(replica, clock), 1))

    assert (joined.last_receipt_number, joined.last_return_number) == (50, 9)
    with store.engine.connect() as connection:
        assert tuple(
            connection.execute(
                select(tills.c.last_receipt_number, tills.c.last_return_number)
            ).one()
        ) == (50, 9)
    assert error(rejoin_series(uow, offline_uow(replica, clock), 42)).code is Code.TILL_NOT_FOUND


def test_an_order_made_offline_keeps_its_lines_and_payments_together(off, store, shelf):
    first = shelf.product(stock=5, price_minor=1000)
    second = shelf.product(stock=5, price_minor=500)
    cart = new_cart(off)
    value(add_to_cart(off, cart, first, 1))
    value(add_to_cart(off, cart, second, 3))
    sale = value(pay_cash(off, cart))

    [record] = offline_records(store.engine)
    with store.engine.connect() as connection:
        lines = connection.execute(
            select(order_items.c.line_no, order_items.c.product_id, order_items.c.quantity)
            .where(order_items.c.order_id == sale.order_id)
            .order_by(order_items.c.line_no)
        ).all()
        keys = (
            connection.execute(
                select(payments.c.idempotency_key).where(payments.c.order_id == sale.order_id)
            )
            .scalars()
            .all()
        )

    assert [
        (line["line_no"], line["product_id"], line["quantity"]) for line in record["lines"]
    ] == [tuple(line) for line in lines]
    assert [tender["idempotency_key"] for tender in record["tenders"]] == list(keys)


def refuse_outbox_writes(store) -> None:
    """Make every outbox insert fail, as a full disk would fail it."""
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER no_outbox BEFORE INSERT ON outbox"
                " BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION no_outbox() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER no_outbox BEFORE INSERT ON outbox"
                " FOR EACH ROW EXECUTE FUNCTION no_outbox()"
            )


def drop_outbox_refusal(store) -> None:
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TRIGGER no_outbox" + ("" if store.dialect == "sqlite" else " ON outbox")
        )
        if store.dialect != "sqlite":
            connection.exec_driver_sql("DROP FUNCTION no_outbox()")


def test_a_sale_whose_outbox_record_cannot_be_written_is_not_made_at_all(off, store, shelf):
    product = shelf.product(stock=5)
    cart = new_cart(off)
    value(add_to_cart(off, cart, product, 1))
    refuse_outbox_writes(store)

    try:
        with pytest.raises(Exception, match="outbox refused"):
            pay_cash(off, cart)
    finally:
        drop_outbox_refusal(store)

    assert count(store, orders) == 0
    assert count(store, receipts) == 0
    assert count(store, offline_sales) == 0
    assert value(cart_summary(off, cart)).status == "open"
    assert value(pay_cash(off, cart)).receipt == "T01-000001"


def test_a_managers_pin_typed_at_the_till_offline_lets_the_sale_past_the_cap(
    store, clock, shelf, cashier, manager
):
    capped = offline_uow(store.engine, clock, max_sale_minor=1000)
    product = shelf.product(stock=5, price_minor=2500)
    cart = value(open_cart(capped, cashier_id=cashier.id)).cart_id
    value(add_to_cart(capped, cart, product, 1))
    refused = error(pay_cash(capped, cart, cashier_id=cashier.id))
    wrong = approve(
        capped, manager.id, "0000", cashier_id=cashier.id, action=f"sale.{refused.code.value}"
    )
    assert error(wrong).code is Code.WRONG_PIN  # counted on the replica, as a sign-in is

    approval = value(
        approve(
            capped, manager.id, "4321", cashier_id=cashier.id, action=f"sale.{refused.code.value}"
        )
    )
    sale = value(pay_cash(capped, cart, cashier_id=cashier.id, approved_by=approval.manager.id))

    assert sale.paid


def test_a_sale_with_a_payment_in_flight_or_paid_is_not_carried_over(
    uow, store, replica, clock, shelf
):
    product = shelf.product(stock=10)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    open_sale = value(cart_summary(uow, cart))
    value(
        checkout(
            uow, cart, shown_total_minor=open_sale.total_minor, tender=Card(), idempotency_key=key()
        )
    )
    paying = value(cart_summary(uow, cart))
    pull(store.engine, replica)
    off = offline_uow(replica, clock)

    assert error(carry_over(off, paying, cashier_id=None, till_id=1)).code is (
        Code.PAYMENT_IN_PROGRESS
    )
    closed = replace(open_sale, status=CartStatus.CLOSED)
    assert error(carry_over(off, closed, cashier_id=None, till_id=1)).code is Code.CART_NOT_OPEN
    with replica.connect() as connection:
        assert connection.execute(select(func.count()).select_from(carts)).scalar() == 0
    assert value(carry_over(off, open_sale, cashier_id=None, till_id=1)).lines[0].quantity == 1


def test_a_card_settled_by_the_terminals_event_offline_goes_home_with_that_event(
    store, clock, shelf
):
    card_ok = offline_uow(store.engine, clock, card=True)
    product = shelf.product(stock=5, price_minor=1000)
    cart = new_cart(card_ok)
    value(add_to_cart(card_ok, cart, product, 1))
    sale = value(
        checkout(card_ok, cart, shown_total_minor=1000, tender=Card(), idempotency_key=key())
    )

    applied = apply_payment_event(
        card_ok, terminal_event("evt_offline_1", "pi_1", payment_id=sale.payment_id)
    )

    assert isinstance(applied, Ok)
    [record] = offline_records(store.engine)
    [event] = record["payment_events"]
    assert (event["event_id"], event["type"], event["amount_minor"]) == (
        "evt_offline_1",
        "payment.succeeded",
        1000,
    )
    assert event["payment_key"] == record["tenders"][0]["idempotency_key"]
    assert record["tenders"][0]["provider_payment_id"] == "pi_1"
    assert stock(store, product) == (5, 0)
