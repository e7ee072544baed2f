"""Running the Alembic migrations from code and from ``pos db upgrade``.

A store whose schema is newer than this Kasa's migrations (another till was updated
first) is not touched: ``upgrade`` raises ``SchemaTooNew``, which names the revision the
store has and the newest this Kasa knows.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from pos.domain.results import Code, Err
from pos.store.engine import UNTIMED, is_pooled

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreFault(Exception):
    """The store (or the till's replica) cannot be used as it is; ``error`` says why and
    the way out, for the front end to show."""

    def __init__(self, code: Code, **params: object) -> None:
        super().__init__(code.value, params)
        self.error = Err(code, params)


class SchemaTooNew(StoreFault):
    """The store was migrated by a newer Kasa than this one."""

    def __init__(self, schema: str, known: str) -> None:
        super().__init__(Code.STORE_SCHEMA_TOO_NEW, schema=schema, known=known)
        self.schema = schema
        self.known = known


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


@cache
def known_revisions() -> frozenset[str]:
    """Every revision this Kasa's migrations know."""
    script = ScriptDirectory(str(MIGRATIONS))
    return frozenset(revision.revision for revision in script.walk_revisions())


@cache
def head_revision() -> str:
    """The newest revision this Kasa's migrations know."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def store_revision(connection: Connection) -> str | None:
    """The revision the store's schema is at; None for a store never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_not_newer(connection: Connection) -> str | None:
    """The store's revision; ``SchemaTooNew`` if this Kasa does not know it."""
    revision = store_revision(connection)
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(revision, head_revision())
    return revision


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema up to ``revision`` (the newest by default)."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        check_not_newer(connection)
        connection.commit()
        postgresql = connection.dialect.name == "postgresql"
        driver = connection.connection.driver_connection
        answer = getattr(driver, "answer_timeout", None)
        pooled = is_pooled(engine)
        if postgresql:
            # A migration may rebuild a large table: the till's statement timeout is not
            # meant for it (RESET goes back to the connection's own setting afterwards),
            # nor is its wait for an answer (filling a million products' rows is quiet).
            # Through a pooler each transaction lifts it itself: a session's SET would
            # stay on a server connection that other tills get next.
            connection.execution_options(**{UNTIMED: True})
            if not pooled:
                connection.exec_driver_sql("SET statement_timeout = 0")
                connection.commit()
            if answer is not None:
                driver.answer_timeout = None  # type: ignore[union-attr]
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if answer is not None:
                driver.answer_timeout = answer  # type: ignore[union-attr]
        if postgresql and not pooled:
            connection.exec_driver_sql("RESET statement_timeout")
            connection.commit()
