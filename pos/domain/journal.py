"""The till's journal as pure rules: an entry's canonical content, its hash, and the check
of a whole chain (DESIGN.md §9).

Each entry's hash is the SHA-256 of the previous entry's hash, its own header (till,
sequence number, kind, event, time) and the SHA-256 of its canonical content; the first
entry of a till follows ``GENESIS``. The till signs each hash with its own Ed25519 key.
The chain check reads entries in their stored order and names the first one that does
not hold: ``CHANGED`` (its content or header no longer gives its hash), ``REMOVED`` (a
sequence number is missing), ``INSERTED`` (a stranger stands where an entry of the chain
should be), ``REORDERED`` (the entry is the chain's, but stored at another place) or
``FORGED`` (the entry holds together but the till's key did not sign it). ``Z_EDITED`` is
the store's side: a Z's entry holds, but the report kept with its session differs.
Every hash is checked; the signatures either each one or, as ``first_unsigned`` argues,
only as many as prove the chain: O(log n).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pos.domain.units import SaleUnit

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
    FLOAT = "float"
    """A cash session opened with its counted float."""


class Problem(enum.StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    FORGED = "forged"
    Z_EDITED = "z_edited"
    """The entry holds, but the Z report kept with its session no longer says what it did."""


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


class SaleLine(NamedTuple):
    """A line of a sale as its journal entry gives it."""

    line: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    tax_rate_bp: int
    discount: int
    """Everything off the line: its own discount and its share of the coupon's."""
    total: int
    line_discount: int = 0
    """The line's own discount, a part of ``discount``."""
    reason: str | None = None
    """Why the line's own discount was given."""
    unit: str = SaleUnit.PIECE.value
    """What ``quantity`` counts: pieces, or grams of a line sold by the kg (ml of one by the
    litre, mm of one by the metre), its ``unit_price`` being per kg (l, m)."""


def _line_entry(line: SaleLine) -> dict[str, object]:
    """A line as its entry gives it; a line with no discount of its own says nothing of
    one, and a line of pieces nothing of its unit, so the entries of sales before line
    discounts and weighed goods read as they always did. A weighed line says ``"unit":
    "kg"``: its quantity of 1250 is grams, 1,250 kg at its price per kg."""
    entry = line._asdict()
    if not line.line_discount:
        del entry["line_discount"], entry["reason"]
    if line.unit == SaleUnit.PIECE.value:
        del entry["unit"]
    return entry


class SaleTender(NamedTuple):
    """A paid tender of a sale as its journal entry gives it."""

    payment: int
    method: str
    amount: int
    tendered: int | None
    change: int | None


def sale_content(
    order_id: UUID,
    *,
    receipt: int | None,
    cashier: int | None,
    currency: str,
    prices_include_tax: bool,
    subtotal: int,
    discount: int,
    tax: int,
    total: int,
    coupon: str | None,
    lines: Iterable[SaleLine],
    tenders: Iterable[SaleTender],
) -> dict[str, object]:
    """What a sale's entry says: its totals, its lines by number and its paid tenders in
    the order they were made. One shape, whether the sale is read back from the store
    (``pos.services.journal.record_sale``) or taken from the payload a till sent
    (``pos.services.ingest``)."""
    return {
        "order": order_id,
        "receipt": receipt,
        "cashier": cashier,
        "currency": currency,
        "prices_include_tax": bool(prices_include_tax),
        "subtotal": subtotal,
        "discount": discount,
        "tax": tax,
        "total": total,
        "coupon": coupon,
        "lines": [_line_entry(line) for line in sorted(lines, key=lambda line: line.line)],
        "tenders": [tender._asdict() for tender in sorted(tenders)],
    }


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
    till: str,
    links: Sequence[Link],
    head: tuple[int, str] | None = None,
    signed: Callable[[int], bool] | None = None,
    *,
    keyed: Sequence[bool] | None = None,
    search: bool = False,
) -> Fault | None:
    """The first entry of ``till``'s chain that does not hold, or None if all do.

    ``links`` are in stored order (by sequence number). ``head`` is the till's own record
    of its last sequence number and hash, which also catches entries removed from the end.
    ``signed(i)`` says whether ``links[i]`` is signed by a key registered for the till
    (default: ``links[i].signed``); it is asked only of entries whose hashes hold.
    ``keyed[i]`` says whether the key ``links[i]`` names is one of the till's (default:
    all are); an entry under a key that is not is unsigned, whatever its signature.

    The hashes are checked first, all of them: they are cheap. Then the signatures, along
    the run of entries from the first whose hashes and order hold (``chained``); with
    ``search`` not every one of them but O(log n), by ``first_unsigned``'s argument.
    """
    held = signed if signed is not None else (lambda i: links[i].signed)
    by_prev: dict[str, list[Link]] = {}
    for link in links:
        by_prev.setdefault(link.prev_hash, []).append(link)
    chained, broken = _chained(till, links, by_prev)
    if keyed is not None:  # cheap, so asked of every entry: the search leans on it
        chained_keyed = next((i for i in range(chained) if not keyed[i]), chained)
    else:
        chained_keyed = chained
    unsigned = first_unsigned(chained_keyed, held, search=search)
    if unsigned is None and chained_keyed < chained:
        unsigned = chained_keyed
    if unsigned is not None:
        link, k = links[unsigned], unsigned + 1
        genuine = _genuine(till, by_prev, link.prev_hash, link, k)
        if genuine is not None:  # the till's own entry for this place is further on
            return Fault(k, Problem.INSERTED, link.kind, link.event, {"found": genuine.seq})
        return Fault(k, Problem.FORGED, link.kind, link.event)
    if broken is not None:
        return broken
    if head is not None:
        last, last_hash = head
        count = len(links)
        if last > count:
            return Fault(count + 1, Problem.REMOVED, detail={"missing": last - count})
        if last < count:
            extra = links[last]
            return Fault(last + 1, Problem.INSERTED, extra.kind, extra.event)
        if count and last_hash != links[-1].hash:
            return Fault(count, Problem.CHANGED, links[-1].kind, links[-1].event)
    return None


