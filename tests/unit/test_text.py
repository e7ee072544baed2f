"""The one rule of what text the shop takes in and what it prints (``pos.domain.text``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.text import clean_line, clean_text, printable, readable, trimmed

HOSTILE = [
    "12\x0034",  # NUL: PostgreSQL refuses to store it
    "abc\ud800",  # a lone surrogate: no database can encode it
    "Ali\x1bp",  # ESC p opens the cash drawer
    "\x9b31m",  # C1 CSI
    "Süt\u202e1 kg",  # RIGHT-TO-LEFT OVERRIDE
    "a\u200bb",  # ZERO WIDTH SPACE
    "\ufeffAyran",  # BYTE ORDER MARK
    "a\u2028b",  # LINE SEPARATOR
    "a\x85b",  # NEXT LINE (C1)
    "a\x1eb",  # RECORD SEPARATOR: str.split() takes it for a space
    "\ue000",  # private use
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_text_is_no_line_and_no_note(typed: str) -> None:
    assert not readable(typed)
    assert clean_line(typed, 200) is None
    assert clean_text(typed, 200) is None
    assert clean_text(typed, 200, keep_breaks=True) is None


def test_a_line_has_its_spaces_tidied_and_keeps_letters_of_any_language() -> None:
    assert clean_line("  Ayşe\u00a0  Yılmaz ", 200) == "Ayşe Yılmaz"
    assert clean_line("L'Oréal Şampuan 🍫", 200) == "L'Oréal Şampuan 🍫"


@pytest.mark.parametrize("typed", ["Ali\tVeli", "Ali\nVeli", "Ali\rVeli"])
def test_a_line_refuses_tabs_and_line_breaks(typed: str) -> None:
    assert clean_line(typed, 200) is None


def test_a_line_is_refused_past_its_length_or_when_empty() -> None:
    assert clean_line("a" * 10, 10) == "a" * 10
    assert clean_line("a" * 11, 10) is None
    assert clean_line("   ", 10) is None
    assert clean_line(None, 10) is None


def test_a_one_line_note_folds_its_tabs_and_breaks_into_spaces() -> None:
    assert clean_text("kutu\tyırtık\r\nıslak", 200) == "kutu yırtık ıslak"
    assert clean_text("", 200) == ""
    assert clean_text("", 200, min_length=1) is None


def test_a_note_that_keeps_its_lines_trims_each_and_refuses_tabs_inside() -> None:
    typed = "  Kasa Market  \n\tAtatürk Cd. No: 5\n"

    assert clean_text(typed, 200, keep_breaks=True) == "Kasa Market\nAtatürk Cd. No: 5"
    assert clean_text("a\tb", 200, keep_breaks=True) is None
    assert clean_text("a\r\nb", 200, keep_breaks=True) is None


def test_printable_drops_what_no_one_reads_and_keeps_line_breaks() -> None:
    assert printable("Ali\x1bp") == "Alip"
    assert printable("Kasa\x00 Market\n\u202eabc\u200b") == "Kasa Market\nabc"
    assert printable("Süt\t1\u00a0L\r") == "Süt 1 L "
    assert printable("abc\ud800") == "abc"


@given(st.text())
def test_printable_leaves_only_printable_characters_and_line_breaks(text: str) -> None:
    assert all(char == "\n" or char.isprintable() for char in printable(text))


@given(st.text())
def test_whatever_a_line_accepts_is_printable_as_is(text: str) -> None:
    line = clean_line(text, 1_000)
    if line is not None:
        assert printable(line) == line


def test_trimming_takes_only_spaces_tabs_and_line_breaks_around_a_code() -> None:
    assert trimmed(" 8690000000001\r\n") == "8690000000001"
    for hidden in ("\x0b0", "\x1c0", "\x1f0", "0\x1e", "\x85YAZ5"):
        assert hidden.strip() != hidden  # what str.strip() alone would take away
        assert trimmed(hidden) is None
    assert trimmed(None) is None
