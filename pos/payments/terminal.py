"""What the till needs from a card terminal, whatever carries the conversation."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


class TerminalStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the card
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TerminalPayment:
    id: str  # the terminal's payment id, "pay_..."
    status: TerminalStatus
    amount_minor: int
    currency: str
    idempotency_key: str
    metadata: Mapping[str, str]  # {"payment_id": "42", "order_id": "<uuid>"}
    decline_code: str | None = None


class TerminalError(Exception):
    """Anything that went wrong talking to the terminal."""


class TerminalUnavailable(TerminalError):
    """No usable answer (network error, 5xx after retries): the outcome is unknown."""


class TerminalRejected(TerminalError):
    """The terminal answered 4xx: the request itself is wrong, so it is never retried."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(f"{status_code}: {reason}")
        self.status_code = status_code
        self.reason = reason


class TerminalConflict(TerminalRejected):
    """409: the idempotency key was already used with a different request."""


class PaymentTerminal(Protocol):
    # Stored in payments.provider and payment_events.provider, e.g. "terminal".
    provider: str

    def start_payment(
        self,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        payment_id: int,
        order_id: UUID,
    ) -> TerminalPayment: ...

    def get_payment(self, terminal_payment_id: str) -> TerminalPayment: ...

    def cancel_payment(self, terminal_payment_id: str) -> TerminalPayment: ...
