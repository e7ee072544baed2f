"""Wiring in one place: settings, engine, clock. Built at start-up, never at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from pos.credentials import with_password
from pos.domain.clock import Clock
from pos.domain.policy import Policy
from pos.settings import Settings, load_settings
from pos.store.engine import make_engine
from pos.store.uow import UnitOfWork


@dataclass(frozen=True)
class Till:
    """What the till's front ends (GUI, CLI) hold: settings and the store behind them.

    Every unit of work it makes carries the shop's policy, built from the settings at
    start-up, so each use case reads the shop's hold times, windows and limits.
    """

    settings: Settings
    engine: Engine
    clock: Clock | None = None

    @property
    def policy(self) -> Policy:
        return self.settings.policy

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, self.policy)

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Till:
    settings = settings or load_settings(environ)
    engine = make_engine(
        with_password(settings.database_url, environ), timeouts=settings.store_timeouts
    )
    return Till(settings, engine, clock)
