"""Every text the till shows exists in Turkish and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def till_texts() -> set[str]:
    found = extract_from_dir(str(ROOT / "ui"), method_map=[("**.py", "python")])
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("language", ["tr", "en"])
def test_every_till_text_is_translated(language: str) -> None:
    path = ROOT / "resources" / "locale" / language / "LC_MESSAGES" / "kasa.po"
    with path.open("rb") as source:
        catalogue = {m.id: m.string for m in read_po(source, locale=language) if m.id}
    texts = till_texts()
    assert len(texts) > 50  # the extraction itself works
    missing = sorted(text for text in texts if not catalogue.get(text))
    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    import string

    path = ROOT / "resources" / "locale" / "tr" / "LC_MESSAGES" / "kasa.po"
    with path.open("rb") as source:
        for message in read_po(source, locale="tr"):
            if message.id:
                names = {f for _t, f, _s, _c in string.Formatter().parse(message.id) if f}
                translated = {f for _t, f, _s, _c in string.Formatter().parse(message.string) if f}
                assert names == translated, message.id
