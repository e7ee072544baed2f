"""The till's journal and the keys its entries are signed with (DESIGN.md §9).

Kept beside ``pos.store.models`` (which imports this module, so ``Base.metadata`` always
holds these tables). The journal is append-only: the migration puts a trigger on it
that refuses UPDATE and DELETE on both dialects.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.store.models import Base, UTCDateTime


class TillKey(Base):
    """A public key a till signs its journal with; a till that lost its key gets a new one,
    and its older entries still verify against the one they were signed with."""

    __tablename__ = "till_keys"
    __table_args__ = (UniqueConstraint("till_id", "public_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    """The raw Ed25519 public key (32 bytes)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JournalEntry(Base):
    """One event of a till, chained to the one before it and signed by the till."""

    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("till_id", "seq"), UniqueConstraint("kind", "event_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    """From 1 per till, without gaps."""
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(64))
    """The sale's order, the refund, the drawer opening... that the entry records."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[str] = mapped_column(Text)
    """The event's canonical content (``pos.domain.journal.canonical``)."""
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(ForeignKey("till_keys.id"))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
