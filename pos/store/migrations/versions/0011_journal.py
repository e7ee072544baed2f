"""The till's journal: append-only, chained by SHA-256 and signed per till.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:10:00

``journal`` holds one entry per sale, refund, void, drawer opening, cash movement and Z
report, numbered without gaps per till; ``tills.journal_seq``/``journal_hash`` are each
till's head, taken under the till's row lock as receipt numbers are; ``till_keys`` holds
the public keys that verify the entries' Ed25519 signatures. A trigger refuses UPDATE and
DELETE of journal rows on both dialects (TRUNCATE on PostgreSQL is not a row change).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64

POSTGRESQL_TRIGGER = (
    "CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'the journal is append-only: % refused', TG_OP; END $$",
    "CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal"
    " FOR EACH ROW EXECUTE FUNCTION journal_append_only()",
)
SQLITE_TRIGGER = tuple(
    f"CREATE TRIGGER journal_no_{action.lower()} BEFORE {action} ON journal"
    f" BEGIN SELECT RAISE(ABORT, 'the journal is append-only: {action} refused'); END"
    for action in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    """Upgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "tills", sa.Column("journal_seq", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "tills",
        sa.Column("journal_hash", sa.String(length=64), server_default=GENESIS, nullable=False),
    )
    op.create_table(
        "till_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["till_id"], ["tills.id"], name=op.f("fk_till_keys_till_id_tills")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_keys")),
        sa.UniqueConstraint("till_id", "public_key", name=op.f("uq_till_keys_till_id_public_key")),
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.ForeignKeyConstraint(["till_id"], ["tills.id"], name=op.f("fk_journal_till_id_tills")),
        sa.ForeignKeyConstraint(
            ["key_id"], ["till_keys.id"], name=op.f("fk_journal_key_id_till_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal")),
        sa.UniqueConstraint("till_id", "seq", name=op.f("uq_journal_till_id_seq")),
        sa.UniqueConstraint("kind", "event_id", name=op.f("uq_journal_kind_event_id")),
    )
    for statement in SQLITE_TRIGGER if sqlite else POSTGRESQL_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS journal_no_update")
        op.execute("DROP TRIGGER IF EXISTS journal_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_append_only ON journal")
        op.execute("DROP FUNCTION IF EXISTS journal_append_only()")
    op.drop_table("journal")
    op.drop_table("till_keys")
    op.drop_column("tills", "journal_hash")
    op.drop_column("tills", "journal_seq")
