"""What text the shop takes in from a keyboard, a scanner or a file, and what it prints.

A barcode scanner, a pasted note or a CSV cell can carry anything: a NUL (which
PostgreSQL refuses to store), a lone surrogate (which no database can encode), an
ESC (``ESC p`` opens the cash drawer on an ESC/POS printer), a bidi override that
makes a name read as something else, or invisible zero-width characters. Every
service refuses such text before it reaches the store, through the functions here;
the receipt strips whatever is already stored with :func:`printable`.
"""

from __future__ import annotations

import unicodedata

FOLDED = "\t\n\r"
"""The control characters a one-line note may hold: they become spaces."""


TRIMMED = " \t\r\n"
"""What may stand around a code or a word as typed or scanned (a scanner ends with Enter)."""


def trimmed(value: object) -> str | None:
    """``value`` without the spaces, tabs and line breaks around it; None if it is not text
    or anything left in it is unprintable. (``str.strip()`` alone would also take away
    a vertical tab or the separators ``\\x1c``..``\\x1f``, letting hostile input through as
    the code it hid.)"""
    if not isinstance(value, str):
        return None
    text = value.strip(TRIMMED)
    return text if readable(text) else None


def unprintable(char: str) -> bool:
    """A control (C0, C1), format (bidi, zero-width), surrogate, private-use or
    unassigned character, or a line or paragraph separator: nothing a person reads."""
    return unicodedata.category(char)[0] == "C" or char in "\u2028\u2029"


def readable(value: object, *, allowed: str = "") -> bool:
    """``value`` is text with no unprintable character but those ``allowed``."""
    if not isinstance(value, str):
        return False
    return not any(unprintable(char) and char not in allowed for char in value)


def clean_line(value: object, max_length: int, *, min_length: int = 1) -> str | None:
    """One printed line a person typed (a name, a reason), its spaces tidied; None if it is
    not text, holds any unprintable character (tabs and line breaks too) or its tidied
    length is outside ``min_length``..``max_length``."""
    if not isinstance(value, str) or len(value) > 4 * max_length or not readable(value):
        return None
    line = " ".join(value.split())
    return line if min_length <= len(line) <= max_length else None


def clean_text(
    value: object, max_length: int, *, min_length: int = 0, keep_breaks: bool = False
) -> str | None:
    """Free text (a note, an address), its spaces tidied. With ``keep_breaks`` its lines
    stay apart (``\\n``), each trimmed of spaces and tabs at its ends; else line breaks
    and tabs fold into spaces. None if it is not text, holds any other unprintable
    character (a tab or ``\\r`` inside a kept line too: the printer has no columns and
    no carriage returns), or its length is outside ``min_length``..``max_length``."""
    if not isinstance(value, str) or len(value) > 4 * max_length:
        return None
    if keep_breaks:
        lines = [line.strip(" \t") for line in value.split("\n")]
        if not all(readable(line) for line in lines):
            return None
        note = "\n".join(" ".join(line.split()) for line in lines).strip("\n")
    elif readable(value, allowed=FOLDED):
        note = " ".join(value.split())
    else:
        return None
    return note if min_length <= len(note) <= max_length else None


def printable(text: str) -> str:
    """``text`` with every unprintable character taken out and every space other than a
    line break made a plain one: what may be sent to a printer or shown on a screen."""
    kept: list[str] = []
    for char in text:
        if char == "\n" or char == " ":
            kept.append(char)
        elif char.isspace():
            kept.append(" ")
        elif not unprintable(char):
            kept.append(char)
    return "".join(kept)
