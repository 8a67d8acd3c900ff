"""Folders: a tree that scripts live in. Names are unique among siblings (case-insensitive).

A folder is deleted for good, and only when empty: the refusal says what is still inside.
`session` is always the organisation's tenant session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Folder, Script
from etlfabric.services import audit
from etlfabric.services.naming import require_text
from etlfabric.services.permissions import Principal, require

MAX_DEPTH = 20
_FORBIDDEN = set("/\\") | {chr(code) for code in range(32)}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()  # "not given", as opposed to None ("no folder", "no limit")


@dataclass
class FolderNode:
    id: int
    name: str
    parent_id: int | None
    path: str
    children: list[FolderNode] = field(default_factory=list)


def require_folder_name(name: str | None) -> str:
    name = require_text("name", name, max_length=200)
    if any(char in _FORBIDDEN for char in name):
        raise Invalid("name", "A folder name cannot contain '/', '\\' or control characters.")
    return name


async def _load(session: AsyncSession, folder_id: int, *, field_name: str | None = None) -> Folder:
    folder = await session.scalar(
        select(Folder).where(Folder.id == folder_id, Folder.deleted_at.is_(None))
    )
    if folder is None:
        if field_name:
            raise Invalid(field_name, f"Folder {folder_id} does not exist.")
        raise NotFound("Folder not found.")
    return folder


async def require_folder(session: AsyncSession, folder_id: int | None, field_name: str) -> None:
    """For other services: `folder_id` names an existing folder (None is the top level)."""
    if folder_id is not None:
        await _load(session, folder_id, field_name=field_name)


async def get(*, session: AsyncSession, principal: Principal, folder_id: int) -> Folder:
    require(principal, "resources.read")
    return await _load(session, folder_id)


async def list_folders(*, session: AsyncSession, principal: Principal) -> list[Folder]:
    require(principal, "resources.read")
    rows = await session.scalars(
        select(Folder).where(Folder.deleted_at.is_(None)).order_by(func.lower(Folder.name))
    )
    return list(rows)


def folder_paths(folders: list[Folder]) -> dict[int, str]:
    """id -> "Parent/Child/Grandchild" for every folder in the list."""
    by_id = {folder.id: folder for folder in folders}
    paths: dict[int, str] = {}

    def path_of(folder: Folder, depth: int = 0) -> str:
        if folder.id not in paths:
            parent = by_id.get(folder.parent_id) if folder.parent_id else None
            prefix = path_of(parent, depth + 1) + "/" if parent and depth < MAX_DEPTH else ""
            paths[folder.id] = prefix + folder.name
        return paths[folder.id]

    for folder in folders:
        path_of(folder)
    return paths


async def tree(*, session: AsyncSession, principal: Principal) -> list[FolderNode]:
    """Top-level folders, each with its children, siblings sorted by name."""
    folders = await list_folders(session=session, principal=principal)
    paths = folder_paths(folders)
    nodes = {f.id: FolderNode(f.id, f.name, f.parent_id, paths[f.id]) for f in folders}
    roots: list[FolderNode] = []
    for folder in folders:  # already sorted by name, so children come out sorted too
        parent = nodes.get(folder.parent_id) if folder.parent_id else None
        (parent.children if parent else roots).append(nodes[folder.id])
    return roots


async def _require_free_name(
    session: AsyncSession, name: str, parent_id: int | None, *, except_id: int | None = None
) -> None:
    query = select(Folder.id).where(
        func.lower(Folder.name) == name.lower(),
        Folder.parent_id.is_(None) if parent_id is None else Folder.parent_id == parent_id,
        Folder.deleted_at.is_(None),
    )
    if except_id is not None:
        query = query.where(Folder.id != except_id)
    if await session.scalar(query.limit(1)) is not None:
        where = "at the top level" if parent_id is None else "in that folder"
        raise Conflict(f"A folder named '{name}' already exists {where}.")


async def _require_parent(session: AsyncSession, parent_id: int | None, moving_id=None) -> None:
    """The parent exists, is not the folder itself or below it, and the tree stays shallow."""
    depth, current = 0, parent_id
    while current is not None:
        if current == moving_id:
            raise Invalid("parent_id", "A folder cannot be moved into itself or its subfolders.")
        depth += 1
        if depth >= MAX_DEPTH:
            raise Invalid("parent_id", f"Folders can be nested at most {MAX_DEPTH} deep.")
        current = (await _load(session, current, field_name="parent_id")).parent_id


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the name first
        raise Conflict(f"A folder named '{name}' already exists there.") from exc


async def create(
    *, session: AsyncSession, principal: Principal, name: str, parent_id: int | None = None
) -> Folder:
    require(principal, "resources.write")
    name = require_folder_name(name)
    await _require_parent(session, parent_id)
    await _require_free_name(session, name, parent_id)
    folder = Folder(name=name, parent_id=parent_id)
    session.add(folder)
    await _flush(session, name)
    await audit.record(
        session=session,
        principal=principal,
        action="folder.create",
        resource_type="folder",
        resource_id=folder.id,
        new={"name": name, "parent_id": parent_id},
    )
    return folder


async def update(
    *,
    session: AsyncSession,
    principal: Principal,
    folder_id: int,
    name: str | _Unset = UNSET,
    parent_id: int | None | _Unset = UNSET,
) -> Folder:
    """Rename and/or move; one audit row with what changed, none when nothing did."""
    require(principal, "resources.write")
    folder = await _load(session, folder_id)
    new_name = folder.name if isinstance(name, _Unset) else require_folder_name(name)
    new_parent = folder.parent_id if isinstance(parent_id, _Unset) else parent_id
    old = {"name": folder.name, "parent_id": folder.parent_id}
    new = {"name": new_name, "parent_id": new_parent}
    changed = [key for key in old if old[key] != new[key]]
    if not changed:
        return folder
    if new_parent != folder.parent_id:
        await _require_parent(session, new_parent, moving_id=folder.id)
    await _require_free_name(session, new_name, new_parent, except_id=folder.id)
    folder.name, folder.parent_id = new_name, new_parent
    folder.updated_at = datetime.now(UTC)  # set here: a server-side onupdate would expire it
    await _flush(session, new_name)
    await audit.record(
        session=session,
        principal=principal,
        action="folder.update",
        resource_type="folder",
        resource_id=folder.id,
        old={key: old[key] for key in changed},
        new={key: new[key] for key in changed},
    )
    return folder


async def rename(
    *, session: AsyncSession, principal: Principal, folder_id: int, name: str
) -> Folder:
    return await update(session=session, principal=principal, folder_id=folder_id, name=name)


async def move(
    *, session: AsyncSession, principal: Principal, folder_id: int, parent_id: int | None
) -> Folder:
    return await update(
        session=session, principal=principal, folder_id=folder_id, parent_id=parent_id
    )


def _some(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


async def delete(*, session: AsyncSession, principal: Principal, folder_id: int) -> None:
    """Delete an empty folder; Conflict naming what is inside otherwise."""
    require(principal, "resources.write")
    folder = await _load(session, folder_id)
    scripts = list(
        await session.scalars(
            select(Script.name)
            .where(Script.folder_id == folder.id, Script.deleted_at.is_(None))
            .order_by(func.lower(Script.name))
        )
    )
    children = list(
        await session.scalars(
            select(Folder.name)
            .where(Folder.parent_id == folder.id, Folder.deleted_at.is_(None))
            .order_by(func.lower(Folder.name))
        )
    )
    if scripts or children:
        parts = []
        if scripts:
            parts.append(f"{len(scripts)} script(s) ({_some(scripts)})")
        if children:
            parts.append(f"{len(children)} folder(s) ({_some(children)})")
        raise Conflict(
            f"Folder '{folder.name}' is not empty: it holds {' and '.join(parts)}. "
            "Move or delete them first."
        )
    await audit.record(
        session=session,
        principal=principal,
        action="folder.delete",
        resource_type="folder",
        resource_id=folder.id,
        old={"name": folder.name, "parent_id": folder.parent_id},
    )
    await session.delete(folder)
    await session.flush()
