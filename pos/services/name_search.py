"""Finding products by the starts of their name words, among a million, on both stores.

A product is found when, for each typed word, some word of its folded name starts with
it. Hits come in the order of the (word, product) index at their *key*: the first of the
product's words that the longest typed word starts, then the product's id. Each product
comes once, at its key, so a page can follow another from the last key shown.

SQLite walks ``product_words`` in that order and checks the other typed words of each
row against the same index: each row costs a microsecond or two there, so even a
walk over every product of a common word ("sut", 60,000 products) is quick.

PostgreSQL pays several microseconds a row for the same walk, and a search of two words
that are each common but rare together ("paket sirma") walked all of the common word's
products: 120-190 ms at a million. There the walk goes a budget of rows at a time and
walks on while its hits say the page is near; a search whose words its walk shows are
rare together asks PostgreSQL's GIN index over each product's words (``product_search``,
kept by a trigger) for the products having all of them at once, and sorts their keys,
few as they are.

Two GIN indexes were measured for that question at a million products
(``tests/benchmarks/search_indexes.py``): ``pg_trgm`` over the words text, matched with
``LIKE '% word%'``, and a ``tsvector`` of the ``simple`` configuration matched with prefix
queries (``word:*``). On whole words and prefixes of three letters or more they were
level within the machine's noise (server time p50 7.9 against 9.2 ms for the rare pairs,
p95 20 against 15 ms). On the two-letter prefixes a cashier types first ("ka xl") the
trigram index was about twice as fast (9-11 against 18-21 ms): a ``tsvector`` prefix
unites the lists of every distinct word it starts, a trigram index reads one list and
skips through it. And ``LIKE`` on our own folded words is the word-prefix rule itself,
where ``to_tsvector`` would split words again by its own parser. ``pg_trgm`` is kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    bindparam,
    exists,
    func,
    select,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute

from pos.store.models import ProductSearch, ProductWord, table_of
from pos.store.tables import products

product_words = table_of(ProductWord)
product_search = table_of(ProductSearch)

WALK_BUDGET = 1000
"""Rows of the (word, product) index a PostgreSQL search walks at a time (about 3 ms)."""
WALK_AHEAD = 1
"""A search walks on while its hits so far say its page ends within this many budgets."""
MAX_WALK = 4 * WALK_BUDGET
"""Rows a search walks at most before it asks the trigram index for the rest."""

Key = tuple[str, int]
"""Where a hit stands in the list: its key word and its product's id."""


def prefix_match(
    column: ColumnElement[str] | InstrumentedAttribute[str], word: str
) -> ColumnElement[bool]:
    """``column`` starts with ``word``, as a range an index can scan (no LIKE escaping).

    The range is exact under a byte-wise collation, which name words and SKUs have on
    both dialects (``COLLATE "C"`` on PostgreSQL).
    """
    return and_(column >= word, column < word + "\U0010ffff")


def name_hits(
    connection: Connection,
    words: list[str],
    *,
    wanted: int,
    after: Key | None = None,
    active_only: bool = False,
) -> list[Key]:
    """The keys of the first ``wanted`` products after ``after`` with a name word
    starting with each of ``words`` (folded, as ``search_words`` makes them)."""
    lead, *others = sorted(words, key=len, reverse=True)
    if connection.dialect.name != "postgresql" or not others:
        return _walked(connection, lead, others, wanted, after, active_only, budget=None)
    hits: list[Key] = []
    walked = 0
    while True:
        hits += _walked(
            connection, lead, others, wanted - len(hits), after, active_only, budget=WALK_BUDGET
        )
        if len(hits) == wanted:
            return hits
        after = _budget_end(connection, lead, after)
        if after is None:  # the walk reached the end of the lead word's products
            return hits
        walked += WALK_BUDGET
        # Walk on while the hits so far say the page is near (a pair common enough);
        # else the pair is rare and the trigram index finds its few products at once.
        if not hits or (wanted - len(hits)) * walked / len(hits) > WALK_AHEAD * WALK_BUDGET:
            break
        if walked >= MAX_WALK:
            break
    return hits + _gathered(connection, lead, words, wanted - len(hits), after, active_only)


