"""A manager's approval at the till: voiding a large sale, a price typed by hand, a stuck
card payment resolved. Each audit row names the cashier and the approving manager."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update

from pos.domain.approvals import price_override_needs_reason, void_needs_approval
from pos.domain.messages import render
from pos.domain.payments import PaymentStatus, Settler
from pos.domain.policy import Policy
from pos.domain.results import Changed, Code
from pos.services.approvals import approve
from pos.services.card_payments import force_resolve
from pos.services.cart import (
    add_to_cart,
    cart_summary,
    set_quantity,
    void_sale,
)
from pos.services.price_override import override_price
from pos.services.users import UserView, create_user, sign_in
from pos.store.models import (
    AuditEntry,
    CartItem,
    CartStatus,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    Reservation,
    Role,
    User,
)
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, error, value
from tests.invariants import assert_invariants, stock_books
from tests.payments import card_sale
from tests.sales import new_cart, pay_by_card, pay_cash, rows, two_line_cart

MANAGER_PIN = "4321"
LIMIT = 50_00
"""The till's setting in these tests: voids over ₺50,00 need a manager."""


def limited(uow: UnitOfWork, limit_minor: int = LIMIT) -> UnitOfWork:
    """A unit of work of a till whose shop sets the void limit to ``limit_minor``."""
    return UnitOfWork(uow.engine, uow.clock, Policy(void_approval_minor=limit_minor))


def audit_rows(store: Store, action: str) -> list[Any]:
    return rows(store, AuditEntry, AuditEntry.action == action, order_by=AuditEntry.id)


def snapshot(uow: UnitOfWork, store: Store, cart: int) -> tuple[object, ...]:
    """What a refused void or override must leave exactly as it was."""
    return (
        value(cart_summary(uow, cart)),
        [tuple(row) for row in rows(store, CartItem, order_by=CartItem.id)],
        [tuple(row) for row in rows(store, Reservation, order_by=Reservation.id)],
        stock_books(store.engine),
        [tuple(row) for row in rows(store, AuditEntry, order_by=AuditEntry.id)],
    )


def big_cart(uow: UnitOfWork, shelf: Shelf) -> tuple[int, int]:
    """A cart of 3 x ₺25,00 = ₺75,00, over ``LIMIT``. Returns the cart and its product."""
    product = shelf.product(stock=10, price_minor=25_00, name="Zeytinyağı 1 L")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 3))
    return cart, product


def deactivate(store: Store, user: UserView) -> None:
    with store.engine.begin() as connection:
        connection.execute(update(User).where(User.id == user.id).values(active=False))


def set_catalogue(store: Store, product: int, **values: object) -> None:
    with store.engine.begin() as connection:
        connection.execute(update(Product).where(Product.id == product).values(**values))


# -- the rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "limit", "role", "needed"),
    [
        (50_00, 50_00, Role.CASHIER, False),
        (50_01, 50_00, Role.CASHIER, True),
        (1, 0, Role.CASHIER, True),
        (0, 0, None, True),
        (10**9, 50_00, Role.MANAGER, False),
        (10**9, None, Role.CASHIER, False),
    ],
)
def test_a_void_needs_approval_over_the_limit_unless_a_manager_voids(total, limit, role, needed):
    assert void_needs_approval(total, limit, by_manager=role is Role.MANAGER) is needed


@pytest.mark.parametrize(("price", "needed"), [(0, True), (1, False), (12_50, False)])
def test_only_giving_an_item_away_needs_a_reason(price, needed):
    assert price_override_needs_reason(price) is needed


# -- voiding a sale ---------------------------------------------------------------------


def test_a_void_under_the_limit_needs_no_approval(store, uow, shelf, cashier):
    cart, first, _second = two_line_cart(uow, shelf)  # ₺55,00

    report = value(void_sale(limited(uow, 60_00), cart, user_id=cashier.id))

    assert (report.units_released, report.approved_by) == (3, None)
    assert value(cart_summary(uow, cart)).status is CartStatus.CLOSED
    (entry,) = audit_rows(store, "sale.voided")
    assert (entry.user_id, entry.approved_by) == (cashier.id, None)
    assert json.loads(entry.details)["total_minor"] == 55_00
    assert stock_books(store.engine)[first][:2] == (10, 0)
    assert_invariants(store.engine)


def test_a_void_over_the_limit_without_approval_is_refused_and_changes_nothing(
    store, uow, shelf, cashier
):
    cart, _product = big_cart(uow, shelf)
    before = snapshot(uow, store, cart)

    refused = error(void_sale(limited(uow), cart, user_id=cashier.id))

    assert refused.code is Code.APPROVAL_REQUIRED
    assert snapshot(uow, store, cart) == before
    assert audit_rows(store, "sale.voided") == []
    assert_invariants(store.engine)


