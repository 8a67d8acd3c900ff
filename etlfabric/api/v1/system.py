"""The health of the whole platform, for platform administrators."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from etlfabric.api.deps import current_principal
from etlfabric.db import platform_session
from etlfabric.services import system_health
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["system"])


class SchedulerOut(BaseModel):
    leader: str | None
    last_tick_at: datetime | None
    lag_seconds: float | None


class WorkerOut(BaseModel):
    name: str
    host: str
    pid: int
    queues: list[str]
    concurrency: int
    last_seen_at: datetime
    alive: bool


class SystemHealthOut(BaseModel):
    checked_at: datetime
    host: system_health.HostUsage  # a dataclass: pydantic reads its fields
    database_bytes: int
    organizations: int
    queues: dict[str, int]
    scheduler: SchedulerOut
    workers: list[WorkerOut]


@router.get(
    "/system/health",
    response_model=SystemHealthOut,
    summary="Host, database, queues, scheduler and workers (platform administrators)",
)
async def system_health_report(
    principal: Principal = Depends(current_principal),
) -> SystemHealthOut:
    async with platform_session() as session:
        found = await system_health.system_health(session=session, principal=principal)
    scheduler = found.scheduler
    return SystemHealthOut(
        checked_at=found.checked_at,
        host=found.host,
        database_bytes=found.database_bytes,
        organizations=found.organizations,
        queues=found.queues,
        scheduler=SchedulerOut(
            leader=scheduler.leader,
            last_tick_at=scheduler.last_tick_at,
            lag_seconds=scheduler.lag_seconds,
        ),
        workers=[
            WorkerOut(
                name=w.name,
                host=w.host,
                pid=w.pid,
                queues=list(w.queues),
                concurrency=w.concurrency,
                last_seen_at=datetime.fromtimestamp(w.seen_at).astimezone(),
                alive=w.alive,
            )
            for w in found.workers
        ],
    )
