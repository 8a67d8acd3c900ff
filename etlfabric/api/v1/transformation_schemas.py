"""Request and response bodies of the transformations and dbt project API.

Shapes only: values are checked by services/transformation_checks.py and services/dbt_project.py,
so the API and the editor give the same message naming the same field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class TransformationIn(BaseModel):
    name: str
    sql: str
    schema_name: str
    materialization: str = "view"
    unique_key: str | None = None
    description: str = ""
    columns: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    enabled: bool = True


class TransformationPatch(BaseModel):
    """Only the fields sent change; `null` keeps a value (unique_key: removes it)."""

    name: str | None = None
    sql: str | None = None
    schema_name: str | None = None
    materialization: str | None = None
    unique_key: str | None = None
    description: str | None = None
    columns: list[dict[str, Any]] | None = None
    tests: list[dict[str, Any]] | None = None
    enabled: bool | None = None


class TransformationOut(BaseModel):
    id: int
    name: str
    sql: str
    schema_name: str
    materialization: str
    unique_key: str | None
    description: str
    columns: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    enabled: bool
    created_at: datetime | None = None
    updated_at: datetime | None = None


class CompiledOut(BaseModel):
    compiled_sql: str


class PreviewOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]


class LineageOut(BaseModel):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]


class SourceIn(BaseModel):
    source_name: str
    schema_name: str
    table_name: str
    pipeline_id: int | None = None
    loaded_at_field: str | None = None
    warn_after: dict[str, Any] | None = None
    error_after: dict[str, Any] | None = None
    description: str = ""


class SeedIn(BaseModel):
    name: str
    schema_name: str
    csv: str
    description: str = ""


class SnapshotIn(BaseModel):
    name: str
    schema_name: str
    sql: str
    strategy: str = "timestamp"
    unique_key: str
    updated_at_column: str | None = None
    check_cols: list[str] = []
    description: str = ""


class SkippedFile(BaseModel):
    file: str
    reason: str


class ImportOut(BaseModel):
    created: dict[str, int]  # models, tests, sources, seeds, snapshots
    skipped: list[SkippedFile]
