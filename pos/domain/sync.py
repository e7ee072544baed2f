"""Offline sales going home: what the central store answers, and a conflict's states."""

from __future__ import annotations

import enum


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


class Answer(enum.StrEnum):
    """What the central store said to one offline sale the till sent home."""

    INGESTED = "ingested"
    """It made the sale now."""
    ALREADY_HERE = "already_here"
    """It had the sale already (an earlier push whose answer the till never heard)."""
    CONFLICT = "conflict"
    """It could not take the sale: kept in its conflicts queue for a manager."""