def _genuine(
    till: str, by_prev: Mapping[str, Sequence[Link]], prev: str, link: Link, k: int
) -> Link | None:
    """Another stored entry that follows ``prev`` and hashes right at ``k``: the till's own
    entry for the place ``link`` stands in."""
    return next(
        (
            other
            for other in by_prev.get(prev, ())
            if other is not link and other.rehash(till, k) == other.hash
        ),
        None,
    )


def _chained(
    till: str, links: Sequence[Link], by_prev: Mapping[str, Sequence[Link]]
) -> tuple[int, Fault | None]:
    """How many entries from the first are numbered, hashed and linked as the chain's
    rules say, and the fault of the one after them (None when all are)."""
    expected = GENESIS
    for k, link in enumerate(links, start=1):
        if link.seq != k:
            return k - 1, Fault(k, Problem.REMOVED, detail={"missing": link.seq - k})
        fits = link.rehash(till, k) == link.hash
        if not fits or link.prev_hash != expected:
            genuine = _genuine(till, by_prev, expected, link, k)
            if genuine is None:
                problem = Problem.CHANGED if not fits else Problem.INSERTED
                return k - 1, Fault(k, problem, link.kind, link.event)
            moved = link.rehash(till, genuine.seq) == link.hash
            problem = Problem.REORDERED if moved else Problem.INSERTED
            return k - 1, Fault(k, problem, link.kind, link.event, {"found": genuine.seq})
        expected = link.hash
    return len(links), None


def first_unsigned(count: int, signed: Callable[[int], bool], *, search: bool) -> int | None:
    """The first of entries ``0..count-1`` of a chain whose hashes hold that is not signed
    by a key registered for its till, or None when all are.

    Without ``search``, each signature is asked. With it, only the last, then a binary
    search: O(log n) Ed25519 checks instead of n. Why that is enough: entry i's hash is
    the SHA-256 of entry i-1's hash, its own header and its content's digest, and these
    entries' hashes were all recomputed and found linked. So a signature on entry i that
    holds, by a key the store registers for the till, is the till's word for its hash,
    and (SHA-256 being collision resistant) for every field of entries 1..i: they are
    exactly what the till signed. Once one entry is proven the till's, so is every entry
    before it; the entries proven form a prefix, and the first unsigned entry is where
    it ends. What this does not see is a signature garbled on an entry that is itself
    intact (no record changed, no record added), under a later entry that holds: a
    check of every signature does. It leans on the key set: every key the store holds
    for the till is the till's. Which key an entry names is checked for every entry
    before (``check_chain``'s ``keyed``): an entry under a key the till does not have is
    a forgery, even if the signature holds under another.
    """
    if not search:
        return next((i for i in range(count) if not signed(i)), None)
    if count == 0 or signed(count - 1):
        return None
    low, high = -1, count - 1  # signed(low) holds (-1: before the chain), signed(high) not
    while high - low > 1:
        middle = (low + high) // 2
        if signed(middle):
            low = middle
        else:
            high = middle
    return high
