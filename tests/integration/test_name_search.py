"""Name search finds the same products in the same order however the store finds them:
by walking the word index, or (PostgreSQL) by asking the trigram index for rare pairs."""

from __future__ import annotations

import io
import random

import pytest
from sqlalchemy import select, update

from pos.domain.catalogue import search_words
from pos.services import name_search
from pos.services.catalogue import ProductDraft, create_product, search_products, update_product
from pos.services.name_search import Key, name_hits
from pos.services.product_import import import_products_csv
from pos.store.models import Product, ProductSearch, ProductWord
from pos.store.uow import UnitOfWork
from tests.conftest import Store, value

VOCABULARY = [
    "Süt",
    "Sütaş",
    "Sütlaç",
    "Şeker",
    "Şekerli",
    "Şekersiz",
    "Çay",
    "Çaykur",
    "Çilek",
    "Çilekli",
    "İçim",
    "Ilık",
    "Kaşar",
    "Kakaolu",
    "Karamelli",
    "Kahve",
    "Toz",
    "Tozlu",
    "Yoğurt",
    "Ayran",
    "Peynir",
    "Peyniri",
    "Gofret",
    "Ülker",
    "XL",
    "Promo",
    "1",
    "1,5",
    "10",
    "100",
    "kg",
    "g",
    "L",
    "ml",
    "Coca-Cola",
    "Erikli",
    "Iced",
    "Öz",
    "Ölçü",
    "Ğ",
]


def stocked(store: Store, uow: UnitOfWork, names: list[str]) -> dict[int, str]:
    """The products of ``names``, imported at once, by id."""
    rows = ["sku,name,price"] + [f'N-{index:05d},"{name}",1.00' for index, name in enumerate(names)]
    value(import_products_csv(uow, io.StringIO("\n".join(rows) + "\n")))
    with store.engine.connect() as connection:
        return {row.id: row.name for row in connection.execute(select(Product.id, Product.name))}


def expected(
    shelf: dict[int, str], words: list[str], inactive: set[int] = frozenset()
) -> list[Key]:
    """What a name search must answer, worked out from the names alone: each product
    having a word starting with each typed word, at its key (the first of its words the
    longest typed word starts), in key order."""
    lead = sorted(words, key=len, reverse=True)[0]
    keys = []
    for product_id, name in shelf.items():
        folded = search_words(name)
        if product_id not in inactive and all(
            any(word.startswith(typed) for word in folded) for typed in words
        ):
            keys.append((min(word for word in folded if word.startswith(lead)), product_id))
    return sorted(keys)


def random_names(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.sample(VOCABULARY, rng.randint(1, 5))) for _ in range(count)]


def typed_words(rng: random.Random) -> list[str]:
    """One to three typed words: whole words or their starts, folded as the search folds."""
    words: list[str] = []
    for token in rng.sample(VOCABULARY, rng.randint(1, 3)):
        for word in search_words(token):
            cut = word[: rng.randint(1, len(word))]
            if cut not in words:
                words.append(cut)
    return words


@pytest.mark.parametrize("budget", [3, name_search.WALK_BUDGET])
def test_every_way_of_searching_finds_the_products_the_names_say_in_key_order(
    store, uow, monkeypatch, budget
):
    # A walk budget of 3 sends nearly every search of several words to the trigram
    # index on PostgreSQL; the shop's own budget mostly walks.
    monkeypatch.setattr(name_search, "WALK_BUDGET", budget)
    rng = random.Random(23)
    shelf = stocked(store, uow, random_names(rng, 400))
    inactive = set(rng.sample(sorted(shelf), 40))
    with store.engine.begin() as connection:
        connection.execute(update(Product).where(Product.id.in_(inactive)).values(active=False))

    with store.engine.connect() as connection:
        for _ in range(60):
            words = typed_words(rng)
            for active_only in (False, True):
                everything = expected(shelf, words, inactive if active_only else set())
                wanted = rng.choice((1, 5, 50))
                found = name_hits(connection, words, wanted=wanted, active_only=active_only)
                assert found == everything[:wanted], words
                if len(everything) > 2:  # the page after one in the middle
                    middle = everything[len(everything) // 2]
                    following = name_hits(
                        connection, words, wanted=wanted, after=middle, active_only=active_only
                    )
                    start = len(everything) // 2 + 1
                    assert following == everything[start : start + wanted], (words, middle)


def test_a_common_word_with_a_rare_companion_finds_the_few_that_have_both(store, uow):
    # More products of "Süt" than a walk reads before asking the trigram index.
    names = [f"Süt {n}" for n in range(name_search.WALK_BUDGET + 200)]
    names[700:700] = ["Süt Kaşar XL", "Sütaş Süt XL", "Süt XL Promo"]
    shelf = stocked(store, uow, names)

    found = value(search_products(uow, "süt xl"))

    assert [product.name for product in found] == ["Süt Kaşar XL", "Sütaş Süt XL", "Süt XL Promo"]
    assert [(p.id, p.name) for p in found] == [
        (product_id, shelf[product_id]) for _word, product_id in expected(shelf, ["sut", "xl"])
    ]


# -- PostgreSQL's search text follows the word index --------------------------------


def search_texts(store: Store) -> dict[int, str]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(ProductSearch.product_id, ProductSearch.words))
        return {product_id: words for product_id, words in rows}


def word_texts(store: Store) -> dict[int, str]:
    """What each product's search text must be: its index words, sorted, each after a space."""
    words: dict[int, list[str]] = {}
    with store.engine.connect() as connection:
        for word, product_id in connection.execute(
            select(ProductWord.word, ProductWord.product_id).order_by(ProductWord.word)
        ):
            words.setdefault(product_id, []).append(word)
    return {product_id: " " + " ".join(found) for product_id, found in words.items()}


def test_the_search_text_follows_products_created_renamed_and_imported(store, uow):
    if store.dialect != "postgresql":
        pytest.skip("SQLite searches by its word index alone")
    sugar = value(create_product(uow, ProductDraft("S-1", "Toz Şeker 1 kg", 5450))).id
    tea = value(create_product(uow, ProductDraft("C-1", "Çaykur Rize Çayı", 18990))).id
    assert search_texts(store) == word_texts(store)
    assert search_texts(store)[sugar] == " 1 kg seker toz"

    value(update_product(uow, tea, ProductDraft("C-1", "Doğuş Siyah Çay", 18990)))
    assert search_texts(store)[tea] == " cay dogus siyah"

    csv = "sku,name,price\nS-1,Küp Şeker,60.00\nN-1,Yeni Ürün,1.00\n"
    value(import_products_csv(uow, io.StringIO(csv)))
    assert search_texts(store)[sugar] == " kup seker"
    assert search_texts(store) == word_texts(store)
    assert len(search_texts(store)) == 3


def test_sqlite_leaves_the_search_text_empty(store, uow):
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL keeps it")
    value(create_product(uow, ProductDraft("S-1", "Toz Şeker 1 kg", 5450)))

    assert search_texts(store) == {}
    assert [p.name for p in value(search_products(uow, "seker toz"))] == ["Toz Şeker 1 kg"]
