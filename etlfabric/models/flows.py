"""Flows: one "run with downstream" through the dependency graph (tenant schema)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, identity_key, now_column, text_enum
from etlfabric.models.runs import Trigger
from etlfabric.models.targets import TargetType


class FlowStatus(enum.StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class Flow(TenantBase):
    __tablename__ = "flows"

    id: Mapped[int] = identity_key()
    root_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "flow_root"))
    root_id: Mapped[int] = mapped_column(BigInteger)
    root_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    trigger: Mapped[Trigger] = mapped_column(text_enum(Trigger, "flow_trigger"))
    triggered_by_id: Mapped[int | None] = mapped_column(BigInteger)
    schedule_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[FlowStatus] = mapped_column(
        text_enum(FlowStatus, "flow_status"), default=FlowStatus.running, server_default="running"
    )
    created_at: Mapped[datetime] = now_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
