"""Sales: tills, coupons, orders, payments, receipts, the outbox and oversells.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:28:37.546516

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add_reference(
    table: str, column: str, target: str, type_: sa.types.TypeEngine[Any] | None = None
) -> None:
    """Add a nullable column that references ``target.id``, in place on both dialects.

    SQLite accepts REFERENCES on a new nullable column; batch mode would copy the
    table instead, and with foreign keys on, dropping the old copy would cascade to
    the carts' lines.
    """
    name = f"fk_{table}_{column}_{target}"
    column_type: sa.types.TypeEngine[Any] = type_ if type_ is not None else sa.Integer()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        sql_type = column_type.compile(dialect=bind.dialect)
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} {sql_type} "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
    else:
        op.add_column(table, sa.Column(column, column_type, nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def _drop_sqlite_columns() -> None:
    """SQLite: rebuild carts without the new columns, its lines and holds kept aside.

    Dropping the old carts table deletes its rows first: the lines would cascade away
    and every row still pointing at a cart would count as a broken reference until the
    commit, which renaming the new table does not undo. So nothing may point at the
    carts while the table is swapped: the sales tables are gone by now, and the lines
    and reservations are kept aside and put back.
    """
    op.execute("CREATE TEMP TABLE kept_cart_items AS SELECT * FROM cart_items")
    op.execute("CREATE TEMP TABLE kept_reservations AS SELECT * FROM reservations")
    op.execute("DELETE FROM reservations")
    op.execute("DELETE FROM cart_items")
    with op.batch_alter_table("carts", recreate="always") as batch:
        batch.drop_column("coupon_id")
        batch.drop_column("till_id")
        batch.drop_column("prices_include_tax")
    op.execute("INSERT INTO cart_items SELECT * FROM kept_cart_items")
    op.execute("INSERT INTO reservations SELECT * FROM kept_reservations")
    op.execute("DROP TABLE kept_cart_items")
    op.execute("DROP TABLE kept_reservations")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "percent",
                "fixed",
                name="coupon_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_cart_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cap_minor", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind <> 'percent' OR value <= 10000", name=op.f("ck_coupons_percent_at_most_100")
        ),
        sa.CheckConstraint(
            "cap_minor IS NULL OR cap_minor > 0", name=op.f("ck_coupons_cap_positive")
        ),
        sa.CheckConstraint("min_cart_minor >= 0", name=op.f("ck_coupons_min_cart_not_negative")),
        sa.CheckConstraint("times_used >= 0", name=op.f("ck_coupons_times_used_not_negative")),
        sa.CheckConstraint(
            "usage_limit IS NULL OR times_used <= usage_limit",
            name=op.f("ck_coupons_within_usage_limit"),
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to",
            name=op.f("ck_coupons_valid_dates"),
        ),
        sa.CheckConstraint("value > 0", name=op.f("ck_coupons_value_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_sent_at_id", ["sent_at", "id"], unique=False)

    op.create_table(
        "tills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("last_receipt_number", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_tills_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tills")),
        sa.UniqueConstraint("code", name=op.f("uq_tills_code")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("cashier_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "paid",
                "failed",
                "cancelled",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=True),
        sa.Column("coupon_code", sa.String(length=32), nullable=True),
        sa.Column("customer", sa.Text(), nullable=True),
        sa.Column("billing_address", sa.Text(), nullable=True),
        sa.Column("shipping_address", sa.Text(), nullable=True),
        sa.Column("shipping_method", sa.String(length=64), nullable=True),
        sa.Column("receipt_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("discount_minor >= 0", name=op.f("ck_orders_discount_not_negative")),
        sa.CheckConstraint("total_minor >= 0", name=op.f("ck_orders_total_not_negative")),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], name=op.f("fk_orders_cart_id_carts")),
        sa.ForeignKeyConstraint(
            ["cashier_id"], ["users.id"], name=op.f("fk_orders_cashier_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_orders_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_orders_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["till_id"], ["tills.id"], name=op.f("fk_orders_till_id_tills")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_orders_idempotency_key")),
        sa.UniqueConstraint(
            "till_id", "receipt_number", name=op.f("uq_orders_till_id_receipt_number")
        ),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "held",
                "confirmed",
                "released",
                name="redemption_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_coupon_redemptions_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_coupon_redemptions_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_coupon_redemptions_order_id")),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_coupon_id"), ["coupon_id"], unique=False
        )

    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_items_order_id_line_no")),
    )
    op.create_table(
        "oversells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_oversells_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_oversells_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_oversells_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_oversells_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_oversells_resolved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversells")),
    )
    with op.batch_alter_table("oversells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oversells_order_id"), ["order_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.Column("provider_payment_id", sa.String(length=128), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "initiated",
                "pending",
                "paid",
                "failed",
                "cancelled",
                "refunded",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tendered_minor", sa.BigInteger(), nullable=True),
        sa.Column("change_minor", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_payments_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_payments_status", ["status"], unique=False)

    op.create_table(
        "receipts",
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_receipts_order_id_orders")
        ),
        sa.ForeignKeyConstraint(["till_id"], ["tills.id"], name=op.f("fk_receipts_till_id_tills")),
        sa.PrimaryKeyConstraint("till_id", "number", name=op.f("pk_receipts")),
        sa.UniqueConstraint("order_id", name=op.f("uq_receipts_order_id")),
    )
    _add_reference("carts", "till_id", "tills")
    _add_reference("carts", "coupon_id", "coupons")
    _add_reference("reservations", "order_id", "orders", sa.Uuid())
    op.create_index(op.f("ix_reservations_order_id"), "reservations", ["order_id"])
    op.add_column(
        "carts",
        sa.Column(
            "prices_include_tax", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    op.add_column(
        "locations",
        sa.Column(
            "prices_include_tax", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    op.add_column(
        "locations", sa.Column("receipt_header", sa.Text(), server_default="", nullable=False)
    )
    # The first till of the shop: id 1 (DEFAULT_TILL_ID) on both dialects.
    op.bulk_insert(
        sa.table("tills", sa.column("code"), sa.column("location_id")),
        [{"code": "T01", "location_id": 1}],
    )
    op.execute("UPDATE carts SET till_id = 1")


def downgrade() -> None:
    """Back to 0001. The sales tables, and every sale in them, are dropped."""
    op.drop_index(op.f("ix_reservations_order_id"), "reservations")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.batch_alter_table("reservations", recreate="always") as batch:
            batch.drop_column("order_id")
    else:
        op.drop_constraint("fk_reservations_order_id_orders", "reservations", type_="foreignkey")
        op.drop_column("reservations", "order_id")
    op.drop_column("locations", "receipt_header")
    op.drop_column("locations", "prices_include_tax")
    op.drop_table("receipts")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_status")
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))

    op.drop_table("payments")
    with op.batch_alter_table("oversells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oversells_order_id"))

    op.drop_table("oversells")
    op.drop_table("order_items")
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_redemptions_coupon_id"))

    op.drop_table("coupon_redemptions")
    op.drop_table("orders")
    if sqlite:
        _drop_sqlite_columns()
    else:
        for column, target in (("coupon_id", "coupons"), ("till_id", "tills")):
            op.drop_constraint(f"fk_carts_{column}_{target}", "carts", type_="foreignkey")
            op.drop_column("carts", column)
        op.drop_column("carts", "prices_include_tax")
    op.drop_table("tills")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at_id")

    op.drop_table("outbox")
    op.drop_table("coupons")
