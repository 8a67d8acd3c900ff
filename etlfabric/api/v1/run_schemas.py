"""Response bodies of the runs API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RunOut(BaseModel):
    id: int
    status: str
    target_type: str
    target_id: int
    target_name: str
    trigger: str
    attempt: int
    max_attempts: int
    exit_code: int | None
    error: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    peak_memory_mb: float | None
    cpu_time_ms: int | None
    rows_loaded: int | None
    flow_id: int | None
    retry_of_id: int | None
    cancel_requested_at: datetime | None

    @classmethod
    def of(cls, run) -> RunOut:
        return cls(
            **{name: getattr(run, name) for name in cls.model_fields if name not in _ENUMS},
            **{name: getattr(run, name).value for name in _ENUMS},
        )


_ENUMS = ("status", "target_type", "trigger")


class RunPage(BaseModel):
    items: list[RunOut]
    total: int
    page: int
    page_size: int


class LogLineOut(BaseModel):
    seq: int
    ts: datetime
    stream: str
    text: str


class LogsOut(BaseModel):
    lines: list[LogLineOut]
    done: bool
