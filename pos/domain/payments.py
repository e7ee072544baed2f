"""The payment state machine: which moves a payment may make, and nothing else.

::

    initiated ──► pending ──► paid ──► refunded
        │            │
        │            ├──► failed
        │            └──► cancelled
        └──► paid | failed | cancelled

A terminal's verdict can overtake its own acknowledgement (the webhook arrives
before the answer to "start a payment"), and cash is settled at once, so a
payment may also go straight from ``initiated`` to an outcome. Every other move
is refused: a late "failed" never undoes a "paid", and nothing leaves ``failed``
or ``cancelled``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class PaymentStatus(enum.StrEnum):
    INITIATED = "initiated"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    CARD = "card"


_OUTCOMES = frozenset({PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED})

TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.INITIATED: _OUTCOMES | {PaymentStatus.PENDING},
    PaymentStatus.PENDING: _OUTCOMES,
    PaymentStatus.PAID: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}

UNRESOLVED = frozenset({PaymentStatus.INITIATED, PaymentStatus.PENDING})
"""A payment whose outcome is not known yet: its stock must stay held."""


def can_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    return target in TRANSITIONS[current]


def sources_of(target: PaymentStatus) -> frozenset[PaymentStatus]:
    """Every state a payment may reach ``target`` from: the WHERE of its conditional UPDATE."""
    return frozenset(state for state, targets in TRANSITIONS.items() if target in targets)
