"""Line discounts: a percentage or an amount off one line, with a reason, up to a limit
per role that the shop sets.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-06 08:30:00

A cart line keeps the discount as given (its kind, its value, its reason, who gave it
and the manager who approved it over the giver's limit), so a percentage follows the
line's quantity and the till shows it again after a restart. An order line keeps what
its own discount took off (``line_discount_minor``, a part of ``discount_minor``) and
the reason; the order keeps the sum. On SQLite the columns with a constraint are added
by SQLite's own ALTER TABLE, as in 0004, so no table is copied and dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_REASONS = "Hasarlı ürün\nSon kullanma tarihi yakın\nPersonel indirimi\nMüşteri memnuniyeti"

_CART_WHOLE = (
    "(discount_kind IS NULL AND discount_value IS NULL AND discount_reason IS NULL)"
    " OR (discount_kind IN ('percent', 'amount') AND discount_value > 0"
    " AND discount_reason IS NOT NULL)"
)
_ORDER_WITHIN = "line_discount_minor >= 0 AND line_discount_minor <= discount_minor"


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "locations",
        sa.Column("discount_limit_cashier_bp", sa.Integer(), server_default="1000", nullable=False),
    )
    op.add_column(
        "locations",
        sa.Column(
            "discount_limit_manager_bp", sa.Integer(), server_default="10000", nullable=False
        ),
    )
    op.add_column(
        "locations",
        sa.Column("discount_reasons", sa.Text(), server_default=DEFAULT_REASONS, nullable=False),
    )
    op.add_column(
        "orders",
        sa.Column("line_discount_minor", sa.BigInteger(), server_default="0", nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cart_items ADD COLUMN discount_kind VARCHAR(8)")
        op.execute("ALTER TABLE cart_items ADD COLUMN discount_value BIGINT")
        op.execute(
            "ALTER TABLE cart_items ADD COLUMN discount_reason VARCHAR(80)"
            f" CONSTRAINT ck_cart_items_discount_whole CHECK ({_CART_WHOLE})"
        )
        op.execute(
            "ALTER TABLE cart_items ADD COLUMN discount_by INTEGER"
            " CONSTRAINT fk_cart_items_discount_by_users REFERENCES users (id)"
        )
        op.execute(
            "ALTER TABLE cart_items ADD COLUMN discount_approved_by INTEGER"
            " CONSTRAINT fk_cart_items_discount_approved_by_users REFERENCES users (id)"
        )
        op.execute(
            "ALTER TABLE order_items ADD COLUMN line_discount_minor BIGINT DEFAULT '0' NOT NULL"
            f" CONSTRAINT ck_order_items_line_discount_within CHECK ({_ORDER_WITHIN})"
        )
    else:
        op.add_column("cart_items", sa.Column("discount_kind", sa.String(length=8), nullable=True))
        op.add_column("cart_items", sa.Column("discount_value", sa.BigInteger(), nullable=True))
        op.add_column(
            "cart_items", sa.Column("discount_reason", sa.String(length=80), nullable=True)
        )
        op.add_column("cart_items", sa.Column("discount_by", sa.Integer(), nullable=True))
        op.add_column("cart_items", sa.Column("discount_approved_by", sa.Integer(), nullable=True))
        op.create_check_constraint("discount_whole", "cart_items", _CART_WHOLE)
        for column in ("discount_by", "discount_approved_by"):
            op.create_foreign_key(
                op.f(f"fk_cart_items_{column}_users"), "cart_items", "users", [column], ["id"]
            )
        op.add_column(
            "order_items",
            sa.Column("line_discount_minor", sa.BigInteger(), server_default="0", nullable=False),
        )
        op.create_check_constraint("line_discount_within", "order_items", _ORDER_WITHIN)
    op.add_column(
        "order_items", sa.Column("line_discount_reason", sa.String(length=80), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("order_items", "line_discount_reason")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("ck_order_items_line_discount_within"), "order_items", type_="check"
        )
        for column in ("discount_by", "discount_approved_by"):
            op.drop_constraint(
                op.f(f"fk_cart_items_{column}_users"), "cart_items", type_="foreignkey"
            )
        op.drop_constraint(op.f("ck_cart_items_discount_whole"), "cart_items", type_="check")
    op.drop_column("order_items", "line_discount_minor")
    for column in (
        "discount_approved_by",
        "discount_by",
        "discount_reason",
        "discount_value",
        "discount_kind",
    ):
        op.drop_column("cart_items", column)
    op.drop_column("orders", "line_discount_minor")
    for column in ("discount_reasons", "discount_limit_manager_bp", "discount_limit_cashier_bp"):
        op.drop_column("locations", column)
