"""The audit log: one row per change, in the organisation's schema, in the change's transaction.

`record` takes any session (platform or tenant) and writes with a per-statement schema map, so a
change and its audit row commit or roll back together. Secret values are masked before storing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import tenant_schema
from etlfabric.models import AuditLog
from etlfabric.services.permissions import Principal, require

MASK = "••••••"
SECRET_WORDS = (
    "password",
    "secret",
    "token",
    "credential",
    "api_key",
    "apikey",
    "env_vars",
    "private_key",
    "fernet",
)
MAX_PAGE_SIZE = 200


def mask(values: dict | None) -> dict | None:
    if values is None:
        return None
    masked = {}
    for key, value in values.items():
        if any(word in key.lower() for word in SECRET_WORDS):
            masked[key] = MASK if value not in (None, "") else value
        elif isinstance(value, dict):
            masked[key] = mask(value)
        else:
            masked[key] = value
    return masked


def _jsonable(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


async def record(
    *,
    session: AsyncSession,
    principal: Principal,
    action: str,
    resource_type: str,
    resource_id: object = None,
    old: dict | None = None,
    new: dict | None = None,
) -> None:
    statement = insert(AuditLog).values(
        actor_user_id=principal.user_id,
        actor_label=principal.label or (f"user {principal.user_id}" if principal.user_id else "-"),
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        old_values=mask(_jsonable(old)),
        new_values=mask(_jsonable(new)),
        ip=principal.ip,
    )
    await session.execute(
        statement,
        execution_options={"schema_translate_map": {None: tenant_schema(principal.org_id)}},
    )


@dataclass(frozen=True)
class AuditFilter:
    actor_user_id: int | None = None
    action: str | None = None
    resource_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    page_size: int


async def list_entries(
    *,
    session: AsyncSession,
    principal: Principal,
    filters: AuditFilter = AuditFilter(),
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """Newest first; `session` must be the organisation's tenant session."""
    require(principal, "audit.read")
    page, page_size = max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)
    query = select(AuditLog)
    if filters.actor_user_id is not None:
        query = query.where(AuditLog.actor_user_id == filters.actor_user_id)
    if filters.action:
        query = query.where(AuditLog.action == filters.action)
    if filters.resource_type:
        query = query.where(AuditLog.resource_type == filters.resource_type)
    if filters.since:
        query = query.where(AuditLog.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditLog.created_at < filters.until)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return Page(items=list(rows), total=total or 0, page=page, page_size=page_size)


@dataclass(frozen=True)
class Facets:
    """The values the log's filters can take: what is actually in this organisation's log."""

    actors: list[tuple[int, str]]  # (user id, latest label), by label
    actions: list[str]
    resource_types: list[str]


async def facets(*, session: AsyncSession, principal: Principal) -> Facets:
    """Distinct actors, actions and resource types; `session` is the tenant session."""
    require(principal, "audit.read")
    label = func.max(AuditLog.actor_label)
    actors = await session.execute(
        select(AuditLog.actor_user_id, label)
        .where(AuditLog.actor_user_id.is_not(None))
        .group_by(AuditLog.actor_user_id)
        .order_by(label)
    )
    actions = await session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
    resource_types = await session.scalars(
        select(AuditLog.resource_type).distinct().order_by(AuditLog.resource_type)
    )
    return Facets(
        actors=[(user_id, text) for user_id, text in actors],
        actions=list(actions),
        resource_types=list(resource_types),
    )
