"""trigger tokens (URL triggers)

Revision ID: 8a1c0f3e5b27
Revises: e2289fe000df
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8a1c0f3e5b27"
down_revision: str | Sequence[str] | None = "e2289fe000df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trigger_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "target_type",
            sa.Enum(
                "script",
                "pipeline",
                "transformation",
                name="trigger_target",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "allowed_ips",
            postgresql.ARRAY(sa.String(length=64)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("rate_per_minute", sa.Integer(), server_default="60", nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["public.users.id"],
            name=op.f("fk_trigger_tokens_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["public.organizations.id"],
            name=op.f("fk_trigger_tokens_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_trigger_tokens_prefix")),
        schema="public",
    )
    op.create_index(
        "ix_trigger_tokens_org_target",
        "trigger_tokens",
        ["org_id", "target_type", "target_id"],
        unique=False,
        schema="public",
    )


def downgrade() -> None:
    op.drop_index("ix_trigger_tokens_org_target", table_name="trigger_tokens", schema="public")
    op.drop_table("trigger_tokens", schema="public")
