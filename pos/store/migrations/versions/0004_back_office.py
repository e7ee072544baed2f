"""The back office: stock minimums, adjustment reasons, approvals, and what the lists filter on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:45:00

On SQLite the columns with a constraint are added by SQLite's own ALTER TABLE, which
takes a CHECK or a REFERENCES on a new column: batch mode would copy and drop
``products`` and ``audit_log``, which other tables point at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE products ADD COLUMN min_stock INTEGER DEFAULT '0' NOT NULL"
            " CONSTRAINT ck_products_min_stock_not_negative CHECK (min_stock >= 0)"
        )
        op.execute(
            "ALTER TABLE audit_log ADD COLUMN approved_by INTEGER"
            " CONSTRAINT fk_audit_log_approved_by_users REFERENCES users (id)"
        )
        op.execute(
            "ALTER TABLE cart_items ADD COLUMN price_overridden_by INTEGER"
            " CONSTRAINT fk_cart_items_price_overridden_by_users REFERENCES users (id)"
        )
    else:
        # A SKU prefix search is an index range: exact only under byte-wise collation.
        op.alter_column(
            "products",
            "sku",
            type_=sa.String(length=64, collation="C"),
            existing_type=sa.String(length=64),
            existing_nullable=False,
        )
        op.add_column(
            "products", sa.Column("min_stock", sa.Integer(), server_default="0", nullable=False)
        )
        op.create_check_constraint("min_stock_not_negative", "products", "min_stock >= 0")
        op.add_column("audit_log", sa.Column("approved_by", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_audit_log_approved_by_users"), "audit_log", "users", ["approved_by"], ["id"]
        )
        op.add_column("cart_items", sa.Column("price_overridden_by", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_cart_items_price_overridden_by_users"),
            "cart_items",
            "users",
            ["price_overridden_by"],
            ["id"],
        )
    op.create_index(
        "ix_products_min_stock",
        "products",
        ["min_stock"],
        unique=False,
        sqlite_where=sa.text("min_stock > 0"),
        postgresql_where=sa.text("min_stock > 0"),
    )
    op.add_column("stock_moves", sa.Column("reason_code", sa.String(length=16), nullable=True))
    op.add_column("oversells", sa.Column("resolution_note", sa.Text(), nullable=True))
    op.create_index("ix_orders_created_at", "orders", ["created_at"], unique=False)
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_user_id_at", "audit_log", ["user_id", "at"], unique=False)
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_index("ix_audit_log_user_id_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_orders_created_at", table_name="orders")
    op.drop_column("oversells", "resolution_note")
    op.drop_column("stock_moves", "reason_code")
    op.drop_index("ix_products_min_stock", table_name="products")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_audit_log_approved_by_users"), "audit_log", type_="foreignkey")
        op.drop_constraint(
            op.f("fk_cart_items_price_overridden_by_users"), "cart_items", type_="foreignkey"
        )
        op.drop_constraint(op.f("ck_products_min_stock_not_negative"), "products", type_="check")
        op.alter_column(
            "products",
            "sku",
            type_=sa.String(length=64),
            existing_type=sa.String(length=64, collation="C"),
            existing_nullable=False,
        )
    op.drop_column("cart_items", "price_overridden_by")
    op.drop_column("audit_log", "approved_by")
    op.drop_column("products", "min_stock")
