"""Cash sessions: a till's day, from its counted float to its Z report.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:00:00

``cash_sessions`` is a till's day (at most one open per till, a partial unique index
says so); ``cash_movements`` the cash paid in and out during it; ``drawer_openings``
every opening of the drawer without a sale. Paid sales, their tenders, refunds and
returns point at the session that was open at their till when the money moved;
``tills.last_z_number`` numbers the Z reports without gaps.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINKED = ("orders", "payments", "refunds", "returns")
"""The tables whose rows belong to the session open when their money moved."""


def upgrade() -> None:
    """Upgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "cash_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("float_minor", sa.BigInteger(), nullable=False),
        sa.Column("float_counts", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("z_number", sa.BigInteger(), nullable=True),
        sa.Column("counted", sa.Text(), nullable=True),
        sa.Column("z_report", sa.Text(), nullable=True),
        sa.CheckConstraint("float_minor >= 0", name=op.f("ck_cash_sessions_float_not_negative")),
        sa.CheckConstraint(
            "(closed_at IS NULL) = (z_number IS NULL)", name=op.f("ck_cash_sessions_z_when_closed")
        ),
        sa.ForeignKeyConstraint(
            ["till_id"], ["tills.id"], name=op.f("fk_cash_sessions_till_id_tills")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_cash_sessions_opened_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_cash_sessions_closed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_sessions")),
        sa.UniqueConstraint("till_id", "z_number", name=op.f("uq_cash_sessions_till_id_z_number")),
    )
    op.create_index(
        "uq_cash_sessions_open_till",
        "cash_sessions",
        ["till_id"],
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "cash_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cash_session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_cash_movements_amount_positive")),
        sa.CheckConstraint("kind IN ('in', 'out')", name=op.f("ck_cash_movements_kind_in_or_out")),
        sa.ForeignKeyConstraint(
            ["cash_session_id"],
            ["cash_sessions.id"],
            name=op.f("fk_cash_movements_cash_session_id_cash_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_cash_movements_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_cash_movements_approved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    op.create_index(
        "ix_cash_movements_cash_session_id", "cash_movements", ["cash_session_id"], unique=False
    )
    op.create_table(
        "drawer_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("till_id", sa.Integer(), nullable=False),
        sa.Column("cash_session_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["till_id"], ["tills.id"], name=op.f("fk_drawer_openings_till_id_tills")
        ),
        sa.ForeignKeyConstraint(
            ["cash_session_id"],
            ["cash_sessions.id"],
            name=op.f("fk_drawer_openings_cash_session_id_cash_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drawer_openings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drawer_openings")),
    )
    op.create_index(
        "ix_drawer_openings_cash_session_id", "drawer_openings", ["cash_session_id"], unique=False
    )
    op.add_column(
        "tills", sa.Column("last_z_number", sa.BigInteger(), server_default="0", nullable=False)
    )
    for table in _LINKED:
        if sqlite:
            # SQLite's own ALTER TABLE, not batch mode's copy of tables much points at.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN cash_session_id INTEGER"
                f" CONSTRAINT fk_{table}_cash_session_id_cash_sessions"
                " REFERENCES cash_sessions (id)"
            )
        else:
            op.add_column(table, sa.Column("cash_session_id", sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(f"fk_{table}_cash_session_id_cash_sessions"),
                table,
                "cash_sessions",
                ["cash_session_id"],
                ["id"],
            )
        op.create_index(f"ix_{table}_cash_session_id", table, ["cash_session_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _LINKED:
        op.drop_index(f"ix_{table}_cash_session_id", table_name=table)
        if not sqlite:
            op.drop_constraint(
                op.f(f"fk_{table}_cash_session_id_cash_sessions"), table, type_="foreignkey"
            )
        op.drop_column(table, "cash_session_id")
    op.drop_column("tills", "last_z_number")
    op.drop_index("ix_drawer_openings_cash_session_id", table_name="drawer_openings")
    op.drop_table("drawer_openings")
    op.drop_index("ix_cash_movements_cash_session_id", table_name="cash_movements")
    op.drop_table("cash_movements")
    op.drop_index("uq_cash_sessions_open_till", table_name="cash_sessions")
    op.drop_table("cash_sessions")
