"""Transformations: CRUD, compile, preview, runs and tests. Thin routes over
services/transformations.py, the same functions the editor calls."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.run_schemas import RunOut
from etlfabric.api.v1.transformation_schemas import (
    CompiledOut,
    PreviewOut,
    TransformationIn,
    TransformationOut,
    TransformationPatch,
)
from etlfabric.db import tenant_session
from etlfabric.models import Trigger
from etlfabric.services import transformations
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["transformations"])


def _out(model) -> TransformationOut:
    return TransformationOut(**transformations.public_view(model))


def trigger_of(principal: Principal) -> Trigger:
    return Trigger.api if principal.is_api_key else Trigger.manual


@router.get("/transformations", response_model=list[TransformationOut])
async def list_transformations(search: str = "", principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        found = await transformations.list_transformations(
            session=session, principal=principal, search=search
        )
    return [_out(model) for model in found]


@router.post("/transformations", status_code=201, response_model=TransformationOut)
async def create_transformation(
    body: TransformationIn, principal: Principal = Depends(current_principal)
):
    async with tenant_session(principal.org_id) as session:
        model = await transformations.create(
            session=session, principal=principal, **body.model_dump()
        )
    return _out(model)


@router.get("/transformations/{transformation_id}", response_model=TransformationOut)
async def get_transformation(
    transformation_id: Id, principal: Principal = Depends(current_principal)
):
    async with tenant_session(principal.org_id) as session:
        model = await transformations.get(
            session=session, principal=principal, transformation_id=transformation_id
        )
    return _out(model)


@router.patch("/transformations/{transformation_id}", response_model=TransformationOut)
async def update_transformation(
    transformation_id: Id,
    body: TransformationPatch,
    principal: Principal = Depends(current_principal),
):
    async with tenant_session(principal.org_id) as session:
        model = await transformations.update(
            session=session,
            principal=principal,
            transformation_id=transformation_id,
            **body.model_dump(exclude_unset=True),
        )
    return _out(model)


@router.delete("/transformations/{transformation_id}", status_code=204)
async def delete_transformation(
    transformation_id: Id, principal: Principal = Depends(current_principal)
):
    async with tenant_session(principal.org_id) as session:
        await transformations.delete(
            session=session, principal=principal, transformation_id=transformation_id
        )
    return Response(status_code=204)


@router.post("/transformations/{transformation_id}/compile", response_model=CompiledOut)
async def compile_transformation(
    transformation_id: Id, principal: Principal = Depends(current_principal)
):
    # no session here: the service checks in a short transaction of its own, then waits for dbt
    return await transformations.compile_sql(
        principal=principal, transformation_id=transformation_id
    )


@router.post("/transformations/{transformation_id}/preview", response_model=PreviewOut)
async def preview_transformation(
    transformation_id: Id, principal: Principal = Depends(current_principal)
):
    # no session here: the service checks in a short transaction of its own, then waits for dbt
    return await transformations.preview(principal=principal, transformation_id=transformation_id)


@router.post("/transformations/{transformation_id}/runs", status_code=202, response_model=RunOut)
async def run_transformation(
    transformation_id: Id,
    select: str | None = Query(None, description="model, +model, model+ or +model+"),
    principal: Principal = Depends(current_principal),
):
    return await _start(principal, transformation_id, "run", select)


@router.post("/transformations/{transformation_id}/test", status_code=202, response_model=RunOut)
async def test_transformation(
    transformation_id: Id, principal: Principal = Depends(current_principal)
):
    return await _start(principal, transformation_id, "test", None)


async def _start(principal: Principal, transformation_id: int, command: str, select: str | None):
    async with tenant_session(principal.org_id) as session:
        run = await transformations.run(
            session=session,
            principal=principal,
            transformation_id=transformation_id,
            select=select,
            command=command,
            trigger=trigger_of(principal),
        )
    return RunOut.of(run)
