"""``pos journal verify``: check each till's journal end to end (DESIGN.md §9).

Prints a line per till, OK with its count of entries or the first entry that does not
hold (its number, its kind, what is wrong), and the keys its entries are signed with, to
compare by eye with the ones the till showed when it made them. Exits 0 only when every
chain holds. Every hash is checked; of the signatures, as many as prove the chain
(``pos.services.journal_verify.verify``), or with ``--all-signatures`` each one.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pos.bootstrap import bootstrap
from pos.domain.journal import Problem
from pos.domain.messages import render
from pos.domain.messages_journal import kind_name
from pos.domain.results import Code, Err
from pos.services.journal_verify import ChainReport, verify
from pos.settings import Settings

_CODES = {
    Problem.CHANGED: Code.JOURNAL_CHANGED,
    Problem.REMOVED: Code.JOURNAL_REMOVED,
    Problem.INSERTED: Code.JOURNAL_INSERTED,
    Problem.REORDERED: Code.JOURNAL_REORDERED,
    Problem.FORGED: Code.JOURNAL_FORGED,
    Problem.Z_EDITED: Code.JOURNAL_Z_EDITED,
}


def add_journal_commands(commands: Any) -> None:
    """``journal verify`` under ``pos`` (``commands`` is its sub-command parsers)."""
    journal = commands.add_parser("journal", help="the tills' tamper-evident journal")
    actions = journal.add_subparsers(required=True, metavar="ACTION")
    check = actions.add_parser(
        "verify", help="check each till's chain end to end; exits 0 only when all hold"
    )
    check.add_argument("--till", help="this till's chain only, by its code (T01)")
    check.add_argument("--url", help="database URL (default: from the settings)")
    check.add_argument(
        "--all-signatures",
        action="store_true",
        help="check every entry's signature, not only as many as prove the chain (slower)",
    )
    check.set_defaults(command=_verify)


def chain_line(chain: ChainReport, locale: str) -> str:
    """What the check says of one till's chain, in ``locale``."""
    fault = chain.fault
    if fault is None:
        return render(
            Err(Code.JOURNAL_HOLDS, {"till": chain.till_code, "entries": chain.entries}), locale
        )
    params = {
        "till": chain.till_code,
        "seq": str(fault.seq),
        "kind": kind_name(fault.kind, locale),
        "event": fault.event or "",
        "missing": fault.detail.get("missing", 1),
        "found": str(fault.detail.get("found", "-")),
    }
    return render(Err(_CODES[fault.problem], params), locale)


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    till = bootstrap(settings)
    try:
        result = verify(till.uow(), args.till, every_signature=args.all_signatures)
    finally:
        till.close()
    if isinstance(result, Err):
        print(render(result, settings.locale), file=sys.stderr)
        return 2
    for chain in result.value.chains:
        print(chain_line(chain, settings.locale))
        for key in chain.keys:
            print(render(Err(Code.JOURNAL_KEY, {"fingerprint": key}), settings.locale))
    return 0 if result.value.holds else 1
