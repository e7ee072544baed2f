"""Benchmark: the back office's product list among a million products, and the CSV import.

The list (``list_products``, a page of 50, through a ``UnitOfWork`` like the back office's):

* the first page of the catalogue by SKU, and the page after it;
* a page deep inside: the cursor at the middle SKU, and at random SKUs;
* a name search (the catalogue benchmark's typed queries) and its second page;
* a barcode, and a SKU prefix.

Each is reported as p50/p95 milliseconds and as a multiple of a floor measured in the
same run: a primary-key lookup of one product through a ``UnitOfWork``. A page that
reads by key stays a small multiple of the floor however deep it is; one that counted
or skipped rows would grow with the catalogue.

The import (``import_products``) is timed into an empty store: ``--import-rows`` new
products, the same file again (nothing to write), and a file where every price and half
the names changed.

The SQLite store is built by ``tests/benchmarks/catalogue.py`` (its ``build``, in a
child process) and kept in ``/tmp`` for later runs. With ``POS_TEST_DATABASE_URL`` set,
the same products are copied into a kept PostgreSQL database (``kasa_bench_backoffice``)
and measured there too.

Run::

    .venv/bin/python tests/benchmarks/backoffice.py [--products 1000000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url, select, text

ROOT = Path(__file__).resolve().parents[2]
try:
    import pos  # noqa: F401
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalogue  # noqa: E402  (the sibling benchmark builds the million-product store)
from harness import percentile, summary_line, timed_calls  # noqa: E402

from pos.domain.catalogue import search_words  # noqa: E402
from pos.domain.results import Err, Result  # noqa: E402
from pos.services.product_import import import_products  # noqa: E402
from pos.services.product_list import ProductCursor, list_products  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.migrate import upgrade  # noqa: E402
from pos.store.models import DEFAULT_LOCATION_ID, Role, User  # noqa: E402
from pos.store.tables import products  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402

PG_ENV = "POS_TEST_DATABASE_URL"
PG_DATABASE = "kasa_bench_backoffice"
SKU_PHASE = 1
"""``list_products``'s part for the catalogue by SKU (a cursor there is just a SKU)."""


def ok(result: Result[Any], what: str) -> Any:
    if isinstance(result, Err):
        raise SystemExit(f"{what} -> {result!r}")
    return result.value


# ---------------------------------------------------------------------------------------
# The stores
# ---------------------------------------------------------------------------------------


def sqlite_store(count: int, seed: int) -> Engine:
    path = Path(tempfile.gettempdir()) / f"kasa-backoffice-{count}.sqlite3"
    if catalogue.has_products(path):
        print(f"sqlite: reusing {path}")
    else:
        print(f"sqlite: building {count:,} products in {path}")
        seconds, _peak = catalogue.build_in_child(path, count, seed)
        print(f"  built in {seconds:.0f} s")
    return make_engine(f"sqlite:///{path}")


def postgres_store(server: str, count: int, seed: int) -> Engine:
    """The same products in a kept PostgreSQL database, loaded with COPY."""
    base = make_url(server)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": PG_DATABASE}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    engine = make_engine(base.set(database=PG_DATABASE))
    upgrade(engine)
    with engine.connect() as connection:
        have = connection.execute(text("SELECT count(*) FROM products")).scalar_one()
    if have == count:
        print(f"postgresql: reusing {PG_DATABASE} ({count:,} products)")
        return engine
    print(f"postgresql: loading {count:,} products into {PG_DATABASE} with COPY")
    started = time.perf_counter()
    created = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("TRUNCATE products, inventory, product_words CASCADE")
        with cursor.copy(
            "COPY products (id, sku, barcode, name, price_minor, currency, tax_rate_bp,"
            " active, min_stock, created_at, updated_at) FROM STDIN"
        ) as copy:
            for row in catalogue.make_products(count, seed):
                copy.write_row(
                    (
                        row.id,
                        row.sku,
                        row.barcode,
                        row.name,
                        row.price_minor,
                        "TRY",
                        row.tax_rate_bp,
                        row.active,
                        0,
                        created,
                        created,
                    )
                )
        with cursor.copy(
            "COPY inventory (location_id, product_id, available, reserved) FROM STDIN"
        ) as copy:
            for product_id in range(1, count + 1):
                copy.write_row((DEFAULT_LOCATION_ID, product_id, 0, 0))
        with cursor.copy("COPY product_words (word, product_id) FROM STDIN") as copy:
            for row in catalogue.make_products(count, seed):
                for word in search_words(row.name):
                    copy.write_row((word, row.id))
        cursor.execute("SELECT setval('products_id_seq', (SELECT max(id) FROM products))")
        raw.commit()
        cursor.execute("ANALYZE products")
        cursor.execute("ANALYZE inventory")
        cursor.execute("ANALYZE product_words")
        raw.commit()
    finally:
        raw.close()
    print(f"  loaded in {time.perf_counter() - started:.0f} s")
    return engine


