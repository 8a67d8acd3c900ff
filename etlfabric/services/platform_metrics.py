"""Numbers about the whole platform, across organisations: operator data (GET /api/metrics, the
system health page), never shown to a tenant.

Runs are counted with ONE statement: a UNION ALL of a small aggregate per tenant schema, summed
outside. With 50 organisations that is one round trip (tens of ms) instead of 50; the per-tenant
part reads only (target_type, status, duration_ms). The database stays the only truth: no
counters to keep in step with the runs, nothing added to the run engine's hot path. Values are
what the tables hold, so the retention sweep can lower them (Prometheus treats it as a reset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import column, func, select, table, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import tenant_schema

# Upper bounds (seconds) of the duration histogram's buckets; +Inf is implied.
DURATION_BUCKETS = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400)

_LIVE_TENANTS = text(
    "SELECT o.id FROM public.organizations o"
    " WHERE o.deleted_at IS NULL"
    " AND to_regclass(quote_ident('tenant_' || o.id) || '.runs') IS NOT NULL"
    " ORDER BY o.id"
)


@dataclass
class RunGroup:
    """Runs of one (kind, status), and the histogram of those that recorded a duration."""

    kind: str
    status: str
    runs: int
    timed: int = 0
    total_seconds: float = 0.0
    cumulative: list[int] = field(default_factory=list)  # per DURATION_BUCKETS bound


@dataclass(frozen=True)
class SchedulerState:
    leader: str | None  # instance id of the leader, None when no scheduler leads
    last_tick_at: datetime | None
    lag_seconds: float | None  # now - the leader's last tick
    instances: list[dict]


async def live_tenants(session: AsyncSession) -> list[int]:
    """Ids of the organisations whose schema exists and is not disabled."""
    return [int(org_id) for org_id in await session.scalars(_LIVE_TENANTS)]


def _per_tenant(org_id: int):
    runs = table(
        "runs",
        column("target_type"),
        column("status"),
        column("duration_ms"),
        schema=tenant_schema(org_id),
    )
    kind, status, duration = runs.c.target_type, runs.c.status, runs.c.duration_ms
    buckets = [
        func.count().filter(duration <= int(bound * 1000)).label(f"le{i}")
        for i, bound in enumerate(DURATION_BUCKETS)
    ]
    return (
        select(
            kind.label("kind"),
            status.label("status"),
            func.count().label("runs"),
            func.count(duration).label("timed"),
            func.coalesce(func.sum(duration), 0).label("total_ms"),
            *buckets,
        )
        .select_from(runs)
        .group_by(kind, status)
    )


async def run_groups(session: AsyncSession, org_ids: list[int]) -> list[RunGroup]:
    """Runs by (kind, status) over every given tenant, in one statement."""
    if not org_ids:
        return []
    every = union_all(*(_per_tenant(org_id) for org_id in org_ids)).subquery()
    bucket_columns = [func.sum(every.c[f"le{i}"]) for i in range(len(DURATION_BUCKETS))]
    rows = await session.execute(
        select(
            every.c.kind,
            every.c.status,
            func.sum(every.c.runs),
            func.sum(every.c.timed),
            func.sum(every.c.total_ms),
            *bucket_columns,
        )
        .group_by(every.c.kind, every.c.status)
        .order_by(every.c.kind, every.c.status)
    )
    return [
        RunGroup(
            kind=kind,
            status=status,
            runs=int(runs),
            timed=int(timed),
            total_seconds=float(total_ms) / 1000.0,
            cumulative=[int(count) for count in cumulative],
        )
        for kind, status, runs, timed, total_ms, *cumulative in rows
    ]


async def scheduler_state(session: AsyncSession, now: datetime | None = None) -> SchedulerState:
    """The scheduler processes, the leader and how long ago it last ticked."""
    now = now or datetime.now(UTC)
    rows = (
        await session.execute(
            text(
                "SELECT instance_id, hostname, pid, is_leader, started_at, last_seen_at,"
                " last_tick_at FROM public.scheduler_instances"
                " ORDER BY is_leader DESC, last_tick_at DESC NULLS LAST, instance_id"
            )
        )
    ).mappings()
    instances = [dict(row) for row in rows]
    leaders = [row for row in instances if row["is_leader"]]
    leader = leaders[0] if leaders else None
    tick = leader["last_tick_at"] if leader else None
    return SchedulerState(
        leader=leader["instance_id"] if leader else None,
        last_tick_at=tick,
        lag_seconds=(now - tick).total_seconds() if tick else None,
        instances=instances,
    )


async def database_size(session: AsyncSession) -> int:
    """Bytes on disk of the platform's database (every tenant included)."""
    return int(await session.scalar(text("SELECT pg_database_size(current_database())")))
