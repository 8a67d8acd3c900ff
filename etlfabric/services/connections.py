"""Connections: the sources and destinations of pipelines, per organisation.

Types, config fields and directions: connection_specs.py; reaching them (URLs, headers, files):
connection_access.py; "test connection": connection_tests.py. Credentials are stored encrypted,
handed out as "set / not set" per key, never in a view, an audit row or a log. Every organisation
has one managed Warehouse (its workload role on the platform database): created at provisioning,
`ensure_warehouse` for older organisations, never deletable. Deleting is a soft delete that frees
the name (the deleted row keeps `<name>~deleted-<id>`).
`session` is the organisation's tenant session; one call is one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric import crypto
from etlfabric.db import tenant_schema
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Connection, Direction, Organization, Pipeline
from etlfabric.services import audit
from etlfabric.services import connection_specs as specs
from etlfabric.services.connection_access import connection_credentials
from etlfabric.services.naming import require_text
from etlfabric.services.permissions import Principal, require

WAREHOUSE_NAME = "Warehouse"
EDITABLE = ("name", "direction", "config", "credentials")


def credentials_set(conn: Connection) -> dict[str, bool]:
    """Per credential key of the type: is a value stored? (Never the value.)"""
    stored = connection_credentials(conn)
    return {key: bool(stored.get(key)) for key in specs.CREDENTIAL_KEYS.get(conn.type, ())}


def public_view(conn: Connection) -> dict:
    """Everything a client may see; credential values are not in it."""
    return {
        "id": conn.id,
        "name": conn.name,
        "type": conn.type,
        "direction": Direction(conn.direction).value,
        "config": dict(conn.config or {}),
        "is_managed": conn.is_managed,
        "credentials_set": credentials_set(conn),
        "created_at": conn.created_at,
        "updated_at": conn.updated_at,
    }


def _audit_values(conn: Connection) -> dict:
    # Key names only ("auth_fields_set"): a credential value never reaches the audit log.
    stored = connection_credentials(conn)
    return {
        "name": conn.name,
        "type": conn.type,
        "direction": Direction(conn.direction).value,
        "config": dict(conn.config or {}),
        "auth_fields_set": sorted(k for k, v in stored.items() if v),
    }


async def load(session: AsyncSession, connection_id: int, *, for_update=False) -> Connection:
    """A live connection of this tenant, or NotFound (another tenant's id looks the same)."""
    query = select(Connection).where(
        Connection.id == connection_id, Connection.deleted_at.is_(None)
    )
    conn = await session.scalar(query.with_for_update() if for_update else query)
    if conn is None:
        raise NotFound("Connection not found.")
    return conn


async def organization(session: AsyncSession, org_id: int) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("Organisation not found.")
    return org


async def _require_free_name(session: AsyncSession, name: str, own_id: int | None = None):
    query = select(Connection.id).where(func.lower(Connection.name) == name.lower())
    found = await session.scalar(query.where(Connection.id != own_id) if own_id else query)
    if found is not None:
        raise Invalid("name", f"A connection named '{name}' already exists.")


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A connection named '{name}' was just created; pick another name.") from exc


def _name(value: str) -> str:
    name = require_text("name", value, max_length=200)
    if "~" in name:
        raise Invalid("name", "The name cannot contain '~'.")
    return name


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    name: str,
    type: str,
    direction: str | Direction | None = None,
    config: dict | None = None,
    credentials: dict | None = None,
) -> Connection:
    """A new connection; `config` is checked per type, `credentials` are stored encrypted."""
    require(principal, "resources.write")
    name = _name(name)
    kind = specs.check_type(type)
    chosen = specs.check_direction(kind, direction)
    secrets = specs.merge_credentials(kind, {}, credentials)
    clean = specs.validate_config(kind, config, set(secrets))
    await _require_free_name(session, name)
    conn = Connection(
        name=name,
        type=kind,
        direction=chosen,
        config=clean,
        credentials_secret=crypto.encrypt_json(secrets) if secrets else None,
        is_managed=False,
    )
    session.add(conn)
    await _flush(session, name)
    await audit.record(
        session=session,
        principal=principal,
        action="connection.create",
        resource_type="connection",
        resource_id=conn.id,
        new=_audit_values(conn),
    )
    return conn


async def update(
    *, session: AsyncSession, principal: Principal, connection_id: int, **fields
) -> Connection:
    """Change name, direction, config (merged key by key; a key set to null goes back to its
    default) or credentials (text sets a key, null removes it, "" keeps it). The type is fixed;
    the managed Warehouse can only be renamed."""
    require(principal, "resources.write")
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise Invalid(unknown[0], f"'{unknown[0]}' cannot be changed on a connection.")
    conn = await load(session, connection_id, for_update=True)
    given = {key: value for key, value in fields.items() if value is not None}
    if conn.is_managed and set(given) - {"name"}:
        field = sorted(set(given) - {"name"})[0]
        raise Invalid(field, "The Warehouse is managed by the platform; only its name can change.")
    old = _audit_values(conn)
    if "name" in given:
        conn.name = _name(given["name"])
        await _require_free_name(session, conn.name, conn.id)
    if "direction" in given:
        conn.direction = specs.check_direction(conn.type, given["direction"])
    current = connection_credentials(conn)
    secrets = specs.merge_credentials(conn.type, current, fields.get("credentials"))
    if "config" in given or secrets != current:
        if not isinstance(given.get("config", {}), dict):
            raise Invalid("config", "config must be an object.")
        merged = {**(conn.config or {}), **given.get("config", {})}
        merged = {key: value for key, value in merged.items() if value is not None}
        conn.config = specs.validate_config(conn.type, merged, set(secrets))
    if secrets != current:
        conn.credentials_secret = crypto.encrypt_json(secrets) if secrets else None
    new = _audit_values(conn)
    if new == old and secrets == current:
        return conn
    conn.updated_at = datetime.now(UTC)
    await _flush(session, conn.name)
    changed = {key for key in new if new[key] != old[key]}
    record_new = {key: new[key] for key in changed}
    if secrets != current:
        record_new["auth_fields_changed"] = sorted(
            key for key in set(secrets) | set(current) if secrets.get(key) != current.get(key)
        )
    await audit.record(
        session=session,
        principal=principal,
        action="connection.update",
        resource_type="connection",
        resource_id=conn.id,
        old={key: old[key] for key in changed},
        new=record_new,
    )
    return conn


