"""Folders, scripts and their saved versions (tenant schema)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key, now_column, text_enum


class Folder(Timestamps, TenantBase):
    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("parent_id", "name", postgresql_nulls_not_distinct=True),)

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("folders.id", ondelete="CASCADE")
    )


class ScriptType(enum.StrEnum):
    python = "python"
    shell = "shell"
    batch = "batch"


class Script(Timestamps, TenantBase):
    __tablename__ = "scripts"
    __table_args__ = (
        UniqueConstraint("folder_id", "safe_name", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200))
    safe_name: Mapped[str] = mapped_column(String(200))
    folder_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("folders.id", ondelete="SET NULL")
    )
    type: Mapped[ScriptType] = mapped_column(text_enum(ScriptType, "script_type"))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    content: Mapped[str] = mapped_column(Text, default="", server_default="")
    requirements: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Fernet-encrypted JSON object of the script's own variables; never returned by the API.
    env_vars_secret: Mapped[str | None] = mapped_column(Text)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=300, server_default="300")
    memory_limit_mb: Mapped[int] = mapped_column(Integer, default=512, server_default="512")
    cpu_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    max_concurrent_runs: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
    current_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The editor's auto-saved buffer: kept apart from content so it never floods the history.
    draft_content: Mapped[str | None] = mapped_column(Text)
    draft_requirements: Mapped[str | None] = mapped_column(Text)
    draft_saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScriptVersion(TenantBase):
    __tablename__ = "script_versions"
    __table_args__ = (UniqueConstraint("script_id", "number"),)

    id: Mapped[int] = identity_key()
    script_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("scripts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text, default="", server_default="")
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A platform user id; no foreign key across schemas so a tenant schema stands alone.
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at = now_column()
