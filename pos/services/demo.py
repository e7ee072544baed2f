"""A demo shop: the catalogue in ``resources/demo_catalogue.csv``, stocked, with coupons."""

from __future__ import annotations

import csv
import io
from importlib import resources

from sqlalchemy import func, select

from pos.domain.coupons import CouponKind
from pos.domain.results import Changed, Ok, Result, unwrap
from pos.services._support import use_case
from pos.services.catalogue import find_product, import_products_csv
from pos.services.coupons import CouponDraft, create_coupon
from pos.services.stock import receive_stock
from pos.services.users import create_user
from pos.store.models import Product, Role
from pos.store.uow import UnitOfWork

DEMO_MANAGER = ("mudur", "Demo Müdür", "0000")
DEMO_COUPONS = (
    # 10 % off a basket of 100 TL or more, at most 50 TL off.
    CouponDraft("HOSGELDIN10", CouponKind.PERCENT, 1000, min_cart_minor=100_00, cap_minor=50_00),
    # 25 TL off 250 TL, for the first hundred customers.
    CouponDraft("YAZ25", CouponKind.FIXED, 25_00, min_cart_minor=250_00, usage_limit=100),
    # One customer only: shows "Kupon kullanım limiti dolmuş" on its second use.
    CouponDraft("TEKSEFER", CouponKind.PERCENT, 2000, usage_limit=1),
)


def demo_catalogue() -> str:
    return resources.files("resources").joinpath("demo_catalogue.csv").read_text("utf-8")


@use_case
def load_demo_store(uow: UnitOfWork) -> Result[int]:
    """Fill an empty store with the demo shop; a store that has products is left alone."""
    with uow.reading():
        if uow.session.execute(select(func.count()).select_from(Product)).scalar_one():
            return Ok(0)
    username, display_name, pin = DEMO_MANAGER
    manager = unwrap(create_user(uow, username, display_name, Role.MANAGER, pin))
    text = demo_catalogue()
    report = unwrap(import_products_csv(uow, io.StringIO(text), user_id=manager.id))
    for row in csv.DictReader(io.StringIO(text)):
        product = unwrap(find_product(uow, row["sku"]))
        unwrap(receive_stock(uow, product.id, row["stock"], user_id=manager.id, reason="demo"))
    for coupon in DEMO_COUPONS:
        unwrap(create_coupon(uow, coupon, user_id=manager.id))
    return Ok(report.created, Changed.CATALOGUE | Changed.STOCK | Changed.USERS | Changed.COUPONS)
