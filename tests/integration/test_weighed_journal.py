"""A weighed line's journal entry says its unit: a tax office reading ``"quantity": 1250``
at ``"unit_price": 3490`` needs ``"unit": "kg"`` to see 1,250 kg at ₺34,90 a kilo. Lines of
pieces say nothing of a unit, so every entry written before reads as it did; the till
online and the store ingesting an offline sale write the one shape. Both stores."""

from __future__ import annotations

import json
from uuid import UUID

from sqlalchemy import select

from pos.domain.journal import Kind, canonical
from pos.services.cart import add_to_cart
from pos.services.ingest import ingest_sale
from pos.services.journal import sale_as_stored
from pos.services.journal_verify import verify
from pos.store.tables import journal
from tests.conftest import value
from tests.integration.test_weighed_goods import (  # noqa: F401
    replica,
    tomatoes,
    weighed_sale_offline,
)
from tests.sales import new_cart, pay_cash

PIECE_LINE_KEYS = {
    *("line", "sku", "name", "quantity", "unit_price", "tax_rate_bp", "discount", "total")
}
"""What a line of pieces has always said in its entry: nothing more, nothing less."""


def sale_entries(store) -> list[dict]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(journal.c.event_id, journal.c.content)
            .where(journal.c.kind == Kind.SALE)
            .order_by(journal.c.seq)
        ).all()
        for row in rows:  # what the entry says is what the store holds, read back
            assert row.content == canonical(sale_as_stored(connection, UUID(row.event_id))[1])
    return [json.loads(row.content) for row in rows]


def test_a_weighed_line_says_kg_and_a_line_of_pieces_says_as_before(uow, store, shelf):
    product = tomatoes(shelf)
    milk = shelf.product(stock=10, price_minor=3250, name="Süt")
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, "1,250"))
    value(add_to_cart(uow, cart, milk, 2))

    value(pay_cash(uow, cart))

    (entry,) = sale_entries(store)
    weighed, pieces = entry["lines"]
    assert (weighed["quantity"], weighed["unit"], weighed["unit_price"]) == (1250, "kg", 3490)
    assert weighed["total"] == 4363
    assert set(pieces) == PIECE_LINE_KEYS
    assert value(verify(uow, every_signature=True)).holds


def test_a_weighed_sale_made_offline_is_journalled_in_the_same_shape(
    uow,
    store,
    replica,  # noqa: F811
    clock,
    shelf,
):
    tomatoes(shelf)
    payload = weighed_sale_offline(store, replica, clock)

    value(ingest_sale(uow, payload))

    (entry,) = sale_entries(store)
    (line,) = entry["lines"]
    assert (line["quantity"], line["unit"]) == (2345, "kg")
    assert value(verify(uow, every_signature=True)).holds
