"""Parked sales: when and by whom a till's open sale was put aside.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06 08:20:00

A parked sale is an open cart with ``parked_at`` set; its status column stays ``open``
(SQLite could only widen that column's CHECK by rebuilding the carts table, which the
orders point at). A partial index finds a till's parked sales among all its carts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("carts", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
    if sqlite:
        # SQLite's own ALTER TABLE, not batch mode's copy of a table the orders point at.
        op.execute(
            "ALTER TABLE carts ADD COLUMN parked_by INTEGER"
            " CONSTRAINT fk_carts_parked_by_users REFERENCES users (id)"
        )
    else:
        op.add_column("carts", sa.Column("parked_by", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_carts_parked_by_users"), "carts", "users", ["parked_by"], ["id"]
        )
    op.create_index(
        "ix_carts_parked",
        "carts",
        ["till_id"],
        unique=False,
        sqlite_where=sa.text("parked_at IS NOT NULL"),
        postgresql_where=sa.text("parked_at IS NOT NULL"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(
        "ix_carts_parked",
        table_name="carts",
        sqlite_where=sa.text("parked_at IS NOT NULL"),
        postgresql_where=sa.text("parked_at IS NOT NULL"),
    )
    if not sqlite:
        op.drop_constraint(op.f("fk_carts_parked_by_users"), "carts", type_="foreignkey")
    op.drop_column("carts", "parked_by")
    op.drop_column("carts", "parked_at")
