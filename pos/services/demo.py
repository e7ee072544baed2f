"""A demo shop: the catalogue in ``resources/demo_catalogue.csv``, stocked and ready to sell."""

from __future__ import annotations

import csv
import io
from importlib import resources

from sqlalchemy import func, select

from pos.domain.results import Changed, Ok, Result, unwrap
from pos.services._support import use_case
from pos.services.catalogue import find_product, import_products_csv
from pos.services.stock import receive_stock
from pos.services.users import create_user
from pos.store.models import Product, Role
from pos.store.uow import UnitOfWork

DEMO_MANAGER = ("mudur", "Demo Müdür", "0000")


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
    return Ok(report.created, Changed.CATALOGUE | Changed.STOCK | Changed.USERS)