async def get(*, session: AsyncSession, principal: Principal, connection_id: int) -> Connection:
    require(principal, "resources.read")
    return await load(session, connection_id)


async def list_connections(
    *, session: AsyncSession, principal: Principal, type: str | None = None
) -> list[Connection]:
    """Live connections: the Warehouse first, then by name; `type` narrows to one type."""
    require(principal, "resources.read")
    query = select(Connection).where(Connection.deleted_at.is_(None))
    if type:
        query = query.where(Connection.type == type)
    order = (Connection.is_managed.desc(), func.lower(Connection.name), Connection.id)
    return list(await session.scalars(query.order_by(*order)))


async def pipelines_using(session: AsyncSession, connection_id: int) -> list[str]:
    rows = await session.scalars(
        select(Pipeline.name)
        .where(
            Pipeline.deleted_at.is_(None),
            (Pipeline.source_connection_id == connection_id)
            | (Pipeline.destination_connection_id == connection_id),
        )
        .order_by(func.lower(Pipeline.name))
    )
    return list(rows)


async def delete(*, session: AsyncSession, principal: Principal, connection_id: int) -> None:
    """Soft delete; refused for the Warehouse and while a pipeline uses the connection."""
    require(principal, "resources.write")
    conn = await load(session, connection_id, for_update=True)
    if conn.is_managed:
        raise Conflict("The Warehouse is managed by the platform and cannot be deleted.")
    users = await pipelines_using(session, conn.id)
    if users:
        names = ", ".join(f"'{name}'" for name in users)
        raise Conflict(
            f"Connection '{conn.name}' is used by pipeline(s) {names}; change or delete them first."
        )
    old = _audit_values(conn)
    conn.deleted_at = conn.updated_at = datetime.now(UTC)
    conn.name = f"{conn.name[:170]}~deleted-{conn.id}"
    conn.credentials_secret = None  # a deleted connection keeps no secret
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="connection.delete",
        resource_type="connection",
        resource_id=conn.id,
        old=old,
    )


async def ensure_warehouse(session: AsyncSession, org_id: int) -> int:
    """The id of the organisation's managed Warehouse, created when missing. Idempotent and safe
    to run concurrently; works on a platform or a tenant session (statements carry the schema)."""
    options = {"schema_translate_map": {None: tenant_schema(org_id)}}
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('etlfabric.warehouse'), :org)"),
        {"org": int(org_id)},
    )
    found = await session.scalar(
        select(Connection.id).where(Connection.is_managed.is_(True)).limit(1),
        execution_options=options,
    )
    if found is not None:
        return found
    taken = set(await session.scalars(select(Connection.name), execution_options=options))
    name = WAREHOUSE_NAME
    if name.lower() in {t.lower() for t in taken}:
        name = f"{WAREHOUSE_NAME} (managed)"
    return await session.scalar(
        insert(Connection)
        .values(name=name, type="warehouse", direction=Direction.both, config={}, is_managed=True)
        .returning(Connection.id),
        execution_options=options,
    )


async def warehouse(*, session: AsyncSession, principal: Principal) -> Connection:
    """The organisation's managed Warehouse (created on first use for older organisations)."""
    require(principal, "resources.read")
    return await load(session, await ensure_warehouse(session, principal.org_id))


async def draft(
    *,
    session: AsyncSession,
    principal: Principal,
    type: str,
    direction: str | Direction | None = None,
    config: dict | None = None,
    credentials: dict | None = None,
    connection_id: int | None = None,
) -> Connection:
    """An unsaved connection as a form has it, checked like `create` (credentials on top of the
    stored ones of `connection_id`), for "test connection" before saving. Never added to the
    session: nothing is written and nothing is audited."""
    require(principal, "resources.write")
    current, kind = {}, type
    if connection_id is not None:
        stored = await load(session, connection_id)
        current, kind = connection_credentials(stored), stored.type
    if kind != "warehouse":
        kind = specs.check_type(kind)
    secrets = specs.merge_credentials(kind, current, credentials)
    return Connection(
        name="(draft)",
        type=kind,
        direction=specs.check_direction(kind, direction),
        config=specs.validate_config(kind, config, set(secrets)),
        credentials_secret=crypto.encrypt_json(secrets) if secrets else None,
        is_managed=kind == "warehouse",
    )
