"""dbt models in the organisation's dbt project (tenant schema)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key


class Transformation(Timestamps, TenantBase):
    __tablename__ = "transformations"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    folder_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("folders.id", ondelete="SET NULL")
    )
    sql: Mapped[str] = mapped_column(Text, default="", server_default="")
    schema_name: Mapped[str] = mapped_column(String(63))
    materialization: Mapped[str] = mapped_column(String(16), default="view", server_default="view")
    unique_key: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    columns: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    tests: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
