"""Engines and sessions. The only place that creates database sessions.

A tenant session maps tenant tables (declared without a schema) onto `tenant_<org_id>` with
`schema_translate_map`, after checking that the organisation exists and is not disabled. Connections
are never given a session-level `search_path`, so a pooled connection goes back clean.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import Engine, create_engine, event, exc, make_url, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from etlfabric.config import get_settings
from etlfabric.errors import ConfigError, NotFound

PING_AFTER_IDLE_SECONDS = 2.0
_async_engines: dict[str, AsyncEngine] = {}
_sync_engines: dict[str, Engine] = {}


def tenant_schema(org_id: int) -> str:
    """The schema holding one organisation's platform tables."""
    return f"tenant_{int(org_id)}"


def with_driver(url: str, driver: str) -> URL:
    """`postgresql://...` with the driver spelled out (SQLAlchemy 2.1 defaults to psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            f"DATABASE_URL must point to PostgreSQL, not {parsed.get_backend_name()}."
        )
    return parsed.set(drivername=f"postgresql+{driver}")


def _database_url() -> str:
    url = get_settings().database_url
    if not url:
        raise ConfigError("DATABASE_URL is not set (run `etlfabric up` for an embedded database).")
    return url


def async_engine(url: str | None = None, **options) -> AsyncEngine:
    url = url or _database_url()
    if url not in _async_engines:
        _async_engines[url] = create_async_engine(
            with_driver(url, "asyncpg"), pool_pre_ping=True, **options
        )
    return _async_engines[url]


def sync_engine(url: str | None = None, **options) -> Engine:
    """For Celery workers, the scheduler and migrations, which are synchronous."""
    url = url or _database_url()
    if url not in _sync_engines:
        engine = create_engine(with_driver(url, "psycopg2"), **options)
        _ping_when_idle(engine)
        _sync_engines[url] = engine
    return _sync_engines[url]


def _ping_when_idle(engine: Engine, after: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a pooled connection on checkout only when it sat idle for `after` seconds (a dead
    one is replaced, as with pool_pre_ping). A worker opens two transactions per run: pinging
    connections it used a moment ago cost a round trip each, ~1.4 ms per run."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, record, proxy) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < after:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


async def dispose_engines() -> None:
    for engine in list(_async_engines.values()):
        await engine.dispose()
    for engine in list(_sync_engines.values()):
        engine.dispose()
    _async_engines.clear()
    _sync_engines.clear()


@asynccontextmanager
async def platform_session() -> AsyncIterator[AsyncSession]:
    """One transaction on the platform schema: committed on success, rolled back on error."""
    async with AsyncSession(async_engine(), expire_on_commit=False) as session, session.begin():
        yield session


async def _require_active_org(session: AsyncSession, org_id: int) -> None:
    from etlfabric.models.organizations import Organization

    found = await session.scalar(
        select(Organization.id).where(Organization.id == org_id, Organization.deleted_at.is_(None))
    )
    if found is None:
        raise NotFound("Organisation not found.")


@asynccontextmanager
async def tenant_session(org_id: int) -> AsyncIterator[AsyncSession]:
    """One transaction on an organisation's schema; NotFound if it is missing or disabled."""
    bind = async_engine().execution_options(schema_translate_map={None: tenant_schema(org_id)})
    async with AsyncSession(bind, expire_on_commit=False) as session, session.begin():
        await _require_active_org(session, org_id)
        yield session


@contextmanager
def sync_platform_session() -> Iterator[Session]:
    with Session(sync_engine(), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def sync_tenant_session(org_id: int) -> Iterator[Session]:
    from etlfabric.models.organizations import Organization

    bind = sync_engine().execution_options(schema_translate_map={None: tenant_schema(org_id)})
    with Session(bind, expire_on_commit=False) as session, session.begin():
        found = session.scalar(
            select(Organization.id).where(
                Organization.id == org_id, Organization.deleted_at.is_(None)
            )
        )
        if found is None:
            raise NotFound("Organisation not found.")
        yield session


async def ping_database(timeout: float = 2.0) -> None:
    """Raise when the database does not answer `SELECT 1` within `timeout` seconds."""

    async def probe() -> None:
        async with async_engine().connect() as connection:
            await connection.execute(text("SELECT 1"))

    await asyncio.wait_for(probe(), timeout)
