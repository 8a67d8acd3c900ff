"""Connections and pipelines for tests (shared by the pipelines service, REST and runner tests).

Rows are built directly, so a test can have any connection (a source that is not reachable, a
destination-only one) without going through the connections service's checks; pipelines go
through services/pipelines.py unless `direct=True`. A throwaway PostgreSQL source database is
the `source_db` fixture (tests/conftest.py); `source_sql` writes into it.
"""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager

import psycopg2
from sqlalchemy import make_url, select

from etlfabric import crypto
from etlfabric.db import tenant_session
from etlfabric.models import Connection, Pipeline
from etlfabric.models.connections import Direction
from etlfabric.services.permissions import Principal
from tests import environment

_counter = itertools.count(1)
SOURCE_PASSWORD = "src-pw-5e8f1c2a"


def server_dsn(database: str) -> str:
    url = make_url(environment.SERVER_URL).set(database=database)
    return url.render_as_string(hide_password=False)


@contextmanager
def source_database():
    """A throwaway PostgreSQL database to read from; yields its name."""
    name = f"etf_src_{os.getpid()}"
    admin = psycopg2.connect(server_dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def source_sql(database: str, *statements: str, params=None) -> list:
    with psycopg2.connect(server_dsn(database)) as db, db.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
        rows = cursor.fetchall() if cursor.description else []
    db.close()
    return rows


async def make_connection(
    org_id: int,
    *,
    name: str | None = None,
    type: str = "postgres",
    direction: str = "source",
    config: dict | None = None,
    credentials: dict | None = None,
    is_managed: bool = False,
) -> Connection:
    async with tenant_session(org_id) as session:
        connection = Connection(
            name=name or f"{type} {next(_counter)}",
            type=type,
            direction=Direction(direction),
            config=config or {},
            credentials_secret=crypto.encrypt_json(credentials) if credentials else None,
            is_managed=is_managed,
        )
        session.add(connection)
        await session.flush()
        return connection


async def warehouse(org_id: int) -> Connection:
    """The organisation's managed Warehouse (the one provisioning made, or a new row)."""
    async with tenant_session(org_id) as session:
        found = await session.scalar(
            select(Connection).where(Connection.is_managed, Connection.deleted_at.is_(None))
        )
    if found is not None:
        return found
    return await make_connection(
        org_id,
        name=f"Warehouse {next(_counter)}",
        type="warehouse",
        direction="both",
        is_managed=True,
    )


async def postgres_source(org_id: int, database: str) -> Connection:
    """A source connection to `database` on the test server."""
    url = psycopg2.extensions.parse_dsn(server_dsn(database))
    return await make_connection(
        org_id,
        type="postgres",
        config={
            "host": url.get("host", "127.0.0.1"),
            "port": int(url.get("port", 5432)),
            "database": database,
            "username": url.get("user", "postgres"),
            "sslmode": "disable",
        },
        credentials={"password": SOURCE_PASSWORD},
    )


def pipeline_fields(source: Connection, destination: Connection, **fields) -> dict:
    """Valid fields for a single-table pipeline from `source` into `destination`'s raw schema."""
    return {
        "name": f"pipeline {next(_counter)}",
        "source_connection_id": source.id,
        "destination_connection_id": destination.id,
        "dataset_name": "raw",
        "mode": "table",
        "config": {"table": "customers"},
        **fields,
    }


async def make_pipeline(
    principal: Principal,
    source: Connection,
    destination: Connection,
    *,
    direct: bool = False,
    **fields,
) -> Pipeline:
    from etlfabric.services import pipelines

    values = pipeline_fields(source, destination, **fields)
    async with tenant_session(principal.org_id) as session:
        if direct:
            pipeline = Pipeline(**values)
            session.add(pipeline)
            await session.flush()
            return pipeline
        return await pipelines.create(session=session, principal=principal, **values)