def manager_of(engine: Engine) -> int:
    with engine.connect() as connection:
        found = connection.execute(select(User.id).where(User.username == "mudur")).first()
    if found is not None:
        return int(found[0])
    made = create_user(UnitOfWork(engine), "mudur", "Bench Müdür", Role.MANAGER, "9999")
    return int(ok(made, "create_user").id)


# ---------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    ids: list[int]
    skus: list[str]
    middle_sku: str
    barcodes: list[str]
    queries: list[str]
    prefixes: list[str]


def sample(engine: Engine, count: int, size: int, seed: int) -> Sample:
    rng = random.Random(seed)
    ids = rng.sample(range(1, count + 1), min(count, size * 2))
    with engine.connect() as connection:
        rows = connection.execute(
            select(products.c.id, products.c.sku, products.c.barcode, products.c.name).where(
                products.c.id.in_(ids)
            )
        ).all()
        # Once, while setting up: the one place an offset is fine.
        middle = connection.execute(
            select(products.c.sku).order_by(products.c.sku).offset(count // 2).limit(1)
        ).scalar_one()
    rng.shuffle(rows)
    queries: list[str] = []
    for _id, _sku, _barcode, name in rows:
        kind = catalogue.QUERY_KINDS[len(queries) % len(catalogue.QUERY_KINDS)]
        query = catalogue.make_query(kind, name, rng)
        if query is not None:
            queries.append(query.text)
    return Sample(
        ids=[row[0] for row in rows][:size],
        skus=[row[1] for row in rows][:size],
        middle_sku=middle,
        barcodes=[row[2] for row in rows if row[2]][:size],
        queries=queries[:size],
        prefixes=[row[1][:6] for row in rows][:size],  # "ULU-00": some ten thousand SKUs
    )


def floor_lookup(uow: UnitOfWork, product_id: int) -> None:
    """The floor: one product by primary key, through a unit of work."""
    with uow.reading():
        uow.connection.execute(
            select(products.c.id, products.c.sku).where(products.c.id == product_id)
        ).one()


def timed(calls: Sequence[Callable[[], object]], warm: int = 20) -> list[float]:
    """Milliseconds per call."""
    return timed_calls(calls, warm=warm, unit=1e-3)


def measure_list(engine: Engine, count: int, size: int, seed: int) -> dict[str, list[float]]:
    manager = manager_of(engine)
    drawn = sample(engine, count, size, seed)
    uow = UnitOfWork(engine)

    def page(**kwargs: Any) -> Any:
        return ok(list_products(uow, manager_id=manager, **kwargs), f"list_products({kwargs})")

    first = page()
    middle = ProductCursor("", SKU_PHASE, sku=drawn.middle_sku)
    searches_next = [page(query=query).next for query in drawn.queries]
    results: dict[str, list[float]] = {
        "floor: product by id": timed(
            [lambda i=i: floor_lookup(uow, i) for i in drawn.ids]  # type: ignore[misc]
        ),
        "first page": timed([lambda: page()] * size),
        "second page": timed([lambda: page(after=first.next)] * size),
        "middle page": timed([lambda: page(after=middle)] * size),
        "random-depth page": timed(
            [
                lambda s=s: page(after=ProductCursor("", SKU_PHASE, sku=s))  # type: ignore[misc]
                for s in drawn.skus
            ]
        ),
        "name search": timed(
            [lambda q=q: page(query=q) for q in drawn.queries]  # type: ignore[misc]
        ),
        "name search, page 2": timed(
            [
                lambda q=q, c=c: page(query=q, after=c)  # type: ignore[misc]
                for q, c in zip(drawn.queries, searches_next, strict=True)
                if c is not None
            ]
        ),
        "barcode": timed(
            [lambda b=b: page(query=b) for b in drawn.barcodes]  # type: ignore[misc]
        ),
        "sku prefix": timed(
            [lambda p=p: page(query=p) for p in drawn.prefixes]  # type: ignore[misc]
        ),
    }
    depth_rows = page(after=middle).rows
    if not depth_rows or depth_rows[0].sku <= drawn.middle_sku:
        raise SystemExit("the middle page did not start after its cursor")
    return results


def list_ratio(results: dict[str, list[float]]) -> float:
    """The slowest listing's median against the floor's."""
    floor = statistics.median(results["floor: product by id"])
    return max(statistics.median(values) for values in results.values()) / floor


def print_list(label: str, count: int, results: dict[str, list[float]]) -> None:
    floor = statistics.median(results["floor: product by id"])
    print(f"\n{label}: list_products on {count:,} products (page of 50), ms per call")
    print(f"  {'':<22} {'p50':>8} {'p95':>8} {'p50/floor':>10} {'p95/floor':>10} {'n':>5}")
    for name, values in results.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(
            f"  {name:<22} {p50:8.2f} {p95:8.2f} {p50 / floor:10.1f} {p95 / floor:10.1f}"
            f" {len(values):5d}"
        )


# ---------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------


def price_list(rows: int, seed: int, *, changed: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "name", "price", "barcode", "tax_rate"])
    for row in catalogue.make_products(rows, seed):
        price, name = row.price_minor, row.name
        if changed:
            price += 100
            name = f"{name} Yeni" if row.id % 2 else name
        writer.writerow([row.sku, name, f"{price / 100:.2f}", row.barcode, row.tax_rate_bp // 100])
    return out.getvalue().encode()


def fresh_stores(server: str | None) -> Iterator[tuple[str, Engine, Callable[[], None]]]:
    """An empty, migrated store per dialect, and how to drop it."""
    with tempfile.TemporaryDirectory(prefix="kasa-import-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'import.sqlite3'}")
        upgrade(engine)
        yield "sqlite", engine, engine.dispose
    if server:
        base = make_url(server)
        name = f"kasa_bench_import_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(base.set(database=name))
        upgrade(engine)

        def drop() -> None:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()

        yield "postgresql", engine, drop


def measure_import(server: str | None, rows: int, seed: int) -> None:
    new, changed = price_list(rows, seed), price_list(rows, seed, changed=True)
    print(f"\nimport_products of {rows:,} rows ({len(new) / 2**20:.1f} MB), seconds")
    for dialect, engine, drop in fresh_stores(server):
        try:
            spent = []
            for label, data in (("new", new), ("same again", new), ("prices changed", changed)):
                started = time.perf_counter()
                report = ok(import_products(UnitOfWork(engine), io.BytesIO(data)), label)
                seconds = time.perf_counter() - started
                spent.append(f"{label} {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
                assert report.created + report.updated == rows, report
            print(f"  {dialect:<11} " + "; ".join(spent))
        finally:
            drop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300, help="calls per measurement")
    parser.add_argument("--import-rows", type=int, default=20_000, help="0: skip the import")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    server = None if args.no_postgres else os.environ.get(PG_ENV)

    stores = [("sqlite", lambda: sqlite_store(args.products, args.seed))]
    if server:
        stores.append(("postgresql", lambda: postgres_store(server, args.products, args.seed)))
    measured = []
    for label, open_store in stores:
        engine = open_store()
        try:
            measured.append((label, measure_list(engine, args.products, args.samples, args.seed)))
        finally:
            engine.dispose()
    for label, results in measured:
        print_list(label, args.products, results)
    if not server:
        print(f"\n(PostgreSQL not measured: set {PG_ENV} to include it)")
    if args.import_rows:
        measure_import(server, args.import_rows, args.seed + 7)
    print(
        "\n"
        + summary_line(
            "backoffice",
            [(label, list_ratio(results)) for label, results in measured],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
