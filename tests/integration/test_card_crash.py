"""A till killed mid-payment loses no sale and charges no card twice.

A child process checks a sale out by card and is SIGKILLed, once right after the
checkout commit (the terminal never heard of the payment) and once right after
the terminal took it (the till never recorded that). The next start's poller
reconciles: the payment is started again with its own idempotency key, so the
terminal holds one payment, and the sale ends paid with its stock taken once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pos.domain.payments import PaymentStatus
from pos.services.cart import add_to_cart
from pos.store.models import Receipt
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.invariants import assert_invariants, stock_books
from tests.payments import API_KEY, terminal_rig
from tests.sales import new_cart, rows

ROOT = Path(__file__).resolve().parents[2]


def killed_after(store: Store, cart: int, stage: str, *terminal: str) -> int:
    """Run the crashing till until it says ``stage`` is done, SIGKILL it; its payment id."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.crashing_till",
            store.url.render_as_string(hide_password=False),
            str(cart),
            stage,
            *terminal,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    try:
        committed = child.stdout.readline().split()
        assert committed[:1] == ["committed"], committed
        if stage == "after-terminal":
            assert child.stdout.readline().strip() == "started"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    return int(committed[1])


@pytest.mark.parametrize("stage", ["before-terminal", "after-terminal"])
def test_a_till_killed_mid_payment_is_reconciled_at_the_next_start(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf, stage: str
) -> None:
    product = shelf.product(stock=4, price_minor=2500)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    # No listener answers for the dead till: only the next start's poller can find out.
    with terminal_rig(store, clock, webhooks=False) as rig:
        payment_id = killed_after(store, cart, stage, rig.simulator.url, API_KEY)
        before = rig.view(payment_id)
        assert before.status is PaymentStatus.INITIATED
        assert before.terminal_payment_id is None
        assert rig.simulator.payment_count == (1 if stage == "after-terminal" else 0)

        poller = rig.poller()  # the till starts again
        rig.wait_for(payment_id, lambda view: poller.run_once() == 0)
        after = rig.view(payment_id)
        charged = rig.simulator.payment_count
    assert after.status is PaymentStatus.PAID
    assert charged == 1  # started again with the same key: one payment at the terminal
    assert len(rows(store, Receipt.number)) == 1
    assert stock_books(store.engine)[product][:2] == (2, 0)
    assert_invariants(store.engine)
