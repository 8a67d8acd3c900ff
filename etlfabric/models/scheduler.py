"""The scheduler's bookkeeping (platform schema): which process leads, and when it last ticked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import PlatformBase, now_column


class SchedulerInstance(PlatformBase):
    __tablename__ = "scheduler_instances"

    instance_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    is_leader: Mapped[bool] = mapped_column(default=False, server_default="false")
    started_at: Mapped[datetime] = now_column()
    last_seen_at: Mapped[datetime] = now_column()
    last_tick_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
