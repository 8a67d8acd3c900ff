"""Safe names of scripts (DESIGN.md §7): "Data Backup Script!" -> `data-backup-script`, unique
within a folder with a `-2`, `-3`... suffix. Naming within one folder is serialised by an advisory
lock held until commit, so two concurrent creates never pick the same name.
"""

from __future__ import annotations

import re
import zlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid
from etlfabric.models import Script
from etlfabric.services.naming import slugify, unique_name
from etlfabric.services.permissions import Principal


def safe_base(name: str) -> str:
    base = slugify(name)
    if not base and any(char.isalnum() for char in name):
        return "script"  # letters without an ASCII spelling (e.g. "報告")
    if not base:
        raise Invalid("name", "The name needs at least one letter or digit.")
    return base


def in_folder(folder_id: int | None):
    return Script.folder_id.is_(None) if folder_id is None else Script.folder_id == folder_id


async def free_safe_name(
    session: AsyncSession,
    principal: Principal,
    name: str,
    folder_id: int | None,
    script: Script | None = None,
) -> str:
    """The safe name for `name` in `folder_id`: the script's own if it still fits, else free."""
    base = safe_base(name)
    key = zlib.crc32(f"script-names:{principal.org_id}:{folder_id}".encode())
    await session.execute(select(func.pg_advisory_xact_lock(key)))
    query = select(Script.safe_name).where(in_folder(folder_id), Script.safe_name.startswith(base))
    if script is not None:
        query = query.where(Script.id != script.id)
    taken = set(await session.scalars(query))
    own = script.safe_name if script is not None else None
    if own and re.fullmatch(rf"{re.escape(base)}(-\d+)?", own) and own not in taken:
        return own
    return unique_name(base, taken)
