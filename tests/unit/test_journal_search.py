"""The journal check that proves a chain with O(log n) signatures names the same entry as
the check of every signature, whatever a forger without the till's key does to the
chain (a property test with real SHA-256 and Ed25519)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.domain.journal import (
    GENESIS,
    Fault,
    Link,
    Problem,
    check_chain,
    content_digest,
    entry_hash,
    signature_holds,
)

TILL = "T01"
TILLS_KEY = Ed25519PrivateKey.generate()
FORGERS_KEY = Ed25519PrivateKey.generate()
OTHER_TILLS_KEY = Ed25519PrivateKey.generate()
KEYS = {
    key_id: key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    for key_id, key in ((1, TILLS_KEY), (2, OTHER_TILLS_KEY))
}
"""The store's keys: 1 is the till's, 2 another till's; the forger's is not there."""
OURS = {1}


@dataclass(frozen=True)
class Stored:
    link: Link
    key_id: int
    signature: bytes


def entry(seq: int, prev: str, content: str, key: Ed25519PrivateKey, key_id: int = 1) -> Stored:
    at = f"2026-03-02T09:{seq % 60:02d}:00.000000+00:00"
    digest = content_digest(content)
    own = entry_hash(prev, TILL, seq, "sale", f"event-{content}", at, digest)
    link = Link(seq, "sale", f"event-{content}", at, prev, own, digest)
    return Stored(link, key_id, key.sign(bytes.fromhex(own)))


def signed_chain(count: int) -> list[Stored]:
    stored, prev = [], GENESIS
    for seq in range(1, count + 1):
        stored.append(entry(seq, prev, f"sale {seq}", TILLS_KEY))
        prev = stored[-1].link.hash
    return stored


def renumbered(stored: list[Stored]) -> list[Stored]:
    """As the store reads them: by sequence number (the numbers kept as tampered)."""
    return sorted(stored, key=lambda one: one.link.seq)


def check(stored: list[Stored], head: tuple[int, str], *, search: bool) -> tuple[Fault | None, int]:
    """The fault the check names, and how many signatures it verified."""
    asked = 0

    def signed(index: int) -> bool:
        nonlocal asked
        asked += 1
        one = stored[index]
        return signature_holds(KEYS.get(one.key_id, b""), one.signature, one.link.hash)

    keyed = [one.key_id in OURS for one in stored]
    links = [one.link for one in stored]
    return check_chain(TILL, links, head, signed, keyed=keyed, search=search), asked


# What someone with the database's password but not the till's key can do to the rows.


def edit_content(stored: list[Stored], at: int, _other: int) -> None:
    one = stored[at]
    stored[at] = replace(one, link=replace(one.link, digest=content_digest("edited")))


def edit_hash(stored: list[Stored], at: int, _other: int) -> None:
    one = stored[at]
    stored[at] = replace(one, link=replace(one.link, hash="a" * 64))


def delete(stored: list[Stored], at: int, _other: int) -> None:
    del stored[at]


def swap(stored: list[Stored], at: int, other: int) -> None:
    first, second = stored[at], stored[other]
    stored[at] = replace(second, link=replace(second.link, seq=first.link.seq))
    stored[other] = replace(first, link=replace(first.link, seq=second.link.seq))


def insert_forged(stored: list[Stored], at: int, other: int) -> None:
    """A sale the forger writes at ``at``, the rest moved on by one; filed under the till's
    key (1) or the other till's (2), signed with the forger's own."""
    prev = stored[at - 1].link.hash if at else GENESIS
    forged = entry(at + 1, prev, f"forged {other}", FORGERS_KEY, key_id=1 + other % 2)
    moved = [replace(one, link=replace(one.link, seq=one.link.seq + 1)) for one in stored[at:]]
    stored[at:] = [forged, *moved]


def rewrite_from(stored: list[Stored], at: int, other: int) -> None:
    """Edit entry ``at`` and hash every entry again from there, signed with the forger's
    key (or filed under the other till's): the hashes hold, the signatures do not."""
    prev = stored[at - 1].link.hash if at else GENESIS
    for index in range(at, len(stored)):
        text = f"rewritten {index}" if index == at else f"sale {index + 1}"
        stored[index] = entry(index + 1, prev, text, FORGERS_KEY, key_id=1 + other % 2)
        prev = stored[index].link.hash


def refile_under_other_till(stored: list[Stored], at: int, _other: int) -> None:
    """The entry named as signed by another till's key: a key the till does not have."""
    stored[at] = replace(stored[at], key_id=2)


TAMPERINGS = [
    edit_content,
    edit_hash,
    delete,
    swap,
    insert_forged,
    rewrite_from,
    refile_under_other_till,
]


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(1, 40),
    steps=st.lists(
        st.tuples(st.sampled_from(TAMPERINGS), st.integers(0, 10**6), st.integers(0, 10**6)),
        max_size=3,
    ),
    head_moved=st.booleans(),
)
def test_the_fast_check_names_the_entry_the_check_of_every_signature_names(
    count: int, steps: list[tuple[object, int, int]], head_moved: bool
) -> None:
    stored = signed_chain(count)
    head = (count, stored[-1].link.hash)
    for tamper, at, other in steps:
        if not stored:
            break
        tamper(stored, at % len(stored), other % len(stored))  # type: ignore[operator]
    stored = renumbered(stored)
    if head_moved and stored:  # the forger also sets the till's head to the chain's end
        head = (len(stored), stored[-1].link.hash)

    every, _ = check(stored, head, search=False)
    fast, asked = check(stored, head, search=True)

    assert fast == every
    assert asked <= math.ceil(math.log2(count + 2)) + 1


def test_a_sound_chain_of_thousands_is_proven_by_one_signature() -> None:
    stored = signed_chain(2_000)

    fault, asked = check(stored, (2_000, stored[-1].link.hash), search=True)

    assert (fault, asked) == (None, 1)


def test_the_first_forged_entry_of_a_long_chain_is_found_in_a_dozen_checks() -> None:
    stored = signed_chain(2_000)
    rewrite_from(stored, 1_234, 0)

    fault, asked = check(stored, (2_000, stored[-1].link.hash), search=True)

    assert fault == Fault(1_235, Problem.FORGED, "sale", "event-rewritten 1234")
    assert asked <= 12


def test_an_entry_filed_under_a_key_the_till_does_not_have_is_forged_whatever_follows() -> None:
    stored = signed_chain(50)
    refile_under_other_till(stored, 20, 0)

    for search in (True, False):
        fault, _ = check(stored, (50, stored[-1].link.hash), search=search)
        assert fault == Fault(21, Problem.FORGED, "sale", "event-sale 21")


def test_only_the_check_of_every_signature_sees_a_garbled_signature_on_an_intact_entry() -> None:
    # No record is changed: entry 10 is the till's, as the signature on entry 30 proves;
    # only its own signature's bytes were spoiled. The fast check does not read them.
    stored = signed_chain(30)
    stored[9] = replace(stored[9], signature=bytes(64))

    every, _ = check(stored, (30, stored[-1].link.hash), search=False)
    fast, _ = check(stored, (30, stored[-1].link.hash), search=True)

    assert every == Fault(10, Problem.FORGED, "sale", "event-sale 10")
    assert fast is None
