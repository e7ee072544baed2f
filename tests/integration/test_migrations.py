"""One Alembic history builds the models' schema on both dialects."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from pos.store.migrate import alembic_config, upgrade
from pos.store.models import DEFAULT_LOCATION_ID, Base, Location
from tests.conftest import Store


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
