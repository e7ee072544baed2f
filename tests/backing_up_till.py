"""A till that dies mid-backup, for the crash tests: run as a child process and SIGKILLed.

``python -m tests.backing_up_till <database url> <place> <pages per slice> <pause s>``
backs the store up into ``place``, a few pages at a time with a rest between, and prints
``begin``, then ``slice <remaining>`` after each slice and ``done`` at the end, so the
test can kill it at any point of the copy, the check, the flush or the renames.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from pos.domain.backups import BackupPolicy
from pos.domain.results import Err
from pos.services.backups import make_backup


def main(argv: list[str]) -> int:
    url, place, pages, pause = argv[0], Path(argv[1]), int(argv[2]), float(argv[3])
    policy = BackupPolicy(slice_pages=pages, pause=timedelta(seconds=pause))
    print("begin", flush=True)
    result = make_backup(
        url,
        (place,),
        policy,
        after_slice=lambda remaining, _total: print(f"slice {remaining}", flush=True),
    )
    print("failed" if isinstance(result, Err) else "done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
