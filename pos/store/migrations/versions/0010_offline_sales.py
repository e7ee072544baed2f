"""Offline selling: the till's sales made on its replica, and when it went offline.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:00:00

``offline_sales`` ties each sale made while the central store was away to the outbox
record that sends it home; ``offline_state`` keeps when the till lost the central store,
for the offline policy's time limit. Both are local to a till's replica: the central
store has the tables (one schema) and leaves them empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "offline_sales",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_offline_sales_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["till_id"], ["tills.id"], name=op.f("fk_offline_sales_till_id_tills")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_offline_sales_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_offline_sales_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_offline_sales_approved_by_users")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_offline_sales")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_offline_sales_outbox_id")),
    )
    op.create_index("ix_offline_sales_coupon_id", "offline_sales", ["coupon_id"], unique=False)
    op.create_table(
        "offline_state",
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("offline_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["till_id"], ["tills.id"], name=op.f("fk_offline_state_till_id_tills")
        ),
        sa.PrimaryKeyConstraint("till_id", name=op.f("pk_offline_state")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("offline_state")
    op.drop_index("ix_offline_sales_coupon_id", table_name="offline_sales")
    op.drop_table("offline_sales")
