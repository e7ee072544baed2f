"""Benchmark: a sale paid by two tenders against the same sale paid by one, in one run.

The step is a 5-line sale paid part in cash and the rest by card, the card settled
through the one reconciler as a terminal's webhook is:

* ``checkout`` with ``Cash(part, amount_minor=part)``: the order, its holds, the cash
  tender settled (the sale stays open with the rest due);
* ``add_tender`` with ``Card()``: the card tender for the rest, ``initiated``;
* ``apply_payment_event`` with the terminal's ``payment.succeeded``: the event stored
  once, the tender settled, and the sale paid (stock, receipt, outbox) in that
  transaction.

The floor is the same sale (the same products, quantities and prices) paid in one cash
tender by ``checkout``: what the till did before a sale could have two. The two are timed
interleaved, round by round (``harness.against_floor``), on carts rung up beforehand, so
ringing up is not timed. The ratio says what the second tender costs: three transactions
where there was one. Target: at most 3 times the one-tender sale (the terminal's own
seconds dwarf either).

Checked afterwards: every sale paid with one receipt and its settled tenders adding up to
its total, and the stock books balance.

Run::

    .venv/bin/python tests/benchmarks/tenders.py [--sales 200]
    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python tests/benchmarks/tenders.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pos.domain.payments import Settler, TerminalEvent  # noqa: E402
from pos.domain.results import Err, Result  # noqa: E402
from pos.services.checkout import checkout  # noqa: E402
from pos.services.payment_events import apply_payment_event  # noqa: E402
from pos.services.tenders import Card, Cash, add_tender  # noqa: E402
from pos.store.uow import UnitOfWork  # noqa: E402
from tests.benchmarks.checkout import (  # noqa: E402
    ReadyCart,
    Store,
    TillSetup,
    ring_up,
    set_up_store,
)
from tests.benchmarks.harness import (  # noqa: E402
    AgainstFloor,
    against_floor,
    postgres_server,
    summary_line,
)
from tests.benchmarks.scratch import scratch_postgres_database  # noqa: E402
from tests.invariants import assert_invariants  # noqa: E402

TARGET = 3.0
"""The two-tender sale may take at most this many times the one-tender sale."""


def ok(result: Result[object], what: str) -> object:
    if isinstance(result, Err):
        raise SystemExit(f"{what} refused: {result.code}")
    return result.value


def one_tender(uow: UnitOfWork, cart: ReadyCart) -> None:
    ok(
        checkout(
            uow,
            cart.cart_id,
            shown_total_minor=cart.total_minor,
            tender=Cash(cart.given_minor),
            idempotency_key=str(uuid.uuid4()),
        ),
        "checkout",
    )


def two_tenders(uow: UnitOfWork, cart: ReadyCart) -> None:
    part = cart.total_minor // 3
    sale = ok(
        checkout(
            uow,
            cart.cart_id,
            shown_total_minor=cart.total_minor,
            tender=Cash(part, amount_minor=part),
            idempotency_key=str(uuid.uuid4()),
        ),
        "checkout",
    )
    card = ok(add_tender(uow, sale.order_id, Card(), idempotency_key=str(uuid.uuid4())), "tender")  # type: ignore[attr-defined]
    event = TerminalEvent(
        provider="terminal",
        event_id=f"evt_{uuid.uuid4().hex}",
        type="payment.succeeded",
        terminal_payment_id=f"pay_{uuid.uuid4().hex[:24]}",
        payment_id=card.payment_id,  # type: ignore[attr-defined]
        amount_minor=card.amount_minor,  # type: ignore[attr-defined]
        currency="TRY",
        source=Settler.WEBHOOK,
        payload="{}",
    )
    ok(apply_payment_event(uow, event), "webhook")


def next_of(
    carts: Iterator[ReadyCart], uow: UnitOfWork, pay: Callable[..., None]
) -> Callable[[], None]:
    return lambda: pay(uow, next(carts))


def measure(store: Store, sales: int, warm_up: int) -> AgainstFloor:
    setup = TillSetup(
        store.dialect, store.url, store.till_ids[0], 0, store.manager_id, store.product_ids
    )
    # The same products on both sides: the k-th cart of each list sells the same sale.
    count = sales + warm_up
    step_carts = ring_up(store.uow, setup, 0, 0, count)
    floor_carts = ring_up(store.uow, setup, 0, 0, count)
    return against_floor(
        store.dialect,
        next_of(iter(step_carts), store.uow, two_tenders),
        next_of(iter(floor_carts), store.uow, one_tender),
        iterations=sales,
        warm_up=warm_up,
        round_size=25,
    )


def verify(store: Store) -> None:
    with store.engine.connect() as connection:
        unpaid = connection.execute(
            text("SELECT count(*) FROM orders WHERE status <> 'paid' OR receipt_number IS NULL")
        ).scalar_one()
        short = connection.execute(
            text(
                "SELECT count(*) FROM orders o WHERE o.total_minor <> (SELECT "
                "coalesce(sum(p.amount_minor), 0) FROM payments p "
                "WHERE p.order_id = o.id AND p.status = 'paid')"
            )
        ).scalar_one()
    if unpaid or short:
        raise SystemExit(f"{store.dialect}: {unpaid} sales unpaid, {short} not adding up")
    assert_invariants(store.engine)


def run(dialect: str, url: str, sales: int, warm_up: int) -> AgainstFloor:
    store = set_up_store(dialect, url, 1)
    try:
        figures = measure(store, sales, warm_up)
        verify(store)
    finally:
        store.engine.dispose()
    step_p95, floor_p95 = figures.p(0.95)
    print(
        f"  {dialect}: two tenders median {figures.median_us / 1e3:.2f} ms "
        f"(p95 {step_p95 / 1e3:.2f}), one tender {figures.floor_us / 1e3:.2f} ms "
        f"(p95 {floor_p95 / 1e3:.2f}): {figures.ratio:.1f}x over {figures.iterations} sales"
    )
    return figures


def run_on(dialect: str, server: str | None, sales: int, warm_up: int) -> AgainstFloor:
    """The comparison on a fresh store of ``dialect`` (PostgreSQL on ``server``)."""
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kasa-bench-") as directory:
            return run(dialect, f"sqlite:///{Path(directory) / 'store.db'}", sales, warm_up)
    assert server is not None
    with scratch_postgres_database(server) as url:
        return run(dialect, url.render_as_string(hide_password=False), sales, warm_up)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    server = postgres_server(args.sqlite_only)
    results = [run_on("sqlite", None, args.sales, args.warm_up)]
    if server:
        results.append(run_on("postgresql", server, args.sales, args.warm_up))
    print(summary_line("tenders", [(f.dialect, f.ratio) for f in results]))
    above = [f for f in results if f.ratio > TARGET]
    for figures in above:
        print(f"{figures.dialect}: {figures.ratio:.1f}x the one-tender sale, above {TARGET}x")
    return 1 if above else 0


if __name__ == "__main__":
    sys.exit(main())
