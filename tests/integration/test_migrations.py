"""One Alembic history builds the models' schema on both dialects."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, make_url, select, text

from pos.domain.messages import render
from pos.domain.results import Code
from pos.store.engine import make_engine
from pos.store.migrate import StoreFault, alembic_config, store_revision, upgrade
from pos.store.models import DEFAULT_LOCATION_ID, Base, Location
from tests.conftest import PG_ENV, Store


def schema_differences(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_an_empty_database_upgraded_to_head_matches_the_models(store: Store):
    assert schema_differences(store) == []


def test_the_default_location_exists_after_migrating(store: Store):
    with store.engine.connect() as connection:
        code = connection.execute(
            select(Location.code).where(Location.id == DEFAULT_LOCATION_ID)
        ).scalar_one()
    assert code == "main"


def test_downgrading_to_base_and_upgrading_again_rebuilds_the_same_schema(store: Store):
    config = alembic_config(store.engine)
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        connection.commit()
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}

    upgrade(store.engine)

    assert schema_differences(store) == []


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with no schema at all, for migrating step by step."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
        yield engine
        engine.dispose()
        return
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} is not set")
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    name = f"kasa_migrate_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)
        connection.commit()


def test_an_open_cart_survives_upgrading_to_tills_and_downgrading_again(bare_engine: Engine):
    _migrate(bare_engine, "upgrade", "0001")
    at = "'2026-03-02 09:00:00'"
    with bare_engine.begin() as connection:
        for statement in (
            "INSERT INTO products (id, sku, name, price_minor, currency, tax_rate_bp, active,"
            f" created_at, updated_at) VALUES (1, 'CAY-1', 'Çay', 1250, 'TRY', 2000, true, {at},"
            f" {at})",
            "INSERT INTO inventory (location_id, product_id, available, reserved)"
            " VALUES (1, 1, 4, 1)",
            "INSERT INTO carts (id, status, currency, location_id, created_at, updated_at)"
            f" VALUES (1, 'open', 'TRY', 1, {at}, {at})",
            "INSERT INTO cart_items (id, cart_id, product_id, quantity, unit_price_minor,"
            f" tax_rate_bp, added_at) VALUES (1, 1, 1, 1, 1250, 2000, {at})",
            "INSERT INTO reservations (id, cart_id, product_id, location_id, quantity, status,"
            f" expires_at, created_at) VALUES (1, 1, 1, 1, 1, 'active', {at}, {at})",
        ):
            connection.execute(text(statement))

    def kept() -> tuple[object, ...]:
        with bare_engine.connect() as connection:
            return (
                connection.execute(text("SELECT id, status FROM carts")).all(),
                connection.execute(
                    text("SELECT cart_id, product_id, quantity FROM cart_items")
                ).all(),
                connection.execute(
                    text("SELECT cart_id, product_id, quantity, status FROM reservations")
                ).all(),
                connection.execute(text("SELECT available, reserved FROM inventory")).all(),
            )

    before = kept()
    assert before[0] == [(1, "open")]

    _migrate(bare_engine, "upgrade", "head")

    assert kept() == before
    with bare_engine.connect() as connection:
        till_id, include_tax, coupon = connection.execute(
            text("SELECT till_id, prices_include_tax, coupon_id FROM carts")
        ).one()
    assert (till_id, bool(include_tax), coupon) == (1, True, None)

    _migrate(bare_engine, "downgrade", "0001")

    assert kept() == before
    columns = {column["name"] for column in inspect(bare_engine).get_columns("carts")}
    assert "till_id" not in columns


BEFORE_SEARCH = "0017"
"""The revision before the one that needs ``pg_trgm`` (0018, the product search index)."""


def test_a_store_with_products_gets_their_search_text_when_upgraded(bare_engine: Engine):
    upgrade(bare_engine, "0014")
    at = "'2026-03-02 09:00:00'"
    with bare_engine.begin() as connection:
        for product_id, name, words in ((1, "Toz Şeker", "toz seker"), (2, "Çay", "cay")):
            connection.execute(
                text(
                    "INSERT INTO products (id, sku, name, price_minor, currency, tax_rate_bp,"
                    f" active, created_at, updated_at) VALUES ({product_id}, 'P-{product_id}',"
                    f" '{name}', 100, 'TRY', 2000, true, {at}, {at})"
                )
            )
            for word in words.split():
                connection.execute(
                    text(f"INSERT INTO product_words VALUES ('{word}', {product_id})")
                )

    upgrade(bare_engine)

    with bare_engine.connect() as connection:
        texts = connection.execute(text("SELECT product_id, words FROM product_search")).all()
    if bare_engine.dialect.name == "postgresql":
        assert sorted(texts) == [(1, " seker toz"), (2, " cay")]
    else:  # SQLite searches by its word index alone
        assert texts == []


@pytest.mark.postgres
def test_a_store_whose_user_may_not_create_pg_trgm_is_told_what_to_run(bare_engine: Engine):
    if bare_engine.dialect.name != "postgresql":
        pytest.skip("an extension is PostgreSQL's")
    upgrade(bare_engine, BEFORE_SEARCH)
    role = f"kasa_clerk_{uuid.uuid4().hex[:8]}"
    with bare_engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'GRANT ALL ON SCHEMA public TO "{role}"'))
        connection.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
    clerk = make_engine(bare_engine.url.set(username=role, password=None))
    try:
        with pytest.raises(StoreFault) as refused:
            upgrade(clerk)
    finally:
        clerk.dispose()
        with bare_engine.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))

    assert refused.value.error.code is Code.STORE_NEEDS_EXTENSION
    assert refused.value.error.params == {
        "extension": "pg_trgm",
        "database": bare_engine.url.database,
    }
    assert "CREATE EXTENSION pg_trgm;" in render(refused.value.error, "en")
    with bare_engine.connect() as connection:
        assert store_revision(connection) == BEFORE_SEARCH