def _walked(
    connection: Connection,
    lead: str,
    others: list[str],
    wanted: int,
    after: Key | None,
    active_only: bool,
    *,
    budget: int | None,
) -> list[Key]:
    """Walk the lead word's range of the index in order (only its first ``budget``
    rows, if given), keeping the rows that are their product's key and whose product
    has the other words too.

    Each check is a scalar subquery correlated with the index row, made row by row
    through the (product, word) index before any product row is read. As an EXISTS,
    PostgreSQL would turn it into a join, and its estimate of a word prefix's rows is
    far too low (3 rows for "tadim", which 8,000 products have) to choose that join
    well: 1.8 s instead of a few milliseconds at a million products.
    """
    rows: FromClause
    if budget is None:
        rows = product_words
        query = _lead_range(lead, after)
    else:
        rows = _lead_range(lead, after).limit(budget).subquery("walk")
        query = select(rows.c.word, rows.c.product_id).order_by(rows.c.word, rows.c.product_id)
    for word in others:
        other = product_words.alias()
        query = query.where(
            _first_of(
                other, other.c.product_id == rows.c.product_id, prefix_match(other.c.word, word)
            ).is_not(None)
        )
    # After the other words' checks, which leave out most rows of a rare pair.
    smaller = product_words.alias("smaller")
    query = query.where(
        _first_of(
            smaller,
            smaller.c.product_id == rows.c.product_id,
            smaller.c.word >= lead,  # a word in [lead, this word) starts with lead too
            smaller.c.word < rows.c.word,
        ).is_(None)
    )
    if active_only:
        active = select(products.c.active).where(products.c.id == rows.c.product_id)
        query = query.where(active.scalar_subquery().is_(True))
    return [(word, product_id) for word, product_id in connection.execute(query.limit(wanted))]


def _first_of(words: FromClause, *conditions: ColumnElement[bool]) -> ColumnElement[Any]:
    """The product id of the first row of ``words`` meeting ``conditions``, or NULL."""
    return select(words.c.product_id).where(*conditions).limit(1).scalar_subquery()


def _lead_range(lead: str, after: Key | None) -> Select[Any]:
    walk = select(product_words.c.word, product_words.c.product_id).where(
        prefix_match(product_words.c.word, lead)
    )
    if after is not None:
        walk = walk.where(tuple_(product_words.c.word, product_words.c.product_id) > after)
    return walk.order_by(product_words.c.word, product_words.c.product_id)


def _budget_end(connection: Connection, lead: str, after: Key | None) -> Key | None:
    """The last row a budgeted walk read; None if it read the lead word's every row."""
    row = connection.execute(_lead_range(lead, after).offset(WALK_BUDGET - 1).limit(1)).first()
    return None if row is None else (row.word, row.product_id)


def _gathered(
    connection: Connection,
    lead: str,
    words: list[str],
    wanted: int,
    after: Key,
    active_only: bool,
) -> list[Key]:
    """The products having every word, from the GIN index, by key after ``after``."""
    key_word = (
        select(func.min(product_words.c.word))
        .where(
            product_words.c.product_id == product_search.c.product_id,
            prefix_match(product_words.c.word, lead),
        )
        .scalar_subquery()
    )
    found = select(key_word.label("word"), product_search.c.product_id).where(
        # Inlined, not bound: the planner sees each pattern and picks the GIN index
        # (a generic plan for "LIKE $1" cannot know how selective it is). A folded
        # word holds letters and digits only, nothing LIKE or SQL would read.
        *(
            product_search.c.words.like(bindparam(None, f"% {word}%", literal_execute=True))
            for word in words
        )
    )
    if active_only:
        found = found.where(
            exists().where(
                products.c.id == product_search.c.product_id, products.c.active.is_(True)
            )
        )
    keys = found.subquery("found")
    query = (
        select(keys.c.word, keys.c.product_id)
        .where(tuple_(keys.c.word, keys.c.product_id) > after)
        .order_by(keys.c.word, keys.c.product_id)
        .limit(wanted)
    )
    return [(word, product_id) for word, product_id in connection.execute(query)]
