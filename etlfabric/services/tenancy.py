"""Database objects of a tenant: its platform schema, data schemas and roles.

Runs on the caller's connection and transaction (PostgreSQL DDL, CREATE ROLE included, is
transactional), so a failure half-way leaves nothing behind. Names are built from integers and the
configured prefix only, never from user text.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, make_url, text

from etlfabric.config import get_settings
from etlfabric.crypto import scram_sha256_verifier
from etlfabric.db import tenant_schema
from etlfabric.migrations import upgrade_tenant

DEFAULT_DATA_SCHEMAS = ("raw", "staging", "marts")


def role_prefix() -> str:
    """Roles are cluster-wide: prefix them with the database name so databases do not collide."""
    settings = get_settings()
    prefix = settings.db_role_prefix or make_url(settings.database_url).database or "etlfabric"
    return re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:30]


def owner_role(org_id: int) -> str:
    return f"{role_prefix()}_t{int(org_id)}_owner"


def workload_role(org_id: int) -> str:
    return f"{role_prefix()}_t{int(org_id)}_workload"


def data_schema(org_id: int, name: str) -> str:
    """The physical schema behind a tenant's data schema `name` (raw, staging, marts...)."""
    return f"t{int(org_id)}_{name}"


def _q(connection: Connection, identifier: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(identifier)


def create_roles(connection: Connection, org_id: int, workload_password: str) -> None:
    owner, workload = _q(connection, owner_role(org_id)), _q(connection, workload_role(org_id))
    verifier = scram_sha256_verifier(workload_password)
    connection.exec_driver_sql(f"CREATE ROLE {owner} NOLOGIN NOINHERIT")
    connection.exec_driver_sql(
        f"CREATE ROLE {workload} LOGIN INHERIT CONNECTION LIMIT 50 IN ROLE {owner} "
        f"PASSWORD '{verifier}'"
    )


def create_data_schema(connection: Connection, org_id: int, name: str) -> str:
    physical = data_schema(org_id, name)
    connection.exec_driver_sql(
        f"CREATE SCHEMA IF NOT EXISTS {_q(connection, physical)} "
        f"AUTHORIZATION {_q(connection, owner_role(org_id))}"
    )
    return physical


def list_data_schemas(connection: Connection, org_id: int) -> list[str]:
    """The tenant's data schemas by their short names, from the catalog (the truth)."""
    rows = connection.execute(
        text(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner "
            "WHERE r.rolname = :owner ORDER BY n.nspname"
        ),
        {"owner": owner_role(org_id)},
    )
    prefix = f"t{int(org_id)}_"
    return [name.removeprefix(prefix) for (name,) in rows]


def provision(
    connection: Connection, org_id: int, workload_password: str, data_schemas=DEFAULT_DATA_SCHEMAS
) -> None:
    """Create the tenant schema at the migration head, its roles and its data schemas."""
    schema = tenant_schema(org_id)
    connection.exec_driver_sql(f"CREATE SCHEMA {_q(connection, schema)}")
    upgrade_tenant(connection, schema)
    create_roles(connection, org_id, workload_password)
    for name in data_schemas:
        create_data_schema(connection, org_id, name)


def set_login(connection: Connection, org_id: int, *, allowed: bool) -> None:
    """Disable or re-enable the workload role; disabling also ends its open sessions."""
    workload = workload_role(org_id)
    login = "LOGIN" if allowed else "NOLOGIN"
    connection.exec_driver_sql(f"ALTER ROLE {_q(connection, workload)} {login}")
    if not allowed:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role"),
            {"role": workload},
        )


def drop_everything(connection: Connection, org_id: int) -> None:
    """Drop the tenant's schemas and roles: every data schema, the tenant schema, both roles."""
    owner, workload = owner_role(org_id), workload_role(org_id)
    set_login(connection, org_id, allowed=False)
    for name in list_data_schemas(connection, org_id):
        physical = data_schema(org_id, name)
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_q(connection, physical)} CASCADE")
    schema = _q(connection, tenant_schema(org_id))
    connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    for role in (workload, owner):
        connection.exec_driver_sql(f"DROP OWNED BY {_q(connection, role)} CASCADE")
        connection.exec_driver_sql(f"DROP ROLE {_q(connection, role)}")
