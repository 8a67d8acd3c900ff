"""run retention days

Revision ID: e2289fe000df
Revises: 770a9d3940f4
Create Date: 2026-11-23 09:52:22.587454
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2289fe000df"
down_revision: str | Sequence[str] | None = "770a9d3940f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("run_retention_days", sa.Integer(), server_default="30", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("organizations", "run_retention_days")
