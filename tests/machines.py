"""Running a hypothesis state machine of the stores on both databases, each example on a
fresh, migrated store: a copy of the SQLite template, or the PostgreSQL test database
emptied back to what the migrations leave.

``make test`` runs half the examples each machine asks for, to keep the suite short; with
``POS_SLOW_TESTS=1`` they all run. Hypothesis keeps every failing example it finds in its
database and tries it first the next time, whichever count runs."""

from __future__ import annotations

import os
import shutil
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, make_url

from pos.store.engine import make_engine
from tests.conftest import Store, _empty_postgres


def run_machine(
    machine: Any,
    store: Store,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    *,
    examples: tuple[int, int],
    steps: int,
) -> None:
    """Run ``machine`` (whose ``new_store`` this sets) for ``examples`` of (SQLite,
    PostgreSQL) examples of at most ``steps`` steps on the test's store (half as many
    examples unless ``POS_SLOW_TESTS=1``)."""
    if os.environ.get("POS_SLOW_TESTS") != "1":
        examples = (max(1, examples[0] // 2), max(1, examples[1] // 2))
    if store.dialect == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        runs = count()

        def new_store() -> Engine:
            path = tmp_path / f"machine-{next(runs)}.sqlite3"
            shutil.copyfile(template, path)
            return make_engine(make_url(f"sqlite:///{path}"))

        how_many = examples[0]
    else:

        def new_store() -> Engine:
            engine = make_engine(store.url)
            _empty_postgres(engine)
            return engine

        how_many = examples[1]

    machine.new_store = staticmethod(new_store)
    machine.TestCase.settings = settings(
        max_examples=how_many,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine.TestCase().runTest()
