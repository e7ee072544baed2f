"""``pos demo --days N``: sample days at the demo shop's till, each closed with its Z."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, make_url, select

from pos.cli import main
from pos.domain.clock import Clock
from pos.domain.results import Code
from pos.services.cash_sessions import current_session, open_session
from pos.services.day_reports import z_report, z_reports
from pos.services.demo import load_demo_store
from pos.services.demo_days import fill_days
from pos.services.users import UserView
from pos.store.engine import make_engine
from pos.store.models import Inventory, Order, OrderItem, Product, SaleReturn
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, error, value
from tests.invariants import assert_invariants

UNTIL = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def uows(store: Store):  # type: ignore[no-untyped-def]
    def make(clock: Clock | None) -> UnitOfWork:
        return UnitOfWork(store.engine, clock or FakeClock(UNTIL))

    return make


def test_each_sample_day_is_a_closed_session_whose_z_adds_up(store: Store) -> None:
    filled = value(fill_days(uows(store), days=3, seed=7, until=UNTIL))

    assert filled.z_numbers == (1, 2, 3)
    assert filled.sales > 30
    uow = UnitOfWork(store.engine, FakeClock(UNTIL))
    summaries = value(z_reports(uow))
    assert [s.z_number for s in summaries] == [3, 2, 1]
    with store.engine.connect() as connection:
        for summary in summaries:
            z = value(z_report(uow, summary.session_id))
            sold = connection.execute(
                select(func.sum(Order.total_minor)).where(
                    Order.cash_session_id == summary.session_id
                )
            ).scalar_one()
            back = connection.execute(
                select(func.coalesce(func.sum(SaleReturn.total_minor), 0)).where(
                    SaleReturn.cash_session_id == summary.session_id
                )
            ).scalar_one()
            assert z.total_minor == sold - back == sum(t.net_minor for t in z.taxes)
            assert z.opened_at < z.made_at < UNTIL
            assert z.cash is not None
            assert z.cash.counted_minor is not None
    assert value(current_session(uow)) is None
    assert_invariants(store.engine)


def test_the_same_seed_plays_the_same_days(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = value(fill_days(uows(store), days=1, seed=3, until=UNTIL))
    url = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    assert main(["demo", "--days", "1", "--seed", "3", "--url", url]) == 0
    again = make_engine(make_url(url))
    try:
        with again.connect() as connection:
            sales = connection.execute(select(func.count()).select_from(Order)).scalar_one()
    finally:
        again.dispose()
    assert sales >= first.sales  # the same customers; the CLI's store is a fresh one


@pytest.mark.parametrize("days", [0, -1, 367, 1.5, "3", True])
def test_a_number_of_days_that_is_not_one_is_refused(store: Store, days: object) -> None:
    assert error(fill_days(uows(store), days=days, until=UNTIL)).code is Code.INVALID_QUANTITY  # type: ignore[arg-type]


def test_no_day_is_played_inside_a_real_one(store: Store, manager: UserView) -> None:
    uow = UnitOfWork(store.engine, FakeClock(UNTIL))
    value(load_demo_store(uow))
    value(open_session(uow, user_id=manager.id, float_minor=0))

    assert error(fill_days(uows(store), days=1, until=UNTIL)).code is Code.CASH_SESSION_OPEN


def test_weighed_goods_are_sold_by_realistic_weights_in_whole_grams(store: Store) -> None:
    value(fill_days(uows(store), days=2, seed=11, until=UNTIL))

    with store.engine.connect() as connection:
        weighed = connection.execute(
            select(OrderItem.quantity, OrderItem.returned_quantity).where(
                OrderItem.sale_unit == "kg"
            )
        ).all()
        low = connection.execute(
            select(func.min(Inventory.available))
            .join(Product, Product.id == Inventory.product_id)
            .where(Product.sale_unit == "kg", Product.min_stock == 0)
        ).scalar_one()
    assert len(weighed) > 10
    assert all(250 <= grams <= 2_500 for grams, _ in weighed)  # 0,250 to 2,500 kg
    assert all(back in (0, grams) for grams, back in weighed)  # a weighed line comes back whole
    assert low >= 10_000  # restocked by the kilo: the weighed shelves never run to grams
    assert_invariants(store.engine)
