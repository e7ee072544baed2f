"""Benchmark: backing up a big shop's store while its till goes on scanning.

Builds a SQLite store of ``--products`` (default 1,000,000) products the way
``catalogue.py`` does (in bulk, in a child process), then puts ``--sales`` (default
100,000) paid cash sales of two lines each into it in bulk, with the carts, payments,
receipts and the deliveries their stock came from, so the books balance as the till's
own would (``pos backup verify`` passes on the backup). With ``--db PATH`` the store is
kept and reused by later runs.

Then, in one process as in the till (the backup on its own thread, the scans on the
main one, with ``make_engine``'s connections like the window's worker), it measures:

* the scan-to-row time: ``add_scanned`` then ``remove_line`` through the services, one
  every 10 ms, with no backup running (the floor, before and after) and while the
  backup runs: p50 and p95 in milliseconds (target: p95 under 50 ms during the backup);
* the backup itself, ``make_backup`` with the shop's default policy (slices of 2,048
  pages with 2 ms between them, the check, SHA-256, fsync and rename): its wall time
  (target: under 30 s) and size;
* ``verify_backup`` on it (a trial restore: copy, integrity check, migrations, stock
  invariant, receipt series), for the record.

Run::

    .venv/bin/python tests/benchmarks/backup.py [--products 1000000] [--sales 100000] [--db PATH]

PostgreSQL is not measured: its backup is ``pg_dump`` on the shop's server, not the till.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
try:
    import pos  # noqa: F401
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalogue  # noqa: E402  (the sibling benchmark builds the million-product store)
from harness import percentile, summary_line, timed  # noqa: E402

from pos.domain.backups import BackupPolicy  # noqa: E402
from pos.domain.results import Err, Result  # noqa: E402
from pos.services.backups import make_backup  # noqa: E402
from pos.services.cart import add_scanned, open_cart, remove_line  # noqa: E402
from pos.services.restore import verify_backup  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.models import Role  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402

SOLD_PRODUCTS = 2_000
"""The products the sales are of (each received 1,000 units first)."""
RECEIVED = 1_000
SCAN_GAP = 0.010
BACKUP_TARGET_S = 30.0
SCAN_TARGET_MS = 50.0


def ok(result: Result[Any], what: str) -> Any:
    if isinstance(result, Err):
        raise SystemExit(f"{what} -> {result!r}")
    return result.value


def add_sales(path: Path, count: int, seed: int) -> None:
    """``count`` paid cash sales of two lines, with their carts, payments, receipts and the
    deliveries of their goods, in bulk on a bare connection."""
    engine = make_engine(f"sqlite:///{path}")
    manager = ok(create_user(UnitOfWork(engine), "mudur", "Müdür", Role.MANAGER, "9999"), "user")
    engine.dispose()
    rng = random.Random(seed)
    connection = sqlite3.connect(path, isolation_level=None)
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    stamp = catalogue.sqlite_timestamp
    products = cursor.execute(
        "SELECT id, sku, name, price_minor, tax_rate_bp FROM products WHERE id <= ?",
        (SOLD_PRODUCTS,),
    ).fetchall()
    sold = dict.fromkeys((row[0] for row in products), 0)
    cursor.execute("BEGIN IMMEDIATE")
    cursor.executemany(
        "INSERT INTO stock_moves (location_id, product_id, kind, quantity, reason, user_id,"
        " created_at) VALUES (1, ?, 'receive', ?, 'delivery', ?, ?)",
        [(row[0], RECEIVED, manager.id, stamp(start)) for row in products],
    )
    batch: dict[str, list[tuple[object, ...]]] = {
        "carts": [],
        "orders": [],
        "items": [],
        "payments": [],
        "receipts": [],
    }

    def flush() -> None:
        cursor.executemany(
            "INSERT INTO carts (id, status, currency, location_id, cashier_id, till_id,"
            " prices_include_tax, created_at, updated_at) VALUES (?, 'closed', 'TRY', 1, ?,"
            " 1, 1, ?, ?)",
            batch["carts"],
        )
        cursor.executemany(
            "INSERT INTO orders (id, cart_id, till_id, location_id, cashier_id, status,"
            " idempotency_key, request_digest, currency, prices_include_tax, subtotal_minor,"
            " discount_minor, tax_minor, total_minor, receipt_number, created_at, paid_at,"
            " ended_at) VALUES (?, ?, 1, 1, ?, 'paid', ?, ?, 'TRY', 1, ?, 0, ?, ?, ?, ?, ?, ?)",
            batch["orders"],
        )
        cursor.executemany(
            "INSERT INTO order_items (order_id, line_no, product_id, sku, name,"
            " unit_price_minor, quantity, tax_rate_bp, discount_minor, total_minor)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, ?)",
            batch["items"],
        )
        cursor.executemany(
            "INSERT INTO payments (order_id, method, idempotency_key, status, amount_minor,"
            " currency, tendered_minor, change_minor, created_at, updated_at)"
            " VALUES (?, 'cash', ?, 'paid', ?, 'TRY', ?, 0, ?, ?)",
            batch["payments"],
        )
        cursor.executemany(
            "INSERT INTO receipts (till_id, number, order_id, issued_at) VALUES (1, ?, ?, ?)",
            batch["receipts"],
        )
        for rows in batch.values():
            rows.clear()

    for number in range(1, count + 1):
        at = stamp(start + timedelta(seconds=20 * number))
        order = uuid.uuid4().hex
        lines = rng.sample(products, 2)
        total = sum(line[3] for line in lines)
        tax = sum(line[3] * line[4] // (10_000 + line[4]) for line in lines)
        batch["carts"].append((number, manager.id, at, at))
        batch["orders"].append(
            (order, number, manager.id, order, "0" * 64, total, tax, total, number, at, at, at)
        )
        for line_no, (product, sku, name, price, rate) in enumerate(lines, 1):
            batch["items"].append((order, line_no, product, sku, name, price, rate, price))
            sold[product] += 1
        batch["payments"].append((order, f"pay-{order}", total, total, at, at))
        batch["receipts"].append((number, order, at))
        if number % 10_000 == 0:
            flush()
    flush()
    cursor.executemany(
        "UPDATE inventory SET available = ? WHERE location_id = 1 AND product_id = ?",
        [(RECEIVED - units, product) for product, units in sold.items()],
    )
    cursor.execute("UPDATE tills SET last_receipt_number = ? WHERE id = 1", (count,))
    cursor.execute("COMMIT")
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def build(path: Path, products: int, sales: int, seed: int) -> None:
    print(f"building {products:,} products and {sales:,} sales in {path}", flush=True)
    started = time.perf_counter()
    catalogue.build_in_child(path, products, seed)
    add_sales(path, sales, seed)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


class Scanner:
    """The cashier at the till: one scan rung up and taken off every ``SCAN_GAP``."""

    def __init__(self, path: Path) -> None:
        self.engine = make_engine(f"sqlite:///{path}")
        self.uow = UnitOfWork(self.engine)
        self.cart = ok(open_cart(self.uow), "open_cart").cart_id
        with sqlite3.connect(path) as connection:
            self.product, self.barcode = connection.execute(
                "SELECT id, barcode FROM products WHERE id = 1"
            ).fetchone()

    def scan(self) -> None:
        ok(add_scanned(self.uow, self.cart, self.barcode, 1), "add_scanned")
        ok(remove_line(self.uow, self.cart, self.product), "remove_line")

    def scans(self, count: int) -> list[float]:
        spent: list[float] = []
        for _ in range(count):
            timed(self.scan, 1, spent, unit=1e-3)
            time.sleep(SCAN_GAP)
        return spent

    def scans_while(self, running: threading.Event) -> list[float]:
        spent: list[float] = []
        while running.is_set():
            timed(self.scan, 1, spent, unit=1e-3)
            time.sleep(SCAN_GAP)
        return spent


def measure(path: Path, backups: Path, floor_scans: int) -> dict[str, Any]:
    scanner = Scanner(path)
    scanner.scans(50)  # warm: the statements prepared, the pages read
    before = scanner.scans(floor_scans)
    running = threading.Event()
    running.set()
    outcome: dict[str, Any] = {}

    def back_up() -> None:
        started = time.perf_counter()
        outcome["result"] = make_backup(f"sqlite:///{path}", (backups,), BackupPolicy())
        outcome["seconds"] = time.perf_counter() - started
        running.clear()

    thread = threading.Thread(target=back_up, name="backups")
    thread.start()
    during = scanner.scans_while(running)
    thread.join()
    after = scanner.scans(floor_scans)
    scanner.engine.dispose()
    made = ok(outcome["result"], "make_backup").made[0]
    started = time.perf_counter()
    verified = verify_backup(made.path)
    verify_seconds = time.perf_counter() - started
    return {
        "backup_s": outcome["seconds"],
        "size_mb": made.size / 1_048_576,
        "sales": made.sales,
        "verified": not isinstance(verified, Err),
        "verify_s": verify_seconds,
        "floor": before + after,
        "during": during,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--floor-scans", type=int, default=300, help="scans without a backup")
    parser.add_argument("--db", type=Path, help="keep the store here and reuse it")
    args = parser.parse_args(argv)
    if args.sales > 0 and args.products < SOLD_PRODUCTS:
        parser.error(f"--products must be at least {SOLD_PRODUCTS} for the sales")

    with tempfile.TemporaryDirectory(prefix="kasa-bench-backup-") as scratch:
        path = args.db or Path(scratch) / "store.sqlite3"
        if not path.exists():
            build(path, args.products, args.sales, args.seed)
        size = path.stat().st_size / 1_048_576
        figures = measure(path, Path(scratch) / "backups", args.floor_scans)
    floor, during = figures["floor"], figures["during"]
    p95_floor, p95_during = percentile(floor, 0.95), percentile(during, 0.95)
    print(f"store: {size:,.0f} MiB, {figures['sales']:,} sales")
    print(
        f"backup: {figures['backup_s']:.1f} s for {figures['size_mb']:,.0f} MiB"
        f" (target < {BACKUP_TARGET_S:.0f} s); trial restore (verify) {figures['verify_s']:.1f} s,"
        f" {'passed' if figures['verified'] else 'FAILED'}"
    )
    print(
        f"scan-to-row without a backup: p50 {percentile(floor, 0.5):.2f} ms,"
        f" p95 {p95_floor:.2f} ms ({len(floor)} scans)"
    )
    print(
        f"scan-to-row during the backup: p50 {percentile(during, 0.5):.2f} ms,"
        f" p95 {p95_during:.2f} ms, max {max(during):.1f} ms ({len(during)} scans;"
        f" target p95 < {SCAN_TARGET_MS:.0f} ms)"
    )
    print(
        summary_line(
            "backup",
            [
                f"sqlite {figures['backup_s']:.1f} s",
                f"scan p95 {p95_during:.1f} ms during ({p95_during / p95_floor:.1f}x idle)",
            ],
        )
    )
    met = figures["backup_s"] < BACKUP_TARGET_S and p95_during < SCAN_TARGET_MS
    return 0 if met and figures["verified"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
