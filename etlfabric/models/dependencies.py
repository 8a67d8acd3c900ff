"""Edges of the dependency graph between any two targets of a tenant."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, identity_key, now_column, text_enum
from etlfabric.models.targets import TargetType


class Dependency(TenantBase):
    __tablename__ = "dependencies"
    __table_args__ = (
        UniqueConstraint("upstream_type", "upstream_id", "downstream_type", "downstream_id"),
        CheckConstraint(
            "NOT (upstream_type = downstream_type AND upstream_id = downstream_id)",
            name="no_self_edge",
        ),
    )

    id: Mapped[int] = identity_key()
    upstream_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "upstream_type"))
    upstream_id: Mapped[int] = mapped_column(BigInteger)
    downstream_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "downstream_type"))
    downstream_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at = now_column()
