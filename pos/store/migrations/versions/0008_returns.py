"""Returns: goods brought back, as documents of their own in a till's refund series.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:00:00

``order_items.returned_quantity`` is claimed by a conditional UPDATE, never past what was
sold; ``returns`` and ``return_lines`` are the refund documents, numbered per till from
``tills.last_return_number``; ``refunds.return_id`` links the money to the return.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "returns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("cashier_id", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_back_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total_minor >= 0", name=op.f("ck_returns_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.ForeignKeyConstraint(["till_id"], ["tills.id"], name=op.f("fk_returns_till_id_tills")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_returns_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["cashier_id"], ["users.id"], name=op.f("fk_returns_cashier_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_returns_approved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("till_id", "number", name=op.f("uq_returns_till_id_number")),
    )
    op.create_index("ix_returns_order_id", "returns", ["order_id"], unique=False)
    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Uuid(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("restock", sa.Boolean(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns")
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_return_lines_order_item_id_order_items"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_return_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    op.create_index("ix_return_lines_return_id", "return_lines", ["return_id"], unique=False)
    op.create_index(
        "ix_return_lines_order_item_id", "return_lines", ["order_item_id"], unique=False
    )
    op.add_column(
        "tills",
        sa.Column("last_return_number", sa.BigInteger(), server_default="0", nullable=False),
    )
    if sqlite:
        # SQLite's own ALTER TABLE, not batch mode's copy of tables much points at.
        op.execute(
            "ALTER TABLE order_items ADD COLUMN returned_quantity INTEGER DEFAULT '0' NOT NULL"
            " CONSTRAINT ck_order_items_returned_within_sold"
            " CHECK (returned_quantity >= 0 AND returned_quantity <= quantity)"
        )
        op.execute(
            "ALTER TABLE refunds ADD COLUMN return_id CHAR(32)"
            " CONSTRAINT fk_refunds_return_id_returns REFERENCES returns (id)"
        )
    else:
        op.add_column(
            "order_items",
            sa.Column("returned_quantity", sa.Integer(), server_default="0", nullable=False),
        )
        op.create_check_constraint(
            "returned_within_sold",
            "order_items",
            "returned_quantity >= 0 AND returned_quantity <= quantity",
        )
        op.add_column("refunds", sa.Column("return_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f("fk_refunds_return_id_returns"), "refunds", "returns", ["return_id"], ["id"]
        )
    op.create_index("ix_refunds_return_id", "refunds", ["return_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_refunds_return_id", table_name="refunds")
    if not sqlite:
        op.drop_constraint(op.f("fk_refunds_return_id_returns"), "refunds", type_="foreignkey")
        op.drop_constraint(
            op.f("ck_order_items_returned_within_sold"), "order_items", type_="check"
        )
    op.drop_column("refunds", "return_id")
    op.drop_column("order_items", "returned_quantity")
    op.drop_column("tills", "last_return_number")
    op.drop_index("ix_return_lines_order_item_id", table_name="return_lines")
    op.drop_index("ix_return_lines_return_id", table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_index("ix_returns_order_id", table_name="returns")
    op.drop_table("returns")
