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


class TerminalRefundStatus(enum.StrEnum):
    PENDING = "pending"  # asked of the card's issuer, not answered yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused: the money stays where it was


@dataclass(frozen=True)
class TerminalRefund:
    """Money going back to the card a terminal payment took it from."""

    id: str  # the terminal's refund id, "re_..."
    payment: str  # the terminal payment it returns money from, "pay_..."
    status: TerminalRefundStatus
    amount_minor: int
    currency: str
    idempotency_key: str
    metadata: Mapping[str, str]  # {"refund_id": "7", "payment_id": "42"}
    failure_code: str | None = None


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

    def refund_payment(
        self,
        terminal_payment_id: str,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        refund_id: int,
        payment_id: int,
    ) -> TerminalRefund:
        """Give back ``amount_minor`` of a succeeded payment: all of it or a part.

        Idempotent by key like ``start_payment``: asking again with the same key and the
        same request answers the same refund, never a second one.
        """
        ...

    def get_refund(self, terminal_refund_id: str) -> TerminalRefund: ...
