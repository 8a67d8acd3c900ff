"""Scripts (with versions, drafts, syntax checks and runs) and the folders they live in.

Thin routes over services/scripts.py, script_versions.py and folders.py: the same functions the
editor calls. Env var values go in, never out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile

from etlfabric.api.deps import MAX_ID, Id, OptionalId, current_principal
from etlfabric.api.v1.run_schemas import RunOut
from etlfabric.api.v1.script_schemas import (
    CheckIn,
    CheckOut,
    DiffOut,
    DraftIn,
    FolderIn,
    FolderOut,
    FolderPatch,
    RunIn,
    ScriptIn,
    ScriptOut,
    ScriptPatch,
    SyntaxProblemOut,
    VersionDetail,
    VersionOut,
)
from etlfabric.db import tenant_session
from etlfabric.models import Folder, Script, ScriptVersion, TargetType, Trigger
from etlfabric.services import flows, folders, script_versions, scripts
from etlfabric.services.permissions import Principal
from etlfabric.services.script_checks import MAX_SCRIPT_BYTES

MAX_VERSION = 2**31 - 1  # version numbers are PostgreSQL integers
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]

router = APIRouter(tags=["scripts"])


def _out(script: Script) -> ScriptOut:
    return ScriptOut(**scripts.public_view(script))


def _version_out(version: ScriptVersion) -> VersionOut:
    return VersionOut(
        number=version.number,
        message=version.message,
        author_id=version.author_id,
        created_at=version.created_at,
    )


@router.get("/scripts", response_model=list[ScriptOut])
async def list_scripts(
    principal: Principal = Depends(current_principal),
    folder_id: OptionalId = None,
    search: str = "",
    top_level_only: bool = False,
) -> list[ScriptOut]:
    async with tenant_session(principal.org_id) as session:
        rows = await scripts.list_scripts(
            session=session,
            principal=principal,
            folder_id=folder_id,
            search=search,
            top_level_only=top_level_only,
        )
    return [_out(row) for row in rows]


@router.post("/scripts", status_code=201, response_model=ScriptOut)
async def create_script(
    body: ScriptIn, principal: Principal = Depends(current_principal)
) -> ScriptOut:
    async with tenant_session(principal.org_id) as session:
        script = await scripts.create(session=session, principal=principal, **body.model_dump())
    return _out(script)


@router.post("/scripts/upload", status_code=201, response_model=ScriptOut)
async def upload_script(
    file: Annotated[UploadFile, File(description=".py, .sh or .bat, UTF-8, at most 10 MB")],
    folder_id: Annotated[int | None, Form()] = None,
    principal: Principal = Depends(current_principal),
) -> ScriptOut:
    data = await file.read(MAX_SCRIPT_BYTES + 1)  # one byte more is enough to say "too big"
    async with tenant_session(principal.org_id) as session:
        script = await scripts.upload(
            session=session,
            principal=principal,
            filename=file.filename or "",
            data=data,
            folder_id=folder_id,
        )
    return _out(script)


@router.get("/scripts/by-name/{safe_name}", response_model=ScriptOut)
async def script_by_name(
    safe_name: str,
    folder_id: int | None = Query(None, ge=1, le=MAX_ID, description="Default: the top level."),
    principal: Principal = Depends(current_principal),
) -> ScriptOut:
    async with tenant_session(principal.org_id) as session:
        script = await scripts.get_by_name(
            session=session, principal=principal, safe_name=safe_name, folder_id=folder_id
        )
    return _out(script)


@router.get("/scripts/{script_id}", response_model=ScriptOut)
async def get_script(script_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        script = await scripts.get(session=session, principal=principal, script_id=script_id)
    return _out(script)


@router.patch("/scripts/{script_id}", response_model=ScriptOut)
async def update_script(
    script_id: Id, body: ScriptPatch, principal: Principal = Depends(current_principal)
) -> ScriptOut:
    fields = body.model_dump(exclude_unset=True, exclude={"message", "base_version"})
    async with tenant_session(principal.org_id) as session:
        script = await scripts.update(
            session=session,
            principal=principal,
            script_id=script_id,
            message=body.message,
            base_version=body.base_version,
            **fields,
        )
    return _out(script)


@router.delete("/scripts/{script_id}", status_code=204)
async def delete_script(script_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await scripts.delete(session=session, principal=principal, script_id=script_id)
    return Response(status_code=204)


@router.get("/scripts/{script_id}/versions", response_model=list[VersionOut])
async def list_versions(
    script_id: Id, principal: Principal = Depends(current_principal)
) -> list[VersionOut]:
    async with tenant_session(principal.org_id) as session:
        rows = await script_versions.versions(
            session=session, principal=principal, script_id=script_id
        )
    return [_version_out(row) for row in rows]


@router.get("/scripts/{script_id}/versions/{number}", response_model=VersionDetail)
async def get_version(
    script_id: Id, number: VersionNumber, principal: Principal = Depends(current_principal)
) -> VersionDetail:
    async with tenant_session(principal.org_id) as session:
        row = await script_versions.get_version(
            session=session, principal=principal, script_id=script_id, number=number
        )
    return VersionDetail(
        **_version_out(row).model_dump(), content=row.content, requirements=row.requirements
    )


@router.get("/scripts/{script_id}/diff", response_model=DiffOut)
async def diff_versions(
    script_id: Id,
    a: int = Query(..., ge=1, le=MAX_VERSION, description="The older version's number"),
    b: int = Query(..., ge=1, le=MAX_VERSION, description="The newer version's number"),
    principal: Principal = Depends(current_principal),
) -> DiffOut:
    async with tenant_session(principal.org_id) as session:
        text = await script_versions.diff(
            session=session, principal=principal, script_id=script_id, a=a, b=b
        )
    return DiffOut(a=a, b=b, diff=text)


@router.post("/scripts/{script_id}/versions/{number}/restore", response_model=ScriptOut)
async def restore_version(
    script_id: Id, number: VersionNumber, principal: Principal = Depends(current_principal)
) -> ScriptOut:
    async with tenant_session(principal.org_id) as session:
        script = await script_versions.restore(
            session=session, principal=principal, script_id=script_id, number=number
        )
    return _out(script)


@router.post("/scripts/{script_id}/check", response_model=CheckOut)
async def check_script(
    script_id: Id,
    body: CheckIn | None = None,
    principal: Principal = Depends(current_principal),
) -> CheckOut:
    """Syntax problems (line, column) of the given code, or of the saved code; saves nothing."""
    async with tenant_session(principal.org_id) as session:
        script = await scripts.get(session=session, principal=principal, script_id=script_id)
    body = body or CheckIn()
    content = script.content if body.content is None else body.content
    problems = scripts.check_syntax(body.type or script.type, content)
    found = [SyntaxProblemOut(line=p.line, column=p.column, message=p.message) for p in problems]
    return CheckOut(ok=not found, problems=found)


@router.put("/scripts/{script_id}/draft", response_model=ScriptOut)
async def save_draft(
    script_id: Id, body: DraftIn, principal: Principal = Depends(current_principal)
) -> ScriptOut:
    async with tenant_session(principal.org_id) as session:
        script = await script_versions.save_draft(
            session=session,
            principal=principal,
            script_id=script_id,
            content=body.content,
            requirements=body.requirements,
        )
    return _out(script)


@router.delete("/scripts/{script_id}/draft", status_code=204)
async def discard_draft(script_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await script_versions.discard_draft(
            session=session, principal=principal, script_id=script_id
        )
    return Response(status_code=204)


@router.post("/scripts/{script_id}/runs", status_code=202, response_model=RunOut)
async def run_script(
    script_id: Id,
    body: RunIn | None = None,
    downstream: bool = Query(False, description="Also run its downstream targets (a flow)."),
    principal: Principal = Depends(current_principal),
) -> RunOut:
    trigger = Trigger.api if principal.is_api_key else Trigger.manual
    payload = body.payload if body else None
    async with tenant_session(principal.org_id) as session:
        if downstream:
            run = await flows.run_with_downstream(
                session=session,
                principal=principal,
                target_type=TargetType.script,
                target_id=script_id,
                trigger=trigger,
                payload=payload,
            )
        else:
            run = await scripts.run(
                session=session,
                principal=principal,
                script_id=script_id,
                trigger=trigger,
                payload=payload,
            )
    return RunOut.of(run)


# --- folders ---------------------------------------------------------------------------------


async def _folder_out(session, principal: Principal, folder: Folder) -> FolderOut:
    paths = folders.folder_paths(await folders.list_folders(session=session, principal=principal))
    return _folder_view(folder, paths)


def _folder_view(folder: Folder, paths: dict[int, str]) -> FolderOut:
    return FolderOut(
        id=folder.id,
        name=folder.name,
        parent_id=folder.parent_id,
        path=paths.get(folder.id, folder.name),
        created_at=folder.created_at,
        updated_at=folder.updated_at,
    )


@router.get("/folders", response_model=list[FolderOut])
async def list_folders(principal: Principal = Depends(current_principal)) -> list[FolderOut]:
    """Every folder with its path ("Parent/Child"), in path order."""
    async with tenant_session(principal.org_id) as session:
        rows = await folders.list_folders(session=session, principal=principal)
    paths = folders.folder_paths(rows)
    views = [_folder_view(row, paths) for row in rows]
    return sorted(views, key=lambda view: view.path.lower())


@router.post("/folders", status_code=201, response_model=FolderOut)
async def create_folder(
    body: FolderIn, principal: Principal = Depends(current_principal)
) -> FolderOut:
    async with tenant_session(principal.org_id) as session:
        folder = await folders.create(
            session=session, principal=principal, name=body.name, parent_id=body.parent_id
        )
        return await _folder_out(session, principal, folder)


@router.get("/folders/{folder_id}", response_model=FolderOut)
async def get_folder(folder_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        folder = await folders.get(session=session, principal=principal, folder_id=folder_id)
        return await _folder_out(session, principal, folder)


@router.patch("/folders/{folder_id}", response_model=FolderOut)
async def update_folder(
    folder_id: Id, body: FolderPatch, principal: Principal = Depends(current_principal)
) -> FolderOut:
    async with tenant_session(principal.org_id) as session:
        folder = await folders.update(
            session=session,
            principal=principal,
            folder_id=folder_id,
            **body.model_dump(exclude_unset=True),
        )
        return await _folder_out(session, principal, folder)


@router.delete("/folders/{folder_id}", status_code=204)
async def delete_folder(folder_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await folders.delete(session=session, principal=principal, folder_id=folder_id)
    return Response(status_code=204)