def test_a_limit_of_zero_makes_every_void_need_a_manager(store, uow, shelf, cashier):
    product = shelf.product(stock=5, price_minor=1)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))

    refused = error(void_sale(limited(uow, 0), cart, user_id=cashier.id))

    assert refused.code is Code.APPROVAL_REQUIRED
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN


def test_an_approved_void_names_the_cashier_and_the_manager(store, uow, shelf, manager, cashier):
    cart, product = big_cart(uow, shelf)
    approval = value(
        approve(uow, manager.id, MANAGER_PIN, cashier_id=cashier.id, action="sale.void", cart=cart)
    )
    assert (approval.manager.id, approval.cashier_id) == (manager.id, cashier.id)

    report = value(
        void_sale(limited(uow), cart, user_id=cashier.id, approved_by=approval.manager.id)
    )

    assert (report.units_released, report.approved_by) == (3, manager.id)
    (granted,) = audit_rows(store, "approval.granted")
    assert (granted.user_id, granted.approved_by) == (cashier.id, manager.id)
    assert json.loads(granted.details) == {"approved": "sale.void", "cart": cart}
    (voided,) = audit_rows(store, "sale.voided")
    assert (voided.user_id, voided.approved_by, voided.entity_id) == (
        cashier.id,
        manager.id,
        str(cart),
    )
    assert stock_books(store.engine)[product][:2] == (10, 0)
    assert_invariants(store.engine)


def test_a_manager_at_the_till_voids_a_large_sale_without_another_approval(
    store, uow, shelf, manager
):
    cart, _product = big_cart(uow, shelf)

    value(void_sale(limited(uow), cart, user_id=manager.id))

    (voided,) = audit_rows(store, "sale.voided")
    assert (voided.user_id, voided.approved_by) == (manager.id, None)


def test_a_cashier_or_a_departed_manager_cannot_approve_a_void(store, uow, shelf, manager, cashier):
    cart, _product = big_cart(uow, shelf)
    other = value(create_user(uow, "kasiyer2", "Zeynep Kaya", Role.CASHIER, "5555"))
    before = snapshot(uow, store, cart)

    def void(approved_by: object) -> Code:
        return error(
            void_sale(limited(uow), cart, user_id=cashier.id, approved_by=approved_by)
        ).code

    assert void(other.id) is Code.NOT_PERMITTED
    assert void(cashier.id) is Code.NOT_PERMITTED
    for bogus in (424242, 0, -1, "1", 2.0, True):
        assert void(bogus) is Code.USER_NOT_FOUND
    deactivate(store, manager)
    assert void(manager.id) is Code.USER_NOT_FOUND
    assert snapshot(uow, store, cart) == before


def test_a_void_by_an_unknown_user_is_refused(store, uow, shelf):
    cart, _product = big_cart(uow, shelf)
    assert error(void_sale(uow, cart, user_id=424242)).code is Code.USER_NOT_FOUND
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN


# -- the PIN ---------------------------------------------------------------------------


def test_a_cashiers_right_pin_approves_nothing_and_is_not_counted(store, uow, manager, cashier):
    refused = error(approve(uow, cashier.id, "1234", cashier_id=cashier.id, action="sale.void"))

    assert refused.code is Code.NOT_PERMITTED
    assert audit_rows(store, "approval.granted") == []
    (user,) = rows(store, User, User.id == cashier.id)
    assert user.failed_pin_attempts == 0


def test_wrong_pins_at_the_approval_count_with_the_logins_and_lock_the_manager(
    store, uow, manager, cashier
):
    def attempt(pin: str) -> Any:
        return approve(uow, manager.id, pin, cashier_id=cashier.id, action="sale.void")

    for remaining in (4, 3, 2):
        refused = error(attempt("0000"))
        assert (refused.code, refused.params) == (Code.WRONG_PIN, {"remaining": remaining})
        assert refused.changed == Changed.USERS  # counted: the users' list shows it
    # The login counts on from where the approval dialog left off.
    assert error(sign_in(uow, manager.id, "9")).params == {"remaining": 1}
    assert error(attempt("12345678")).code is Code.USER_LOCKED
    # Locked: even the right PIN approves nothing now.
    assert error(attempt(MANAGER_PIN)).code is Code.USER_LOCKED
    assert audit_rows(store, "approval.granted") == []
    (locked,) = audit_rows(store, "user.locked")
    assert locked.user_id == manager.id


