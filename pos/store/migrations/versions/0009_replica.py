"""The replica: what a till copies from the central store, and how it knows what changed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:00:00

Every replicated table (the shop's settings in ``locations``, ``tills``, ``users``,
``products``, ``inventory``, ``coupons``) gets ``change_seq`` and ``change_xid``. On
PostgreSQL one sequence and a ``BEFORE INSERT OR UPDATE`` trigger per table stamp them on
every write, whatever wrote it; the rows already there are stamped here. SQLite carries
the same columns (a replica keeps what the central store stamped) but no trigger.
``coupons.deleted_at`` lets a deleted coupon stay as a row the replicas hear of (its code
unique only among the coupons not deleted, so a new one may take it again), and
``replica_cursor`` is where a replica keeps how far it has pulled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLICATED = ("locations", "tills", "users", "products", "inventory", "coupons")

STAMP = """
CREATE FUNCTION replica_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := nextval('replica_change_seq');
    NEW.change_xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE SEQUENCE replica_change_seq AS bigint")
        op.execute(STAMP)
    for table in REPLICATED:
        op.add_column(table, sa.Column("change_seq", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("change_xid", sa.BigInteger(), nullable=True))
        if postgresql:
            op.execute(
                f"CREATE TRIGGER {table}_replica_stamp BEFORE INSERT OR UPDATE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION replica_stamp()"
            )
            # The trigger stamps each row already there (the names are the list above).
            op.execute(f"UPDATE {table} SET change_seq = NULL")  # noqa: S608
        op.create_index(f"ix_{table}_change", table, ["change_xid", "change_seq"], unique=False)
    op.add_column("coupons", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    # A deleted coupon's code is free for a new one: unique among the coupons not deleted.
    with op.batch_alter_table("coupons") as batch:
        batch.drop_constraint("uq_coupons_code", type_="unique")
    op.create_index(
        "uq_coupons_code",
        "coupons",
        ["code"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "replica_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=True),
        sa.Column("position_xid", sa.BigInteger(), nullable=True),
        sa.Column("position_seq", sa.BigInteger(), nullable=True),
        sa.Column("central_schema", sa.String(length=32), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_pulled", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replica_cursor")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_table("replica_cursor")
    op.execute("DELETE FROM coupons WHERE deleted_at IS NOT NULL")
    op.drop_index("uq_coupons_code", table_name="coupons")
    with op.batch_alter_table("coupons") as batch:
        batch.create_unique_constraint("uq_coupons_code", ["code"])
    op.drop_column("coupons", "deleted_at")
    for table in REPLICATED:
        op.drop_index(f"ix_{table}_change", table_name=table)
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_replica_stamp ON {table}")
        op.drop_column(table, "change_xid")
        op.drop_column(table, "change_seq")
    if postgresql:
        op.execute("DROP FUNCTION replica_stamp()")
        op.execute("DROP SEQUENCE replica_change_seq")
