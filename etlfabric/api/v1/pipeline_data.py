"""What a pipeline loaded and remembers: state, reset, tables, preview and export.

Thin routes over services/pipeline_data.py; the service checks roles and tenancy.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.pipeline_schemas import PipelineStateOut, PreviewOut, ResetIn, TableOut
from etlfabric.api.v1.schemas import EXPORT_RESPONSES
from etlfabric.db import tenant_session
from etlfabric.pipelines.inspect import MAX_PREVIEW
from etlfabric.services import pipeline_data
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["pipelines"])


@router.get("/pipelines/{pipeline_id}/state", response_model=PipelineStateOut)
async def pipeline_state(
    pipeline_id: Id, principal: Principal = Depends(current_principal)
) -> PipelineStateOut:
    async with tenant_session(principal.org_id) as session:
        found = await pipeline_data.state(
            session=session, principal=principal, pipeline_id=pipeline_id
        )
    return PipelineStateOut(**found)


@router.post("/pipelines/{pipeline_id}/reset", response_model=PipelineStateOut)
async def reset_state(
    pipeline_id: Id, body: ResetIn, principal: Principal = Depends(current_principal)
) -> PipelineStateOut:
    """Forget the incremental cursors: the next run starts from the initial values."""
    async with tenant_session(principal.org_id) as session:
        found = await pipeline_data.reset(
            session=session, principal=principal, pipeline_id=pipeline_id, confirm=body.confirm
        )
    return PipelineStateOut(**found)


@router.get("/pipelines/{pipeline_id}/tables", response_model=list[TableOut])
async def list_tables(
    pipeline_id: Id, principal: Principal = Depends(current_principal)
) -> list[TableOut]:
    async with tenant_session(principal.org_id) as session:
        found = await pipeline_data.tables(
            session=session, principal=principal, pipeline_id=pipeline_id
        )
    return [TableOut(**table) for table in found]


@router.get("/pipelines/{pipeline_id}/tables/{table}/preview", response_model=PreviewOut)
async def preview_table(
    pipeline_id: Id,
    table: str,
    limit: int = Query(pipeline_data.PREVIEW_ROWS, ge=1, le=MAX_PREVIEW),
    principal: Principal = Depends(current_principal),
) -> PreviewOut:
    async with tenant_session(principal.org_id) as session:
        columns, rows = await pipeline_data.preview(
            session=session, principal=principal, pipeline_id=pipeline_id, table=table, limit=limit
        )
    return PreviewOut(columns=columns, rows=rows)


@router.get(
    "/pipelines/{pipeline_id}/tables/{table}/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
async def export_table(
    pipeline_id: Id,
    table: str,
    format: str = Query("csv", description="csv or xlsx"),
    principal: Principal = Depends(current_principal),
) -> Response:
    async with tenant_session(principal.org_id) as session:
        content, filename, media_type = await pipeline_data.export(
            session=session, principal=principal, pipeline_id=pipeline_id, table=table, fmt=format
        )
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
