"""The audit log reads as sentences: the store names the people, products and receipts
an entry concerns, in the same read as the page, on both databases."""

from __future__ import annotations

import pytest

from pos.domain.audit_wording import describe
from pos.domain.coupons import CouponKind
from pos.services.audit_log import AuditRow, audit_entries
from pos.services.cart import add_to_cart, open_cart
from pos.services.coupons import CouponDraft, create_coupon
from pos.services.orders import reprint_receipt
from pos.services.stock import receive_stock
from pos.services.users import UserView, check_pin, unlock_user
from pos.store.uow import UnitOfWork
from tests.conftest import Shelf, value
from tests.sales import pay_cash


def latest(uow: UnitOfWork, manager: UserView, action: str) -> AuditRow:
    page = value(audit_entries(uow, manager_id=manager.id, action=action))
    return page.rows[0]


def test_an_unlock_names_the_manager_and_the_user(
    uow: UnitOfWork, manager: UserView, cashier: UserView
) -> None:
    for _ in range(5):
        check_pin(uow, cashier.id, "0000")
    value(unlock_user(uow, cashier.id, manager_id=manager.id))

    row = latest(uow, manager, "user.unlock")

    assert describe(row.facts, "tr") == "Ayşe Yılmaz: Mehmet Demir kullanıcısının kilidini açtı"
    assert describe(row.facts, "en") == "Ayşe Yılmaz unlocked Mehmet Demir"


def test_a_reprint_names_the_sale_by_its_receipt_number(
    uow: UnitOfWork, manager: UserView, shelf: Shelf
) -> None:
    product = shelf.product(stock=3)
    cart = value(open_cart(uow)).cart_id
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_cash(uow, cart))
    value(reprint_receipt(uow, sale.order_id, manager_id=manager.id))

    row = latest(uow, manager, "receipt.reprint")

    assert describe(row.facts, "tr") == (
        "Ayşe Yılmaz: T01-000001 fişli satış için fişi yeniden yazdırdı"
    )
    assert str(sale.order_id) not in describe(row.facts, "en")


def test_stock_received_names_the_product(uow: UnitOfWork, manager: UserView, shelf: Shelf) -> None:
    product = shelf.product(name="Süt 1 L")
    value(receive_stock(uow, product, 12, user_id=manager.id))

    row = latest(uow, manager, "stock.receive")

    assert describe(row.facts, "tr") == (
        "Ayşe Yılmaz: Süt 1 L ürününden 12 adet teslim aldı (stok 0 → 12)"
    )


@pytest.mark.parametrize(
    ("kind", "shown"), [(CouponKind.PERCENT, "%15"), (CouponKind.FIXED, "₺15,00")]
)
def test_a_coupons_value_is_shown_as_its_kind(
    uow: UnitOfWork, manager: UserView, kind: CouponKind, shown: str
) -> None:
    value(create_coupon(uow, CouponDraft("YAZ15", kind, 1500), user_id=manager.id))

    row = latest(uow, manager, "coupon.created")

    assert describe(row.facts, "tr") == f"Ayşe Yılmaz: YAZ15 kuponunu oluşturdu ({shown} indirim)"
