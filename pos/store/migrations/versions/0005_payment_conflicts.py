"""Payment conflicts for a manager, and the payments a restart left in flight.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00

A success the payment cannot follow (after it failed or was cancelled, or for another
amount) is kept in ``payment_conflicts`` until a manager marks it handled. A till's
start-up stamps ``payments.left_over_at`` on the card payments it finds still in flight.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("payments", sa.Column("left_over_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "payment_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payment_status", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_conflicts_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["payment_events.id"],
            name=op.f("fk_payment_conflicts_event_id_payment_events"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by"], ["users.id"], name=op.f("fk_payment_conflicts_handled_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_conflicts")),
        sa.UniqueConstraint("event_id", name=op.f("uq_payment_conflicts_event_id")),
    )
    op.create_index(
        "ix_payment_conflicts_payment_id", "payment_conflicts", ["payment_id"], unique=False
    )
    op.create_index(
        "ix_payment_conflicts_handled_at", "payment_conflicts", ["handled_at"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_payment_conflicts_handled_at", table_name="payment_conflicts")
    op.drop_index("ix_payment_conflicts_payment_id", table_name="payment_conflicts")
    op.drop_table("payment_conflicts")
    op.drop_column("payments", "left_over_at")
