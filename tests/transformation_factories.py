"""dbt rows and runs for the transformation tests: rows written with the ORM (the services are
tested on their own), runs carried out by the engine's claim → perform → record, without a
broker (tests/pipeline_runs.py), and SQL run as the organisation's workload role."""

from __future__ import annotations

import itertools

import psycopg2
from sqlalchemy import make_url

from etlfabric import db
from etlfabric.crypto import decrypt
from etlfabric.db import sync_platform_session, sync_tenant_session
from etlfabric.models import (
    DbtSeed,
    DbtSnapshot,
    DbtSource,
    Organization,
    Run,
    TargetType,
    Transformation,
    Trigger,
)
from etlfabric.services import tenancy
from tests.pipeline_runs import finish

_numbers = itertools.count(1)


def add(org_id: int, row):
    with sync_tenant_session(org_id) as session:
        session.add(row)
        session.flush()
        return row


def model(org_id: int, name: str, sql: str, schema: str = "staging", **fields) -> Transformation:
    return add(org_id, Transformation(name=name, sql=sql, schema_name=schema, **fields))


def source(org_id: int, table: str, source_name: str = "raw", **fields) -> DbtSource:
    fields.setdefault("schema_name", "raw")
    return add(org_id, DbtSource(source_name=source_name, table_name=table, **fields))


def seed(org_id: int, name: str, csv: str, schema: str = "raw") -> DbtSeed:
    return add(org_id, DbtSeed(name=name, csv=csv, schema_name=schema))


def snapshot(org_id: int, name: str, sql: str, **fields) -> DbtSnapshot:
    fields.setdefault("schema_name", "staging")
    return add(org_id, DbtSnapshot(name=name, sql=sql, **fields))


def queue(org_id: int, target_id: int, name: str, payload: dict | None = None) -> int:
    with sync_tenant_session(org_id) as session:
        run = Run(
            target_type=TargetType.transformation,
            target_id=target_id,
            target_name=name,
            trigger=Trigger.manual,
            payload=payload,
        )
        session.add(run)
        session.flush()
        return run.id


def execute(org_id: int, target: Transformation | None, **payload) -> tuple[Run, list[str]]:
    """One dbt run as a worker does it: of a transformation, or (None) of the whole project."""
    target_id, name = (target.id, target.name) if target else (0, "dbt project")
    return finish(org_id, queue(org_id, target_id, name, payload or None))


def nodes(run: Run) -> dict[str, dict]:
    """The run's node results by node name."""
    return {node["name"]: node for node in run.details["dbt"]["nodes"]}


def workload_sql(org_id: int, *statements: str) -> list:
    """Statements as the organisation's workload role (what dlt loaded, say); the last rows."""
    with sync_platform_session() as session:
        org = session.get(Organization, org_id)
    url = make_url(db.get_settings().database_url)
    connection = psycopg2.connect(
        host=url.host,
        port=url.port,
        dbname=url.database,
        user=tenancy.workload_role(org_id),
        password=decrypt(org.workload_secret),
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()
