"""A till pulling its replica in small batches until it is killed, for the crash test:
``python -m tests.pulling_till <central url> <replica path> <batch>``."""

from __future__ import annotations

import sys
from pathlib import Path

from pos.domain.results import Err
from pos.store.engine import make_engine
from pos.store.replica import open_replica
from pos.sync.replica import pull


def main(argv: list[str]) -> int:
    central = make_engine(argv[0])
    replica = open_replica(Path(argv[1]))
    print("pulling", flush=True)
    result = pull(central, replica, batch=int(argv[2]))
    assert not isinstance(result, Err), result
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
