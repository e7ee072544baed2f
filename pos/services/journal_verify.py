"""The check of the till's journal: each chain read in one snapshot, and the first entry
that does not hold named (``pos.domain.journal.check_chain``); the entries are written by
``pos.services.journal``."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    select,
    text,
)

from pos.domain.journal import (
    Fault,
    Kind,
    Link,
    Problem,
    check_chain,
    content_digest,
    signature_holds,
    signatures_hold,
    utc_text,
)
from pos.domain.results import Code, Ok, Refused, Result
from pos.journal_keys import fingerprint
from pos.services._support import use_case
from pos.store.tables import (
    cash_sessions,
    journal,
    till_keys,
    tills,
)
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

PAGE = 5_000
"""Entries read per statement while verifying."""
PARALLEL_FROM = 20_000
"""Signatures checked in a pool of processes, one per core, from this many on."""

# -- verifying -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """One till's chain as checked: how many entries, and the first that does not hold."""

    till_id: int
    till_code: str
    entries: int
    fault: Fault | None
    keys: tuple[str, ...]
    """The fingerprints of the keys its entries are signed with, to compare by eye."""

    @property
    def holds(self) -> bool:
        return self.fault is None


@dataclass(frozen=True)
class VerifyReport:
    chains: tuple[ChainReport, ...]

    @property
    def holds(self) -> bool:
        return all(chain.holds for chain in self.chains)


@use_case
def verify(
    uow: UnitOfWork, till: str | None = None, *, every_signature: bool = False
) -> Result[VerifyReport]:
    """Check each till's chain end to end (``till``'s alone if given, by its code):
    hashes, order, gaps, the key each entry names, and signatures against the stored
    public keys.

    Every hash is recomputed, which is cheap. Of the signatures, by default only the last
    of the run of entries whose hashes hold, and if it fails a binary search for the
    first that does: O(log n) Ed25519 checks, each about 115 µs, instead of n. A
    signature that holds on entry i proves entries 1..i are what the till signed, given
    SHA-256's collision resistance and that the store's keys for the till are the
    till's (``pos.domain.journal.first_unsigned`` says why); so the entry named is the
    same as a check of every signature names, unless an intact entry's signature alone
    was garbled. ``every_signature`` checks each one (in a pool of processes, one per
    core, for a long journal), for an auditor who wants that too.

    Each Z report kept with its session is held against its entry, for the entries the
    check proved: one that differs is named ``Z_EDITED`` at its entry.
    """
    with uow.reading():
        connection = uow.connection
        if connection.dialect.name == "postgresql":
            # The heads and every page of entries from one snapshot.
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        query = select(tills.c.id, tills.c.code, tills.c.journal_seq, tills.c.journal_hash)
        if till is not None:
            query = query.where(tills.c.code == till)
        heads = connection.execute(query.order_by(tills.c.code)).all()
        if till is not None and not heads:
            raise Refused(Code.TILL_NOT_FOUND, till=till)
        keys = {
            row.id: (row.till_id, bytes(row.public_key))
            for row in connection.execute(
                select(till_keys.c.id, till_keys.c.till_id, till_keys.c.public_key)
            )
        }
        pool = (
            _Signatures(sum(int(head.journal_seq) for head in heads)) if every_signature else None
        )
        try:
            reads = [(head, _read_chain(connection, head.id, keys, pool)) for head in heads]
            kept = _kept_z_reports(connection, reads)
        except BaseException:
            if pool is not None:
                pool.close()
            raise
    held: list[bool] = []
    if pool is not None:
        try:  # the store is done with; the signatures may take a while yet
            held = pool.held()
        finally:
            pool.close()
    chains, done = [], 0
    for head, chain in reads:
        count = len(chain.links)
        signed: Callable[[int], bool]
        if pool is not None:
            signed = held[done : done + count].__getitem__
            done += count
        else:
            signed = chain.signature_holds
        fault = check_chain(
            head.code,
            chain.links,
            (int(head.journal_seq), str(head.journal_hash)),
            signed,
            keyed=chain.keyed,
            search=not every_signature,
        )
        fault = _kept_z_differs(chain, kept, fault) or fault
        prints = tuple(fingerprint(keys[key_id][1]) for key_id in chain.key_ids if key_id in keys)
        chains.append(ChainReport(head.id, head.code, count, fault, prints))
    return Ok(VerifyReport(tuple(chains)))


@dataclass(frozen=True)
class _Chain:
    """A till's entries as read for the check."""

    links: list[Link]
    signatures: list[tuple[bytes, bytes, str]]
    """Each entry's (public key it names, signature, hash)."""
    keyed: list[bool]
    """Whether the key each entry names is one the store holds for this till."""
    key_ids: list[int]
    """The keys the entries name, in the order of first use."""
    z_reports: list[tuple[int, str, str]] = field(default_factory=list)
    """Each Z's entry: its number, its event (the session) and its content."""

    def signature_holds(self, index: int) -> bool:
        return signature_holds(*self.signatures[index])


