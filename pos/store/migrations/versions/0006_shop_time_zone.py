"""The shop's time zone: where its days begin and end, and how its clocks read.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-05 23:50:00

A plain column with a default, so SQLite's own ALTER TABLE adds it and drops it
(3.35+) without batch mode copying ``locations``, which tills point at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "locations",
        sa.Column(
            "time_zone", sa.String(length=64), server_default="Europe/Istanbul", nullable=False
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("locations", "time_zone")
