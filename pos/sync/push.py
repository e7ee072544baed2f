"""Sending the till's offline sales home: its outbox, oldest first, exactly once.

Each unsent ``sale.offline`` record of the replica's outbox goes to the central store's
``ingest_sale`` (one central transaction per sale; on PostgreSQL many of them to a round
trip, ``burst`` at most: ``pos.services.ingest_burst``); only after the central commit is
the record marked sent on the replica (a few records at a time, ``mark_every``), with
what the central store answered (``ingested``, ``already_here`` or ``conflict``). A
crash between the two leaves the record unsent: the next push sends it again and hears
"already here". A sale the central store cannot take is kept in its conflicts queue and
marked sent with ``conflict``: the sales behind it go on.

The order is the till's own: outbox ids are given in the order the sales were paid
(their receipt numbers' order), never by the clock. A central store that is busy is
tried again after a pause that doubles each time; one that is gone (or still busy after
``tries``) stops the push: what was sent stays sent, and the runtime tries again later.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update

from pos.domain.results import Code, Err, Ok, Result
from pos.domain.sync import Answer
from pos.services._offline import TOPIC_OFFLINE_SALE
from pos.services.ingest import Ingested, ingest_sale
from pos.services.ingest_burst import BURST, ingest_sales
from pos.store.prepared import Prepared
from pos.store.tables import outbox
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
Progress = Callable[[int, int], None]
"""Hears ``(sent, total)`` after each sale the push sent (and once at its start)."""

BATCH = 200
MARK_EVERY = 25
"""Sales whose records are marked sent in one replica transaction (each only after its
central commit): a crash before the mark sends at most these again, answered "already
here"."""
TRIES = 4
FIRST_PAUSE = 0.25
"""Seconds before the second try of a sale the central store did not answer; doubled
before each further try."""

_UNSENT = (outbox.c.topic == TOPIC_OFFLINE_SALE) & outbox.c.sent_at.is_(None)
_MARK_SENT = Prepared(
    update(outbox)
    .where(outbox.c.id == bindparam("b_id"), outbox.c.sent_at.is_(None))
    .values(sent_at=bindparam("b_now"), answer=bindparam("b_answer"))
)


@dataclass(frozen=True)
class PushReport:
    """What one push did."""

    total: int
    """Sales unsent when the push began."""
    ingested: int = 0
    already_here: int = 0
    conflicts: int = 0
    left: int = 0
    """Sales still unsent when it ended (0 when it went through)."""

    @property
    def sent(self) -> int:
        return self.ingested + self.already_here + self.conflicts


@dataclass(frozen=True)
class SyncStatus:
    """What the till's outbox holds, for ``pos sync status`` and the till's own view."""

    unsent: int
    ingested: int
    already_here: int
    conflicts: int
    oldest_unsent_id: int | None


def sync_status(replica: UnitOfWork) -> Result[SyncStatus]:
    """The till's offline sales by what the central store answered, and how many wait."""
    with replica.reading():
        rows = replica.connection.execute(
            select(outbox.c.answer, func.count(), func.min(outbox.c.id))
            .where(outbox.c.topic == TOPIC_OFFLINE_SALE)
            .group_by(outbox.c.answer)
        ).all()
    counts = {answer: (int(count), oldest) for answer, count, oldest in rows}
    unsent, oldest = counts.get(None, (0, None))
    return Ok(
        SyncStatus(
            unsent=unsent,
            ingested=counts.get(Answer.INGESTED.value, (0, None))[0],
            already_here=counts.get(Answer.ALREADY_HERE.value, (0, None))[0],
            conflicts=counts.get(Answer.CONFLICT.value, (0, None))[0],
            oldest_unsent_id=oldest,
        )
    )


