"""The refund receipt read from the store: the return as made, the sale's number, the
money's way back, the manager who allowed cash instead. Both stores."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pos.domain.clock import shop_zone
from pos.domain.document import document_text as printed_text
from pos.domain.payments import PaymentMethod
from pos.domain.results import Code
from pos.domain.return_receipt import render_return_receipt
from pos.services.return_list import order_returns, returns_of_day
from pos.services.return_receipts import printed_return_receipt, return_receipt_data
from pos.services.returns import LooseReturn, ReturnRequest, return_without_receipt
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, error, value
from tests.integration.test_returns import back, sell

pytestmark = pytest.mark.usefixtures("manager")


def test_the_refund_receipt_is_the_return_as_it_was_made(
    uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    sale, _products = sell(uow, shelf, (1250, 3), (800, 2))
    made = value(back(uow, sale, cashier, ReturnRequest(1, 2), ReturnRequest(2, 1, restock=False)))
    data = value(return_receipt_data(uow, made.return_id))
    assert data.number_label == made.number_label == "T01-I-000001"
    assert data.sale_receipt == sale.receipt
    assert [(line.quantity, line.total_minor, line.restock) for line in data.lines] == [
        (2, 2500, True),
        (1, 800, False),
    ]
    assert data.total_minor == 3300
    assert [(r.method, r.amount_minor) for r in data.refunds] == [(PaymentMethod.CASH, 3300)]
    assert data.reason == "Müşteri vazgeçti"
    assert data.cashier == cashier.display_name
    assert data.approved_by is None
    text = render_return_receipt(data, "tr")
    assert "T01-I-000001" in text
    assert sale.receipt in text
    printed = value(printed_return_receipt(uow, str(made.return_id), width=32))
    assert printed.width == 32


def test_the_manager_who_allowed_cash_instead_is_on_the_receipt(
    uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    sale, _products = sell(uow, shelf, (1000, 1))
    made = value(
        back(uow, sale, cashier, ReturnRequest(1, 1), cash_instead=True, approved_by=manager.id)
    )
    data = value(return_receipt_data(uow, made.return_id))
    assert data.approved_by == manager.display_name
    assert [r.method for r in data.refunds] == [PaymentMethod.CASH]


def test_goods_back_without_a_receipt_have_a_refund_receipt_paid_from_the_drawer(
    uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    shelf.product(stock=5, price_minor=1250)  # SKU-0001
    items = [LooseReturn("SKU-0001", 2), LooseReturn("SKU-0001", 1, False, 900)]
    made = value(
        return_without_receipt(
            uow, items, reason="Fişi kaybolmuş", user_id=cashier.id, approved_by=manager.id
        )
    )
    data = value(return_receipt_data(uow, made.return_id))
    assert data.sale_receipt is None
    assert data.approved_by == manager.display_name
    assert [(line.quantity, line.total_minor, line.restock) for line in data.lines] == [
        (2, 2500, True),
        (1, 900, False),
    ]
    assert [(r.method, r.amount_minor) for r in data.refunds] == [(PaymentMethod.CASH, 3400)]
    text = render_return_receipt(data, "tr")
    assert made.number_label in text
    assert "Fişsiz iade" in text
    assert "Nakit iade" in text
    printed = value(printed_return_receipt(uow, made.return_id, locale="en", width=32))
    assert "Without receipt" in printed_text(printed)


@pytest.mark.parametrize("wrong", [uuid.uuid4(), "not-an-id", "x" * 500, 12])
def test_an_unknown_return_has_no_receipt(uow: UnitOfWork, wrong: object) -> None:
    assert error(return_receipt_data(uow, wrong)).code is Code.RETURN_NOT_FOUND  # type: ignore[arg-type]


def test_the_manager_lists_the_days_returns_and_a_sales_own(
    uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any, clock: FakeClock
) -> None:
    first, _products = sell(uow, shelf, (1250, 3))
    second, _products = sell(uow, shelf, (800, 2))
    value(back(uow, first, cashier, ReturnRequest(1, 1)))
    clock.advance(seconds=60)
    value(back(uow, second, cashier, ReturnRequest(1, 2)))
    clock.advance(seconds=60)
    value(back(uow, first, cashier, ReturnRequest(1, 1), cash_instead=True, approved_by=manager.id))
    day = clock().astimezone(shop_zone("Europe/Istanbul")).date()

    listed = value(returns_of_day(uow, manager_id=manager.id, day=day))
    assert [(r.number_label, r.sale_receipt, r.total_minor) for r in listed] == [
        ("T01-I-000003", first.receipt, 1250),
        ("T01-I-000002", second.receipt, 1600),
        ("T01-I-000001", first.receipt, 1250),
    ]
    assert (listed[0].cashier, listed[0].approved_by) == (
        cashier.display_name,
        manager.display_name,
    )
    assert value(returns_of_day(uow, manager_id=manager.id, day=day.replace(year=2001))) == ()
    own = value(order_returns(uow, first.order_id, manager_id=manager.id))
    assert [r.number_label for r in own] == ["T01-I-000001", "T01-I-000003"]
    assert (
        error(order_returns(uow, first.order_id, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    )
    assert error(order_returns(uow, uuid.uuid4(), manager_id=manager.id)).code is (
        Code.ORDER_NOT_FOUND
    )
