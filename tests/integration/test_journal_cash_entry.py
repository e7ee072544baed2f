"""A cash sale's journal entry is made from what checkout has just written, not read back:
it must say exactly what the store holds of the sale, whatever the sale carries (a
coupon, a line's own discount, change, a cashier who took the sale over, details for an
invoice), as a sale paid by card, whose entry is read back, does. Both stores."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from pos.domain.coupons import CouponKind
from pos.domain.journal import Kind, canonical
from pos.domain.payments import Settler
from pos.services.cart import add_to_cart
from pos.services.checkout import SaleDetails
from pos.services.coupons import CouponDraft, apply_coupon, create_coupon
from pos.services.discounts import discount_line
from pos.services.journal import sale_as_stored
from pos.services.journal_verify import verify
from pos.services.payments import mark_paid
from pos.store.tables import journal
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, Store, value
from tests.sales import new_cart, pay_by_card, pay_cash, shown_total

pytestmark = pytest.mark.usefixtures("manager")


def sale_entries(store: Store) -> list[dict[str, Any]]:
    """Every sale's entry, each checked against the sale as the store holds it now."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(journal.c.event_id, journal.c.content)
            .where(journal.c.kind == Kind.SALE)
            .order_by(journal.c.seq)
        ).all()
        for row in rows:
            assert row.content == canonical(sale_as_stored(connection, UUID(row.event_id))[1])
    return [json.loads(row.content) for row in rows]


def rung_up(uow: UnitOfWork, shelf: Shelf, manager: Any, cashier: Any) -> int:
    """Three lines, one of them discounted by the cashier, and a coupon on the sale."""
    tea = shelf.product(stock=10, price_minor=4590, name="Çay 1 kg")
    soap = shelf.product(stock=10, price_minor=1999, name="Sabun")
    bread = shelf.product(stock=10, price_minor=1000, name="Ekmek")
    draft = CouponDraft(code="YAZ10", kind=CouponKind.PERCENT, value=1000)
    value(create_coupon(uow, draft, user_id=manager.id))
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, tea, 2))
    value(add_to_cart(uow, cart, soap, 3))
    value(add_to_cart(uow, cart, bread, 1))
    value(discount_line(uow, cart, soap, "percent", "10", "Ezik kutu", user_id=cashier.id))
    value(apply_coupon(uow, cart, "YAZ10"))
    return cart


def test_a_cash_sale_with_everything_says_what_the_store_holds(
    uow: UnitOfWork, store: Store, shelf: Shelf, manager: Any, cashier: Any
) -> None:
    cart = rung_up(uow, shelf, manager, cashier)
    total = shown_total(uow, cart)
    details = SaleDetails(customer="Ali Veli", billing_address="Kadıköy")

    sale = value(pay_cash(uow, cart, total + 1000, cashier_id=manager.id, details=details))

    (entry,) = sale_entries(store)
    assert (entry["coupon"], entry["cashier"]) == ("YAZ10", manager.id)
    assert [line.get("reason") for line in entry["lines"]] == [None, "Ezik kutu", None]
    assert entry["tenders"] == [
        {
            "payment": sale.payment_id,
            "method": "cash",
            "amount": total,
            "tendered": total + 1000,
            "change": 1000,
        }
    ]
    assert value(verify(uow, every_signature=True)).holds


def test_a_card_sale_read_back_has_the_same_shape(
    uow: UnitOfWork, store: Store, shelf: Shelf, manager: Any, cashier: Any
) -> None:
    cart = rung_up(uow, shelf, manager, cashier)
    sale = value(pay_by_card(uow, cart))
    value(mark_paid(uow, sale.payment_id, settler=Settler.WEBHOOK))
    other = new_cart(uow)
    value(add_to_cart(uow, other, shelf.product(stock=5, price_minor=700), 2))
    value(pay_cash(uow, other))

    card, cash = sale_entries(store)
    assert set(card) == set(cash)
    assert set(card["lines"][1]) == {*cash["lines"][0], "line_discount", "reason"}
    assert set(card["tenders"][0]) == set(cash["tenders"][0])
    assert value(verify(uow, every_signature=True)).holds
