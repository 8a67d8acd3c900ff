"""The system health page's data: host, database, queues, scheduler and workers, for platform
administrators only."""

import pytest
from sqlalchemy import text

from etlfabric.db import platform_session, sync_engine
from etlfabric.errors import PermissionDenied
from etlfabric.models import Role
from etlfabric.orchestration.scheduler import forget_presence, instance_id, record_presence
from etlfabric.redis_client import get_redis
from etlfabric.services import system_health, workers
from etlfabric.services.permissions import Principal
from etlfabric.services.users import ensure_admin
from etlfabric.ui.state.system_health import reading
from tests.factories import make_owned_org


async def read(principal):
    async with platform_session() as session:
        return await system_health.system_health(session=session, principal=principal)


@pytest.fixture
async def platform_admin():
    async with platform_session() as session:
        user, _ = await ensure_admin(session=session, email="root@example.com")
    from sqlalchemy import select

    from etlfabric.models import Membership

    async with platform_session() as session:
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
    return Principal(org_id=membership.org_id, role=Role.owner, user_id=user.id)


async def test_the_platform_administrator_sees_everything(platform_admin):
    await get_redis().delete(workers.WORKERS_KEY)
    await get_redis().delete("default")
    workers.record_heartbeat("w1@host", ["default", "heavy"], 4)
    await get_redis().rpush("heavy", "m1", "m2")
    record_presence(is_leader=True, ticked=True)
    try:
        found = await read(platform_admin)
    finally:
        forget_presence()
    assert 0 <= found.host.cpu_percent <= 100 and found.host.cpu_count >= 1
    assert found.host.memory_total > found.host.memory_used > 0
    assert found.host.disk_total > 0
    assert found.database_bytes > 1_000_000
    assert found.queues["heavy"] == 2 and found.queues["default"] == 0
    assert "interactive" in found.queues  # dbt compile / preview: always listed, even unserved
    assert found.scheduler.leader == instance_id() and found.scheduler.lag_seconds < 30
    assert [(w.name, w.queues, w.concurrency, w.alive) for w in found.workers] == [
        ("w1@host", ("default", "heavy"), 4, True)
    ]
    page = reading(found)  # what the page shows
    assert [g["label"] for g in page["gauges"]] == ["CPU", "Memory", "Disk (data folder)"]
    assert page["facts"]["leader"] == instance_id() and page["facts"]["lag_level"] == "ok"
    assert page["workers"][0]["queues"] == "default, heavy"


async def test_an_organisation_owner_or_an_api_key_is_refused(platform_admin):
    _, _, owner = await make_owned_org()
    with pytest.raises(PermissionDenied):
        await read(owner)
    key = Principal(
        org_id=platform_admin.org_id,
        role=Role.admin,
        user_id=platform_admin.user_id,
        api_key_id=1,
        scopes=frozenset({"admin"}),
    )
    with pytest.raises(PermissionDenied):
        await read(key)


async def test_without_a_leader_the_page_says_so(platform_admin):
    forget_presence()
    with sync_engine().begin() as connection:  # rows other tests' schedulers left behind
        connection.execute(text("DELETE FROM public.scheduler_instances"))
    found = await read(platform_admin)
    assert found.scheduler.leader is None and found.scheduler.lag_seconds is None
    assert reading(found)["facts"]["leader"] == "No scheduler is leading"
