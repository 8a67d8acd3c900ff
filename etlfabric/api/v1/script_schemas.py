"""Request and response bodies of the scripts and folders API.

`env_vars` is accepted on write and never returned: responses carry `env_var_names` only. Types and
ranges are checked by the service (one message per field for the API and the UI alike), so these
models only describe shapes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from etlfabric.api.deps import BodyId


class ScriptIn(BaseModel):
    name: str
    folder_id: BodyId | None = None
    type: str = "python"
    description: str = ""
    content: str = ""
    requirements: str = ""
    env_vars: dict[str, str] | None = Field(default=None, description="Write-only.")
    timeout_seconds: int = 300
    memory_limit_mb: int = 512
    cpu_limit_seconds: int | None = None
    max_concurrent_runs: int | None = None
    enabled: bool = True


class ScriptPatch(BaseModel):
    """Only the fields sent change; `null` clears an optional limit or moves to the top level."""

    name: str | None = None
    folder_id: BodyId | None = None
    type: str | None = None
    description: str | None = None
    content: str | None = None
    requirements: str | None = None
    env_vars: dict[str, str | None] | None = Field(
        default=None,
        description="Write-only. Replaces the whole set ({} removes all, null changes nothing); "
        "a name with null keeps its value.",
    )
    timeout_seconds: int | None = None
    memory_limit_mb: int | None = None
    cpu_limit_seconds: int | None = None
    max_concurrent_runs: int | None = None
    enabled: bool | None = None
    message: str = Field(default="", description="Recorded with the new version, if any.")
    base_version: int | None = Field(
        default=None, description="The version the change was made on: a newer one is a 409."
    )


class ScriptOut(BaseModel):
    id: int
    name: str
    safe_name: str
    folder_id: int | None
    type: str
    description: str
    content: str
    requirements: str
    env_var_names: list[str]
    timeout_seconds: int
    memory_limit_mb: int
    cpu_limit_seconds: int | None
    max_concurrent_runs: int | None
    enabled: bool
    current_version: int
    draft_content: str | None
    draft_requirements: str | None
    draft_saved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    number: int
    message: str
    author_id: int | None
    created_at: datetime


class VersionDetail(VersionOut):
    content: str
    requirements: str


class DiffOut(BaseModel):
    a: int
    b: int
    diff: str


class CheckIn(BaseModel):
    content: str | None = Field(default=None, description="Default: the saved content.")
    type: str | None = Field(default=None, description="Default: the script's type.")


class SyntaxProblemOut(BaseModel):
    line: int
    column: int
    message: str


class CheckOut(BaseModel):
    ok: bool
    problems: list[SyntaxProblemOut]


class DraftIn(BaseModel):
    content: str
    requirements: str | None = None


class RunIn(BaseModel):
    payload: dict | None = None


class FolderIn(BaseModel):
    name: str
    parent_id: BodyId | None = None


class FolderPatch(BaseModel):
    """Only the fields sent change; `"parent_id": null` moves the folder to the top level."""

    name: str | None = None
    parent_id: BodyId | None = None


class FolderOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    path: str
    created_at: datetime
    updated_at: datetime
