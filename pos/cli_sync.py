"""``pos sync status`` and ``pos sync push``: the till's offline sales going home, from
the command line (issue 17). ``pos.cli`` adds these with one call."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pos.bootstrap import Till, bootstrap
from pos.domain.messages import render
from pos.domain.results import Code, Err
from pos.settings import Settings
from pos.store.engine import reconnect
from pos.store.migrate import upgrade

NO_REPLICA = (
    "pos: this till keeps no replica (`pos replica init` builds one): it has no offline "
    "sales to send"
)


def add_sync_commands(commands: Any) -> None:
    """Add ``sync status`` and ``sync push`` to the ``pos`` parser's commands."""
    sync = commands.add_parser("sync", help="the offline sales this till sends home")
    actions = sync.add_subparsers(required=True, metavar="ACTION")
    status = actions.add_parser("status", help="how many offline sales wait, and what was sent")
    status.add_argument("--url", help="central store URL (default: from the settings)")
    status.set_defaults(command=_status)
    push = actions.add_parser(
        "push", help="send the unsent offline sales to the central store now, oldest first"
    )
    push.add_argument("--url", help="central store URL (default: from the settings)")
    push.set_defaults(command=_push)


def _till(settings: Settings) -> Till | None:
    till = bootstrap(settings)
    if till.replica is None:
        till.close()
        print(NO_REPLICA, file=sys.stderr)
        return None
    upgrade(till.replica)
    return till


def _status(args: argparse.Namespace, settings: Settings) -> int:
    till = _till(settings)
    if till is None:
        return 2
    try:
        from pos.sync.push import sync_status  # the sync loads for its commands only

        result = sync_status(till.replica_uow())
        if isinstance(result, Err):
            print(render(result, settings.locale), file=sys.stderr)
            return 1
        status = result.value
        print(f"unsent:       {status.unsent}")
        print(f"ingested:     {status.ingested}")
        print(f"already here: {status.already_here}")
        print(f"conflicts:    {status.conflicts}")
        return 0
    finally:
        till.close()


def _push(args: argparse.Namespace, settings: Settings) -> int:
    till = _till(settings)
    if till is None:
        return 2
    locale = settings.locale

    def progress(sent: int, total: int) -> None:
        line = render(Err(Code.SYNC_PROGRESS, {"sent": sent, "total": total}), locale)
        print(f"\r{line}", end="", file=sys.stderr, flush=True)

    # A till holding unsent sales starts offline, its central connections let go; the
    # administrator asks for the push, so the central store is tried for it.
    reconnect(till.engine)
    try:
        from pos.sync.push import push_outbox  # the sync loads for its commands only

        result = push_outbox(till.central_uow, till.replica_uow, progress=progress)
        print(file=sys.stderr)
        if isinstance(result, Err):
            print(f"pos: {render(result, locale)} ({result.params.get('cause')})", file=sys.stderr)
            return 1
        report = result.value
        print(
            f"sent {report.sent} of {report.total}: {report.ingested} taken, "
            f"{report.already_here} already there, {report.conflicts} conflicts for a manager"
        )
        return 0
    finally:
        till.close()
