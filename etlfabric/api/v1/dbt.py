"""The organisation's dbt project as a whole: lineage, project runs (build, seeds, snapshots,
source freshness, docs), import and export as a zip, CRUD of sources, seeds and snapshots and
each source's latest freshness, over services/dbt_project.py, source_freshness.py, dbt_import.py
and dbt_export.py."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, File, Response, UploadFile

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.run_schemas import RunOut
from etlfabric.api.v1.transformation_schemas import (
    ImportOut,
    LineageOut,
    SeedIn,
    SnapshotIn,
    SourceFreshnessOut,
    SourceIn,
)
from etlfabric.api.v1.transformations import trigger_of
from etlfabric.db import tenant_session
from etlfabric.services import dbt_export, dbt_import, dbt_project, source_freshness
from etlfabric.services.permissions import Principal
from etlfabric.transformations.archive import MAX_COMPRESSED

router = APIRouter(prefix="/dbt", tags=["dbt"])
KIND_PATHS = {"sources": "source", "seeds": "seed", "snapshots": "snapshot"}
BODIES = {"source": SourceIn, "seed": SeedIn, "snapshot": SnapshotIn}


@router.get("/lineage", response_model=LineageOut)
async def lineage(principal: Principal = Depends(current_principal)):
    return await dbt_project.lineage(principal=principal)  # holds no connection while dbt works


@router.get("/export", response_class=Response)
async def export_project(principal: Principal = Depends(current_principal)) -> Response:
    async with tenant_session(principal.org_id) as session:
        data = await dbt_export.export_zip(session=session, principal=principal)
    disposition = 'attachment; filename="dbt_project.zip"'
    return Response(
        data, media_type="application/zip", headers={"Content-Disposition": disposition}
    )


@router.post("/import", response_model=ImportOut)
async def import_project(
    file: Annotated[UploadFile, File(description="A zip of a dbt project folder, ≤ 20 MB")],
    principal: Principal = Depends(current_principal),
) -> dict:
    data = await file.read(MAX_COMPRESSED + 1)  # one byte more is enough to say "too big"
    async with tenant_session(principal.org_id) as session:
        return await dbt_import.import_zip(
            session=session, principal=principal, data=data, filename=file.filename or ""
        )


async def _run(principal: Principal, command: str, select: str | None = None) -> RunOut:
    async with tenant_session(principal.org_id) as session:
        run = await dbt_project.run_project(
            session=session,
            principal=principal,
            command=command,
            select_=select,
            trigger=trigger_of(principal),
        )
    return RunOut.of(run)


@router.post("/build", status_code=202, response_model=RunOut)
async def build(principal: Principal = Depends(current_principal)):
    return await _run(principal, "build")


@router.post("/seeds/{name}/runs", status_code=202, response_model=RunOut)
async def run_seed(name: str, principal: Principal = Depends(current_principal)):
    return await _run(principal, "seed", name)


@router.post("/snapshots/runs", status_code=202, response_model=RunOut)
async def run_snapshots(principal: Principal = Depends(current_principal)):
    return await _run(principal, "snapshot")


@router.post("/sources/freshness", status_code=202, response_model=RunOut)
async def check_freshness(principal: Principal = Depends(current_principal)):
    return await _run(principal, "freshness")


@router.post("/docs", status_code=202, response_model=RunOut)
async def generate_docs(principal: Principal = Depends(current_principal)):
    return await _run(principal, "docs")


@router.get("/sources/freshness", response_model=list[SourceFreshnessOut])
async def freshness_of_sources(principal: Principal = Depends(current_principal)) -> list[dict]:
    """Each declared source's latest freshness, from the latest check that reported it."""
    async with tenant_session(principal.org_id) as session:
        sources = await dbt_project.list_rows(session=session, principal=principal, kind="source")
        found = await source_freshness.source_freshness(session=session, principal=principal)
    return [
        {"source_id": s.id, "source_name": s.source_name, "schema_name": s.schema_name}
        | {"table_name": s.table_name, **asdict(found[s.id])}
        for s in sources
    ]


@router.get("/sources/suggestions")
async def suggested_sources(principal: Principal = Depends(current_principal)) -> list[dict]:
    async with tenant_session(principal.org_id) as session:
        return await dbt_project.suggested_sources(session=session, principal=principal)


def _crud(path: str, kind: str) -> None:
    body_type = BODIES[kind]

    async def list_rows(principal: Principal = Depends(current_principal)) -> list[dict]:
        async with tenant_session(principal.org_id) as session:
            rows = await dbt_project.list_rows(session=session, principal=principal, kind=kind)
        return [dbt_project.view(row) for row in rows]

    async def create(body: body_type, principal: Principal = Depends(current_principal)) -> dict:
        async with tenant_session(principal.org_id) as session:
            row = await dbt_project.create(
                session=session, principal=principal, kind=kind, **body.model_dump()
            )
        return dbt_project.view(row)

    async def update(
        row_id: Id, body: dict, principal: Principal = Depends(current_principal)
    ) -> dict:
        async with tenant_session(principal.org_id) as session:
            row = await dbt_project.update(
                session=session, principal=principal, kind=kind, row_id=row_id, **body
            )
        return dbt_project.view(row)

    async def delete(row_id: Id, principal: Principal = Depends(current_principal)):
        async with tenant_session(principal.org_id) as session:
            await dbt_project.delete(session=session, principal=principal, kind=kind, row_id=row_id)
        return Response(status_code=204)

    router.add_api_route(f"/{path}", list_rows, methods=["GET"], name=f"list_{path}")
    router.add_api_route(f"/{path}", create, methods=["POST"], status_code=201, name=f"add_{kind}")
    router.add_api_route(f"/{path}/{{row_id}}", update, methods=["PATCH"], name=f"edit_{kind}")
    router.add_api_route(
        f"/{path}/{{row_id}}", delete, methods=["DELETE"], status_code=204, name=f"drop_{kind}"
    )


for _path, _kind in KIND_PATHS.items():
    _crud(_path, _kind)
