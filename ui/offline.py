"""Operation factories for selling offline: what the till asks of its replica when the
central store is gone (run on the store's worker, never on the GUI thread).

Both go to the replica itself, not to ``till.uow()``: the window asks for them because the
till has just gone offline, and the central store must not be needed to answer.
"""

from __future__ import annotations

from typing import Any

from pos.bootstrap import Till
from pos.domain.results import Err, Result
from pos.services import offline
from pos.services.cart import CartSummary


def went_offline(till: Till) -> Result[Any]:
    """Note on the replica when the till lost the central store (the offline time limit
    counts from it; a link that flaps keeps the first note)."""

    return offline.went_offline(till.replica_uow(), till.till_id)


def carry_over(till: Till, summary: CartSummary, cashier_id: int | None) -> Result[CartSummary]:
    """The sale in progress, as the window last showed it, opened again on the replica
    once the till has noted that it went offline."""

    noted = went_offline(till)
    if isinstance(noted, Err):
        return noted
    return offline.carry_over(
        till.replica_uow(), summary, cashier_id=cashier_id, till_id=till.till_id
    )


def offline_status(till: Till) -> Result[Any]:
    """How many sales this till made offline wait to be sent, and their total."""

    return offline.offline_status(till.replica_uow())
