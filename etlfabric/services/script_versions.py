"""A script's history and its editor buffer.

Every save of content or requirements keeps a ScriptVersion (scripts.save does it); here: the list
of versions, one version, the diff of two, restore (a new version "Restored version N"), and the
draft, the editor's auto-saved buffer, which never makes a version or an audit row so auto-save
does not flood the history. `session` is always the organisation's tenant session.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid, NotFound
from etlfabric.models import Script, ScriptType, ScriptVersion
from etlfabric.services import script_checks as checks
from etlfabric.services.permissions import Principal, require
from etlfabric.services.scripts import load, save

SUFFIXES = {ScriptType.python: "py", ScriptType.shell: "sh", ScriptType.batch: "bat"}


async def versions(
    *, session: AsyncSession, principal: Principal, script_id: int
) -> list[ScriptVersion]:
    """Newest first."""
    require(principal, "resources.read")
    await load(session, script_id)
    rows = await session.scalars(
        select(ScriptVersion)
        .where(ScriptVersion.script_id == script_id)
        .order_by(ScriptVersion.number.desc())
    )
    return list(rows)


async def _version(session: AsyncSession, script_id: int, number: int, field: str | None = None):
    found = await session.scalar(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script_id, ScriptVersion.number == number
        )
    )
    if found is None:
        if field:
            raise Invalid(field, f"Version {number} does not exist.")
        raise NotFound(f"Version {number} of this script does not exist.")
    return found


async def get_version(
    *, session: AsyncSession, principal: Principal, script_id: int, number: int
) -> ScriptVersion:
    require(principal, "resources.read")
    await load(session, script_id)
    return await _version(session, script_id, number)


def _unified(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    # A last line without a newline would glue onto the next header.
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


async def diff(
    *, session: AsyncSession, principal: Principal, script_id: int, a: int, b: int
) -> str:
    """Unified diff from version `a` to version `b`: the code, then requirements.txt."""
    require(principal, "resources.read")
    script = await load(session, script_id)
    old, new = (
        await _version(session, script_id, a, "a"),
        await _version(session, script_id, b, "b"),
    )
    filename = f"{script.safe_name}.{SUFFIXES[ScriptType(script.type)]}"
    return _unified(
        old.content, new.content, f"version {a}/{filename}", f"version {b}/{filename}"
    ) + _unified(
        old.requirements,
        new.requirements,
        f"version {a}/requirements.txt",
        f"version {b}/requirements.txt",
    )


async def restore(
    *, session: AsyncSession, principal: Principal, script_id: int, number: int
) -> Script:
    """Make version `number` current again, as a new version; nothing happens when it already is."""
    require(principal, "resources.write")
    await load(session, script_id)
    old = await _version(session, script_id, number)
    return await save(
        session=session,
        principal=principal,
        script_id=script_id,
        fields={"content": old.content, "requirements": old.requirements},
        message=f"Restored version {number}",
        action="script.restore",
    )


async def save_draft(
    *,
    session: AsyncSession,
    principal: Principal,
    script_id: int,
    content: str,
    requirements: str | None = None,
) -> Script:
    """Auto-save of the editor buffer: no version, no audit row, no checks beyond size. A draft
    equal to the saved script is no draft."""
    require(principal, "resources.write")
    script = await load(session, script_id, for_update=True)
    content = content or ""
    requirements = script.requirements if requirements is None else requirements
    if len(content.encode("utf-8", "surrogatepass")) > checks.MAX_SCRIPT_BYTES:
        raise Invalid("content", "The script is larger than 10 MB.")
    if len(requirements) > checks.MAX_REQUIREMENTS_CHARS:
        raise Invalid("requirements", "The requirements are longer than 100,000 characters.")
    if content == script.content and requirements == script.requirements:
        script.draft_content = script.draft_requirements = script.draft_saved_at = None
    else:
        script.draft_content, script.draft_requirements = content, requirements
        script.draft_saved_at = datetime.now(UTC)
    script.updated_at = datetime.now(UTC)  # set here: a server-side onupdate would expire it
    await session.flush()
    return script


async def discard_draft(*, session: AsyncSession, principal: Principal, script_id: int) -> Script:
    require(principal, "resources.write")
    script = await load(session, script_id, for_update=True)
    script.draft_content = script.draft_requirements = script.draft_saved_at = None
    script.updated_at = datetime.now(UTC)
    await session.flush()
    return script
