"""The replica makes its search words piece by piece, from a cache: always the very list
the catalogue's ``search_words`` makes of the whole name."""

from __future__ import annotations

import itertools

import pytest

from pos.domain.catalogue import search_words
from pos.sync.replica import name_words
from tests.benchmarks.catalogue import make_products

TRICKY = [
    "Çaykur Rize Çayı 1 kg",
    "İçim Süt 1 L  İÇİM süt",
    "L'Oréal Şampuan 400ml",
    "ΑΣ ΒΣ ΟΔΟΣ",  # a final sigma at each word's end
    "a\u00b4b c\u00a8d",  # an acute and a diaeresis that decompose to a space
    "x\u0301 \u0301y",  # combining marks at a piece's end and start
    "ﬁne ½ ¼kg Ⅻ",  # compatibility forms
    "tab\tand\u00a0nbsp\u2003em",
    "snake_case-and—dash",
    "",
    "   ",
    "A" * 60 + " " + "a" * 45,
    "süt süt SÜT Süt",
]


@pytest.mark.parametrize("name", TRICKY)
def test_the_pieces_give_the_words_of_the_whole_name(name):
    assert name_words(name) == search_words(name)


def test_the_catalogue_of_the_benchmarks_gives_the_same_words():
    for product in itertools.islice(make_products(5_000, 7), 5_000):
        assert name_words(product.name) == search_words(product.name), product.name
