"""The unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction, func, select
from sqlalchemy.orm import Session

from pos.domain.clock import Clock, system_clock
from pos.domain.policy import Policy
from pos.store.engine import READ_ONLY, REPLICA
from pos.store.prepared import Prepared

_NOW = Prepared(select(func.now().label("now")))
"""The store's clock, read as the till's hot paths read: compiled once, on the driver's cursor."""


class UnitOfWork:
    """One connection in one transaction; ``commit()`` keeps it, anything else rolls back.

    Hot paths (the cart, reservations) run prepared Core statements on ``connection``;
    the ORM ``session`` is made on first use and shares the same transaction.

    ``clock`` is the store's clock. Left out, it is the database's ``now()`` on
    PostgreSQL, so every till sharing the store agrees on when a reservation
    expires, and the machine's clock on SQLite, where the store is local.

    ``policy`` is the shop's policy (hold times, windows, limits) the use cases read;
    left out, the defaults.

    ``offline`` says the transaction runs on the till's replica while the central store
    cannot be reached (DESIGN.md §5): the use cases then follow the offline rules (no
    reservations, the offline policy, the till's own receipt series).
    """

    connection: Connection

    def __init__(
        self,
        engine: Engine,
        clock: Clock | None = None,
        policy: Policy | None = None,
        *,
        offline: bool = False,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy or Policy()
        self.offline = offline
        self._now: datetime | None = None
        self._read_only = False
        self._session: Session | None = None
        self._transaction: RootTransaction | None = None

    def reading(self) -> Self:
        """Enter for a transaction that only reads: on SQLite it takes no write lock."""
        self._read_only = True
        return self

    def __enter__(self) -> Self:
        bind = self.engine
        if self._read_only:
            bind = bind.execution_options(**{READ_ONLY: True})
        if self.offline:
            bind = bind.execution_options(**{REPLICA: True})
        self.connection = bind.connect()
        try:
            self._transaction = self.connection.begin()
        except BaseException:
            # A refused BEGIN (SQLite's file locked past the busy timeout): ``__exit__``
            # never runs, so the connection goes back to the pool here.
            self.connection.close()
            self._read_only = False
            raise
        self._session = None
        self._now = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            if self._session is not None:
                self._session.close()
                self._session = None
            self.connection.close()
            self._read_only = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session

    def flush(self) -> None:
        """Write what the ORM session holds, inside the transaction."""
        if self._session is not None:
            self._session.flush()

    def commit(self) -> None:
        self.flush()
        assert self._transaction is not None
        self._transaction.commit()

    def rollback(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    def now(self) -> datetime:
        """The current instant, the same for the whole transaction."""
        if self._now is None:
            if self.clock is not None:
                self._now = self.clock()
            elif self.engine.dialect.name == "postgresql":
                self._now = _NOW.one(self.connection, {})[0]
            else:
                self._now = system_clock()
        return self._now
