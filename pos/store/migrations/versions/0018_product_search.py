"""Name search on PostgreSQL: a product's words in one text, under a trigram index.

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-06 09:00:00

``product_search`` holds each product's folded name words (" kasar peyniri 1 kg"), so
a search of several words asks PostgreSQL's ``pg_trgm`` GIN index for the products
having all of them, instead of walking every product of its most common word. A
statement-level trigger on ``product_words`` keeps it: whatever writes the words
(creating, renaming, importing products) writes this too, in the same transaction.
Existing products are filled from ``product_words`` here.

``pg_trgm`` ships with PostgreSQL and is a trusted extension (13 and later): a user
who may create objects in the database may create it. Where the store's user may
not, the migration stops and says what the database administrator must run
(``CREATE EXTENSION pg_trgm;`` in the store's database); nothing is changed until then.

On SQLite the table is made empty and stays so: the till's offline replica searches by
its (word, product) index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

from pos.domain.results import Code
from pos.store.migrate import StoreFault

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSUFFICIENT_PRIVILEGE = "42501"

# One function for both triggers: the products whose words were inserted or deleted
# get their text again from what product_words now holds (none: no row).
REFRESH = """
CREATE FUNCTION product_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM product_search
     WHERE product_id IN (SELECT product_id FROM changed);
    INSERT INTO product_search (product_id, words)
    SELECT w.product_id, ' ' || string_agg(w.word, ' ' ORDER BY w.word)
      FROM product_words AS w
     WHERE w.product_id IN (SELECT product_id FROM changed)
     GROUP BY w.product_id;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        _create_pg_trgm(bind)
    op.create_table(
        "product_search",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_search_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_search")),
    )
    if not postgresql:
        op.create_index("ix_product_search_words", "product_search", ["words"])
        return
    op.execute(
        "INSERT INTO product_search (product_id, words)"
        " SELECT product_id, ' ' || string_agg(word, ' ' ORDER BY word)"
        " FROM product_words GROUP BY product_id"
    )
    # After the fill: one sort of the whole table instead of a million index inserts.
    op.create_index(
        "ix_product_search_words",
        "product_search",
        ["words"],
        postgresql_using="gin",
        postgresql_ops={"words": "gin_trgm_ops"},
    )
    op.execute(REFRESH)
    for event, table in (("INSERT", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER product_words_{event.lower()}_search AFTER {event}"
            f" ON product_words REFERENCING {table} TABLE AS changed"
            " FOR EACH STATEMENT EXECUTE FUNCTION product_search_refresh()"
        )
    op.execute("ANALYZE product_search")


def _create_pg_trgm(bind: sa.Connection) -> None:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise StoreFault(
            Code.STORE_NEEDS_EXTENSION, extension="pg_trgm", database=bind.engine.url.database
        ) from error


def downgrade() -> None:
    """Downgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for event in ("insert", "delete"):
            op.execute(f"DROP TRIGGER product_words_{event}_search ON product_words")
        op.execute("DROP FUNCTION product_search_refresh()")
    op.drop_index("ix_product_search_words", table_name="product_search")
    op.drop_table("product_search")
    # pg_trgm stays: other databases' objects, or the administrator's, may use it.
