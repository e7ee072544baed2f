"""Benchmark: ``pos journal verify`` over a till's journal of 100,000 entries.

Writes ``--entries`` (default 100,000) journal entries of one till in bulk, as the till
would have written them one by one: plausible sales of two to four lines, each in its
canonical content, chained by SHA-256 and signed with the till's Ed25519 key (a scratch
key folder, never the keyring). Then times ``verify`` (the service ``pos journal verify``
runs: every page of entries read, every content hashed, the chain and each entry's key
checked, and the signatures that prove the chain: the last, as the chain holds) and
``verify`` with every signature checked (``--all-signatures``, on every core), each
``--runs`` times.

The floor is the least any check must do, on one core: the same rows read with the bare
driver, each content's and header's SHA-256, and one Ed25519 verification per entry. The
target is under 10 s for 100,000 entries; the line ends with verify against its floor.

Run::

    .venv/bin/python tests/benchmarks/journal.py [--entries 100000] [--runs 3]

PostgreSQL is measured too when ``POS_TEST_DATABASE_URL`` names a server.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
try:
    import pos  # noqa: F401
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("POS_JOURNAL_KEY_DIR", tempfile.mkdtemp(prefix="kasa-bench-keys-"))

from harness import postgres_server, summary_line  # noqa: E402
from scratch import scratch_postgres_database  # noqa: E402
from sqlalchemy import Engine, insert, update  # noqa: E402

from pos.domain.journal import (  # noqa: E402
    GENESIS,
    Kind,
    canonical,
    content_digest,
    entry_hash,
    signatures_hold,
    utc_text,
)
from pos.domain.results import Err  # noqa: E402
from pos.journal_keys import public_bytes, till_key  # noqa: E402
from pos.services.journal_verify import verify  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.migrate import upgrade  # noqa: E402
from pos.store.tables import journal, till_keys, tills  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402

TARGET_S = 10.0
BATCH = 5_000


def sale_content(rng: random.Random, number: int) -> dict[str, object]:
    lines = []
    for line in range(1, rng.randint(2, 4) + 1):
        price, quantity = rng.randint(100, 50_000), rng.randint(1, 3)
        lines.append(
            {
                "line": line,
                "sku": f"SKU-{rng.randint(1, 99_999):05d}",
                "name": f"Ürün {rng.randint(1, 99_999)}",
                "quantity": quantity,
                "unit_price": price,
                "tax_rate_bp": 2000,
                "discount": 0,
                "total": price * quantity,
            }
        )
    total = sum(int(str(line["total"])) for line in lines)
    return {
        "order": uuid.UUID(int=rng.getrandbits(128)),
        "receipt": number,
        "cashier": 1,
        "currency": "TRY",
        "prices_include_tax": True,
        "subtotal": total,
        "discount": 0,
        "tax": total * 2000 // 12000,
        "total": total,
        "coupon": None,
        "lines": lines,
        "tenders": [
            {"payment": number, "method": "cash", "amount": total, "tendered": total, "change": 0}
        ],
    }


def fill(engine: Engine, count: int, seed: int = 7) -> None:
    """``count`` entries of till 1, chained and signed, written in batches."""
    rng = random.Random(seed)
    key = till_key("T01")
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        key_id = connection.execute(
            insert(till_keys)
            .values(till_id=1, public_key=public_bytes(key), created_at=start)
            .returning(till_keys.c.id)
        ).scalar_one()
    prev, rows = GENESIS, []
    for seq in range(1, count + 1):
        at = start + timedelta(seconds=30 * seq)
        content = canonical(sale_content(rng, seq))
        event = str(uuid.UUID(int=rng.getrandbits(128)))
        own = entry_hash(prev, "T01", seq, Kind.SALE, event, utc_text(at), content_digest(content))
        rows.append(
            {
                "till_id": 1,
                "seq": seq,
                "kind": Kind.SALE.value,
                "event_id": event,
                "at": at,
                "content": content,
                "prev_hash": prev,
                "hash": own,
                "key_id": key_id,
                "signature": key.sign(bytes.fromhex(own)),
            }
        )
        prev = own
        if len(rows) == BATCH or seq == count:
            with engine.begin() as connection:
                connection.execute(insert(journal), rows)
            rows.clear()
    with engine.begin() as connection:
        connection.execute(
            update(tills).where(tills.c.id == 1).values(journal_seq=count, journal_hash=prev)
        )


def floor(engine: Engine) -> float:
    """Seconds for the least work a check does: the rows read bare, each content's and
    header's SHA-256, one Ed25519 verification each, on one core."""
    began = time.perf_counter()
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "SELECT j.seq, j.kind, j.event_id, j.at, j.prev_hash, j.hash, j.content,"
            " j.signature, k.public_key FROM journal j JOIN till_keys k ON k.id = j.key_id"
            " ORDER BY j.till_id, j.seq"
        )
        rows = cursor.fetchall()
        raw.rollback()  # not idle in a transaction while the signatures are checked
        batch = []
        for seq, kind, event, at, prev, own, content, signature, public in rows:
            header = f"{prev}\n{seq}\n{kind}\n{event}\n{at}\n".encode()
            hashlib.sha256(header + hashlib.sha256(content.encode()).digest()).digest()
            batch.append((bytes(public), bytes(signature), own))
        assert all(signatures_hold(batch))
    finally:
        raw.close()
    return time.perf_counter() - began


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the pool's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(engine: Engine, count: int, every_signature: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one ``verify`` of the whole journal, which must hold."""
    began, began_cpu = time.perf_counter(), cpu_seconds()
    report = verify(UnitOfWork(engine), every_signature=every_signature)
    took, cpu = time.perf_counter() - began, cpu_seconds() - began_cpu
    if isinstance(report, Err) or not report.value.holds:
        raise SystemExit(f"the journal did not hold: {report!r}")
    assert report.value.chains[0].entries == count
    return took, cpu


