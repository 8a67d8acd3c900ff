"""Source and destination connections (tenant schema)."""

from __future__ import annotations

import enum

from sqlalchemy import String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key, text_enum


class Direction(enum.StrEnum):
    source = "source"
    destination = "destination"
    both = "both"


class Connection(Timestamps, TenantBase):
    __tablename__ = "connections"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    direction: Mapped[Direction] = mapped_column(text_enum(Direction, "connection_direction"))
    config: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    # Fernet-encrypted JSON of the credentials; decrypted only in workers.
    credentials_secret: Mapped[str | None] = mapped_column(Text)
    is_managed: Mapped[bool] = mapped_column(default=False, server_default="false")
