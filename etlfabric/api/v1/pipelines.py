"""Pipelines: CRUD, enable/disable and runs (with downstream, or as a full refresh).

Thin routes over services/pipelines.py, the same functions the pipeline pages call.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.pipeline_schemas import LastRunOut, PipelineIn, PipelineOut, PipelinePatch
from etlfabric.api.v1.run_schemas import RunOut
from etlfabric.db import tenant_session
from etlfabric.models import Pipeline, Trigger
from etlfabric.services import pipelines
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["pipelines"])


def _out(pipeline: Pipeline) -> PipelineOut:
    return PipelineOut(**pipelines.public_view(pipeline))


def _row_out(row: pipelines.PipelineRow) -> PipelineOut:
    last = None
    if row.last_run_id is not None:
        last = LastRunOut(
            id=row.last_run_id,
            status=row.last_run_status or "",
            at=row.last_run_at,
            rows_loaded=row.rows_loaded,
        )
    return PipelineOut(
        **pipelines.public_view(row.pipeline), last_run=last, next_run_at=row.next_run_at
    )


@router.get("/pipelines", response_model=list[PipelineOut])
async def list_pipelines(
    search: str = "", principal: Principal = Depends(current_principal)
) -> list[PipelineOut]:
    async with tenant_session(principal.org_id) as session:
        rows = await pipelines.list_pipelines(session=session, principal=principal, search=search)
    return [_row_out(row) for row in rows]


@router.post("/pipelines", status_code=201, response_model=PipelineOut)
async def create_pipeline(
    body: PipelineIn, principal: Principal = Depends(current_principal)
) -> PipelineOut:
    async with tenant_session(principal.org_id) as session:
        pipeline = await pipelines.create(session=session, principal=principal, **body.model_dump())
    return _out(pipeline)


@router.get("/pipelines/{pipeline_id}", response_model=PipelineOut)
async def get_pipeline(
    pipeline_id: Id, principal: Principal = Depends(current_principal)
) -> PipelineOut:
    async with tenant_session(principal.org_id) as session:
        pipeline = await pipelines.get(
            session=session, principal=principal, pipeline_id=pipeline_id
        )
    return _out(pipeline)


@router.patch("/pipelines/{pipeline_id}", response_model=PipelineOut)
async def update_pipeline(
    pipeline_id: Id, body: PipelinePatch, principal: Principal = Depends(current_principal)
) -> PipelineOut:
    async with tenant_session(principal.org_id) as session:
        pipeline = await pipelines.update(
            session=session,
            principal=principal,
            pipeline_id=pipeline_id,
            **body.model_dump(exclude_unset=True),
        )
    return _out(pipeline)


@router.delete("/pipelines/{pipeline_id}", status_code=204)
async def delete_pipeline(pipeline_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await pipelines.delete(session=session, principal=principal, pipeline_id=pipeline_id)
    return Response(status_code=204)


@router.post("/pipelines/{pipeline_id}/enable", response_model=PipelineOut)
async def enable_pipeline(pipeline_id: Id, principal: Principal = Depends(current_principal)):
    return await _set_enabled(principal, pipeline_id, True)


@router.post("/pipelines/{pipeline_id}/disable", response_model=PipelineOut)
async def disable_pipeline(pipeline_id: Id, principal: Principal = Depends(current_principal)):
    return await _set_enabled(principal, pipeline_id, False)


async def _set_enabled(principal: Principal, pipeline_id: Id, enabled: bool) -> PipelineOut:
    async with tenant_session(principal.org_id) as session:
        pipeline = await pipelines.set_enabled(
            session=session, principal=principal, pipeline_id=pipeline_id, enabled=enabled
        )
    return _out(pipeline)


@router.post("/pipelines/{pipeline_id}/runs", status_code=202, response_model=RunOut)
async def run_pipeline(
    pipeline_id: Id,
    downstream: bool = Query(False, description="Also run its downstream targets (a flow)."),
    full_refresh: bool = Query(
        False, description="Drop the loaded tables and state, and load everything again."
    ),
    principal: Principal = Depends(current_principal),
) -> RunOut:
    async with tenant_session(principal.org_id) as session:
        run = await pipelines.run(
            session=session,
            principal=principal,
            pipeline_id=pipeline_id,
            full_refresh=full_refresh,
            downstream=downstream,
            trigger=Trigger.api if principal.is_api_key else Trigger.manual,
        )
    return RunOut.of(run)