def _read_chain(
    connection: Connection,
    till_id: int,
    keys: Mapping[int, tuple[int, bytes]],
    pool: _Signatures | None,
) -> _Chain:
    """A till's entries by sequence number, in one statement read a page at a time
    (a server-side cursor on PostgreSQL), each reduced to what the check needs (its
    content only as its digest); each page's signatures handed to ``pool`` to be
    checked, if given."""
    chain = _Chain([], [], [], [])
    key_ids: dict[int, None] = {}
    result = connection.execution_options(yield_per=PAGE).execute(
        select(
            journal.c.seq,
            journal.c.kind,
            journal.c.event_id,
            journal.c.at,
            journal.c.prev_hash,
            journal.c.hash,
            journal.c.content,
            journal.c.key_id,
            journal.c.signature,
        )
        .where(journal.c.till_id == till_id)
        .order_by(journal.c.seq)
    )
    for rows in result.partitions():
        page = []
        for seq, kind, event, at, prev, digest, content, key_id, signature in rows:
            chain.links.append(
                Link(seq, kind, event, utc_text(at), prev, digest, content_digest(content))
            )
            owner, public = keys.get(key_id, (None, b""))
            # A key of another till signs nothing of this one.
            ours = owner == till_id
            chain.keyed.append(ours)
            if kind == Kind.Z_REPORT:
                chain.z_reports.append((seq, event, content))
            page.append((public if ours else b"", bytes(signature), digest))
            key_ids.setdefault(key_id)
        chain.signatures.extend(page)
        if pool is not None:
            pool.check(page)
    chain.key_ids.extend(key_ids)
    return chain


def _kept_z_reports(connection: Connection, reads: Sequence[tuple[Any, _Chain]]) -> dict[str, Any]:
    """The Z reports kept with the sessions the chains' Z entries name, by session id."""
    sessions = [
        int(event) for _, chain in reads for _, event, _ in chain.z_reports if event.isdigit()
    ]
    kept: dict[str, Any] = {}
    for start in range(0, len(sessions), PAGE):
        for row in connection.execute(
            select(cash_sessions.c.id, cash_sessions.c.z_report).where(
                cash_sessions.c.id.in_(sessions[start : start + PAGE])
            )
        ):
            kept[str(row.id)] = json.loads(row.z_report) if row.z_report else None
    return kept


def _kept_z_differs(chain: _Chain, kept: Mapping[str, Any], fault: Fault | None) -> Fault | None:
    """The first Z entry before ``fault`` (so one the check proved the till's) whose report,
    as kept with its session, no longer says what the entry says; None if none."""
    for seq, event, content in chain.z_reports:
        if fault is not None and seq >= fault.seq:
            return None
        if json.loads(content).get("report") != kept.get(event):
            return Fault(seq, Problem.Z_EDITED, Kind.Z_REPORT.value, event)
    return None


class _Signatures:
    """Checks the signatures of the pages as they are read: a long journal's in a pool of
    processes, one per core, while the store is still being read; a short one's here.

    A frozen bundle checks them here too: its children would start the till again."""

    def __init__(self, expected: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        cores = os.cpu_count() or 1
        if expected >= PARALLEL_FROM and cores > 1 and not getattr(sys, "frozen", False):
            # Forked where that is safe (Linux, no other thread: `pos journal verify`), so
            # the workers start at once; spawned anywhere else (the window has threads).
            alone = sys.platform == "linux" and threading.active_count() == 1
            context = multiprocessing.get_context("fork" if alone else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=cores, mp_context=context)
        self._pages: list[tuple[Sequence[tuple[bytes, bytes, str]], Future[list[bool]] | None]] = []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def check(self, page: Sequence[tuple[bytes, bytes, str]]) -> None:
        future = None
        if self._pool is not None and page:
            try:
                future = self._pool.submit(signatures_hold, page)
            except (BrokenProcessPool, RuntimeError, OSError) as failure:
                log.warning("checking signatures here, not in a pool: %s", failure)
                self._pool = None
        self._pages.append((page, future))

    def held(self) -> list[bool]:
        """Whether each signature holds, in the order the pages came."""
        held: list[bool] = []
        for page, future in self._pages:
            if future is not None:
                try:
                    held += future.result()
                    continue
                except (BrokenProcessPool, OSError) as failure:
                    log.warning("checking signatures here, the pool broke: %s", failure)
            held += signatures_hold(page)
        return held
