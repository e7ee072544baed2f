"""Benchmark: a scan rung up and taken off through the services, against the bare driver.

One iteration is ``add_scanned(uow, cart, barcode, 1)`` then ``remove_line(uow, cart,
product)``: two units of work, the first looking the product up by its barcode and
reserving its unit in one transaction, the second releasing it. The floor is the same
work through the bare DB-API driver (``sqlite3``, ``psycopg``): the same SQL
statements with the same bound values, in the same two transactions, with nothing of
SQLAlchemy or the services around them. It is ``reservations.py``'s floor with the
product read by barcode, and it is checked against a capture of the services' work the
same way (statement kinds and order, bound values, transactions, connection settings),
or the script stops. Both then run interleaved in the same run (``harness``).

Target: the services within 2x of the floor (median per iteration), on both databases.

Run::

    .venv/bin/python tests/benchmarks/scan.py [--iterations 600] [--no-postgres]
    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/scan.py
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# The repository, for tests.benchmarks, and for pos without `pip install -e .`
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pos.services.cart import add_scanned, remove_line
from tests.benchmarks.harness import postgres_server, summary_line
from tests.benchmarks.reservations import Floor, Store, run_postgres, run_sqlite

TARGET_RATIO = 2.0


def scan_iteration(store: Store) -> None:
    added = add_scanned(store.uow, store.cart_id, store.barcode, 1)
    removed = remove_line(store.uow, store.cart_id, store.product_id)
    if not (added.ok and removed.ok):
        raise SystemExit(f"services refused: {added!r} / {removed!r}")


def scan_floor(store: Store, floor: Floor) -> Callable[[], None]:
    def step() -> None:
        floor.add(store.cart_id, store.product_id, 1, code=store.barcode)
        floor.remove(store.cart_id, store.product_id)

    return step


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--iterations", type=int, default=600, help="measured iterations per side and dialect"
    )
    parser.add_argument("--warm-up", type=int, default=50, help="unmeasured iterations first")
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip PostgreSQL even if configured"
    )
    args = parser.parse_args(argv)
    if args.iterations < 2:
        parser.error("--iterations must be at least 2")

    scan: dict[str, Any] = {
        "iteration": scan_iteration,
        "floor_step": scan_floor,
        "target": TARGET_RATIO,
    }
    results = [run_sqlite(args.iterations, args.warm_up, **scan)]
    server_url = postgres_server(args.no_postgres)
    if server_url:
        results.append(run_postgres(server_url, args.iterations, args.warm_up, **scan))
    print(summary_line("scan", ((r.dialect, r.ratio) for r in results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
