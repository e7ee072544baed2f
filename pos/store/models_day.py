"""The store's record of a till's day: cash sessions, cash paid in and out, and the
drawer opened without a sale (DESIGN.md §9). Kept beside ``pos.store.models``, which
imports it, so the one metadata holds these tables too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pos.store.models import Base, UTCDateTime


class CashSession(Base):
    """A till's day: opened with a counted float, closed with a blind count and its Z report.

    At most one is open per till (the partial unique index); a closed one is never
    changed: its Z report is kept as it was printed (``z_report``, JSON).
    """

    __tablename__ = "cash_sessions"
    __table_args__ = (
        UniqueConstraint("till_id", "z_number"),
        CheckConstraint("float_minor >= 0", name="float_not_negative"),
        CheckConstraint("(closed_at IS NULL) = (z_number IS NULL)", name="z_when_closed"),
        Index(
            "uq_cash_sessions_open_till",
            "till_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    currency: Mapped[str] = mapped_column(String(3))
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    float_minor: Mapped[int] = mapped_column(BigInteger)
    float_counts: Mapped[str | None] = mapped_column(Text)
    """The float by denomination as counted (JSON ``{"20000": 2, ...}``), when it was."""
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    z_number: Mapped[int | None] = mapped_column(BigInteger)
    counted: Mapped[str | None] = mapped_column(Text)
    """What the blind count found at close, per tender (JSON)."""
    z_report: Mapped[str | None] = mapped_column(Text)


class CashMovement(Base):
    """Cash paid into or out of the drawer during a session, with its reason."""

    __tablename__ = "cash_movements"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("kind IN ('in', 'out')", name="kind_in_or_out"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cash_session_id: Mapped[int] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The manager whose PIN allowed an amount over the shop's limit."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DrawerOpening(Base):
    """The drawer opened without a sale: who, when, why, in which session."""

    __tablename__ = "drawer_openings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    cash_session_id: Mapped[int | None] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
