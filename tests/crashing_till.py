"""A till that dies mid-payment, for the crash tests: run as a child process and SIGKILLed.

``python -m tests.crashing_till <database url> <cart id> <stage> [terminal url api key]``
checks the cart out by card and prints ``committed <payment id>``; at stage
``after-terminal`` it then hands the payment to the terminal and prints ``started``.
Either way it then waits to be killed, never getting to record what the terminal said.
"""

from __future__ import annotations

import sys
import time
import uuid

from sqlalchemy import select

from pos.domain.results import Err
from pos.payments.http import HttpTerminal
from pos.services.cart import cart_summary
from pos.services.checkout import Card, checkout
from pos.store.engine import make_engine
from pos.store.tables import payments
from pos.store.uow import UnitOfWork


def main(argv: list[str]) -> int:
    url, cart, stage = argv[0], int(argv[1]), argv[2]
    uow = UnitOfWork(make_engine(url))
    summary = cart_summary(uow, cart)
    assert not isinstance(summary, Err), summary
    sale = checkout(
        uow,
        cart,
        shown_total_minor=summary.value.total_minor,
        tender=Card(),
        idempotency_key=str(uuid.uuid4()),
    )
    assert not isinstance(sale, Err), sale
    print(f"committed {sale.value.payment_id}", flush=True)
    if stage == "after-terminal":
        terminal = HttpTerminal(argv[3], argv[4])
        terminal.start_payment(
            amount_minor=sale.value.total_minor,
            currency=sale.value.currency,
            idempotency_key=_key_of(uow, sale.value.payment_id),
            payment_id=sale.value.payment_id,
            order_id=sale.value.order_id,
        )
        print("started", flush=True)
    while True:  # the kill comes here
        time.sleep(1)


def _key_of(uow: UnitOfWork, payment_id: int) -> str:
    with uow.reading():
        return str(
            uow.connection.execute(
                select(payments.c.idempotency_key).where(payments.c.id == payment_id)
            ).scalar_one()
        )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
