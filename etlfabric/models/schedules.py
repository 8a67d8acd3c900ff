"""Schedules: the source of truth for when work fires (tenant schema)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key, text_enum
from etlfabric.models.targets import TargetType


class ScheduleKind(enum.StrEnum):
    cron = "cron"
    interval = "interval"
    once = "once"
    startup = "startup"


class CatchUp(enum.StrEnum):
    skip = "skip"
    latest = "latest"
    all = "all"


class Schedule(Timestamps, TenantBase):
    __tablename__ = "schedules"

    id: Mapped[int] = identity_key()
    target_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "schedule_target"))
    target_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[ScheduleKind] = mapped_column(text_enum(ScheduleKind, "schedule_kind"))
    cron: Mapped[str | None] = mapped_column(String(120))
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
    catch_up: Mapped[CatchUp] = mapped_column(
        text_enum(CatchUp, "schedule_catch_up"), default=CatchUp.skip, server_default="skip"
    )
    catch_up_limit: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    max_retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_backoff_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer)
    disable_after_failures: Mapped[int | None] = mapped_column(Integer)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
