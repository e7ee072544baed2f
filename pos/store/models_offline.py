"""The store's record of a till selling without its central store (DESIGN.md §5): the
sales it made offline and since when, how far its replica has pulled, and the offline
sales the central store could not take. Kept beside ``pos.store.models``, which imports
it, so the one metadata holds these tables too."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pos.domain.sync import ConflictStatus
from pos.store.models import Base, UTCDateTime, text_enum


class OfflineSale(Base):
    """A sale this till made on its replica while the central store was away, with the
    outbox record that sends it home (DESIGN.md §5). While that record is unsent, the
    sale counts against the last known stock and the offline caps."""

    __tablename__ = "offline_sales"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), unique=True)
    """The record that sends the sale home, written when it is paid; None until then."""
    total_minor: Mapped[int] = mapped_column(BigInteger)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"), index=True)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The manager whose PIN let the sale past the offline policy's limits."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """The till's clock at checkout: it may be wrong; the receipt number's order is not."""


class OfflineState(Base):
    """When this till lost the central store: set by the runtime as it switches to the
    replica, cleared when it sells online again. The offline policy's time limit counts
    from here."""

    __tablename__ = "offline_state"

    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"), primary_key=True)
    offline_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncConflict(Base):
    """A sale made offline that the central store could not take (DESIGN.md §5): kept
    whole, with why, for a manager; the sales behind it go on. One per sale."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[UUID] = mapped_column(Uuid, unique=True)
    """The till's id of the sale; no foreign key: the sale is not in the store."""
    till_id: Mapped[int | None] = mapped_column(ForeignKey("tills.id"), index=True)
    till_code: Mapped[str] = mapped_column(String(8))
    receipt_number: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(64))
    """A result code, or ``error`` for a fault in the code."""
    detail: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    """The sale as the till sent it, the outbox record's payload."""
    status: Mapped[ConflictStatus] = mapped_column(text_enum(ConflictStatus, "conflict_status"))
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class ReplicaCursor(Base):
    """How far a till's replica has pulled (one row, written in a replica only): the
    window of central transaction ids and the position in it (see ``pos.sync.replica``)."""

    __tablename__ = "replica_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int | None] = mapped_column(BigInteger)
    position_xid: Mapped[int | None] = mapped_column(BigInteger)
    position_seq: Mapped[int | None] = mapped_column(BigInteger)
    central_schema: Mapped[str] = mapped_column(String(32))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rows_pulled: Mapped[int] = mapped_column(BigInteger, server_default="0")
