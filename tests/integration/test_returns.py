"""Returns with the receipt: never more than was sold, worth their share of the line,
money back to the sale's own tenders, goods back on the shelf or written off. Both stores."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from pos.domain.coupons import CouponKind
from pos.domain.messages import render
from pos.domain.payments import PaymentStatus, RefundStatus
from pos.domain.results import Code, Err
from pos.services.card_payments import start_card_payment
from pos.services.cart import add_to_cart
from pos.services.checkout import Card, Cash, checkout
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.refunds import refund, start_refund
from pos.services.returns import ReturnRequest, return_items, returnable_sale
from pos.store.engine import make_engine
from pos.store.models import AuditEntry, OrderItem, Payment, Refund, SaleReturn, StockMove
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.integration.test_sales_races import race
from tests.invariants import assert_invariants, stock_books
from tests.payments import terminal_rig
from tests.sales import key, new_cart, rows, shown_total

pytestmark = pytest.mark.usefixtures("manager")


def sell(uow: UnitOfWork, shelf: Shelf, *lines: tuple[int, int], coupon: str | None = None,
         tender: Cash | Card | None = None) -> tuple[Any, list[int]]:  # fmt: skip
    """A paid sale of (price, quantity) lines, each of its own product: the sale and the
    products, in line order."""
    products = [shelf.product(stock=20, price_minor=price) for price, _ in lines]
    cart = new_cart(uow)
    for product, (_, quantity) in zip(products, lines, strict=True):
        value(add_to_cart(uow, cart, product, quantity))
    if coupon is not None:
        value(apply_coupon(uow, cart, coupon))
    total = shown_total(uow, cart)
    sale = value(
        checkout(
            uow,
            cart,
            shown_total_minor=total,
            tender=tender or Cash(total),
            idempotency_key=key(),
        )
    )
    return sale, products


def back(uow: UnitOfWork, sale: Any, cashier: Any, *requests: ReturnRequest, **kwargs: Any):
    # By the receipt's number, or by its QR code (the order's id) when the receipt came later.
    return return_items(
        uow,
        sale.receipt or str(sale.order_id),
        list(requests),
        reason="Müşteri vazgeçti",
        user_id=cashier.id,
        **kwargs,
    )


def test_a_return_puts_the_goods_back_and_pays_cash_from_the_drawer(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    sale, (milk, bread) = sell(uow, shelf, (1250, 3), (800, 2))
    assert stock_books(store.engine)[milk][0] == 17
    made = value(back(uow, sale, cashier, ReturnRequest(1, 2)))
    assert made.number_label == "T01-I-000001"
    assert made.sale_receipt == sale.receipt
    assert made.total_minor == 2500
    assert made.cash_back_minor == 2500
    assert made.card_refunds == ()
    assert stock_books(store.engine)[milk][0] == 19
    assert stock_books(store.engine)[bread][0] == 18
    (move,) = rows(store, StockMove, StockMove.reason_code == "return")
    assert (move.product_id, move.quantity) == (milk, 2)
    (money,) = rows(store, Refund)
    assert (money.amount_minor, money.status, money.return_id) == (
        2500,
        RefundStatus.SUCCEEDED,
        made.return_id,
    )
    (tender,) = rows(store, Payment.status)
    assert tender.status == PaymentStatus.PAID  # only part of it went back
    audit = rows(store, AuditEntry, AuditEntry.action == "sale.returned")
    assert len(audit) == 1
    assert audit[0].user_id == cashier.id
    assert_invariants(store.engine)


def test_the_rest_of_a_line_comes_back_later_and_never_more_than_was_sold(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    sale, (milk,) = sell(uow, shelf, (1250, 3))
    value(back(uow, sale, cashier, ReturnRequest(1, 2)))
    refused = error(back(uow, sale, cashier, ReturnRequest(1, 2)))
    assert refused.code is Code.RETURN_TOO_MANY
    assert "en çok 1 adet" in render(refused, "tr")
    assert "at most 1 of" in render(refused, "en")
    second = value(back(uow, sale, cashier, ReturnRequest(1, 1)))
    assert second.number_label == "T01-I-000002"
    assert error(back(uow, sale, cashier, ReturnRequest(1, 1))).code is Code.RETURN_TOO_MANY
    (line,) = rows(store, OrderItem.returned_quantity)
    assert line.returned_quantity == 3
    (tender,) = rows(store, Payment.status)
    assert tender.status == PaymentStatus.REFUNDED  # all of it is back now
    assert stock_books(store.engine)[milk][0] == 20
    left = value(returnable_sale(uow, sale.receipt))
    assert [line.left for line in left.lines] == [0]
    assert_invariants(store.engine)


@pytest.mark.parametrize(
    ("sale_ref", "requests", "code"),
    [
        (None, [ReturnRequest(1, 0)], Code.INVALID_QUANTITY),
        (None, [ReturnRequest(1, -1)], Code.INVALID_QUANTITY),
        (None, [ReturnRequest(1, True)], Code.INVALID_QUANTITY),  # type: ignore[arg-type]
        (None, [ReturnRequest(1, 1.5)], Code.INVALID_QUANTITY),  # type: ignore[arg-type]
        (None, [ReturnRequest(1, 4)], Code.RETURN_TOO_MANY),
        (None, [ReturnRequest(9, 1)], Code.RETURN_LINE_NOT_IN_SALE),
        (None, [ReturnRequest(1, 1), ReturnRequest(1, 1)], Code.RETURN_LINE_NOT_IN_SALE),
        (None, [], Code.RETURN_NOTHING),
        ("T01-999999", [ReturnRequest(1, 1)], Code.ORDER_NOT_FOUND),
        ("T01-I-000001", [ReturnRequest(1, 1)], Code.RETURN_OF_RETURN),
        ("\x00\x1b", [ReturnRequest(1, 1)], Code.ORDER_NOT_FOUND),
        ("x" * 10_000, [ReturnRequest(1, 1)], Code.ORDER_NOT_FOUND),
    ],
)
def test_a_bad_return_is_refused_in_both_languages_and_changes_nothing(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any, sale_ref: Any, requests: list,
    code: Code,
) -> None:  # fmt: skip
    sale, _products = sell(uow, shelf, (1250, 3))
    before = (
        stock_books(store.engine),
        len(rows(store, Refund.id)),
        len(rows(store, SaleReturn.id)),
    )
    refused = error(
        return_items(
            uow,
            sale_ref or sale.receipt,
            requests,
            reason="bozuk",
            user_id=cashier.id,
        )
    )
    assert refused.code is code
    assert render(refused, "tr") != render(refused, "en")
    after = (
        stock_books(store.engine),
        len(rows(store, Refund.id)),
        len(rows(store, SaleReturn.id)),
    )
    assert after == before
    (line,) = rows(store, OrderItem.returned_quantity)
    assert line.returned_quantity == 0


def test_a_return_needs_a_reason(uow: UnitOfWork, shelf: Shelf, cashier: Any) -> None:
    sale, _products = sell(uow, shelf, (1250, 3))
    for reason in ("", "   ", "\x00", "x" * 201, None):
        refused = error(
            return_items(
                uow, sale.receipt, [ReturnRequest(1, 1)], reason=reason, user_id=cashier.id
            )
        )
        assert refused.code is Code.INVALID_RETURN_REASON


def test_an_unpaid_sale_cannot_be_returned(uow: UnitOfWork, shelf: Shelf, cashier: Any) -> None:
    product = shelf.product(stock=5, price_minor=1000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(checkout(uow, cart, shown_total_minor=1000, tender=Card(), idempotency_key=key()))
    refused = error(
        return_items(uow, sale.order_id, [ReturnRequest(1, 1)], reason="x", user_id=cashier.id)
    )
    assert refused.code is Code.ORDER_NOT_PAID


def test_damaged_goods_stay_off_the_shelf_and_the_books_still_balance(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    sale, (milk,) = sell(uow, shelf, (1250, 3))
    made = value(back(uow, sale, cashier, ReturnRequest(1, 1, restock=False)))
    assert made.lines[0].restock is False
    assert stock_books(store.engine)[milk][0] == 17
    assert rows(store, StockMove.id, StockMove.reason_code == "return") == []
    assert made.cash_back_minor == 1250
    assert_invariants(store.engine)


def test_the_coupon_comes_back_in_proportion_and_the_parts_add_up_to_the_sale(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    value(create_coupon(uow, CouponDraft("UCTE", CouponKind.FIXED, 1000), user_id=manager.id))
    sale, _products = sell(uow, shelf, (999, 3), (1001, 1), coupon="UCTE")
    assert sale.total_minor == 3998 - 1000
    parts = [
        value(back(uow, sale, cashier, ReturnRequest(1, 1))).total_minor,
        value(back(uow, sale, cashier, ReturnRequest(2, 1), ReturnRequest(1, 1))).total_minor,
        value(back(uow, sale, cashier, ReturnRequest(1, 1))).total_minor,
    ]
    assert sum(parts) == sale.total_minor
    assert all(part > 0 for part in parts)
    assert {row.status for row in rows(store, Payment.status)} == {PaymentStatus.REFUNDED}
    assert_invariants(store.engine)


def test_a_card_sale_is_paid_back_through_the_terminal_and_one_refund_at_a_time(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _products = sell(uow, shelf, (2500, 2), tender=Card())
        start_card_payment(uow, rig.terminal, sale.payment_id)
        paid = rig.wait_settled(sale.payment_id)
        assert paid.status is PaymentStatus.PAID
        made = back(uow, sale, cashier, ReturnRequest(1, 1))
        assert made.code is Code.REFUND_PENDING
        (card,) = made.value.card_refunds  # type: ignore[union-attr]
        assert made.value.cash_back_minor == 0  # type: ignore[union-attr]
        busy = error(back(uow, sale, cashier, ReturnRequest(1, 1)))
        assert busy.code is Code.REFUND_IN_FLIGHT
        start_refund(uow, rig.terminal, card.refund_id)
        import time

        deadline = time.monotonic() + 10
        while value(refund(uow, card.refund_id)).unresolved and time.monotonic() < deadline:
            time.sleep(0.02)
        assert value(refund(uow, card.refund_id)).status is RefundStatus.SUCCEEDED
        # The card cannot take the second back (say it was a gift card): cash instead,
        # but only with a manager.
        refused = error(back(uow, sale, cashier, ReturnRequest(1, 1), cash_instead=True))
        assert refused.code is Code.APPROVAL_REQUIRED
        cash = value(
            back(uow, sale, cashier, ReturnRequest(1, 1), cash_instead=True, approved_by=manager.id)
        )
        assert cash.cash_back_minor == 2500
        assert cash.card_refunds == ()
        assert rig.simulator.refund_count == 1
    assert_invariants(store.engine)


@pytest.fixture
def engine(store: Store):
    racing = make_engine(store.url, pool_size=17, max_overflow=0)
    yield racing
    racing.dispose()


def test_tills_racing_for_the_last_units_of_a_line_return_them_once(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any, engine: Engine, clock: FakeClock
) -> None:
    tills = 16 if store.dialect == "postgresql" else 8
    sale, (milk,) = sell(uow, shelf, (1000, 3))
    value(back(uow, sale, cashier, ReturnRequest(1, 1)))  # 2 units left on the line

    def one_unit() -> Any:
        return return_items(
            UnitOfWork(engine, clock),
            sale.receipt,
            [ReturnRequest(1, 1)],
            reason="yarış",
            user_id=cashier.id,
        )

    answers = race(*[one_unit] * tills)
    won = [answer for answer in answers if not isinstance(answer, Err)]
    lost = [answer for answer in answers if isinstance(answer, Err)]
    assert len(won) == 2
    assert {answer.code for answer in lost} == {Code.RETURN_TOO_MANY}
    assert sorted(answer.value.number_label for answer in won) == ["T01-I-000002", "T01-I-000003"]
    (line,) = rows(store, OrderItem.returned_quantity)
    assert line.returned_quantity == 3
    assert stock_books(store.engine)[milk][0] == 20
    with store.engine.connect() as connection:
        paid_back = connection.execute(select(func.sum(Refund.amount_minor))).scalar_one()
    assert paid_back == 3000
    assert_invariants(store.engine)


def test_without_a_receipt_a_manager_approves_and_the_cash_goes_back(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    from pos.services.returns import LooseReturn, return_without_receipt
    from pos.store.models import Product

    milk = shelf.product(stock=5, price_minor=1250)
    (product,) = rows(store, Product, Product.id == milk)
    items = [
        LooseReturn(product.sku, 2),
        LooseReturn(product.sku, 1, restock=False, price_minor=900),
    ]
    refused = error(return_without_receipt(uow, items, reason="fişsiz", user_id=cashier.id))
    assert refused.code is Code.APPROVAL_REQUIRED
    made = value(
        return_without_receipt(
            uow, items, reason="fişsiz iade", user_id=cashier.id, approved_by=manager.id
        )
    )
    assert made.number_label == "T01-I-000001"
    assert (made.order_id, made.sale_receipt) == (None, None)
    assert made.total_minor == 2 * 1250 + 900
    assert made.cash_back_minor == made.total_minor
    assert stock_books(store.engine)[milk][0] == 7  # the two back on the shelf, not the third
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "sale.returned")
    assert (entry.user_id, entry.approved_by) == (cashier.id, manager.id)
    assert_invariants(store.engine)


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ("unknown", Code.BARCODE_NOT_FOUND),
        ("hostile", Code.BARCODE_UNREADABLE),
        ("quantity0", Code.INVALID_QUANTITY),
        ("price-1", Code.INVALID_PRICE),
        ("not-an-item", Code.RETURN_NOTHING),
    ],
)
def test_a_bad_return_without_a_receipt_changes_nothing(
    store: Store, uow: UnitOfWork, shelf: Shelf, manager: Any, item: str, code: Code
) -> None:
    from pos.services.returns import LooseReturn, return_without_receipt
    from pos.store.models import Product

    milk = shelf.product(stock=5, price_minor=1250)
    (product,) = rows(store, Product, Product.id == milk)
    bad = {
        "unknown": LooseReturn("YOK-BOYLE-BIR-URUN", 1),
        "hostile": LooseReturn("\x1bp0", 1),
        "quantity0": LooseReturn(product.sku, 0),
        "price-1": LooseReturn(product.sku, 1, price_minor=-1),
        "not-an-item": "süt",
    }[item]
    before = stock_books(store.engine)
    refused = error(return_without_receipt(uow, [bad], reason="x", user_id=manager.id))
    assert refused.code is code
    assert stock_books(store.engine) == before
    assert rows(store, SaleReturn.id) == []


def _return_one_in_a_process(url: str, receipt: str, user: int, start: Any, answers: Any) -> None:
    engine = make_engine(url)
    start.wait()
    answer = return_items(
        UnitOfWork(engine, FakeClock()),
        receipt,
        [ReturnRequest(1, 1)],
        reason="yarış",
        user_id=user,
    )
    answers.put(answer)
    engine.dispose()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_eight_tills_on_one_sqlite_file_return_the_last_units_of_a_line_once(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    sale, (milk,) = sell(uow, shelf, (1000, 3))
    value(back(uow, sale, cashier, ReturnRequest(1, 1)))  # 2 units left on the line
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    start = context.Barrier(8)
    answers = context.Queue()
    url = store.url.render_as_string(hide_password=False)
    tills = [
        context.Process(
            target=_return_one_in_a_process, args=(url, sale.receipt, cashier.id, start, answers)
        )
        for _ in range(8)
    ]
    for process in tills:
        process.start()
    results = [answers.get(timeout=120) for _ in tills]
    for process in tills:
        process.join(timeout=60)
        assert process.exitcode == 0
    won = [result for result in results if not isinstance(result, Err)]
    assert len(won) == 2
    assert {result.code for result in results if isinstance(result, Err)} == {Code.RETURN_TOO_MANY}
    (line,) = rows(store, OrderItem.returned_quantity)
    assert line.returned_quantity == 3
    assert stock_books(store.engine)[milk][0] == 20
    assert_invariants(store.engine)
