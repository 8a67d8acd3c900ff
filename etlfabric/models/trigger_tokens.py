"""URL trigger tokens (platform schema, so a call finds its organisation from the token alone).

The target they start lives in the organisation's tenant schema; only a hash of the token is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import PlatformBase, identity_key, now_column, text_enum
from etlfabric.models.targets import TargetType


class TriggerToken(PlatformBase):
    __tablename__ = "trigger_tokens"
    __table_args__ = (Index("ix_trigger_tokens_org_target", "org_id", "target_type", "target_id"),)

    id: Mapped[int] = identity_key()
    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    target_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "trigger_target"))
    target_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Normalised CIDRs ("10.0.0.0/8", "203.0.113.7/32"); empty: any address.
    allowed_ips: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    created_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = now_column()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
