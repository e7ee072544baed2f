"""Statements for the till's hot path, compiled once and run on the driver's cursor.

SQLAlchemy writes the SQL (from typed Core constructs, per dialect) and supplies
the type conversions; only the per-call execution machinery is skipped. That
machinery costs 30-100 µs a statement, against 3 µs for SQLite itself, and
ringing up an item is a dozen statements. Everything else in the store goes
through SQLAlchemy as usual.

The statements run inside the unit of work's transaction: the cursor is the
connection's own, already past ``BEGIN``. A statement given its row type (a
``NamedTuple`` whose fields are its columns, in order) returns rows of that type, so
what reaches a use case is typed; the typed reads live beside their tables in
``pos/store/`` (``pos.store.products``).
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import ReturnsRows
from typing_extensions import (
    TypeVar,
)  # a default (PEP 696) before Python 3.13; SQLAlchemy's own dependency

Processor = Callable[[Any], Any] | None
R = TypeVar("R", default=Any)
"""The row a statement returns; untyped (a plain named tuple) unless given."""


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: Sequence[str] | None
    """Bind names in order for positional drivers (SQLite); None for named ones."""
    defaults: Mapping[str, Any]
    binds: Mapping[str, Processor]
    make_row: Callable[..., Any] | None
    results: Sequence[Processor]
    converts: bool
    """Some result column needs converting (a datetime on SQLite, say)."""


class Prepared(Generic[R]):
    """A Core statement that runs with ``execute(connection, params)``, returning rows
    as named tuples (empty for statements without RETURNING): of ``row`` where given."""

    def __init__(self, statement: ClauseElement, row: type[R] | None = None) -> None:
        self.statement = statement
        self.row = row
        self._plans: dict[str, _Plan] = {}
        self._numbered: dict[str, tuple[str, Sequence[str]]] = {}

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> list[R]:
        return self.send(connection, params)()

    def send(self, connection: Connection, params: Mapping[str, Any]) -> Callable[[], list[R]]:
        """Run the statement now and fetch its rows when the returned call is made.

        Inside a psycopg pipeline (``connection.connection.driver_connection.pipeline()``)
        every statement sent before the first fetch goes to the server in one round trip;
        elsewhere this is ``execute`` in two steps.
        """
        dialect = connection.dialect
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        arguments = self._arguments(plan, params)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, arguments)
        except dialect.loaded_dbapi.Error as error:  # looked up only when one is raised
            cursor.close()
            raise _as_sqlalchemy_error(plan, arguments, error, dialect) from error

        def fetch() -> list[R]:
            try:
                if plan.make_row is None:
                    return []
                fetched = cursor.fetchall()
            except dialect.loaded_dbapi.Error as error:
                raise _as_sqlalchemy_error(plan, arguments, error, dialect) from error
            finally:
                cursor.close()
            return self._rows(plan, fetched)

        return fetch

    @staticmethod
    def _rows(plan: _Plan, fetched: Sequence[Any]) -> list[R]:
        make_row = plan.make_row
        assert make_row is not None
        if not plan.converts:
            return [make_row(*row) for row in fetched]
        results = plan.results
        return [
            make_row(
                *[
                    value if process is None else process(value)
                    for value, process in zip(row, results, strict=True)
                ]
            )
            for row in fetched
        ]

    def execute_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement without RETURNING once per parameter set, in one driver call
        (psycopg pipelines them into one round trip)."""
        dialect = connection.dialect
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        assert plan.make_row is None, "execute_many returns no rows"
        arguments = [self._arguments(plan, params) for params in rows]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(plan.sql, arguments)
        except dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(plan, arguments, error, dialect) from error
        finally:
            cursor.close()

    @staticmethod
    def _arguments(plan: _Plan, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        values = {**plan.defaults, **params} if plan.defaults else dict(params)
        for name, process in plan.binds.items():
            values[name] = process(values[name])  # type: ignore[misc]
        return values if plan.names is None else [values[name] for name in plan.names]

    def arguments(self, dialect: Dialect, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """The statement's parameters as the driver takes them, by name (``Burst``)."""
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        assert plan.names is None, "named parameters only"
        arguments = self._arguments(plan, params)
        assert isinstance(arguments, Mapping)
        return arguments

    def first(self, connection: Connection, params: Mapping[str, Any]) -> R | None:
        rows = self.execute(connection, params)
        return rows[0] if rows else None

    def one(self, connection: Connection, params: Mapping[str, Any]) -> R:
        """The single row a statement must return (its row exists and is locked by now)."""
        rows = self.execute(connection, params)
        assert len(rows) == 1, f"expected one row, got {len(rows)}"
        return rows[0]

    def _plan(self, dialect: Dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        named = {name: bind for bind, name in compiled.bind_names.items()}
        columns = (
            list(self.statement.exported_columns)
            if isinstance(self.statement, ReturnsRows) and self.statement.exported_columns
            else []
        )
        keys = [c.key for c in columns]
        make_row: Callable[..., Any] | None = namedtuple("Row", keys) if columns else None
        if self.row is not None:
            assert list(getattr(self.row, "_fields", ())) == keys, f"{self.row} is not {keys}"
            make_row = self.row
        results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        plan = _Plan(
            sql=str(compiled),
            names=compiled.positiontup,
            defaults={n: b.effective_value for n, b in named.items() if not b.required},
            binds={
                name: process
                for name, bind in named.items()
                if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
            },
            make_row=make_row,
            results=results,
            converts=any(process is not None for process in results),
        )
        self._plans[dialect.name] = plan
        return plan


_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")


def placeholders(statement: Prepared[Any], dialect: Dialect) -> tuple[str, Sequence[str]]:
    """The statement's SQL for the protocol (``$1``, ``$2``...) and its parameters' names
    in that order: for a driver's prepared statements (PostgreSQL's pyformat only)."""
    cached = statement._numbered.get(dialect.name)
    if cached is not None:
        return cached
    plan = statement._plans.get(dialect.name) or statement._plan(dialect)
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "%"
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    numbered = (_PYFORMAT.sub(number, plan.sql), tuple(names))
    statement._numbered[dialect.name] = numbered
    return numbered


def _as_sqlalchemy_error(plan: _Plan, arguments: Any, error: Exception, dialect: Dialect) -> Any:
    """A driver error as SQLAlchemy raises it, so callers catch IntegrityError or
    OperationalError whichever way the statement ran."""
    return DBAPIError.instance(
        plan.sql, arguments, error, dialect.loaded_dbapi.Error, dialect=dialect
    )


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, the statements sent inside go to the server together, answered in
    one round trip at the first fetch (psycopg's pipeline); elsewhere one by one.

    Inside, send with ``Prepared.send`` and fetch only what the next statement needs:
    every fetch is a round trip."""
    if connection.dialect.name != "postgresql":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    base = connection.dialect.loaded_dbapi.Error
    try:
        with driver.pipeline():
            yield
    except base as error:  # a failure only the pipeline's sync reported
        raise DBAPIError.instance(None, None, error, base) from error
