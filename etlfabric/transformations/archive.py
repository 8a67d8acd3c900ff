"""A dbt project zip, read safely (pure): size and file-count limits, no path that leaves the
project, no symlinks, no member that inflates past what its header claims. Any of those refuses
the whole upload (Invalid on the `file` field); a sound zip gives {relative path: bytes}, with a
single wrapping folder (my_project/dbt_project.yml) taken off."""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from pathlib import PurePosixPath

from etlfabric.errors import Invalid

MAX_COMPRESSED = 20 * 1024 * 1024
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_FILES = 5_000
# Build output, installed packages and tool folders: never project files, never reported.
IGNORED_DIRS = {"target", "dbt_packages", "dbt_modules", "logs", "__MACOSX"}
FIELD = "file"


def _refuse(message: str):
    raise Invalid(FIELD, message)


def _safe_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if "\\" in name or name.startswith("/") or ":" in path.parts[0] or ".." in path.parts:
        _refuse(f"The zip holds '{name}', a path outside the project; nothing was imported.")
    return path


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        _refuse(f"The zip holds {len(infos):,} entries; at most {MAX_FILES:,} are imported.")
    files, total = [], 0
    for info in infos:
        _safe_path(info.filename)
        if _is_symlink(info):
            _refuse(f"'{info.filename}' is a symbolic link; zip the files themselves.")
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_UNCOMPRESSED:
            _refuse(
                f"The zip unpacks to more than {MAX_UNCOMPRESSED // 2**20} MB; nothing was read."
            )
        files.append(info)
    return files


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, never more than its header claims (a forged header is a bomb)."""
    with archive.open(info) as handle:
        data = handle.read(min(info.file_size, budget) + 1)
    if len(data) > info.file_size or len(data) > budget:
        _refuse(f"'{info.filename}' unpacks to more than its zip header says; nothing was read.")
    return data


def _root(paths: list[PurePosixPath]) -> PurePosixPath | None:
    """The folder holding dbt_project.yml, when the zip wraps the project in one."""
    found = sorted((p for p in paths if p.name == "dbt_project.yml"), key=lambda p: len(p.parts))
    if found and len(found[0].parts) > 1:
        return found[0].parent
    return None


def _ignored(path: PurePosixPath) -> bool:
    return any(part.startswith(".") or part in IGNORED_DIRS for part in path.parts)


def read_project(data: bytes) -> dict[str, bytes]:
    """The project's files by path relative to its root, or Invalid("file", why)."""
    if len(data) > MAX_COMPRESSED:
        _refuse(f"The zip is larger than {MAX_COMPRESSED // 2**20} MB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        _refuse("This is not a zip file; upload a zip of the dbt project folder.")
    with archive:
        members = _members(archive)
        root = _root([PurePosixPath(m.filename) for m in members])
        files, budget = {}, MAX_UNCOMPRESSED
        for info in members:
            path = PurePosixPath(info.filename)
            if root is not None:
                if not path.is_relative_to(root):
                    continue
                path = path.relative_to(root)
            if _ignored(path):
                continue
            try:
                files[path.as_posix()] = content = _read(archive, info, budget)
            except (
                zipfile.BadZipFile,
                zlib.error,
                NotImplementedError,
                RuntimeError,
                EOFError,
            ) as exc:
                _refuse(f"'{info.filename}' could not be unpacked ({exc}).")
            budget -= len(content)
    return files
