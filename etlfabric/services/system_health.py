"""The system health page's data: host CPU, memory and disk, database size, queues, the scheduler
leader and its last tick, and the workers with their queues.

Host-level data describes every organisation's load, so only a platform administrator
(`User.is_platform_admin`, given to the first administrator) may read it; an organisation owner
is an owner of one tenant, not of the machine. API keys act for an organisation: refused too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psutil
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.config import get_settings
from etlfabric.errors import PermissionDenied
from etlfabric.models import User
from etlfabric.services import platform_metrics, workers
from etlfabric.services.permissions import Principal

REFUSAL = "Only a platform administrator can see the health of the system."


@dataclass(frozen=True)
class HostUsage:
    cpu_percent: float
    cpu_count: int
    memory_percent: float
    memory_used: int
    memory_total: int
    disk_percent: float
    disk_used: int
    disk_total: int
    disk_path: str


@dataclass(frozen=True)
class SystemHealth:
    checked_at: datetime
    host: HostUsage
    database_bytes: int
    organizations: int
    queues: dict[str, int]
    scheduler: platform_metrics.SchedulerState
    workers: list[workers.WorkerInfo]


async def may_see_system(*, session: AsyncSession, principal: Principal) -> bool:
    """A person (not an API key) whose account is a platform administrator."""
    if principal.user_id is None or principal.is_api_key:
        return False
    user = await session.get(User, principal.user_id)
    return bool(user and user.is_active and user.is_platform_admin)


async def require_platform_admin(*, session: AsyncSession, principal: Principal) -> None:
    if not await may_see_system(session=session, principal=principal):
        raise PermissionDenied(REFUSAL)


def host_usage() -> HostUsage:
    """Quick, non-blocking readings: CPU since the previous call (0.0 on the very first)."""
    memory = psutil.virtual_memory()
    data_dir = get_settings().data_dir
    path = str(data_dir if data_dir.exists() else data_dir.anchor)
    disk = psutil.disk_usage(path)
    return HostUsage(
        cpu_percent=psutil.cpu_percent(interval=None),
        cpu_count=psutil.cpu_count() or 1,
        memory_percent=memory.percent,
        memory_used=memory.total - memory.available,
        memory_total=memory.total,
        disk_percent=disk.percent,
        disk_used=disk.used,
        disk_total=disk.total,
        disk_path=path,
    )


async def system_health(*, session: AsyncSession, principal: Principal) -> SystemHealth:
    """Everything the health page shows; `session` is a platform session."""
    await require_platform_admin(session=session, principal=principal)
    known = await workers.list_workers(time.time())
    return SystemHealth(
        checked_at=datetime.now(UTC),
        host=host_usage(),
        database_bytes=await platform_metrics.database_size(session),
        organizations=len(await platform_metrics.live_tenants(session)),
        queues=await workers.queue_depths(known),
        scheduler=await platform_metrics.scheduler_state(session),
        workers=known,
    )