def measure(dialect: str, engine: Engine, count: int, runs: int) -> tuple[str, float]:
    began = time.perf_counter()
    fill(engine, count)
    print(f"{dialect}: {count:,} entries written in {time.perf_counter() - began:.1f} s")
    spent, cpu, every, every_cpu, bare, bare_cpu = [], [], [], [], [], []
    for _ in range(runs):
        took, used = timed(engine, count, every_signature=False)
        spent.append(took)
        cpu.append(used)
        took, used = timed(engine, count, every_signature=True)
        every.append(took)
        every_cpu.append(used)
        began_cpu = cpu_seconds()
        bare.append(floor(engine))
        bare_cpu.append(cpu_seconds() - began_cpu)
    took, least = statistics.median(spent), statistics.median(bare)
    verdict = "within" if took < TARGET_S else "OVER"
    print(
        f"{dialect}: verify {took:.2f} s (runs {', '.join(f'{s:.2f}' for s in spent)}; "
        f"CPU {statistics.median(cpu):.2f} s); verify --all-signatures "
        f"{statistics.median(every):.2f} s (runs {', '.join(f'{s:.2f}' for s in every)}; "
        f"CPU {statistics.median(every_cpu):.2f} s over all processes); floor {least:.2f} s "
        f"(CPU {statistics.median(bare_cpu):.2f} s); {verdict} the {TARGET_S:.0f} s target; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return dialect, took / least


@contextmanager
def sqlite_store(path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    parts = []
    with (
        tempfile.TemporaryDirectory(prefix="kasa-bench-journal-") as folder,
        sqlite_store(Path(folder) / "store.sqlite3") as engine,
    ):
        parts.append(measure("sqlite", engine, args.entries, args.runs))
    server = postgres_server(args.sqlite_only)
    if server:
        with scratch_postgres_database(server) as url:
            engine = make_engine(url)
            try:
                upgrade(engine)
                parts.append(measure("postgresql", engine, args.entries, args.runs))
            finally:
                engine.dispose()
    print(summary_line("journal verify against its floor", parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
