"""Runs and their log lines (tenant schema). The Run row is the truth about a piece of work."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, identity_key, now_column, text_enum
from etlfabric.models.targets import TargetType


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    timed_out = "timed_out"
    cancelled = "cancelled"
    skipped = "skipped"


class Trigger(enum.StrEnum):
    manual = "manual"
    schedule = "schedule"
    url = "url"
    dependency = "dependency"
    retry = "retry"
    api = "api"


class Run(TenantBase):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "fire_time"),
        Index("ix_runs_target_queued", "target_type", "target_id", "queued_at"),
        Index("ix_runs_status_queued", "status", "queued_at"),
    )

    id: Mapped[int] = identity_key()
    target_type: Mapped[TargetType] = mapped_column(text_enum(TargetType, "run_target"))
    target_id: Mapped[int] = mapped_column(BigInteger)
    # The target's name when the run was queued: lists, search and export read it without a join.
    target_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    status: Mapped[RunStatus] = mapped_column(
        text_enum(RunStatus, "run_status"), default=RunStatus.queued, server_default="queued"
    )
    trigger: Mapped[Trigger] = mapped_column(text_enum(Trigger, "run_trigger"))
    triggered_by_id: Mapped[int | None] = mapped_column(BigInteger)
    schedule_id: Mapped[int | None] = mapped_column(BigInteger)
    fire_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flow_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    retry_of_id: Mapped[int | None] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    max_attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    queue: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    worker: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict | None] = mapped_column(JSONB)
    queued_at: Mapped[datetime] = now_column()
    # A delayed retry waits queued until then; the scheduler leader sends it when it is due.
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    rows_loaded: Mapped[int | None] = mapped_column(BigInteger)
    peak_memory_mb: Mapped[float | None]
    cpu_time_ms: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")


class RunLog(TenantBase):
    __tablename__ = "run_logs"
    __table_args__ = (
        UniqueConstraint("run_id", "seq"),
        # "Search in output": full-text over every line, language-neutral.
        Index(
            "ix_run_logs_text_search",
            text("to_tsvector('simple', text)"),
            postgresql_using="gin",
        ),
    )

    id: Mapped[int] = identity_key()
    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("runs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stream: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
