"""Connections and the organisation's files folder: thin routes over services/connections.py,
connection_tests.py and data_files.py. Credentials go in, never out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.connection_schemas import (
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    FileOut,
    TestOut,
)
from etlfabric.db import tenant_session
from etlfabric.models import Connection
from etlfabric.services import connection_tests, connections, data_files
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["connections"])


def _out(conn: Connection) -> ConnectionOut:
    return ConnectionOut(**connections.public_view(conn))


@router.get("/connections", response_model=list[ConnectionOut])
async def list_connections(
    type: str | None = Query(None, description="Only connections of this type."),
    principal: Principal = Depends(current_principal),
) -> list[ConnectionOut]:
    async with tenant_session(principal.org_id) as session:
        await connections.ensure_warehouse(session, principal.org_id)
        rows = await connections.list_connections(session=session, principal=principal, type=type)
    return [_out(row) for row in rows]


@router.post("/connections", status_code=201, response_model=ConnectionOut)
async def create_connection(
    body: ConnectionIn, principal: Principal = Depends(current_principal)
) -> ConnectionOut:
    async with tenant_session(principal.org_id) as session:
        conn = await connections.create(session=session, principal=principal, **body.model_dump())
    return _out(conn)


@router.get("/connections/{connection_id}", response_model=ConnectionOut)
async def get_connection(connection_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        conn = await connections.get(
            session=session, principal=principal, connection_id=connection_id
        )
    return _out(conn)


@router.patch("/connections/{connection_id}", response_model=ConnectionOut)
async def update_connection(
    connection_id: Id, body: ConnectionPatch, principal: Principal = Depends(current_principal)
) -> ConnectionOut:
    async with tenant_session(principal.org_id) as session:
        conn = await connections.update(
            session=session,
            principal=principal,
            connection_id=connection_id,
            **body.model_dump(exclude_unset=True),
        )
    return _out(conn)


@router.delete("/connections/{connection_id}", status_code=204)
async def delete_connection(connection_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await connections.delete(session=session, principal=principal, connection_id=connection_id)
    return Response(status_code=204)


@router.post("/connections/{connection_id}/test", response_model=TestOut)
async def test_connection(
    connection_id: Id, principal: Principal = Depends(current_principal)
) -> TestOut:
    """Reach the connection within 10 s (in a thread; no database session is held meanwhile)."""
    async with tenant_session(principal.org_id) as session:
        conn = await connections.get(
            session=session, principal=principal, connection_id=connection_id
        )
        org = await connections.organization(session, principal.org_id)
    result = await connection_tests.test_in_thread(conn, org)
    return TestOut(ok=result.ok, message=result.message, latency_ms=result.latency_ms)


@router.get("/files", response_model=list[FileOut])
async def list_files(principal: Principal = Depends(current_principal)) -> list[FileOut]:
    return [FileOut(**entry) for entry in await data_files.list_files(principal=principal)]


@router.post("/files", status_code=201, response_model=FileOut)
async def upload_file(
    file: Annotated[UploadFile, File(description="CSV, JSONL, Parquet or SQLite, ≤ 500 MB")],
    principal: Principal = Depends(current_principal),
) -> FileOut:
    async with tenant_session(principal.org_id) as session:
        entry = await data_files.save_upload(
            session=session, principal=principal, filename=file.filename or "", source=file.file
        )
    return FileOut(**entry)


@router.delete("/files/{name:path}", status_code=204)
async def delete_file(name: str, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await data_files.delete_file(session=session, principal=principal, name=name)
    return Response(status_code=204)
