"""Tenant isolation through schema_translate_map on a pool of one connection."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from etlfabric import db
from etlfabric.errors import NotFound
from etlfabric.models import Script
from tests.factories import make_org


@pytest.fixture
async def single_connection_pool(monkeypatch):
    url = db.get_settings().database_url
    engine = create_async_engine(db.with_driver(url, "asyncpg"), pool_size=1, max_overflow=0)
    monkeypatch.setitem(db._async_engines, url, engine)
    yield engine
    await engine.dispose()


async def test_interleaved_tenants_never_see_each_other(single_connection_pool):
    org_a, org_b = await make_org(), await make_org()
    for org in (org_a, org_b):
        async with db.tenant_session(org.id) as session:
            session.add(Script(name=f"only in {org.id}", safe_name=f"only-{org.id}", type="python"))

    wrong, backends, paths = 0, set(), set()
    for index in range(1000):
        org = (org_a, org_b)[index % 2]
        async with db.tenant_session(org.id) as session:
            names = (await session.scalars(select(Script.name))).all()
            wrong += names != [f"only in {org.id}"]
        async with single_connection_pool.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT pg_backend_pid(), current_setting('search_path')")
                )
            ).one()
            backends.add(row[0])
            paths.add(row[1])
    assert wrong == 0
    assert len(backends) == 1, "the pool of one connection was reused"
    assert paths == {'"$user", public'}, "the pooled connection came back clean"


async def test_tenant_session_of_unknown_org_is_not_found():
    with pytest.raises(NotFound):
        async with db.tenant_session(987654):
            pass


async def test_tenant_session_rolls_back_on_error():
    org = await make_org()
    with pytest.raises(RuntimeError):
        async with db.tenant_session(org.id) as session:
            session.add(Script(name="half", safe_name="half", type="python"))
            await session.flush()
            raise RuntimeError("crash mid-way")
    async with db.tenant_session(org.id) as session:
        assert (await session.scalars(select(Script))).all() == []


async def test_ping_database_answers():
    await db.ping_database()


def test_an_idle_connection_killed_by_the_server_is_replaced_on_checkout():
    """Sync engines ping a pooled connection only after it sat idle (here: at once)."""
    from sqlalchemy import create_engine

    from etlfabric.config import get_settings

    engine = create_engine(db.with_driver(get_settings().database_url, "psycopg2"), pool_size=1)
    db._ping_when_idle(engine, after=0.0)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.sync_engine().connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with engine.connect() as connection:
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()