@pytest.mark.parametrize("pin", ["", None, 4321, "43210", " 4321", "٤٣٢١"])
def test_a_malformed_pin_counts_as_a_wrong_one(store, uow, manager, cashier, pin):
    refused = error(approve(uow, manager.id, pin, cashier_id=cashier.id, action="sale.void"))
    assert refused.code is Code.WRONG_PIN
    assert audit_rows(store, "approval.granted") == []


@pytest.mark.parametrize(
    ("cashier_id", "action", "code"),
    [
        (424242, "sale.void", Code.USER_NOT_FOUND),
        (None, "sale.void", Code.USER_NOT_FOUND),
        ("1", "sale.void", Code.USER_NOT_FOUND),
        (1, "", Code.INVALID_FILTER),
        (1, "x" * 49, Code.INVALID_FILTER),
        (1, None, Code.INVALID_FILTER),
    ],
)
def test_an_approval_for_nobody_or_for_nothing_is_refused_before_the_pin(
    store, uow, manager, cashier_id, action, code
):
    refused = error(approve(uow, manager.id, "0000", cashier_id=cashier_id, action=action))

    assert refused.code is code
    (user,) = rows(store, User, User.id == manager.id)
    assert user.failed_pin_attempts == 0


# -- a price typed at the till -----------------------------------------------------------


def test_an_overridden_price_is_shown_charged_and_audited(store, uow, shelf, manager, cashier):
    cart, first, second = two_line_cart(uow, shelf)  # 2 x 12,50 + 1 x 30,00
    books = stock_books(store.engine)
    held = [tuple(row) for row in rows(store, Reservation, order_by=Reservation.id)]

    summary = value(
        override_price(uow, cart, first, 9_90, user_id=cashier.id, approved_by=manager.id)
    )

    line = next(line for line in summary.lines if line.product_id == first)
    assert (line.unit_price_minor, line.line_total_minor, line.price_overridden) == (
        9_90,
        19_80,
        True,
    )
    other = next(line for line in summary.lines if line.product_id == second)
    assert (other.unit_price_minor, other.price_overridden) == (30_00, False)
    assert summary.total_minor == 49_80
    assert stock_books(store.engine) == books
    assert [tuple(row) for row in rows(store, Reservation, order_by=Reservation.id)] == held
    (entry,) = audit_rows(store, "cart.price_override")
    assert (entry.user_id, entry.approved_by, entry.entity, entry.entity_id) == (
        cashier.id,
        manager.id,
        "cart",
        str(cart),
    )
    details = json.loads(entry.details)
    assert details["before"] == {"unit_price_minor": 12_50}
    assert details["after"] == {"unit_price_minor": 9_90}
    assert details["product_id"] == first

    # Scanning one more and setting the quantity keep the manager's price.
    value(add_to_cart(uow, cart, first, 1))
    summary = value(set_quantity(uow, cart, first, 4))
    assert summary.lines[0].unit_price_minor == 9_90
    assert summary.total_minor == 4 * 9_90 + 30_00

    sale = value(pay_cash(uow, cart))

    assert sale.total_minor == 69_60
    (order,) = rows(store, Order, Order.id == sale.order_id)
    assert order.total_minor == 69_60
    items = rows(store, OrderItem, OrderItem.order_id == sale.order_id, order_by=OrderItem.line_no)
    assert [(item.product_id, item.unit_price_minor, item.quantity) for item in items] == [
        (first, 9_90, 4),
        (second, 30_00, 1),
    ]
    assert stock_books(store.engine)[first][:2] == (6, 0)
    assert_invariants(store.engine)


def test_checkout_keeps_the_managers_price_when_the_catalogue_price_changes(
    store, uow, shelf, manager, cashier
):
    cart, first, _second = two_line_cart(uow, shelf)
    value(override_price(uow, cart, first, 5_00, user_id=cashier.id, approved_by=manager.id))
    set_catalogue(store, first, price_minor=99_00)

    sale = value(pay_cash(uow, cart))

    assert sale.status is PaymentStatus.PAID
    assert sale.total_minor == 2 * 5_00 + 30_00
    assert_invariants(store.engine)


@pytest.mark.parametrize("reason", [None, "", "   ", "bedava\x00", 5])
def test_giving_a_line_away_without_a_reason_is_refused_and_changes_nothing(
    store, uow, shelf, manager, cashier, reason
):
    cart, first, _second = two_line_cart(uow, shelf)
    before = snapshot(uow, store, cart)

    refused = error(
        override_price(
            uow, cart, first, 0, user_id=cashier.id, approved_by=manager.id, reason=reason
        )
    )

    assert refused.code is Code.FREE_ITEM_NEEDS_REASON
    assert render(refused, "tr") == "Ürünü ücretsiz vermek için bir neden yazın"
    assert render(refused, "en") == "Giving an item away needs a reason"
    assert snapshot(uow, store, cart) == before


