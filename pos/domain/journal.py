"""The till's journal as pure rules: an entry's canonical content, its hash, and the check
of a whole chain (DESIGN.md §9).

Each entry's hash is the SHA-256 of the previous entry's hash, its own header (till,
sequence number, kind, event, time) and the SHA-256 of its canonical content; the first
entry of a till follows ``GENESIS``. The till signs each hash with its own Ed25519 key.
The chain check reads entries in their stored order and names the first one that does
not hold: ``CHANGED`` (its content or header no longer gives its hash), ``REMOVED`` (a
sequence number is missing), ``INSERTED`` (a stranger stands where an entry of the chain
should be), ``REORDERED`` (the entry is the chain's, but stored at another place) or
``FORGED`` (the entry holds together but the till's key did not sign it).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
"""What the first entry of a till's chain names as its previous hash."""
MAX_EVENT_LENGTH = 64


class Kind(enum.StrEnum):
    """What an entry records."""

    SALE = "sale"
    REFUND = "refund"
    VOID = "void"
    DRAWER = "drawer"
    """The drawer opened without a sale."""
    CASH_MOVEMENT = "cash_movement"
    """Cash paid into or out of the drawer."""
    Z_REPORT = "z_report"


class Problem(enum.StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    FORGED = "forged"


def utc_text(moment: datetime) -> str:
    """An instant as the journal writes it: UTC, ISO 8601, to the microsecond."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC instant")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("the journal holds no floats: money in minor units, rates in basis points")
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("the journal's keys are text")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"the journal cannot hold a {type(value).__name__}")


def canonical(content: Mapping[str, object]) -> str:
    """The one text of ``content``: JSON with sorted keys and no spaces, no floats,
    instants in UTC ISO 8601; the same content always gives the same text."""
    return json.dumps(
        _plain(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_digest(content: str) -> bytes:
    return hashlib.sha256(content.encode("utf-8")).digest()


def entry_hash(
    prev_hash: str, till: str, seq: int, kind: str, event: str, at: str, digest: bytes
) -> str:
    """The entry's SHA-256 (hex) over the previous hash, its header and its content's digest.

    The fields are joined by newlines, which none of them may hold (``check_field``)."""
    message = "\n".join((prev_hash, till, str(seq), kind, event, at, digest.hex()))
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


def check_field(value: str) -> str:
    """A header field as the hash takes it: one printable line of at most 64 characters."""
    if not value or len(value) > MAX_EVENT_LENGTH or not value.isprintable():
        raise ValueError(f"not a journal header field: {value!r}")
    return value


def signature_holds(public_key: bytes, signature: bytes, hash_hex: str) -> bool:
    """Whether ``signature`` is the Ed25519 signature of the hash by ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, bytes.fromhex(hash_hex))
    except (InvalidSignature, ValueError):
        return False
    return True


def signatures_hold(batch: Sequence[tuple[bytes, bytes, str]]) -> list[bool]:
    """``signature_holds`` for each (public key, signature, hash): a process pool's job."""
    keys: dict[bytes, Ed25519PublicKey | None] = {}
    held = []
    for public, signature, hash_hex in batch:
        if public not in keys:
            try:
                keys[public] = Ed25519PublicKey.from_public_bytes(public)
            except ValueError:
                keys[public] = None
        key = keys[public]
        try:
            if key is None:
                raise InvalidSignature
            key.verify(signature, bytes.fromhex(hash_hex))
            held.append(True)
        except (InvalidSignature, ValueError):
            held.append(False)
    return held


@dataclass(frozen=True, slots=True)
class Link:
    """What the chain check needs of one stored entry (its content only as a digest)."""

    seq: int
    kind: str
    event: str
    at: str
    prev_hash: str
    hash: str
    digest: bytes
    signed: bool = True

    def rehash(self, till: str, seq: int) -> str:
        """The hash this entry would have at ``seq``."""
        return entry_hash(self.prev_hash, till, seq, self.kind, self.event, self.at, self.digest)


@dataclass(frozen=True)
class Fault:
    """The first entry of a chain that does not hold, and how."""

    seq: int
    problem: Problem
    kind: str | None = None
    """The kind of the entry found at ``seq``; None where none is (removed)."""
    event: str | None = None
    detail: Mapping[str, int] = field(default_factory=dict)
    """``missing``: how many are gone; ``found``: where the entry that belongs here is."""


def check_chain(
    till: str, links: Sequence[Link], head: tuple[int, str] | None = None
) -> Fault | None:
    """The first entry of ``till``'s chain that does not hold, or None if all do.

    ``links`` are in stored order (by sequence number). ``head`` is the till's own record
    of its last sequence number and hash, which also catches entries removed from the end.
    """
    by_prev: dict[str, list[Link]] = {}
    for link in links:
        by_prev.setdefault(link.prev_hash, []).append(link)
    expected = GENESIS
    for k, link in enumerate(links, start=1):
        if link.seq != k:
            return Fault(k, Problem.REMOVED, detail={"missing": link.seq - k})
        genuine = next(
            (
                other
                for other in by_prev.get(expected, ())
                if other is not link and other.rehash(till, k) == other.hash
            ),
            None,
        )
        fits = link.rehash(till, k) == link.hash
        if not fits or link.prev_hash != expected:
            if genuine is None:
                problem = Problem.CHANGED if not fits else Problem.INSERTED
                return Fault(k, problem, link.kind, link.event)
            moved = link.rehash(till, genuine.seq) == link.hash
            problem = Problem.REORDERED if moved else Problem.INSERTED
            return Fault(k, problem, link.kind, link.event, {"found": genuine.seq})
        if not link.signed:
            if genuine is not None:  # the till's own entry for this place is further on
                return Fault(k, Problem.INSERTED, link.kind, link.event, {"found": genuine.seq})
            return Fault(k, Problem.FORGED, link.kind, link.event)
        expected = link.hash
    if head is not None:
        last, last_hash = head
        count = len(links)
        if last > count:
            return Fault(count + 1, Problem.REMOVED, detail={"missing": last - count})
        if last < count:
            extra = links[last]
            return Fault(last + 1, Problem.INSERTED, extra.kind, extra.event)
        if count and last_hash != expected:
            return Fault(count, Problem.CHANGED, links[-1].kind, links[-1].event)
    return None
