"""The folded words of a text, as the name search indexes and matches them and the
sign-in screen orders the cashiers: the standard library only, for the till's first screen."""

from __future__ import annotations

import re
import unicodedata

# Turkish letters fold to their Latin base so "seker" finds "Şeker" and "ICEC" finds
# "İçecek"; the dotless ı and dotted İ need their own entries before lower().
_FOLD = str.maketrans(
    {
        "İ": "i",
        "I": "i",
        "ı": "i",
        "ş": "s",
        "Ş": "s",
        "ğ": "g",
        "Ğ": "g",
        "ü": "u",
        "Ü": "u",
        "ö": "o",
        "Ö": "o",
        "ç": "c",
        "Ç": "c",
    }
)
_WORD = re.compile(r"[^\W_]+")

MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 40


def search_words(text: str) -> list[str]:
    """The folded words of ``text`` as the name search indexes and matches them."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD).lower())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words: list[str] = []
    for word in _WORD.findall(plain):
        word = word[:MAX_WORD_LENGTH]
        if word not in words:
            words.append(word)
    return words
