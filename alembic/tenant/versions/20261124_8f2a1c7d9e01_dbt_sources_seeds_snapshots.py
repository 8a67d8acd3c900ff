"""dbt sources, seeds and snapshots

Revision ID: 8f2a1c7d9e01
Revises: 419159e8508f
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8f2a1c7d9e01"
down_revision: str | Sequence[str] | None = "419159e8508f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "dbt_sources",
        _id(),
        sa.Column("source_name", sa.String(length=63), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("pipeline_id", sa.BigInteger(), nullable=True),
        sa.Column("loaded_at_field", sa.String(length=200), nullable=True),
        sa.Column("warn_after", jsonb, nullable=True),
        sa.Column("error_after", jsonb, nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_dbt_sources_pipeline_id_pipelines"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dbt_sources")),
        sa.UniqueConstraint(
            "source_name", "table_name", name=op.f("uq_dbt_sources_source_name_table_name")
        ),
    )
    op.create_table(
        "dbt_seeds",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("csv", sa.Text(), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dbt_seeds")),
        sa.UniqueConstraint("name", name=op.f("uq_dbt_seeds_name")),
    )
    op.create_table(
        "dbt_snapshots",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("sql", sa.Text(), server_default="", nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("unique_key", sa.String(length=200), nullable=False),
        sa.Column("updated_at_column", sa.String(length=200), nullable=True),
        sa.Column("check_cols", jsonb, server_default="[]", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dbt_snapshots")),
        sa.UniqueConstraint("name", name=op.f("uq_dbt_snapshots_name")),
    )


def downgrade() -> None:
    op.drop_table("dbt_snapshots")
    op.drop_table("dbt_seeds")
    op.drop_table("dbt_sources")