def push_outbox(
    central_uow_factory: UowFactory,
    replica_uow_factory: UowFactory,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    burst: int = BURST,
    mark_every: int = MARK_EVERY,
    tries: int = TRIES,
    pause: float = FIRST_PAUSE,
    sleep: Callable[[float], None] = time.sleep,
) -> Result[PushReport]:
    """Push every unsent offline sale to the central store, oldest first (see module).

    ``Ok(PushReport)`` once the outbox is drained; ``Err(SYNC_INTERRUPTED)`` with
    ``sent``, ``total`` and ``cause`` when the central store stopped answering (the rest
    waits for the next push).
    """
    replica = replica_uow_factory()
    total = _count_unsent(replica)
    tally = {answer: 0 for answer in Answer}
    if progress is not None:
        progress(0, total)
    after = 0
    marks: list[tuple[int, Answer]] = []
    while True:
        records = _next_batch(replica, after, batch)
        if not records:
            break
        while records:
            answered = _push_batch(central_uow_factory, records, burst)
            for record_id, key, body in records:
                try:
                    result = next(answered, None)
                except Exception as error:  # the store went before the burst could say
                    log.warning("sync: a burst stopped: %s", error)
                    result = None
                alone = result is None or isinstance(result, Err)
                if alone:
                    # The store did not take it now: the sale alone, with pauses, then
                    # the rest of the batch afresh.
                    answered.close()
                    sent_alone = _send(central_uow_factory, key, body, tries, pause, sleep)
                    if isinstance(sent_alone, Err):
                        _mark_sent(replica, marks)
                        sent = sum(tally.values())
                        log.info(
                            "sync: stopped after %d of %d sales: %s", sent, total, sent_alone.code
                        )
                        return Err(
                            Code.SYNC_INTERRUPTED,
                            {"sent": sent, "total": total, "cause": sent_alone.code.value},
                        )
                    answer = sent_alone
                else:
                    assert result is not None
                    assert not isinstance(result, Err)
                    answer = result.value
                marks.append((record_id, answer.answer))
                if len(marks) >= mark_every:
                    _mark_sent(replica, marks)
                tally[answer.answer] += 1
                after = record_id
                if progress is not None:
                    progress(sum(tally.values()), max(total, sum(tally.values())))
                if alone:
                    break
            answered.close()
            records = [record for record in records if record[0] > after]
    _mark_sent(replica, marks)
    return Ok(
        PushReport(
            total=total,
            ingested=tally[Answer.INGESTED],
            already_here=tally[Answer.ALREADY_HERE],
            conflicts=tally[Answer.CONFLICT],
            left=_count_unsent(replica),
        )
    )


def _push_batch(
    central_uow_factory: UowFactory, records: list[tuple[int, str, str]], burst: int
) -> Generator[Result[Ingested], None, None]:
    """The central store's answers to the records' sales, in order, each after its
    commit (in bursts where it can: ``pos.services.ingest_burst``)."""
    payloads = [_payload(key, body) for _, key, body in records]
    return ingest_sales(central_uow_factory, payloads, burst=burst)


def _send(
    central_uow_factory: UowFactory,
    key: str,
    body: str,
    tries: int,
    pause: float,
    sleep: Callable[[float], None],
) -> Ingested | Err:
    """One sale to the central store, tried again after a growing pause while it does
    not answer; what it answered, or the last failure."""
    payload = _payload(key, body)
    failure: Err = Err(Code.STORE_UNREACHABLE)
    for attempt in range(tries):
        if attempt:
            sleep(pause * 2 ** (attempt - 1))
        try:
            result = ingest_sale(central_uow_factory(), payload)
        except Exception as error:  # the conflict itself could not be kept: the store went
            log.warning("sync: sale %s not taken: %s", key, error)
            failure = Err(Code.STORE_UNREACHABLE)
            continue
        if isinstance(result, Err):  # busy or gone: nothing was decided
            failure = result
            continue
        return result.value
    return failure


def _payload(key: str, body: str) -> dict[str, Any]:
    """The record's sale; one that is not JSON goes to the conflicts queue as it is."""
    try:
        payload = json.loads(body)
    except ValueError:
        return {"order_id": key, "version": None, "unreadable": body}
    if not isinstance(payload, dict):
        return {"order_id": key, "version": None, "unreadable": body}
    return payload


def _count_unsent(replica: UnitOfWork) -> int:
    with replica.reading():
        return int(replica.connection.execute(select(func.count()).where(_UNSENT)).scalar_one())


def _next_batch(replica: UnitOfWork, after: int, size: int) -> list[tuple[int, str, str]]:
    with replica.reading():
        rows = replica.connection.execute(
            select(outbox.c.id, outbox.c.key, outbox.c.payload)
            .where(_UNSENT, outbox.c.id > after)
            .order_by(outbox.c.id)
            .limit(size)
        ).all()
    return [(row.id, row.key, row.payload) for row in rows]


def _mark_sent(replica: UnitOfWork, marks: list[tuple[int, Answer]]) -> None:
    """After their central commits: the records are sent, with what the store answered
    (``marks`` is emptied)."""
    if not marks:
        return
    with replica:
        now = replica.now()
        _MARK_SENT.execute_many(
            replica.connection,
            [
                {"b_id": record_id, "b_now": now, "b_answer": answer.value}
                for record_id, answer in marks
            ],
        )
        replica.commit()
    marks.clear()
