"""Offline sales going home: what the central store answers, and a conflict's states."""

from __future__ import annotations

import enum

from pos.domain.messages import DEFAULT_LOCALE, MESSAGES
from pos.domain.messages_sync_conflicts import REASON_TEXTS
from pos.domain.results import Code


class ConflictStatus(enum.StrEnum):
    """Where a sale the central store could not take stands with the manager.

    ``open`` waits for a manager; ``resolved`` is a retry that went in after a fix;
    ``accepted`` is taken as it is; ``written_off`` is kept only as a record. Only an
    open conflict can move, and each move is audited.
    """

    OPEN = "open"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"
    WRITTEN_OFF = "written_off"


class _Blank(dict[str, str]):
    """A refusal's parameters are not kept with a conflict: each placeholder reads '…'."""

    def __missing__(self, key: str) -> str:
        return "…"


def conflict_reason_text(reason: str, locale: str = DEFAULT_LOCALE) -> str:
    """Why the central store could not take a sale, in ``locale``: a result code by its
    catalogue message (its placeholders left as '…'), ``error`` as a fault in the code,
    anything else as it is stored."""
    texts = REASON_TEXTS.get(reason)
    if texts is None and reason in Code._value2member_map_:
        texts = MESSAGES.get(Code(reason))
    if texts is None:
        return reason
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    return template.format_map(_Blank())


class Answer(enum.StrEnum):
    """What the central store said to one offline sale the till sent home."""

    INGESTED = "ingested"
    """It made the sale now."""
    ALREADY_HERE = "already_here"
    """It had the sale already (an earlier push whose answer the till never heard)."""
    CONFLICT = "conflict"
    """It could not take the sale: kept in its conflicts queue for a manager."""