def test_a_line_given_away_with_a_reason_keeps_the_reason_in_the_audit_log(
    store, uow, shelf, manager, cashier
):
    cart, first, _second = two_line_cart(uow, shelf)

    summary = value(
        override_price(
            uow,
            cart,
            first,
            0,
            user_id=cashier.id,
            approved_by=manager.id,
            reason="  Hasarlı   ambalaj ",
        )
    )

    line = next(line for line in summary.lines if line.product_id == first)
    assert (line.unit_price_minor, line.line_total_minor) == (0, 0)
    (entry,) = audit_rows(store, "cart.price_override")
    details = json.loads(entry.details)
    assert details["reason"] == "Hasarlı ambalaj"
    assert details["after"] == {"unit_price_minor": 0}
    assert_invariants(store.engine)


def test_a_price_above_zero_needs_no_reason(store, uow, shelf, manager, cashier):
    cart, first, _second = two_line_cart(uow, shelf)

    value(override_price(uow, cart, first, 1, user_id=cashier.id, approved_by=manager.id))

    (entry,) = audit_rows(store, "cart.price_override")
    assert "reason" not in json.loads(entry.details)


def test_a_line_without_an_override_still_takes_the_new_catalogue_price(
    store, uow, shelf, manager, cashier
):
    cart, first, second = two_line_cart(uow, shelf)
    value(override_price(uow, cart, first, 5_00, user_id=cashier.id, approved_by=manager.id))
    set_catalogue(store, second, price_minor=40_00)

    assert error(pay_cash(uow, cart)).code is Code.PRICE_CHANGED

    summary = value(cart_summary(uow, cart))
    assert [(line.unit_price_minor, line.price_overridden) for line in summary.lines] == [
        (5_00, True),
        (40_00, False),
    ]
    assert value(pay_cash(uow, cart)).total_minor == 2 * 5_00 + 40_00


def test_a_new_tax_rate_reaches_an_overridden_line_but_its_price_stands(
    store, uow, shelf, manager, cashier
):
    cart, first, _second = two_line_cart(uow, shelf)
    value(override_price(uow, cart, first, 5_00, user_id=cashier.id, approved_by=manager.id))
    set_catalogue(store, first, tax_rate_bp=1000)

    assert error(pay_cash(uow, cart)).code is Code.PRICE_CHANGED

    line = value(cart_summary(uow, cart)).lines[0]
    assert (line.unit_price_minor, line.tax_rate_bp, line.price_overridden) == (5_00, 1000, True)
    sale = value(pay_cash(uow, cart))
    items = rows(store, OrderItem, OrderItem.order_id == sale.order_id, order_by=OrderItem.line_no)
    assert (items[0].unit_price_minor, items[0].tax_rate_bp) == (5_00, 1000)


def test_removing_the_line_drops_the_managers_price(store, uow, shelf, manager, cashier):
    cart, first, _second = two_line_cart(uow, shelf)
    value(override_price(uow, cart, first, 5_00, user_id=cashier.id, approved_by=manager.id))
    value(set_quantity(uow, cart, first, 0))

    line = next(
        line for line in value(add_to_cart(uow, cart, first, 1)).lines if line.product_id == first
    )

    assert (line.unit_price_minor, line.price_overridden) == (12_50, False)


def test_a_free_item_is_a_price_a_manager_may_give(store, uow, shelf, manager, cashier):
    cart, first, _second = two_line_cart(uow, shelf)
    summary = value(
        override_price(
            uow, cart, first, 0, user_id=cashier.id, approved_by=manager.id, reason="Tadım"
        )
    )
    assert summary.total_minor == 30_00
    assert value(pay_cash(uow, cart)).total_minor == 30_00
    assert_invariants(store.engine)


@pytest.mark.parametrize(
    "price", [-1, -12_50, 1.5, 12.0, "990", "9,90", None, True, 10_000_000_01, 2**63, 10**30]
)
def test_a_bad_price_is_refused_and_changes_nothing(store, uow, shelf, manager, cashier, price):
    cart, first, _second = two_line_cart(uow, shelf)
    before = snapshot(uow, store, cart)

    refused = error(
        override_price(uow, cart, first, price, user_id=cashier.id, approved_by=manager.id)
    )

    assert refused.code is Code.INVALID_PRICE
    assert snapshot(uow, store, cart) == before


