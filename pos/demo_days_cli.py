"""``pos demo --days N [--url URL] [--seed S]``: fill a store with N sample days at the demo
shop's till (``pos.services.demo_days``). Registered by ``pos.cli`` with one line."""

from __future__ import annotations

import argparse
from typing import Any

from pos.bootstrap import Till, bootstrap
from pos.domain.clock import Clock
from pos.domain.messages import render
from pos.domain.results import Err
from pos.services.demo_days import MAX_DAYS, fill_days
from pos.settings import Settings
from pos.store.migrate import upgrade
from pos.store.uow import UnitOfWork


def add_demo_command(commands: Any) -> None:
    """The ``demo`` command, on the CLI's subcommands."""
    demo = commands.add_parser(
        "demo", help="fill a store with sample days of sales, returns and Z reports"
    )
    demo.add_argument(
        "--days", type=int, required=True, help=f"how many days to play (1-{MAX_DAYS})"
    )
    demo.add_argument("--url", help="database URL (default: from the settings)")
    demo.add_argument("--seed", type=int, default=20, help="the same seed plays the same days")
    demo.set_defaults(command=_demo_days)


def _demo_days(args: argparse.Namespace, settings: Settings) -> int:
    till = bootstrap(settings)
    try:
        upgrade(till.engine)
        result = fill_days(_uows(till), days=args.days, seed=args.seed)
        if isinstance(result, Err):
            print(f"pos: {render(result, settings.locale)}")
            return 1
        filled = result.value
        first, last = filled.z_numbers[0], filled.z_numbers[-1]
        print(
            f"{filled.days} days played: {filled.sales} sales, {filled.returns} returns, "
            f"Z reports {first}-{last}"
        )
        return 0
    finally:
        till.close()


def _uows(till: Till) -> Any:
    def make(clock: Clock | None) -> UnitOfWork:
        return UnitOfWork(till.engine, clock or till.clock, till.policy)

    return make
