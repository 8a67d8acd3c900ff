"""The organisation's files folder (DATA_DIR/orgs/<org_id>/files/): uploads, listing, deletion.

`files` connections read CSV, JSONL and Parquet from it by glob; `sqlite` connections open a file
in it. Names are sanitised to a plain file name with a known extension; an upload replaces a file
of the same name atomically (written beside it, then renamed).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import unicodedata
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Connection
from etlfabric.services import audit
from etlfabric.services.connection_access import files_dir, resolve_file
from etlfabric.services.permissions import Principal, require

EXTENSIONS = (".csv", ".jsonl", ".ndjson", ".parquet", ".sqlite", ".sqlite3", ".db")
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PARTIAL = ".upload-"


def safe_filename(filename: str) -> str:
    """ "../My Data (1).CSV" -> "My_Data_1.csv": the last path part, plain characters only."""
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, suffix = ascii_name.rpartition(".")
    if not dot:
        stem, suffix = ascii_name, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:150]
    extension = f".{suffix.lower()}"
    if extension not in EXTENSIONS:
        raise Invalid("file", f"'{filename}': only {', '.join(EXTENSIONS)} files can be uploaded.")
    if not stem:
        raise Invalid("file", f"'{filename}' needs a name before its extension.")
    return stem + extension


def _write(folder: Path, name: str, source: BinaryIO, max_bytes: int) -> int:
    """Copy `source` into folder/name (atomically); the size, or Invalid when over the limit."""
    handle, partial = tempfile.mkstemp(prefix=_PARTIAL, dir=folder)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Invalid("file", f"The file is larger than {max_bytes // 1024**2} MB.")
                out.write(chunk)
        os.replace(partial, folder / name)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return size


async def save_upload(
    *,
    session: AsyncSession,
    principal: Principal,
    filename: str,
    source: BinaryIO,
    max_bytes: int | None = None,
) -> dict:
    """Store an uploaded file in the organisation's folder; its listing entry."""
    require(principal, "resources.write")
    name = safe_filename(filename)
    folder = files_dir(principal.org_id)
    limit = max_bytes or MAX_UPLOAD_BYTES
    size = await asyncio.to_thread(_write, folder, name, source, limit)
    await audit.record(
        session=session,
        principal=principal,
        action="file.upload",
        resource_type="file",
        resource_id=name,
        new={"name": name, "size": size},
    )
    return _entry(folder, folder / name)


def _entry(root: Path, path: Path) -> dict:
    stat = path.stat()
    return {
        "name": path.relative_to(root).as_posix(),
        "size": stat.st_size,
        "modified_at": datetime.fromtimestamp(stat.st_mtime, UTC),
    }


async def list_files(*, principal: Principal) -> list[dict]:
    """Every file in the organisation's folder (sub-folders included), by name."""
    require(principal, "resources.read")
    root = files_dir(principal.org_id).resolve()
    found = [
        _entry(root, path)
        for path in root.rglob("*")
        if path.is_file() and not path.name.startswith(_PARTIAL) and not path.is_symlink()
    ]
    return sorted(found, key=lambda entry: entry["name"].lower())


async def delete_file(*, session: AsyncSession, principal: Principal, name: str) -> None:
    """Delete one file; refused while a SQLite connection points at it."""
    require(principal, "resources.write")
    path = resolve_file(principal.org_id, name, "name")
    if not path.is_file():
        raise NotFound(f"No file named '{name}'.")
    users = await session.scalars(
        select(Connection.name).where(
            Connection.deleted_at.is_(None),
            Connection.type == "sqlite",
            Connection.config["path"].astext == name,
        )
    )
    names = list(users)
    if names:
        used_by = ", ".join(f"'{n}'" for n in names)
        raise Conflict(f"File '{name}' is used by connection(s) {used_by}.")
    path.unlink()
    await audit.record(
        session=session,
        principal=principal,
        action="file.delete",
        resource_type="file",
        resource_id=name,
        old={"name": name},
    )
