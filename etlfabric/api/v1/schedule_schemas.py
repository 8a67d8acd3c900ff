"""Request and response bodies of the schedules API (issue #5 names the paths and fields).

Types and ranges are checked by the service (one message per field for the API and the editor
alike), so these models only describe shapes. Date-times without an offset are read in the
schedule's time zone.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from etlfabric.api.deps import BodyId, TargetId


class ScheduleIn(BaseModel):
    target_type: str
    target_id: TargetId
    kind: str | None = Field(default=None, description="cron | interval | once | startup")
    cron: str | None = None
    form: dict | None = Field(
        default=None,
        description='Simple form instead of cron: {"type": "daily"|"weekly"|"monthly", '
        '"time": "07:30", "days": ["mon"], "day": 31, "short_months": "skip"|"last_day"}',
    )
    interval_seconds: int | None = None
    run_at: datetime | None = None
    timezone: str | None = Field(default=None, description="IANA zone; default: the org's")
    start_at: datetime | None = None
    end_at: datetime | None = None
    enabled: bool = True
    catch_up: str = "skip"
    catch_up_limit: int = 1
    misfire_grace_seconds: int = 60
    max_attempts: int = 2
    retry_delay_seconds: int = 300
    timeout_seconds: int | None = None
    overlap: str = "skip"
    auto_disable_after: int = 3
    short_months: str = "skip"


class TimingIn(BaseModel):
    """When a schedule fires (services/schedule_checks.py TIMING), each field optional."""

    kind: str | None = None
    cron: str | None = None
    form: dict | None = None
    interval_seconds: int | None = None
    run_at: datetime | None = None
    timezone: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    short_months: str | None = None


class SchedulePatch(TimingIn):
    """Only the fields sent change."""

    target_type: str | None = None
    target_id: TargetId | None = None
    enabled: bool | None = None
    catch_up: str | None = None
    catch_up_limit: int | None = None
    misfire_grace_seconds: int | None = None
    max_attempts: int | None = None
    retry_delay_seconds: int | None = None
    timeout_seconds: int | None = None
    overlap: str | None = None
    auto_disable_after: int | None = None


class ScheduleOut(BaseModel):
    id: int
    target_type: str
    target_id: int
    target_name: str
    kind: str
    cron: str | None
    form: dict | None
    interval_seconds: int | None
    run_at: datetime | None
    timezone: str
    start_at: datetime | None
    end_at: datetime | None
    enabled: bool
    catch_up: str
    catch_up_limit: int
    misfire_grace_seconds: int
    max_attempts: int
    retry_delay_seconds: int
    timeout_seconds: int | None
    overlap: str
    auto_disable_after: int
    short_months: str
    description: str
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_run_id: int | None
    last_run_status: str | None
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class PreviewIn(TimingIn):
    count: int = Field(default=5, description="1 to 50")


class PreviewOut(BaseModel):
    fire_times: list[str] = Field(description="ISO 8601 with the schedule's offset")


class BulkIn(BaseModel):
    ids: list[BodyId]


class AlertOut(BaseModel):
    id: int
    kind: str
    schedule_id: int | None
    target_type: str | None
    target_id: int | None
    message: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
