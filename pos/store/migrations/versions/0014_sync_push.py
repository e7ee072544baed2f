"""Sync push: what the central store answered each outbox record, and coupon uses past
their limit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:00:00

A till's outbox record of an offline sale is marked sent only after the central store
has it; ``answer`` says what the central store said: ``ingested``, ``already_here`` or
``conflict``. A coupon redemption an offline sale made past the coupon's usage limit is
kept, flagged ``over_limit``, for the back office: the sale is a fact and is never
refused, and the coupon's counter never passes its limit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("answer", sa.String(length=16), nullable=True))
    with op.batch_alter_table("coupon_redemptions") as batch:
        batch.add_column(
            sa.Column("over_limit", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("coupon_redemptions") as batch:
        batch.drop_column("over_limit")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("answer")
