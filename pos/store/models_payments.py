"""The store's record of a sale's tenders: each payment, the terminal's events about it,
and the conflicts between them a manager settles. Kept beside ``pos.store.models``, which
imports it, so the one metadata holds these tables too."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pos.domain.payments import EventOutcome, PaymentMethod, PaymentStatus
from pos.store.models import Base, UTCDateTime, text_enum


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_payments_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(text_enum(PaymentMethod, "payment_method"))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_payment_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[PaymentStatus] = mapped_column(text_enum(PaymentStatus, "payment_status"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    tendered_minor: Mapped[int | None] = mapped_column(BigInteger)
    """Cash handed over."""
    change_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_by: Mapped[str | None] = mapped_column(String(16))
    """How the outcome arrived: cash, webhook, poll or manager."""
    review_reason: Mapped[str | None] = mapped_column(String(32))
    """Set when an event disagreed with the payment (amount, currency): a manager looks."""
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When its till started again and found it still in flight: left by a restart."""
    cash_session_id: Mapped[int | None] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    """The cash session open at its till when the tender settled."""


class PaymentEvent(Base):
    """Every result a terminal reported, by webhook or to the poller, stored once."""

    __tablename__ = "payment_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        Index("ix_payment_events_outcome", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    terminal_payment_id: Mapped[str | None] = mapped_column(String(128), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    claimed_payment_id: Mapped[int | None] = mapped_column(BigInteger)
    """The till's payment id the event names; no reference, as it may be one not known here."""
    refund_id: Mapped[int | None] = mapped_column(BigInteger)
    """A refund event's refund, as the till named it (matched like ``claimed_payment_id``)."""
    terminal_refund_id: Mapped[str | None] = mapped_column(String(128))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[EventOutcome] = mapped_column(text_enum(EventOutcome, "event_outcome"))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentConflict(Base):
    """A terminal says money moved where the payment cannot follow: a manager must look.

    A success after the payment failed or was cancelled, or a success for another
    amount or currency. The payment is left as it was; this row keeps what the
    terminal said until a manager marks it handled, with a note.
    """

    __tablename__ = "payment_conflicts"
    __table_args__ = (Index("ix_payment_conflicts_handled_at", "handled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("payment_events.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    payment_status: Mapped[str] = mapped_column(String(16))
    """The payment's status when the event came."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    """What the terminal says it took."""
    currency: Mapped[str] = mapped_column(String(3))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
