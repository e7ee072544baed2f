"""Running the Alembic migrations from code and from ``pos db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema up to ``revision`` (the newest by default)."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            # A migration may rebuild a large table: the till's statement timeout is not
            # meant for it (RESET goes back to the connection's own setting afterwards).
            connection.exec_driver_sql("SET statement_timeout = 0")
            connection.commit()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
        if postgresql:
            connection.exec_driver_sql("RESET statement_timeout")
            connection.commit()
