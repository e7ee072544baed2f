"""Card payments: every terminal event stored once, how a payment settled, PIN lockout.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 14:17:57.145105

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "payment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("terminal_payment_id", sa.String(length=128), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("claimed_payment_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "applied",
                "ignored",
                "unmatched",
                "mismatch",
                "pending",
                name="event_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_events_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
        sa.UniqueConstraint(
            "provider", "event_id", name=op.f("uq_payment_events_provider_event_id")
        ),
    )
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.create_index("ix_payment_events_outcome", ["outcome"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payment_events_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_events_terminal_payment_id"),
            ["terminal_payment_id"],
            unique=False,
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("review_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_pin_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema.

    The new columns go with SQLite's own DROP COLUMN: batch mode would copy and drop
    ``users`` and ``payments``, which every sale points at.
    """
    for table, column in (
        ("users", "locked_until"),
        ("users", "failed_pin_attempts"),
        ("payments", "cancel_requested_at"),
        ("payments", "review_reason"),
        ("payments", "settled_by"),
    ):
        op.drop_column(table, column)
    op.drop_index("ix_payment_events_terminal_payment_id", table_name="payment_events")
    op.drop_index("ix_payment_events_payment_id", table_name="payment_events")
    op.drop_index("ix_payment_events_outcome", table_name="payment_events")
    op.drop_table("payment_events")
