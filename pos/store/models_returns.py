"""The store's record of what went back: returns and their lines, and refunds, each
against the tender it pays back (DESIGN.md §4). Kept beside ``pos.store.models``, which
imports it, so the one metadata holds these tables too."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from pos.domain.payments import PaymentMethod, RefundStatus
from pos.store.models import Base, UTCDateTime, text_enum


class SaleReturn(Base):
    """Goods brought back: a document of its own, numbered in its till's refund series,
    linked to the sale's lines it returns (none for a return without a receipt)."""

    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("till_id", "number"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    order_id: Mapped[UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    number: Mapped[int] = mapped_column(BigInteger)
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    cash_back_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """What the drawer paid back for it (all of it, for a return without a receipt)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cash_session_id: Mapped[int | None] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    """The cash session open at its till when it was written."""


class ReturnLine(Base):
    """One line of a return: what came back, what it is worth, where the goods went."""

    __tablename__ = "return_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[UUID] = mapped_column(ForeignKey("returns.id"), index=True)
    order_item_id: Mapped[int | None] = mapped_column(ForeignKey("order_items.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    """What it is worth back: its share of what the customer paid for the line (after the
    coupon's discount, with its tax where the shop adds tax at checkout)."""
    restock: Mapped[bool] = mapped_column(Boolean)
    """Back on the shelf (a stock move of its own), or written off as damaged."""


class Refund(Base):
    """Money given back on one settled tender: from the drawer for cash, through the
    terminal's refund call for a card (confirmed by its webhook or poll)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_refunds_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(text_enum(PaymentMethod, "payment_method"))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_refund_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[RefundStatus] = mapped_column(text_enum(RefundStatus, "refund_status"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(32))
    """Why: ``void`` (the sale was voided before it was paid) or ``return``."""
    return_id: Mapped[UUID | None] = mapped_column(ForeignKey("returns.id"), index=True)
    """The return it pays back, if it pays one back."""
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_by: Mapped[str | None] = mapped_column(String(16))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cash_session_id: Mapped[int | None] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    """The cash session open at its till when the money went back."""
