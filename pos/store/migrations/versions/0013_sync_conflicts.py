"""Sync conflicts: offline sales the central store could not take, kept for a manager.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:50:00

A sale made offline is never refused (DESIGN.md §5): one the central store cannot take
(a product it does not know, a schema it does not expect, a fault in the code) is kept
here whole, with the reason, and the sales behind it go on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=True),
        sa.Column("till_code", sa.String(length=8), nullable=False),
        sa.Column("receipt_number", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved",
                "accepted",
                "written_off",
                name="conflict_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["till_id"], ["tills.id"], name=op.f("fk_sync_conflicts_till_id_tills")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_sync_conflicts_resolved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
        sa.UniqueConstraint("order_id", name=op.f("uq_sync_conflicts_order_id")),
    )
    op.create_index("ix_sync_conflicts_till_id", "sync_conflicts", ["till_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_sync_conflicts_till_id", table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
