"""Schedules: the source of truth for when work fires (tenant schema)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key, now_column, text_enum
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


class Overlap(enum.StrEnum):
    """What a fire does while the previous run of the schedule is still going."""

    skip = "skip"
    queue = "queue"
    cancel = "cancel"


class ShortMonths(enum.StrEnum):
    """A monthly schedule on day 29-31 in a month without that day: skip it, or use the last day."""

    skip = "skip"
    last_day = "last_day"


class Schedule(Timestamps, TenantBase):
    __tablename__ = "schedules"

    id: Mapped[int] = identity_key()
    target_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "schedule_target"))
    target_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[ScheduleKind] = mapped_column(text_enum(ScheduleKind, "schedule_kind"))
    cron: Mapped[str | None] = mapped_column(String(120))
    short_months: Mapped[ShortMonths] = mapped_column(
        text_enum(ShortMonths, "schedule_short_months"),
        default=ShortMonths.skip,
        server_default="skip",
    )
    # The simple form the user built it with (daily / weekly / monthly), kept for the editor.
    form: Mapped[dict | None] = mapped_column(JSONB)
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
    misfire_grace_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    max_attempts: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    retry_delay_seconds: Mapped[int] = mapped_column(Integer, default=300, server_default="300")
    timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    overlap: Mapped[Overlap] = mapped_column(
        text_enum(Overlap, "schedule_overlap"), default=Overlap.skip, server_default="skip"
    )
    auto_disable_after: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(BigInteger)
    last_fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class AlertKind(enum.StrEnum):
    schedule_disabled = "schedule_disabled"


class Alert(TenantBase):
    """Something a user should see on the dashboard until they acknowledge it."""

    __tablename__ = "alerts"

    id: Mapped[int] = identity_key()
    kind: Mapped[AlertKind] = mapped_column(text_enum(AlertKind, "alert_kind"))
    schedule_id: Mapped[int | None] = mapped_column(BigInteger)
    target_type: Mapped[TargetType | None] = mapped_column(text_enum(TargetType, "alert_target"))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(BigInteger)
