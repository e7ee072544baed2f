"""``pos replica init | pull | status``: the till's local copy of the central store, which
it sells from when the central store cannot be reached (DESIGN.md §5).

The replica is ``replica.sqlite3`` in the data directory; the central store is the
settings' database (or ``--url``), a PostgreSQL the shop's tills share.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pos.settings import Settings, replica_file
from pos.store.replica import open_replica
from pos.sync.replica import BATCH, build_replica, pull, replica_status


def add_replica_commands(commands: Any) -> None:
    """The ``replica`` command and its actions, on the ``pos`` command's subparsers."""
    replica = commands.add_parser(
        "replica", help="the till's local copy of the central store, to sell from offline"
    )
    actions = replica.add_subparsers(required=True, metavar="ACTION")
    init = actions.add_parser(
        "init", help="build the replica from the central store (again), with a progress bar"
    )
    init.add_argument("--url", help="the central store's URL (default: from the settings)")
    init.add_argument(
        "--force",
        action="store_true",
        help="even if the replica holds sales not yet sent to the central store (they are lost)",
    )
    init.set_defaults(command=_init)
    pulling = actions.add_parser("pull", help="bring the central store's changes in now")
    pulling.add_argument("--url", help="the central store's URL (default: from the settings)")
    pulling.add_argument("--batch", type=int, default=BATCH, help="rows per local transaction")
    pulling.set_defaults(command=_pull)
    status = actions.add_parser("status", help="how far the replica is, and what it holds")
    status.set_defaults(command=_status)


def _init(args: argparse.Namespace, settings: Settings) -> int:
    from pos.cli import _open, _ProgressLine, _value  # here: cli imports this module

    till = _open(settings)
    path = replica_file(settings)
    line = _ProgressLine() if sys.stderr.isatty() else None
    try:
        result = build_replica(till.engine, path, progress=line, force=args.force)
    finally:
        if line is not None:
            line.end()
        till.close()
    built = _value(result, settings)
    if built is None:
        return 1
    print(f"{path}: {built.rows:,} rows copied in {built.seconds:.1f} s")
    return 0


def _pull(args: argparse.Namespace, settings: Settings) -> int:
    from pos.cli import _open, _value  # here: cli imports this module

    if args.batch < 1:
        print("pos: --batch must be 1 or more", file=sys.stderr)
        return 2
    replica = open_replica(replica_file(settings))
    till = _open(settings)
    try:
        pulled = _value(pull(till.engine, replica, batch=args.batch), settings)
    finally:
        till.close()
        replica.dispose()
    if pulled is None:
        return 1
    print(f"{pulled.rows:,} rows pulled in {pulled.batches} batches; cursor {pulled.window_start}")
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    path = replica_file(settings)
    replica = open_replica(path)
    try:
        status = replica_status(replica)
    finally:
        replica.dispose()
    assert status is not None  # open_replica refuses a replica never built to the end
    when = "%Y-%m-%d %H:%M:%S"
    pulled = status.pulled_at.astimezone().strftime(when) if status.pulled_at else "-"
    under_way = " (a pull is under way)" if status.pulling else ""
    print(f"replica:        {path}")
    print(f"built:          {status.built_at.astimezone().strftime(when)}")
    print(f"central schema: {status.central_schema}")
    print(f"cursor:         {status.window_start}{under_way}")
    print(f"last pull:      {pulled}, {status.rows_pulled:,} rows pulled since built")
    for table, count in status.rows.items():
        print(f"  {table:<12} {count:>12,}")
    return 0
