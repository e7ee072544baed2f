"""A sale belongs to the cashier who takes its payment; the log keeps who rang it up."""

from __future__ import annotations

from pos.domain.audit_wording import describe
from pos.domain.results import Code
from pos.services.audit_log import audit_entries
from pos.services.cart import add_to_cart, cart_summary, open_cart
from pos.services.receipts import receipt_text
from pos.services.users import UserView, create_user
from pos.store.models import Order, Role
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, error, value
from tests.sales import pay_by_card, pay_cash, rows


def test_the_cashier_who_takes_the_cash_is_on_the_order_and_the_receipt(
    uow: UnitOfWork, store: Store, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    ayse = value(create_user(uow, "ayse", "Ayşe Kasiyer", Role.CASHIER, "1111"))
    product = shelf.product(stock=5, name="Sütaş Ayran 300 ml")
    cart = value(open_cart(uow, cashier_id=ayse.id)).cart_id
    value(add_to_cart(uow, cart, product, 2))

    # Ctrl+L: Ayşe steps away, Mehmet signs in at the same till and takes the cash.
    sale = value(pay_cash(uow, cart, cashier_id=cashier.id))

    [order] = rows(store, Order, Order.id == sale.order_id)
    assert order.cashier_id == cashier.id
    receipt = value(receipt_text(uow, sale.order_id))
    assert "Mehmet Demir" in receipt
    assert "Ayşe Kasiyer" not in receipt
    log = value(audit_entries(uow, manager_id=manager.id, action="sale.taken_over")).rows
    assert [(row.user_id, row.entity_id, row.details) for row in log] == [
        (cashier.id, str(sale.order_id), {"cart": cart, "rung_up_by": ayse.id})
    ]
    said = describe(log[0].facts, "tr")
    assert said.startswith("Mehmet Demir: Ayşe Kasiyer kullanıcısının başladığı satışı devraldı")
    assert str(sale.order_id) not in said


def test_the_same_cashier_paying_leaves_no_hand_over_in_the_log(
    uow: UnitOfWork, store: Store, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    product = shelf.product(stock=5)
    cart = value(open_cart(uow, cashier_id=cashier.id)).cart_id
    value(add_to_cart(uow, cart, product, 1))

    sale = value(pay_by_card(uow, cart, cashier_id=cashier.id))

    [order] = rows(store, Order, Order.id == sale.order_id)
    assert order.cashier_id == cashier.id
    assert not value(audit_entries(uow, manager_id=manager.id, action="sale.taken_over")).rows


def test_an_unknown_cashier_cannot_take_the_payment(
    uow: UnitOfWork, store: Store, shelf: Shelf, cashier: UserView
) -> None:
    product = shelf.product(stock=5)
    cart = value(open_cart(uow, cashier_id=cashier.id)).cart_id
    value(add_to_cart(uow, cart, product, 1))

    assert error(pay_cash(uow, cart, cashier_id=999_999)).code is Code.USER_NOT_FOUND
    assert not rows(store, Order)
    assert value(cart_summary(uow, cart)).lines[0].quantity == 1


def test_the_receipt_lists_the_lines_in_the_order_they_were_rung_up(
    uow: UnitOfWork, shelf: Shelf, cashier: UserView
) -> None:
    first = shelf.product(stock=5, name="Ayran 300 ml")
    second = shelf.product(stock=5, name="Beyaz Peynir 500 g")
    cart = value(open_cart(uow, cashier_id=cashier.id)).cart_id
    value(add_to_cart(uow, cart, second, 1))  # the later product is rung up first
    value(add_to_cart(uow, cart, first, 1))
    assert [line.name for line in value(cart_summary(uow, cart)).lines] == [
        "Beyaz Peynir 500 g",
        "Ayran 300 ml",
    ]

    receipt = value(receipt_text(uow, value(pay_cash(uow, cart)).order_id))

    assert receipt.index("Beyaz Peynir 500 g") < receipt.index("Ayran 300 ml")
