"""How a schedule's runs went, day by day: what the month calendar on the schedule page shows.

Read-only. A run belongs to the day of its fire time (when it was due; its queue time for runs
without one) on the schedule's own wall clock, so a 23:30 Lisbon run is not shown on the next day.
Retries of a fire count on the day of the first attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.models import Run, RunStatus
from etlfabric.services.permissions import Principal, require

FAILED = (RunStatus.failed, RunStatus.timed_out)


@dataclass(frozen=True)
class DayOutcome:
    succeeded: int = 0
    failed: int = 0  # failed or timed out
    other: int = 0  # queued, running, cancelled, skipped

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.other


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next one, on the zone's wall clock."""
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, end


async def month_outcomes(
    *,
    session: AsyncSession,
    principal: Principal,
    schedule_id: int,
    year: int,
    month: int,
    timezone: str,
) -> dict[date, DayOutcome]:
    """Local day -> counts of the schedule's runs due that day; days without runs are left out."""
    require(principal, "resources.read")
    zone = ZoneInfo(timezone)
    start, end = month_bounds(year, month, zone)
    due = func.coalesce(Run.fire_time, Run.queued_at)
    day = cast(func.timezone(timezone, due), Date).label("day")
    rows = await session.execute(
        select(day, Run.status, func.count())
        .where(Run.schedule_id == schedule_id, due >= start, due < end)
        .group_by(day, Run.status)
    )
    counts: dict[date, dict[str, int]] = {}
    for local_day, status, total in rows:
        bucket = counts.setdefault(local_day, {"succeeded": 0, "failed": 0, "other": 0})
        if status == RunStatus.succeeded:
            bucket["succeeded"] += total
        elif status in FAILED:
            bucket["failed"] += total
        else:
            bucket["other"] += total
    return {local_day: DayOutcome(**bucket) for local_day, bucket in counts.items()}
