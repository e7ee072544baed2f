"""The printed receipt of a paid sale."""

from __future__ import annotations


def receipt_label(till_code: str, number: int) -> str:
    """A receipt's number as printed: the till, then its sequence (``T01-000042``)."""
    return f"{till_code}-{number:06d}"
