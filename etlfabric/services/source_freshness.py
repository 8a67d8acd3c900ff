"""How fresh each declared dbt source is, read from the `dbt source freshness` Runs (the one
source of truth): per source table its latest status, max loaded-at, age and when it was checked.

A freshness run that stopped before dbt reported any node (a project that does not parse) says
nothing about the sources, so each source keeps the result of the latest run that reported it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.models import DbtSource, Run, TargetType
from etlfabric.services.permissions import Principal, require
from etlfabric.transformations.executor import PROJECT_TARGET
from etlfabric.transformations.project import project_name

STATUSES = ("pass", "warn", "error", "runtime error")
NEVER = "never"  # no freshness run has reported this source yet
UNSET = "unset"  # no loaded-at column or thresholds: dbt does not check it
RUNS_LOOKED_AT = 50  # a source no recent check reported is "never checked" as far as we know


@dataclass(frozen=True)
class Freshness:
    status: str  # one of STATUSES, NEVER or UNSET
    max_loaded_at: str | None = None
    age_seconds: float | None = None
    checked_at: datetime | None = None
    run_id: int | None = None
    message: str | None = None


def freshness_runs():
    """The organisation's freshness Runs, newest first."""
    return (
        select(Run)
        .where(
            Run.target_type == TargetType.transformation,
            Run.target_id == PROJECT_TARGET,
            Run.payload["command"].astext == "freshness",
        )
        .order_by(Run.id.desc())
    )


async def latest_check(*, session: AsyncSession, principal: Principal) -> Run | None:
    """The latest freshness Run, whatever its status (the page follows one still going)."""
    require(principal, "resources.read")
    return await session.scalar(freshness_runs().limit(1))


def _reported(run: Run) -> dict[str, dict]:
    """unique_id -> the node result of each source the run reported."""
    nodes = ((run.details or {}).get("dbt") or {}).get("nodes") or []
    return {n["unique_id"]: n for n in nodes if n.get("resource_type") == "source"}


def checks_freshness(source: DbtSource) -> bool:
    return bool(source.loaded_at_field and (source.warn_after or source.error_after))


async def source_freshness(*, session: AsyncSession, principal: Principal) -> dict[int, Freshness]:
    """source id -> its Freshness, for every declared source."""
    require(principal, "resources.read")
    sources = list(await session.scalars(select(DbtSource).order_by(DbtSource.id)))
    runs = await session.scalars(
        freshness_runs().where(Run.finished_at.is_not(None)).limit(RUNS_LOOKED_AT)
    )
    reports = [(run, _reported(run)) for run in runs]
    project = project_name(principal.org_id)
    found: dict[int, Freshness] = {}
    for source in sources:
        if not checks_freshness(source):  # an old result would mislead: dbt skips it now
            found[source.id] = Freshness(UNSET)
            continue
        unique_id = f"source.{project}.{source.source_name}.{source.table_name}"
        hit = next(((run, rep[unique_id]) for run, rep in reports if unique_id in rep), None)
        if hit is None:
            found[source.id] = Freshness(NEVER)
            continue
        run, node = hit
        found[source.id] = Freshness(
            status=node.get("status") or NEVER,
            max_loaded_at=node.get("max_loaded_at"),
            age_seconds=node.get("age_seconds"),
            checked_at=run.finished_at,
            run_id=run.id,
            message=node.get("message"),
        )
    return found
