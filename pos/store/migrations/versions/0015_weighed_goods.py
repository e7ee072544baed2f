"""Weighed goods: a product's sale unit and scale item code, and each order line's unit.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 08:30:00

A product sold by weight (``kg``), volume (``l``) or length (``m``) keeps every
quantity in grams, millilitres or millimetres: its stock, holds and sold lines stay
integers. Existing products are sold by the piece, as before. ``scale_code`` is the
item code the shop's scale prints into its barcodes. An order line keeps the unit it
was sold in, so its receipt and its returns read its quantity right ever after.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNITS = "sale_unit IN ('piece', 'kg', 'l', 'm')"


def upgrade() -> None:
    """Upgrade schema."""
    # Added in place, not by rebuilding the table: SQLite keeps the columns' checks as
    # they are (as 0008 did, the unit's check is PostgreSQL's; the services check it too).
    op.add_column(
        "products",
        sa.Column("sale_unit", sa.String(length=8), server_default="piece", nullable=False),
    )
    op.add_column("products", sa.Column("scale_code", sa.String(length=6), nullable=True))
    op.create_index("ix_products_scale_code", "products", ["scale_code"], unique=True)
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f("ck_products_sale_unit_known"), "products", _UNITS)
    op.add_column(
        "order_items",
        sa.Column("sale_unit", sa.String(length=8), server_default="piece", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("order_items", "sale_unit")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_products_sale_unit_known"), "products", type_="check")
    op.drop_index("ix_products_scale_code", table_name="products")
    op.drop_column("products", "scale_code")
    op.drop_column("products", "sale_unit")
