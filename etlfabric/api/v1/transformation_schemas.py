"""Request and response bodies of the transformations and dbt project API.

Shapes only: values are checked by services/transformation_checks.py and services/dbt_project.py,
so the API and the editor give the same message naming the same field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


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


class CatalogOut(BaseModel):
    """The docs run whose catalog gave the column types."""

    run_id: int
    generated_at: datetime | None


class LineageOut(BaseModel):
    nodes: list[dict[str, Any]] = Field(
        description="{id, type, name, schema, description, columns: [{name, type, description}]}"
    )
    edges: list[dict[str, str]]
    catalog: CatalogOut | None = Field(
        default=None, description="Where the column types come from; null before a docs run"
    )


class SourceIn(BaseModel):
    source_name: str
    schema_name: str
    table_name: str
    pipeline_id: int | None = None
    loaded_at_field: str | None = None
    warn_after: dict[str, Any] | None = None
    error_after: dict[str, Any] | None = None
    description: str = ""


class SourceFreshnessOut(BaseModel):
    """A declared source table's latest freshness; status is pass, warn, error, runtime error,
    never (no check reported it yet) or unset (no loaded-at column or thresholds)."""

    source_id: int
    source_name: str
    schema_name: str
    table_name: str
    status: str
    max_loaded_at: str | None
    age_seconds: float | None
    checked_at: datetime | None
    run_id: int | None
    message: str | None


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
    check_cols: list[str] | Literal["all"] = []  # "all": the check strategy compares every column
    description: str = ""


class SkippedFile(BaseModel):
    file: str
    reason: str


class ImportOut(BaseModel):
    created: dict[str, int]  # models, tests, sources, seeds, snapshots
    skipped: list[SkippedFile]
