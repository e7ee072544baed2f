"""Benchmark: building a till's replica of a million products from the central PostgreSQL,
and pulling ten thousand changed rows into it.

Fills a scratch PostgreSQL database (on the server of ``POS_TEST_DATABASE_URL``) with
``--products`` (default 1,000,000) products of ``catalogue.py``'s realistic names, valid
EAN-13 barcodes and unique SKUs, and their stock rows, by ``COPY`` (the replica trigger
stamps every row, as it would any write). The central store's own search words are not
loaded: the replica makes its own from the names. Then it measures:

* **build**: ``build_replica`` into a new file, then ``open_replica`` (with its
  ``PRAGMA quick_check``) and one barcode lookup and one name search through the services:
  the time until the till can sell from it (target: under 60 s). Its floor is the same rows
  read by the bare driver (``COPY ... TO STDOUT``) plus the same rows inserted by bare
  ``sqlite3`` into tables without indexes or search words, timed in the same run.
* **pull**: ``--changed`` (default 10,000) products get a new price and name in one central
  transaction; ``pull`` brings them in (target: under 2 s), ``--rounds`` times (each round
  changes the products again), interleaved with its floor: the same changed rows read by the
  bare driver and written by bare ``sqlite3`` ``INSERT OR REPLACE`` into a table without
  indexes. The figure is the median round.

With ``--central URL`` that database is the central store: filled on the first run, kept
and reused by later ones (each run changes some products' names and prices).

The server is shared: another database's long transaction holds back the snapshot's xmin,
and a pull then reads again rows it already has (harmless, but counted in ``rows``).

Run::

    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/replica.py [--products 1000000] [--changed 10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import URL, Engine, make_url, text

ROOT = Path(__file__).resolve().parents[2]
try:
    import pos  # noqa: F401
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
if str(ROOT) not in sys.path:  # for tests.benchmarks.*
    sys.path.append(str(ROOT))

from pos.domain.results import Err, Result  # noqa: E402
from pos.services.catalogue import find_product, search_products  # noqa: E402
from pos.store.engine import StoreTimeouts, make_engine  # noqa: E402
from pos.store.migrate import upgrade  # noqa: E402
from pos.store.models import REPLICATED, table_of  # noqa: E402
from pos.store.replica import open_replica  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402
from pos.sync.replica import build_replica, pull  # noqa: E402
from tests.benchmarks.catalogue import copy_products  # noqa: E402
from tests.benchmarks.harness import postgres_server, summary_line  # noqa: E402
from tests.benchmarks.scratch import scratch_postgres_database  # noqa: E402

BUILD_TARGET_S = 60.0
PULL_TARGET_S = 2.0
TABLES = tuple(table_of(model) for model in REPLICATED)


def ok(result: Result[object], what: str) -> object:
    if isinstance(result, Err):
        raise SystemExit(f"{what} -> {result!r}")
    return result.value


def fill(central: Engine, count: int, seed: int) -> None:
    """``count`` products and their stock rows, by COPY."""
    with central.connect() as connection:
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            copy_products(cursor, count, seed)
            with cursor.copy(
                "COPY inventory (location_id, product_id, available, reserved) FROM STDIN"
            ) as copy:
                for product_id in range(1, count + 1):
                    copy.write_row((1, product_id, 10, 0))
            cursor.execute("SELECT setval('products_id_seq', %s)", (count,))
        connection.commit()
        connection.exec_driver_sql("ANALYZE products")
        connection.exec_driver_sql("ANALYZE inventory")
        connection.commit()


def looked_up(central: Engine, count: int) -> tuple[str, str]:
    """A barcode and a name's first word, to look up in the replica once it is built."""
    with central.connect() as connection:
        row = connection.execute(
            text("SELECT barcode, name FROM products WHERE id = :id"), {"id": max(1, count // 2)}
        ).one()
    return row.barcode, row.name.split()[0]


def bare_build_floor(central: Engine, directory: Path) -> float:
    """The same rows read by the bare driver and inserted by bare sqlite3 into tables
    without indexes: seconds."""
    path = directory / "floor.sqlite3"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    target = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144"):
        target.execute(f"PRAGMA {pragma}").fetchall()
    target.execute("BEGIN")
    with central.connect() as connection:
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        driver = connection.connection.driver_connection
        assert driver is not None
        for table in TABLES:
            names = [column.name for column in table.columns]
            target.execute(f"CREATE TABLE {table.name} ({', '.join(names)})")
            insert = f"INSERT INTO {table.name} VALUES ({', '.join('?' * len(names))})"
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY (SELECT * FROM {table.name}) TO STDOUT") as copy,
            ):
                chunk = []
                for row in copy.rows():
                    chunk.append(row)
                    if len(chunk) == 20_000:
                        target.executemany(insert, chunk)
                        chunk = []
                target.executemany(insert, chunk)
        connection.rollback()
    target.execute("COMMIT")
    target.close()
    return time.perf_counter() - started


def change(central: Engine, count: int, step: int, round_: int) -> None:
    """``count`` products, spread over the catalogue, renamed and repriced in one go."""
    with central.begin() as connection:
        connection.execute(
            text(
                "UPDATE products SET price_minor = price_minor + 5,"
                " name = split_part(name, ' ', 1) || ' Yeni ' || :round"
                " WHERE id % :step = 0 AND id <= :last"
            ),
            {"round": str(round_), "step": step, "last": step * count},
        )


def bare_pull_floor(central: Engine, directory: Path, count: int, step: int) -> float:
    """The changed products read by the bare driver and written by bare sqlite3 INSERT OR
    REPLACE into a table without indexes: seconds."""
    path = directory / "pull-floor.sqlite3"
    products = table_of(REPLICATED[3])
    names = [column.name for column in products.columns]
    if not path.exists():
        setup = sqlite3.connect(path, isolation_level=None)
        setup.execute(f"CREATE TABLE products ({', '.join(names)}, PRIMARY KEY (id))")
        setup.close()
    started = time.perf_counter()
    with central.connect() as connection:
        rows = connection.execute(
            text("SELECT * FROM products WHERE id % :step = 0 AND id <= :last"),
            {"step": step, "last": step * count},
        ).all()
    target = sqlite3.connect(path, isolation_level=None)
    target.execute("BEGIN IMMEDIATE")
    target.executemany(
        f"INSERT OR REPLACE INTO products VALUES ({', '.join('?' * len(names))})",
        [tuple(str(v) if isinstance(v, datetime) else v for v in row) for row in rows],
    )
    target.execute("COMMIT")
    target.close()
    return time.perf_counter() - started


def run(args: argparse.Namespace, server: str, directory: Path) -> int:
    if args.central:
        return measure(args, make_url(args.central), directory)
    with scratch_postgres_database(server) as url:
        return measure(args, url, directory)


def products_in(central: Engine) -> int:
    with central.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM products")).scalar_one())


def measure(args: argparse.Namespace, url: URL, directory: Path) -> int:
    central = make_engine(url)
    try:
        upgrade(central)
        if products_in(central) == 0:
            print(f"filling the central store with {args.products:,} products")
            started = time.perf_counter()
            # The load is no till's statement: it may take longer than their few seconds.
            loader = make_engine(url, timeouts=StoreTimeouts(statement=600, lock=600))
            try:
                fill(loader, args.products, args.seed)
            finally:
                loader.dispose()
            print(f"  filled in {time.perf_counter() - started:.1f} s")
        else:
            print(f"reusing the {products_in(central):,} products of {url.database}")
        barcode, word = looked_up(central, args.products)

        replica_file = directory / "replica.sqlite3"
        seen = [0]

        def progress(done: int, total: int) -> None:
            if done * 10 // total > seen[0]:
                seen[0] = done * 10 // total
                print(f"  {done:>10,} of {total:,} rows  {time.perf_counter() - started:5.1f} s")

        floor_before = bare_build_floor(central, directory)
        print("building the replica")
        started = time.perf_counter()
        report = ok(build_replica(central, replica_file, progress=progress), "build")
        built_s = time.perf_counter() - started
        replica = open_replica(replica_file)
        found = ok(find_product(UnitOfWork(replica), barcode), "lookup")
        hits = ok(search_products(UnitOfWork(replica), word), "search")
        usable_s = time.perf_counter() - started
        floor_after = bare_build_floor(central, directory)
        build_floor = (floor_before + floor_after) / 2
        size_mb = replica_file.stat().st_size / 1_048_576
        print(
            f"  built in {built_s:.1f} s, usable (opened, checked, a scan and a search) in "
            f"{usable_s:.1f} s; {report.rows:,} rows; {size_mb:.0f} MB"  # type: ignore[attr-defined]
        )
        assert found is not None
        assert hits
        print(f"  floor (bare COPY read + bare sqlite3 inserts): {build_floor:.1f} s")

        step = max(1, args.products // args.changed)
        pulls: list[float] = []
        floors: list[float] = []
        rows: list[int] = []
        for round_ in range(args.rounds):
            change(central, args.changed, step, round_)
            first = round_ % 2 == 0
            if not first:
                floors.append(bare_pull_floor(central, directory, args.changed, step))
            started = time.perf_counter()
            pulled = ok(pull(central, replica), "pull")
            pulls.append(time.perf_counter() - started)
            rows.append(pulled.rows)  # type: ignore[attr-defined]
            if first:
                floors.append(bare_pull_floor(central, directory, args.changed, step))
        replica.dispose()
    finally:
        central.dispose()
    pull_s, pull_floor = statistics.median(pulls), statistics.median(floors)
    print(
        f"pulling {args.changed:,} changed products, {args.rounds} rounds: median {pull_s:.2f} s "
        f"(rounds {', '.join(f'{p:.2f}' for p in pulls)}; rows read {rows}); "
        f"floor {pull_floor:.2f} s"
    )
    verdict_build = "ok" if usable_s < BUILD_TARGET_S else f"MISSED (target {BUILD_TARGET_S:g} s)"
    verdict_pull = "ok" if pull_s < PULL_TARGET_S else f"MISSED (target {PULL_TARGET_S:g} s)"
    print(f"  build to usable {usable_s:.1f} s {verdict_build}; pull {pull_s:.2f} s {verdict_pull}")
    print(
        summary_line(
            "replica",
            [
                ("build", usable_s / build_floor),
                ("pull", pull_s / pull_floor),
                f"build {usable_s:.0f} s",
                f"pull {pull_s:.2f} s",
            ],
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--central",
        help="a PostgreSQL database to use as the central store (filled if it has no products"
        ", and kept), instead of a scratch one",
    )
    args = parser.parse_args(argv)
    if args.products < 1 or not 1 <= args.changed <= args.products or args.rounds < 1:
        parser.error(
            "--products, --changed and --rounds must be positive, --changed at most --products"
        )
    server = postgres_server()
    if server is None:
        print("the replica is built from a central PostgreSQL: set POS_TEST_DATABASE_URL")
        return 2
    with tempfile.TemporaryDirectory(prefix="kasa-replica-") as directory:
        return run(args, server, Path(directory))


if __name__ == "__main__":
    sys.exit(main())
