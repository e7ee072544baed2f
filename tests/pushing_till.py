"""A till pushing its offline sales home, for the crash tests: a child process that the
test SIGKILLs at random points of the push and starts again.

``python -m tests.pushing_till <central url> <replica file>`` pushes the replica's outbox
to the central store (through the test's fault proxy), printing ``sent <n>`` after each
sale and ``done`` once the outbox is drained; a central store that stops answering is
tried again after a short pause, as the till's monitor would.
"""

from __future__ import annotations

import sys
import time

from pos.domain.results import Err
from pos.store.engine import StoreTimeouts, make_engine
from pos.store.uow import UnitOfWork
from pos.sync.push import push_outbox

BURST = 10
"""Sales in one central burst: few, so the kills land between bursts and inside them
many times over a push (a burst of the till's 100 would take a fifth of the 500 sales
before the first kill could)."""
FAST = StoreTimeouts(connect=2, statement=3, lock=2, idle_in_transaction=2, keepalive=1)


def main(argv: list[str]) -> int:
    central = make_engine(argv[0], timeouts=FAST)
    replica = make_engine(f"sqlite:///{argv[1]}")
    while True:
        result = push_outbox(
            lambda: UnitOfWork(central),
            lambda: UnitOfWork(replica, offline=True),
            progress=lambda sent, _total: print(f"sent {sent}", flush=True),
            pause=0.05,
            burst=BURST,
        )
        if not isinstance(result, Err) and result.value.left == 0:
            print("done", flush=True)
            return 0
        time.sleep(0.1)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
