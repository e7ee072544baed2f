"""Several tenders for one sale, and refunds of settled tenders.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:00:00

A sale is paid when its settled payments cover its total; a voided sale with tenders
settled ends once they are paid back (``orders.void_requested_at``). Each refund is a
row of ``refunds`` against the tender it returns; a terminal's refund events are kept
in ``payment_events`` beside its payment events, naming their refund.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "cash",
                "card",
                name="payment_method",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=128), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "initiated",
                "pending",
                "succeeded",
                "failed",
                name="refund_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("settled_by", sa.String(length=16), nullable=True),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_refunds_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
    )
    op.create_index("ix_refunds_status", "refunds", ["status"], unique=False)
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"], unique=False)
    op.create_index("ix_refunds_order_id", "refunds", ["order_id"], unique=False)
    op.add_column("payment_events", sa.Column("refund_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "payment_events", sa.Column("terminal_refund_id", sa.String(length=128), nullable=True)
    )
    op.add_column("orders", sa.Column("void_requested_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own ALTER TABLE, not batch mode's copy of ``orders``, which much points at.
        op.execute(
            "ALTER TABLE orders ADD COLUMN void_requested_by INTEGER"
            " CONSTRAINT fk_orders_void_requested_by_users REFERENCES users (id)"
        )
    else:
        op.add_column("orders", sa.Column("void_requested_by", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_orders_void_requested_by_users"),
            "orders",
            "users",
            ["void_requested_by"],
            ["id"],
        )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_orders_void_requested_by_users"), "orders", type_="foreignkey")
    op.drop_column("orders", "void_requested_by")
    op.drop_column("orders", "void_requested_at")
    op.drop_column("payment_events", "terminal_refund_id")
    op.drop_column("payment_events", "refund_id")
    op.drop_index("ix_refunds_order_id", table_name="refunds")
    op.drop_index("ix_refunds_payment_id", table_name="refunds")
    op.drop_index("ix_refunds_status", table_name="refunds")
    op.drop_table("refunds")
