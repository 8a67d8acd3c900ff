"""API keys and the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response

from etlfabric.api.deps import Id, OptionalId, current_principal
from etlfabric.api.v1.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, AuditOut, AuditPage
from etlfabric.db import platform_session, tenant_session
from etlfabric.services import api_keys, audit
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["api keys and audit"])


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_keys(principal: Principal = Depends(current_principal)) -> list[ApiKeyOut]:
    async with platform_session() as session:
        rows = await api_keys.list_keys(session=session, principal=principal)
    return [ApiKeyOut(**api_keys.public_view(row)) for row in rows]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_key(
    body: ApiKeyIn, principal: Principal = Depends(current_principal)
) -> ApiKeyCreated:
    async with platform_session() as session:
        key, secret = await api_keys.create(
            session=session,
            principal=principal,
            name=body.name,
            scopes=body.scopes,
            expires_at=body.expires_at,
        )
    return ApiKeyCreated(
        id=key.id, prefix=key.prefix, secret=secret, name=key.name, scopes=list(key.scopes)
    )


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_key(key_id: Id, principal: Principal = Depends(current_principal)):
    async with platform_session() as session:
        await api_keys.revoke(session=session, principal=principal, key_id=key_id)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    principal: Principal = Depends(current_principal),
    actor_user_id: OptionalId = None,
    action: str | None = None,
    resource_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=audit.MAX_PAGE_SIZE),
) -> AuditPage:
    filters = audit.AuditFilter(
        actor_user_id=actor_user_id,
        action=action,
        resource_type=resource_type,
        since=since,
        until=until,
    )
    async with tenant_session(principal.org_id) as session:
        result = await audit.list_entries(
            session=session, principal=principal, filters=filters, page=page, page_size=page_size
        )
    items = [
        AuditOut(
            id=e.id,
            actor_user_id=e.actor_user_id,
            actor_label=e.actor_label,
            action=e.action,
            resource_type=e.resource_type,
            resource_id=e.resource_id,
            old_values=e.old_values,
            new_values=e.new_values,
            ip=str(e.ip) if e.ip else None,
            created_at=e.created_at,
        )
        for e in result.items
    ]
    return AuditPage(items=items, total=result.total, page=result.page, page_size=result.page_size)
