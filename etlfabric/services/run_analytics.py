"""How a target's runs trend, whatever its kind: success rates over 24 h / 7 d / 30 d, runs and
duration percentiles per day, and runs that took abnormally long.

A run is an anomaly when it took more than ANOMALY_FACTOR × the p95 duration of the
BASELINE_RUNS finished runs of its target queued before it (at least MIN_BASELINE of them). The
flag is computed when read, from the runs before the run, so it never changes afterwards and
needs no column. Days are the organisation's calendar days (its time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from etlfabric.errors import NotFound
from etlfabric.models import Organization, Run, RunStatus, TargetType
from etlfabric.services import targets
from etlfabric.services.permissions import Principal, require
from etlfabric.services.run_stats import FINISHED, SuccessRate

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
TREND_DAYS = 30
BASELINE_RUNS = 30
MIN_BASELINE = 5
ANOMALY_FACTOR = 2.0
RECENT_FOR_ANOMALIES = 200  # the target's newest finished runs checked for the analytics view
FAILED = (RunStatus.failed, RunStatus.timed_out)


@dataclass(frozen=True)
class DayStats:
    day: date
    runs: int
    succeeded: int
    failed: int  # failed or timed out
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True)
class Anomaly:
    run_id: int
    queued_at: datetime
    duration_ms: int
    baseline_p95_ms: float


@dataclass(frozen=True)
class TargetAnalytics:
    target_type: TargetType
    target_id: int
    name: str
    timezone: str
    success: dict[str, SuccessRate]
    days: list[DayStats]
    anomalies: list[Anomaly]


async def _org_timezone(session: AsyncSession, org_id: int) -> str:
    found = await session.scalar(select(Organization.timezone).where(Organization.id == org_id))
    return found or "UTC"


async def _success(session: AsyncSession, conditions: list, now: datetime) -> dict:
    finished = [Run.status.in_(FINISHED), Run.queued_at >= now - max(WINDOWS.values())]
    columns = []
    for span in WINDOWS.values():
        recent = Run.queued_at >= now - span
        columns += [
            func.count().filter(recent, Run.status == RunStatus.succeeded),
            func.count().filter(recent),
        ]
    row = (await session.execute(select(*columns).where(*finished, *conditions))).one()
    return {name: SuccessRate(row[2 * i], row[2 * i + 1]) for i, name in enumerate(WINDOWS)}


async def daily(
    session: AsyncSession, conditions: list, *, tz: str, now: datetime, days: int = TREND_DAYS
) -> list[DayStats]:
    """One entry per calendar day (in `tz`) of the last `days`, oldest first, empty days too."""
    today = now.astimezone(ZoneInfo(tz)).date()
    first = today - timedelta(days=days - 1)
    day = cast(func.timezone(tz, Run.queued_at), Date).label("day")
    timed = and_(Run.status.in_(FINISHED), Run.duration_ms.is_not(None))
    rows = await session.execute(
        select(
            day,
            func.count(),
            func.count().filter(Run.status == RunStatus.succeeded),
            func.count().filter(Run.status.in_(FAILED)),
            func.percentile_cont(0.5).within_group(Run.duration_ms).filter(timed),
            func.percentile_cont(0.95).within_group(Run.duration_ms).filter(timed),
        )
        .where(Run.queued_at >= now - timedelta(days=days + 1), *conditions)
        .group_by(day)
    )
    found = {row[0]: row for row in rows}
    result = []
    for offset in range(days):
        moment = first + timedelta(days=offset)
        row = found.get(moment)
        if row is None:
            result.append(DayStats(moment, 0, 0, 0, None, None))
        else:
            result.append(DayStats(moment, *[int(v) for v in row[1:4]], row[4], row[5]))
    return result


def _baseline(run: type[Run]):
    """p95 and count of the BASELINE_RUNS finished runs of `run`'s target queued before it."""
    earlier = aliased(Run)
    previous = (
        select(earlier.duration_ms)
        .where(
            earlier.target_type == run.target_type,
            earlier.target_id == run.target_id,
            earlier.status.in_(FINISHED),
            earlier.duration_ms.is_not(None),
            tuple_(earlier.queued_at, earlier.id) < tuple_(run.queued_at, run.id),
        )
        .order_by(earlier.queued_at.desc(), earlier.id.desc())
        .limit(BASELINE_RUNS)
        .correlate(run)  # through the derived table: automatic correlation stops at a FROM
        .subquery()
    )
    return (
        select(
            func.percentile_cont(0.95).within_group(previous.c.duration_ms).label("p95"),
            func.count().label("n"),
        )
        .select_from(previous)
        .lateral("baseline")
    )


async def anomalies_among(session: AsyncSession, candidates) -> list[Anomaly]:
    """The anomalous runs among `candidates` (a select of run ids), newest first."""
    run = aliased(Run)
    baseline = _baseline(run)
    rows = await session.execute(
        select(run.id, run.queued_at, run.duration_ms, baseline.c.p95)
        .join(baseline, baseline.c.n >= MIN_BASELINE)
        .where(
            run.id.in_(candidates),
            run.status.in_(FINISHED),
            run.duration_ms > ANOMALY_FACTOR * baseline.c.p95,
        )
        .order_by(run.queued_at.desc(), run.id.desc())
    )
    return [Anomaly(i, at, int(ms), float(p95)) for i, at, ms, p95 in rows]


async def anomalous_runs(
    *, session: AsyncSession, principal: Principal, run_ids: Sequence[int]
) -> dict[int, Anomaly]:
    """run id -> its anomaly, for the runs of a list or page that took abnormally long."""
    require(principal, "resources.read")
    ids = sorted({int(i) for i in run_ids})
    if not ids:
        return {}
    found = await anomalies_among(session, select(Run.id).where(Run.id.in_(ids)))
    return {anomaly.run_id: anomaly for anomaly in found}


async def target_analytics(
    *,
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType | str,
    target_id: int,
    now: datetime | None = None,
) -> TargetAnalytics:
    require(principal, "resources.read")
    kind = TargetType(target_type)
    name = await session.scalar(targets.live(kind, target_id))
    if name is None:
        raise NotFound(f"No {kind.value} with id {target_id}.")
    now = now or datetime.now(UTC)
    tz = await _org_timezone(session, principal.org_id)
    mine = [Run.target_type == kind, Run.target_id == target_id]
    recent = (
        select(Run.id)
        .where(*mine, Run.status.in_(FINISHED))
        .order_by(Run.queued_at.desc(), Run.id.desc())
        .limit(RECENT_FOR_ANOMALIES)
    )
    return TargetAnalytics(
        target_type=kind,
        target_id=int(target_id),
        name=name,
        timezone=tz,
        success=await _success(session, mine, now),
        days=await daily(session, mine, tz=tz, now=now),
        anomalies=await anomalies_among(session, recent),
    )


async def organization_daily(
    *, session: AsyncSession, principal: Principal, days: int = 14, now: datetime | None = None
) -> list[DayStats]:
    """Runs and duration percentiles per day over every target of the organisation."""
    require(principal, "resources.read")
    tz = await _org_timezone(session, principal.org_id)
    return await daily(session, [], tz=tz, now=now or datetime.now(UTC), days=days)
