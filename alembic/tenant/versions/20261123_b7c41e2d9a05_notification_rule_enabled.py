"""notification rule enabled

Revision ID: b7c41e2d9a05
Revises: 8f2a1c7d9e01
Create Date: 2026-11-23 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c41e2d9a05"
down_revision: str | Sequence[str] | None = "8f2a1c7d9e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notification_rules",
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("notification_rules", "enabled")
