"""The journal's pure rules: canonical content, and the chain check finding the first entry
that does not hold, whatever was done to a chain (a property test)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.journal import (
    GENESIS,
    Link,
    Problem,
    canonical,
    check_chain,
    content_digest,
    entry_hash,
)

TILL = "T01"


def chain(contents: list[str]) -> list[Link]:
    """A sound chain of sale entries with these contents."""
    links, prev = [], GENESIS
    for seq, content in enumerate(contents, start=1):
        at = f"2026-03-02T09:{seq % 60:02d}:00.000000+00:00"
        digest = content_digest(content)
        own = entry_hash(prev, TILL, seq, "sale", f"event-{seq}", at, digest)
        links.append(Link(seq, "sale", f"event-{seq}", at, prev, own, digest))
        prev = own
    return links


def head(links: list[Link]) -> tuple[int, str]:
    return (len(links), links[-1].hash if links else GENESIS)


def test_canonical_content_is_one_text_whatever_the_order_and_zone() -> None:
    istanbul = timezone(timedelta(hours=3))
    first = canonical(
        {"total": 2500, "at": datetime(2026, 3, 2, 12, 0, tzinfo=istanbul), "order": UUID(int=1)}
    )
    second = canonical(
        {"order": UUID(int=1), "at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "total": 2500}
    )
    assert first == second
    assert first == (
        '{"at":"2026-03-02T09:00:00.000000+00:00",'
        '"order":"00000000-0000-0000-0000-000000000001","total":2500}'
    )


@pytest.mark.parametrize("content", [{"total": 12.5}, {"at": datetime(2026, 3, 2)}, {1: "x"}])
def test_canonical_content_refuses_floats_naive_times_and_keys_that_are_not_text(
    content: dict[object, object],
) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical(content)  # type: ignore[arg-type]


def test_a_sound_chain_holds() -> None:
    links = chain(["a", "b", "c"])
    assert check_chain(TILL, links, head(links)) is None
    assert check_chain(TILL, [], (0, GENESIS)) is None


contents = st.lists(st.text(max_size=20), min_size=2, max_size=25)


@given(contents, st.data())
def test_changing_an_entrys_content_or_hash_is_found_at_that_entry(
    texts: list[str], data: st.DataObject
) -> None:
    links = chain(texts)
    at = data.draw(st.integers(0, len(links) - 1))
    changed = data.draw(st.text(max_size=20).filter(lambda text: text != texts[at]))
    tampered = list(links)
    if data.draw(st.booleans()):
        tampered[at] = replace(links[at], digest=content_digest(changed))
    else:
        tampered[at] = replace(links[at], hash=entry_hash(GENESIS, TILL, 0, "x", "y", "z", b""))

    fault = check_chain(TILL, tampered, head(links))

    assert fault is not None
    assert (fault.seq, fault.problem) == (at + 1, Problem.CHANGED)


@given(contents, st.data())
def test_removing_entries_is_found_at_the_first_one_missing(
    texts: list[str], data: st.DataObject
) -> None:
    links = chain(texts)
    start = data.draw(st.integers(0, len(links) - 1))
    end = data.draw(st.integers(start + 1, len(links)))

    fault = check_chain(TILL, links[:start] + links[end:], head(links))

    assert fault is not None
    assert (fault.seq, fault.problem, dict(fault.detail)) == (
        start + 1,
        Problem.REMOVED,
        {"missing": end - start},
    )


@given(contents, st.data())
def test_swapping_two_entries_is_found_at_the_first_of_them(
    texts: list[str], data: st.DataObject
) -> None:
    links = chain(texts)
    first = data.draw(st.integers(0, len(links) - 2))
    second = data.draw(st.integers(first + 1, len(links) - 1))
    tampered = list(links)
    tampered[first] = replace(links[second], seq=first + 1)
    tampered[second] = replace(links[first], seq=second + 1)

    fault = check_chain(TILL, tampered, head(links))

    assert fault is not None
    assert (fault.seq, fault.problem, dict(fault.detail)) == (
        first + 1,
        Problem.REORDERED,
        {"found": second + 1},
    )


@given(contents, st.data())
def test_an_entry_slipped_in_is_found_where_it_stands(
    texts: list[str], data: st.DataObject
) -> None:
    links = chain(texts)
    at = data.draw(st.integers(0, len(links)))
    prev = links[at - 1].hash if at else GENESIS
    # The forger hashes it right, but cannot sign it with the till's key.
    digest = content_digest("forged")
    own = entry_hash(prev, TILL, at + 1, "sale", "forged", "2026-03-02", digest)
    stranger = Link(at + 1, "sale", "forged", "2026-03-02", prev, own, digest, signed=False)
    moved = [replace(link, seq=link.seq + 1) for link in links[at:]]

    fault = check_chain(TILL, [*links[:at], stranger, *moved], head(links))

    assert fault is not None
    assert fault.seq == at + 1
    assert fault.event == "forged"
    # In the middle, the till's own entry for that place is still there further on.
    assert fault.problem is (Problem.INSERTED if at < len(links) else Problem.FORGED)


@given(contents, st.data())
def test_an_entry_the_till_did_not_sign_is_found(texts: list[str], data: st.DataObject) -> None:
    links = chain(texts)
    at = data.draw(st.integers(0, len(links) - 1))
    tampered = list(links)
    tampered[at] = replace(links[at], signed=False)

    fault = check_chain(TILL, tampered, head(links))

    assert fault is not None
    assert (fault.seq, fault.problem) == (at + 1, Problem.FORGED)


@given(contents)
def test_a_head_ahead_of_the_entries_says_the_last_ones_were_removed(texts: list[str]) -> None:
    links = chain(texts)

    fault = check_chain(TILL, links[:-1], head(links))

    assert fault is not None
    assert (fault.seq, fault.problem) == (len(links), Problem.REMOVED)
