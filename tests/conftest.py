"""Fixtures shared by the whole suite.

Integration tests run on SQLite always and on PostgreSQL when
``POS_TEST_DATABASE_URL`` names a server. Each run creates its own PostgreSQL
database (dropped at the end) and each test starts from an empty, migrated store.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from sqlalchemy import URL, Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from pos.domain.discounts import DEFAULT_REASONS
from pos.domain.results import Err, Ok, Result, Warn
from pos.services.catalogue import ProductDraft, create_product
from pos.services.stock import receive_stock
from pos.services.users import UserView, create_user
from pos.store.engine import make_engine
from pos.store.migrate import upgrade
from pos.store.models import Base, Role
from pos.store.uow import UnitOfWork

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tills' journal keys go to a scratch folder, never the keyring or the user's data.
if "POS_JOURNAL_KEY_DIR" not in os.environ:
    os.environ["POS_JOURNAL_KEY_DIR"] = tempfile.mkdtemp(prefix="kasa-journal-keys-")
    atexit.register(shutil.rmtree, os.environ["POS_JOURNAL_KEY_DIR"], True)

T = TypeVar("T")
PG_ENV = "POS_TEST_DATABASE_URL"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def value(result: Result[T]) -> T:
    """The value of a result the test expects to succeed."""
    assert isinstance(result, Ok | Warn), f"expected success, got {result!r}"
    return result.value


def error(result: Result[object]) -> Err:
    assert isinstance(result, Err), f"expected an error, got {result!r}"
    return result


# -- PostgreSQL: one database per run ---------------------------------------------


def _admin_engine(url: URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[URL]:
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} is not set")
    base = make_url(server)
    name = f"kasa_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(base)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


KEPT = ("locations", "tills")
"""Rows the migrations create: the shop floor (location 1) and its first till (T01)."""


def _empty_postgres(engine: Engine) -> None:
    """Back to what the migrations leave: emptied tables, the first location and till reset.

    A window the test before closed may still have a worker's query on its way; when
    that query and the TRUNCATE's locks deadlock, PostgreSQL ends the TRUNCATE, which is
    then tried again once the query is through."""
    for attempt in range(5):
        try:
            _empty_postgres_once(engine)
            return
        except OperationalError as error:
            if not isinstance(error.orig, psycopg.errors.DeadlockDetected) or attempt == 4:
                raise
            time.sleep(0.2)


def _empty_postgres_once(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in KEPT]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(text("DELETE FROM tills WHERE code <> 'T01'"))
        connection.execute(
            text(
                "UPDATE tills SET last_receipt_number = 0, last_return_number = 0,"
                f" journal_seq = 0, journal_hash = '{'0' * 64}', last_z_number = 0"
            )
        )
        connection.execute(text("DELETE FROM locations WHERE code <> 'main'"))
        connection.execute(
            text(
                "UPDATE locations SET name = 'Shop floor', prices_include_tax = true,"
                " receipt_header = '',"
                " time_zone = 'Europe/Istanbul', discount_limit_cashier_bp = 1000,"
                " discount_limit_manager_bp = 10000, discount_reasons = :reasons"
            ),
            {"reasons": DEFAULT_REASONS},
        )


# -- SQLite: a migrated template copied for each test -------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@dataclass(frozen=True)
class Store:
    """An empty, migrated store for one test."""

    dialect: str
    url: URL
    engine: Engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = make_url(f"sqlite:///{path}")
        engine = make_engine(url)
    else:
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        _empty_postgres(engine)
    try:
        yield Store(request.param, url, engine)
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def machine_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's clock set to UTC, as many servers and fresh installs are: the shop's
    own zone must decide every time shown and every day cut, never the machine's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def uow(store: Store, clock: FakeClock) -> UnitOfWork:
    return UnitOfWork(store.engine, clock)


@pytest.fixture
def manager(uow: UnitOfWork) -> UserView:
    return value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))


@pytest.fixture
def cashier(uow: UnitOfWork) -> UserView:
    return value(create_user(uow, "kasiyer", "Mehmet Demir", Role.CASHIER, "1234"))


@dataclass
class Shelf:
    """Puts products with stock into the test's store."""

    uow: UnitOfWork
    manager: UserView
    count: int = 0

    def product(
        self,
        stock: int = 0,
        *,
        price_minor: int = 1250,
        name: str = "",
        sale_unit: str | None = None,
        scale_code: str | None = None,
    ) -> int:
        """A product with ``stock`` of its smallest units (grams of a ``kg`` product)."""
        self.count += 1
        draft = ProductDraft(
            sku=f"SKU-{self.count:04d}",
            name=name or f"Ürün {self.count}",
            price_minor=price_minor,
            sale_unit=sale_unit,
            scale_code=scale_code,
        )
        product_id = value(create_product(self.uow, draft)).id
        if stock:
            value(receive_stock(self.uow, product_id, stock, user_id=self.manager.id))
        return product_id


@pytest.fixture
def shelf(uow: UnitOfWork, manager: UserView) -> Shelf:
    return Shelf(uow, manager)