def test_an_override_without_a_manager_or_for_no_line_is_refused(
    store, uow, shelf, manager, cashier
):
    cart, first, _second = two_line_cart(uow, shelf)
    stranger = shelf.product(stock=1)
    before = snapshot(uow, store, cart)

    def override(**overrides: object) -> Code:
        arguments: dict[str, Any] = {
            "cart_id": cart,
            "product_id": first,
            "user_id": cashier.id,
            "approved_by": manager.id,
        }
        arguments.update(overrides)
        return error(
            override_price(
                uow,
                arguments["cart_id"],
                arguments["product_id"],
                9_90,
                user_id=arguments["user_id"],
                approved_by=arguments["approved_by"],
            )
        ).code

    assert override(approved_by=None) is Code.APPROVAL_REQUIRED
    assert override(approved_by=cashier.id) is Code.NOT_PERMITTED
    assert override(approved_by=424242) is Code.USER_NOT_FOUND
    assert override(user_id=424242) is Code.USER_NOT_FOUND
    assert override(user_id=None) is Code.USER_NOT_FOUND
    assert override(product_id=stranger) is Code.LINE_NOT_FOUND
    for bogus in (424242, 0, -1, "1", None, 2**40):
        assert override(product_id=bogus) is Code.LINE_NOT_FOUND
        assert override(cart_id=bogus) is Code.CART_NOT_FOUND
    deactivate(store, manager)
    assert override(approved_by=manager.id) is Code.USER_NOT_FOUND
    assert snapshot(uow, store, cart) == before


def test_no_price_is_changed_while_the_card_payment_is_in_flight(
    store, uow, shelf, manager, cashier
):
    cart, first, _second = two_line_cart(uow, shelf)
    value(pay_by_card(uow, cart))
    before = snapshot(uow, store, cart)

    refused = error(
        override_price(uow, cart, first, 1_00, user_id=cashier.id, approved_by=manager.id)
    )

    assert refused.code is Code.CART_NOT_OPEN
    assert snapshot(uow, store, cart) == before
    assert_invariants(store.engine)


# -- a stuck card payment ---------------------------------------------------------------


def test_a_payment_resolved_from_the_till_names_the_cashier_and_the_manager(
    store, uow, shelf, manager, cashier
):
    sale, cart, product = card_sale(uow, shelf, 20_00)

    view = value(
        force_resolve(
            uow,
            sale.payment_id,
            PaymentStatus.CANCELLED,
            manager_id=manager.id,
            cashier_id=cashier.id,
            note="Terminal dondu, müşteri nakit ödeyecek",
        )
    )

    assert (view.status, view.settled_by) == (PaymentStatus.CANCELLED, Settler.MANAGER)
    (entry,) = audit_rows(store, "payment.force_resolve")
    assert (entry.user_id, entry.approved_by) == (cashier.id, manager.id)
    details = json.loads(entry.details)
    assert (details["before"], details["after"]) == ("initiated", "cancelled")
    assert details["note"] == "Terminal dondu, müşteri nakit ödeyecek"
    assert value(cart_summary(uow, cart)).status is CartStatus.OPEN
    assert stock_books(store.engine)[product][:2] == (4, 1)  # back on the open cart
    assert_invariants(store.engine)


def test_a_payment_resolved_in_the_back_office_names_only_the_manager(store, uow, shelf, manager):
    sale, _cart, product = card_sale(uow, shelf, 20_00)

    value(force_resolve(uow, sale.payment_id, PaymentStatus.PAID, manager_id=manager.id, note="x"))

    (entry,) = audit_rows(store, "payment.force_resolve")
    assert (entry.user_id, entry.approved_by) == (manager.id, None)
    assert stock_books(store.engine)[product][:2] == (4, 0)
    assert_invariants(store.engine)


def test_a_till_resolve_for_an_unknown_cashier_changes_nothing(store, uow, shelf, manager):
    sale, _cart, _product = card_sale(uow, shelf, 20_00)
    books = stock_books(store.engine)

    refused = error(
        force_resolve(
            uow,
            sale.payment_id,
            PaymentStatus.PAID,
            manager_id=manager.id,
            cashier_id=424242,
            note="x",
        )
    )

    assert refused.code is Code.USER_NOT_FOUND
    assert audit_rows(store, "payment.force_resolve") == []
    assert stock_books(store.engine) == books
    payment = rows(store, Order.status, Order.id == sale.order_id)[0]
    assert payment.status is OrderStatus.PENDING
