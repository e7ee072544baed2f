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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard


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


class Settler(enum.StrEnum):
    """How a payment's outcome reached the store."""

    CASH = "cash"
    WEBHOOK = "webhook"
    POLL = "poll"
    MANAGER = "manager"


EVENT_OUTCOMES: Mapping[str, PaymentStatus] = {
    "payment.pending": PaymentStatus.PENDING,
    "payment.succeeded": PaymentStatus.PAID,
    "payment.failed": PaymentStatus.FAILED,
    "payment.cancelled": PaymentStatus.CANCELLED,
}
"""The event types a terminal reports, and the state each asks the payment to take."""


class RefundStatus(enum.StrEnum):
    """A refund of a settled tender: asked of the terminal (or paid from the drawer),
    then confirmed, or refused by the terminal.

    ``initiated → pending → succeeded | failed``, and ``initiated → succeeded | failed``
    when the verdict overtakes the acknowledgement; nothing leaves an outcome.
    """

    INITIATED = "initiated"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


REFUND_TRANSITIONS: Mapping[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.INITIATED: frozenset(
        {RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.FAILED}
    ),
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}

REFUND_EVENT_OUTCOMES: Mapping[str, RefundStatus] = {
    "refund.pending": RefundStatus.PENDING,
    "refund.succeeded": RefundStatus.SUCCEEDED,
    "refund.failed": RefundStatus.FAILED,
}
"""The refund event types a terminal reports, and the state each asks the refund to take."""


def refund_sources_of(target: RefundStatus) -> frozenset[RefundStatus]:
    """Every state a refund may reach ``target`` from."""
    return frozenset(state for state, targets in REFUND_TRANSITIONS.items() if target in targets)


class EventOutcome(enum.StrEnum):
    """What became of a terminal's event once the store had it."""

    APPLIED = "applied"
    """It moved the payment."""
    IGNORED = "ignored"
    """The payment was already there, or the state machine refused the move."""
    UNMATCHED = "unmatched"
    """No such payment (yet): kept, and matched when it appears."""
    MISMATCH = "mismatch"
    """Its amount or currency differs from the payment's: not applied, flagged."""
    PENDING = "pending"
    """Not final: the terminal still waits for the card."""


MAX_PROVIDER_LENGTH = 32
MAX_EVENT_ID_LENGTH = 255
MAX_TERMINAL_ID_LENGTH = 128
MAX_EVENT_AMOUNT_MINOR = 10**15
"""Ten trillion lira: no sale comes near it, and the store holds no more."""
_IDENTIFIER = re.compile(r"[\x21-\x7e]+")


def is_identifier(value: object, longest: int) -> TypeGuard[str]:
    """An id as the store keeps a terminal's: 1 to ``longest`` printable ASCII, no spaces."""
    return isinstance(value, str) and len(value) <= longest and bool(_IDENTIFIER.fullmatch(value))


@dataclass(frozen=True)
class TerminalEvent:
    """What a terminal reported about one payment, pushed (webhook) or pulled (poll)."""

    provider: str
    event_id: str
    """Unique per provider: a re-delivery carries the same id and is applied once."""
    type: str
    """One of ``EVENT_OUTCOMES``."""
    terminal_payment_id: str
    payment_id: int | None
    """Ours, from the metadata the till sent with the payment; None if absent."""
    amount_minor: int
    currency: str
    source: Settler
    payload: str
    """The event as received, kept for a manager to read."""
    refund_id: int | None = None
    """A refund event's refund, ours, from the metadata the till sent with it."""
    terminal_refund_id: str | None = None
    """A refund event's refund as the terminal names it (``re_...``)."""

    @property
    def is_refund(self) -> bool:
        return self.type in REFUND_EVENT_OUTCOMES

    @property
    def target(self) -> PaymentStatus:
        return EVENT_OUTCOMES[self.type]

    @property
    def refund_target(self) -> RefundStatus:
        return REFUND_EVENT_OUTCOMES[self.type]
