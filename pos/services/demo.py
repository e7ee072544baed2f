"""A demo corner shop: the catalogue in ``resources/demo_catalogue.csv``, stocked, with a
cashier, a manager and coupons to try."""

from __future__ import annotations

import csv
import io
from importlib import resources

from sqlalchemy import func, select

from pos.domain.coupons import CouponKind
from pos.domain.results import Changed, Ok, Result, unwrap
from pos.domain.units import SaleUnit
from pos.domain.users import DEMO_CASHIER as DEMO_CASHIER
from pos.domain.users import DEMO_MANAGER as DEMO_MANAGER
from pos.services._support import use_case
from pos.services.catalogue import (
    ProductDraft,
    ProductView,
    find_product,
    update_product,
)
from pos.services.coupons import CouponDraft, create_coupon
from pos.services.product_import import (
    import_products_csv,
)
from pos.services.shop import update_shop_settings
from pos.services.stock import receive_stock, set_min_stock
from pos.services.users import create_user
from pos.store.models import Product, Role, User
from pos.store.uow import UnitOfWork

DEMO_COUPONS = (
    # 10 % off a basket of 100 TL or more, at most 50 TL off: a week's shopping, not a simit.
    CouponDraft("HOSGELDIN10", CouponKind.PERCENT, 1000, min_cart_minor=100_00, cap_minor=50_00),
    # 25 TL off 250 TL (a nappy pack or olive oil gets there), for the first hundred customers.
    CouponDraft("YAZ25", CouponKind.FIXED, 25_00, min_cart_minor=250_00, usage_limit=100),
    # One customer only: shows "Kupon kullanım limiti dolmuş" on its second use.
    CouponDraft("TEKSEFER", CouponKind.PERCENT, 2000, usage_limit=1),
)


DEMO_RECEIPT_HEADER = "KASA BAKKAL\nModa Cad. No: 12 Kadıköy / İstanbul\nTel: 0216 000 00 00"
"""The demo shop's name and address at the top of every receipt."""


def demo_catalogue() -> str:
    return resources.files("resources").joinpath("demo_catalogue.csv").read_text("utf-8")


@use_case
def load_demo_store(uow: UnitOfWork) -> Result[int]:
    """Fill an empty store with the demo shop; a store that has products is left alone.

    Answers how many products it created (0 for a store left alone).
    """
    with uow.reading():
        if uow.session.execute(select(func.count()).select_from(Product)).scalar_one():
            return Ok(0)
    manager_id = _demo_user(uow, DEMO_MANAGER, Role.MANAGER, by_user_id=None)
    _demo_user(uow, DEMO_CASHIER, Role.CASHIER, by_user_id=manager_id)
    text = demo_catalogue()
    report = unwrap(import_products_csv(uow, io.StringIO(text), user_id=manager_id))
    for row in csv.DictReader(io.StringIO(text)):
        product = unwrap(find_product(uow, row["sku"]))
        if row["scale_code"]:  # the demo scale's item code, for its scale barcodes
            product = unwrap(update_product(uow, product.id, _with_scale_code(product, row)))
        # The file counts kilos of a weighed product; the store, grams.
        per_unit = SaleUnit(product.sale_unit).per_unit
        if row["min_stock"]:  # a few under their minimum fill the low-stock list
            minimum = int(row["min_stock"]) * per_unit
            unwrap(set_min_stock(uow, product.id, minimum, user_id=manager_id))
        if int(row["stock"]) == 0:
            continue  # sold out: shows the till's "out of stock" answer
        stock = int(row["stock"]) * per_unit
        unwrap(receive_stock(uow, product.id, stock, user_id=manager_id, reason="demo"))
    for coupon in DEMO_COUPONS:
        unwrap(create_coupon(uow, coupon, user_id=manager_id))
    unwrap(update_shop_settings(uow, user_id=manager_id, receipt_header=DEMO_RECEIPT_HEADER))
    return Ok(report.created, Changed.CATALOGUE | Changed.STOCK | Changed.USERS | Changed.COUPONS)


def _with_scale_code(product: ProductView, row: dict[str, str]) -> ProductDraft:
    return ProductDraft(
        sku=product.sku,
        name=product.name,
        price_minor=product.price_minor,
        barcode=product.barcode,
        tax_rate_bp=product.tax_rate_bp,
        currency=product.currency,
        scale_code=row["scale_code"],
    )


def _demo_user(
    uow: UnitOfWork, user: tuple[str, str, str], role: Role, *, by_user_id: int | None
) -> int:
    """The demo user's id, created unless an earlier, interrupted load already made it."""
    username, display_name, pin = user
    with uow.reading():
        existing = uow.session.execute(
            select(User.id).where(User.username == username)
        ).scalar_one_or_none()
    if existing is not None:
        return existing
    return unwrap(create_user(uow, username, display_name, role, pin, by_user_id=by_user_id)).id
