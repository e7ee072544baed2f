"""Benchmark: which PostgreSQL GIN index finds the products having all of a search's words.

On the kept PostgreSQL store of ``tests/benchmarks/catalogue.py`` (build it first with
that script and ``POS_TEST_DATABASE_URL`` set), for the catalogue benchmark's searches of
several words, times the question name search asks its GIN index (which products have a
word starting with each typed word) two ways, interleaved, query by query:

* ``pg_trgm``: ``words LIKE '% sut%' AND words LIKE '% xl%'`` on ``product_search`` under
  its trigram index (what migration 0018 makes);
* ``tsvector``: ``to_tsvector('simple', words) @@ 'sut:* & xl:*'`` under a GIN index of
  that expression, made here for the comparison and dropped afterwards unless ``--keep``.

Each is the server's own execution time (``EXPLAIN ANALYZE``), so the machine's load
on the client's side stays out of it. It reports p50, p95 and max per kind of search.

Run::

    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/search_indexes.py [--products 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine

if str(Path(__file__).resolve().parents[2]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pos.domain.catalogue import MAX_SEARCH_WORDS, search_words
from tests.benchmarks import catalogue
from tests.benchmarks.harness import percentile, postgres_server

TSVECTOR_INDEX = "ix_bench_product_search_tsv"


def server_ms(connection: object, sql: str, params: dict[str, str]) -> tuple[float, int]:
    """The server's execution time of ``sql`` and the rows it found."""
    plan = connection.exec_driver_sql(  # type: ignore[attr-defined]
        "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params
    ).scalar_one()
    top = plan[0]
    return float(top["Execution Time"]), int(top["Plan"]["Actual Rows"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="the catalogue benchmark's kept SQLite store")
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the tsvector index")
    args = parser.parse_args(argv)
    server = postgres_server()
    if not server:
        return 2
    if not catalogue.postgres_has_products(server, args.products):
        raise SystemExit("build the store first with tests/benchmarks/catalogue.py")
    with tempfile.TemporaryDirectory(prefix="kasa-indexes-") as directory:
        path = args.db or Path(directory) / "catalogue.db"
        if not catalogue.has_products(path):
            catalogue.build_in_child(path, args.products, args.seed)
        workload = catalogue.sample_workload(path, 0, args.searches, args.seed)
    queries = [q for q in workload.queries if len(search_words(q.text)) > 1]
    engine = create_engine(catalogue.postgres_url(server, args.products))
    times: dict[tuple[str, str], list[float]] = {}
    with engine.connect() as connection:
        connection.exec_driver_sql("SET jit = off")
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {TSVECTOR_INDEX} ON product_search"
            " USING gin (to_tsvector('simple'::regconfig, words))"
        )
        connection.commit()
        disagree = []
        for index, query in enumerate(queries):
            words = search_words(query.text)[:MAX_SEARCH_WORDS]
            likes = " AND ".join(f"words LIKE %(w{i})s" for i in range(len(words)))
            trigram = f"SELECT product_id FROM product_search WHERE {likes}"
            tsvector = (
                "SELECT product_id FROM product_search WHERE"
                " to_tsvector('simple'::regconfig, words) @@ to_tsquery('simple', %(q)s)"
            )
            like_params = {f"w{i}": f"% {word}%" for i, word in enumerate(words)}
            ts_params = {"q": " & ".join(f"{word}:*" for word in words)}
            pair = [("pg_trgm", trigram, like_params), ("tsvector", tsvector, ts_params)]
            found = set()
            for name, sql, params in pair if index % 2 == 0 else reversed(pair):
                ms, rows = server_ms(connection, sql, params)
                times.setdefault((name, query.kind), []).append(ms)
                times.setdefault((name, "all"), []).append(ms)
                found.add(rows)
            if len(found) != 1:  # the tsvector parser splits or keeps words its own way
                disagree.append(query.text)
        if not args.keep:
            connection.exec_driver_sql(f"DROP INDEX {TSVECTOR_INDEX}")
            connection.commit()
    engine.dispose()
    print(
        f"{len(queries)} searches of several words on {args.products:,} products, server"
        f" execution ms; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if disagree:
        print(f"  found different products for {len(disagree)}: {disagree[:5]}")
    for (name, kind), values in sorted(times.items(), key=lambda item: (item[0][1], item[0][0])):
        print(
            f"  {kind:<14} {name:<9} p50 {percentile(values, 0.5):7.2f}"
            f"  p95 {percentile(values, 0.95):7.2f}  max {max(values):7.2f}  (n={len(values)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
