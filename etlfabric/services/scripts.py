"""Scripts: created by name, edited, versioned on every save, run through the run engine.

Safe names follow DESIGN.md §7 ("Data Backup Script!" -> `data-backup-script`, `-2` when taken
in the same folder); renaming or moving a script recomputes it. Deleting is a soft delete that
frees the safe name (the deleted row keeps `<safe_name>~deleted-<id>`) for a new script at once.
Env vars: script_env.py (encrypted, handed out only as names). Versions and drafts:
script_versions.py; checks: script_checks.py.
`session` is always the organisation's tenant session; one call is one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric import crypto
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Run, Script, ScriptType, ScriptVersion, TargetType, Trigger
from etlfabric.services import audit, dependencies, folders, run_starts, script_env, script_names
from etlfabric.services import script_checks as checks
from etlfabric.services.permissions import Principal, require

# Re-exported: the editor checks code through scripts.check_syntax without saving.
from etlfabric.services.script_checks import SyntaxProblem as SyntaxProblem
from etlfabric.services.script_checks import check_syntax as check_syntax
from etlfabric.services.script_env import decrypted_env_vars as decrypted_env_vars
from etlfabric.services.script_env import env_var_names as env_var_names

EDITABLE = (
    "name",
    "folder_id",
    "type",
    "description",
    "content",
    "requirements",
    "env_vars",
    "timeout_seconds",
    "memory_limit_mb",
    "cpu_limit_seconds",
    "max_concurrent_runs",
    "enabled",
)
VERSIONED = ("content", "requirements")
WINDOWS_QUEUE = "windows"


def public_view(script: Script) -> dict:
    """Everything a client may see; env var values are not in it."""
    return {
        "id": script.id,
        "name": script.name,
        "safe_name": script.safe_name,
        "folder_id": script.folder_id,
        "type": ScriptType(script.type).value,
        "description": script.description,
        "content": script.content,
        "requirements": script.requirements,
        "env_var_names": env_var_names(script),
        "timeout_seconds": script.timeout_seconds,
        "memory_limit_mb": script.memory_limit_mb,
        "cpu_limit_seconds": script.cpu_limit_seconds,
        "max_concurrent_runs": script.max_concurrent_runs,
        "enabled": script.enabled,
        "current_version": script.current_version,
        "draft_content": script.draft_content,
        "draft_requirements": script.draft_requirements,
        "draft_saved_at": script.draft_saved_at,
        "created_at": script.created_at,
        "updated_at": script.updated_at,
    }


async def load(session: AsyncSession, script_id: int, *, for_update: bool = False) -> Script:
    """A live script of this tenant, or NotFound (another tenant's id looks exactly the same)."""
    query = select(Script).where(Script.id == script_id, Script.deleted_at.is_(None))
    script = await session.scalar(query.with_for_update() if for_update else query)
    if script is None:
        raise NotFound("Script not found.")
    return script


async def _flush_named(session: AsyncSession, safe_name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The safe name '{safe_name}' was just taken; try again.") from exc


def _keep_version(session: AsyncSession, principal: Principal, script: Script, message: str):
    script.current_version += 1
    script.updated_at = datetime.now(UTC)  # set here: a server-side onupdate would expire it
    session.add(
        ScriptVersion(
            script_id=script.id,
            number=script.current_version,
            content=script.content,
            requirements=script.requirements,
            message=(message or "").strip()[:2000],
            author_id=principal.user_id,
        )
    )


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    name: str,
    folder_id: int | None = None,
    type: str | ScriptType = ScriptType.python,
    content: str = "",
    requirements: str = "",
    description: str = "",
    env_vars: dict[str, str] | None = None,
    timeout_seconds: int = 300,
    memory_limit_mb: int = 512,
    cpu_limit_seconds: int | None = None,
    max_concurrent_runs: int | None = None,
    enabled: bool = True,
    message: str = "Created",
) -> Script:
    """A new script at version 1, ready to edit: only the name is required."""
    require(principal, "resources.write")
    kind = checks.script_type(type)
    given = {
        "name": name,
        "description": description,
        "content": content,
        "requirements": requirements,
        "timeout_seconds": timeout_seconds,
        "memory_limit_mb": memory_limit_mb,
        "cpu_limit_seconds": cpu_limit_seconds,
        "max_concurrent_runs": max_concurrent_runs,
        "enabled": enabled,
    }
    fields = checks.validate_fields(given, kind)
    variables = checks.merge_env_vars({}, env_vars or {})
    await folders.require_folder(session, folder_id, "folder_id")
    safe_name = await script_names.free_safe_name(session, principal, fields["name"], folder_id)
    script = Script(
        **fields,
        safe_name=safe_name,
        folder_id=folder_id,
        type=kind,
        env_vars_secret=crypto.encrypt_json(variables) if variables else None,
        current_version=0,
    )
    session.add(script)
    await _flush_named(session, safe_name)
    _keep_version(session, principal, script, message)
    await session.flush()
    summary = {**fields, "type": kind, "folder_id": folder_id, "safe_name": safe_name}
    summary |= {"env_var_names": sorted(variables), "current_version": 1}
    await audit.record(
        session=session,
        principal=principal,
        action="script.create",
        resource_type="script",
        resource_id=script.id,
        new=_audit_values(summary),
    )
    return script


async def update(
    *,
    session: AsyncSession,
    principal: Principal,
    script_id: int,
    message: str = "",
    base_version: int | None = None,
    **fields,
) -> Script:
    """Change any editable field. A change of content or requirements keeps a new version (with
    `message`) and clears the draft; `base_version` (the version the editor started from) turns
    a save over someone else's newer version into a Conflict. `env_vars` replaces the whole set
    ({} removes them all, None changes nothing); a name given with None keeps its value."""
    return await save(
        session=session,
        principal=principal,
        script_id=script_id,
        fields=fields,
        message=message,
        base_version=base_version,
        action="script.update",
    )


async def save(
    *,
    session: AsyncSession,
    principal: Principal,
    script_id: int,
    fields: dict,
    message: str = "",
    base_version: int | None = None,
    action: str = "script.update",
) -> Script:
    """`update` with the audit action named (script_versions.restore uses "script.restore")."""
    require(principal, "resources.write")
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise Invalid(unknown[0], f"'{unknown[0]}' is not a script field.")
    script = await load(session, script_id, for_update=True)
    old, new = await _apply(session, principal, script, fields)
    saved = [key for key in VERSIONED if key in new]
    if saved and base_version is not None and base_version != old["current_version"]:
        raise Conflict(
            f"Version {script.current_version} was saved after version {base_version}, which "
            "you edited; reload the script (your draft is kept) and save again."
        )
    if any(key in fields for key in VERSIONED):
        script.draft_content = script.draft_requirements = script.draft_saved_at = None
    if not new:
        return script
    if saved:
        _keep_version(session, principal, script, message)
        new |= {"current_version": script.current_version, "version_message": message}
    else:
        old.pop("current_version")
        script.updated_at = datetime.now(UTC)
    await _flush_named(session, script.safe_name)
    await audit.record(
        session=session,
        principal=principal,
        action=action,
        resource_type="script",
        resource_id=script.id,
        old=_audit_values(old),
        new=_audit_values(new),
    )
    return script


async def _apply(session, principal, script: Script, fields: dict) -> tuple[dict, dict]:
    """Check `fields` and set them on `script`; the (old, new) values of what changed."""
    kind = checks.script_type(fields.get("type", script.type))
    plain = {k: v for k, v in fields.items() if k not in ("env_vars", "type")}
    if kind != script.type:
        plain.setdefault("content", script.content)  # the code must suit its new type
    clean = checks.validate_fields(plain, kind)
    if "folder_id" in clean:
        await folders.require_folder(session, clean["folder_id"], "folder_id")
    old, new = {}, {}
    for key, value in {**clean, "type": kind}.items():
        if getattr(script, key) != value:
            old[key], new[key] = getattr(script, key), value
            setattr(script, key, value)
    if fields.get("env_vars") is not None:  # None is "unchanged", {} removes every variable
        script_env.apply_env_vars(script, fields["env_vars"], old, new)
    if {"name", "folder_id"} & set(new):
        with session.no_autoflush:  # the row must not be written with its old safe name first
            safe_name = await script_names.free_safe_name(
                session, principal, script.name, script.folder_id, script
            )
        if safe_name != script.safe_name:
            old["safe_name"], new["safe_name"] = script.safe_name, safe_name
            script.safe_name = safe_name
    old["current_version"] = script.current_version
    return old, new


def _audit_values(values: dict) -> dict:
    """Content and requirements are recorded by size (the text is in the version history)."""
    shown = {}
    for key, value in values.items():
        if key in VERSIONED:
            shown[key] = f"{len(value):,} characters"
        else:
            shown[key] = value.value if isinstance(value, ScriptType) else value
    return shown


async def get(*, session: AsyncSession, principal: Principal, script_id: int) -> Script:
    require(principal, "resources.read")
    return await load(session, script_id)


async def get_by_name(
    *, session: AsyncSession, principal: Principal, safe_name: str, folder_id: int | None = None
) -> Script:
    """By safe name within one folder; `folder_id=None` is the top level (as in `create`)."""
    require(principal, "resources.read")
    script = await session.scalar(
        select(Script).where(
            Script.safe_name == safe_name,
            script_names.in_folder(folder_id),
            Script.deleted_at.is_(None),
        )
    )
    if script is None:
        where = "at the top level" if folder_id is None else f"in folder {folder_id}"
        raise NotFound(f"No script is named '{safe_name}' {where}.")
    return script


async def list_scripts(
    *,
    session: AsyncSession,
    principal: Principal,
    folder_id: int | None = None,
    search: str = "",
    top_level_only: bool = False,
) -> list[Script]:
    """Live scripts by name; `folder_id` narrows to one folder, `search` matches the name, the
    safe name and the description (case-insensitive)."""
    require(principal, "resources.read")
    query = select(Script).where(Script.deleted_at.is_(None))
    if folder_id is not None or top_level_only:
        query = query.where(script_names.in_folder(folder_id))
    term = (search or "").strip()
    if term:
        query = query.where(
            or_(
                Script.name.icontains(term, autoescape=True),
                Script.safe_name.icontains(term, autoescape=True),
                Script.description.icontains(term, autoescape=True),
            )
        )
    return list(await session.scalars(query.order_by(func.lower(Script.name), Script.id)))


async def delete(*, session: AsyncSession, principal: Principal, script_id: int) -> None:
    """Soft delete; its versions and runs stay, its safe name becomes free, its dependency
    edges go (a deleted target can neither wait for nor start anything)."""
    require(principal, "resources.write")
    script = await load(session, script_id, for_update=True)
    old = {"name": script.name, "safe_name": script.safe_name, "folder_id": script.folder_id}
    await dependencies.soft_delete_target(
        session, principal, TargetType.script, script, old, free="safe_name"
    )


async def upload(
    *,
    session: AsyncSession,
    principal: Principal,
    filename: str,
    data: bytes,
    folder_id: int | None = None,
) -> Script:
    """A new script from a .py/.sh/.bat file: name from the file's stem, type from its suffix."""
    require(principal, "resources.write")
    file = checks.read_upload(filename, data)
    try:
        return await create(
            session=session,
            principal=principal,
            name=file.name,
            folder_id=folder_id,
            type=file.type,
            content=file.content,
            message=f"Uploaded {file.filename}",
        )
    except Invalid as exc:
        if exc.field in ("content", "name"):
            raise Invalid("file", f"{file.filename}: {exc.message}") from exc
        raise


async def run(
    *,
    session: AsyncSession,
    principal: Principal,
    script_id: int,
    trigger: Trigger = Trigger.manual,
    payload: dict | None = None,
) -> Run:
    """Queue a run of the script; batch scripts go to the `windows` queue."""
    require(principal, "runs.start")
    script = await load(session, script_id)
    if not script.enabled:
        raise Conflict(f"Script '{script.name}' is disabled; enable it before running it.")
    return await run_starts.start_run(
        session=session,
        principal=principal,
        target_type=TargetType.script,
        target_id=script.id,
        target_name=script.name,
        trigger=trigger,
        payload=payload,
        queue=WINDOWS_QUEUE if script.type is ScriptType.batch else "default",
    )
