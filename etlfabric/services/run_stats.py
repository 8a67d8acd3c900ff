"""Run summaries for overviews (the dashboard, the scripts list): the last run of each target,
success rates over a window, and counts by status.

Read-only; `session` is always the principal's tenant session. The last-run lookup is one
index-backed `LIMIT 1` per target (ix_runs_target_queued), so it stays fast with many runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.models import Run, RunStatus, TargetType
from etlfabric.services.permissions import Principal, require

FINISHED = (RunStatus.succeeded, RunStatus.failed, RunStatus.timed_out)  # what a rate counts
ACTIVE = (RunStatus.queued, RunStatus.running)


@dataclass(frozen=True)
class SuccessRate:
    succeeded: int
    finished: int  # succeeded + failed + timed out; cancelled and skipped runs do not count

    @property
    def percent(self) -> float | None:
        return 100.0 * self.succeeded / self.finished if self.finished else None


async def last_runs(
    *,
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType,
    target_ids: Sequence[int],
) -> dict[int, Run]:
    """target id -> its most recently queued run; targets that never ran are left out."""
    require(principal, "resources.read")
    if not target_ids:
        return {}
    ids = literal(sorted({int(i) for i in target_ids}), ARRAY(BigInteger))
    targets = func.unnest(ids).table_valued("target_id").render_derived(name="targets")
    newest = (
        select(Run.id)
        .where(Run.target_type == TargetType(target_type), Run.target_id == targets.c.target_id)
        .order_by(Run.queued_at.desc(), Run.id.desc())
        .limit(1)
        .correlate(targets)
        .scalar_subquery()
    )
    runs = await session.scalars(select(Run).where(Run.id.in_(select(newest).select_from(targets))))
    return {run.target_id: run for run in runs}


async def success_rates(
    *,
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType,
    since: datetime,
) -> dict[int, SuccessRate]:
    """target id -> succeeded / finished runs queued since `since` (targets with none left out)."""
    require(principal, "resources.read")
    succeeded = func.count().filter(Run.status == RunStatus.succeeded)
    rows = await session.execute(
        select(Run.target_id, succeeded, func.count())
        .where(
            Run.target_type == TargetType(target_type),
            Run.queued_at >= since,
            Run.status.in_(FINISHED),
        )
        .group_by(Run.target_id)
    )
    return {target: SuccessRate(ok, total) for target, ok, total in rows}


async def status_counts(
    *, session: AsyncSession, principal: Principal, since: datetime
) -> dict[RunStatus, int]:
    """Runs queued since `since` by status, plus every run still queued or running whenever it
    was queued (a long run started before the window is still "running now")."""
    require(principal, "resources.read")
    rows = await session.execute(
        select(Run.status, func.count())
        .where((Run.queued_at >= since) | Run.status.in_(ACTIVE))
        .group_by(Run.status)
    )
    counts = {status: 0 for status in RunStatus}
    counts.update({RunStatus(status): total for status, total in rows})
    return counts
