"""Request and response bodies of the pipelines API.

Shapes only: every value is checked by services/pipeline_checks.py, so the API and the editor
give the same message naming the same field. No connection credential is ever in a pipeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from etlfabric.api.deps import BodyId


class PipelineIn(BaseModel):
    name: str
    source_connection_id: BodyId
    destination_connection_id: BodyId
    dataset_name: str
    mode: str
    config: dict[str, Any] = {}
    write_disposition: str = "append"
    primary_key: list[str] | str = []
    schema_contract: dict[str, Any] = {}
    filters: list[dict[str, Any]] = []
    batch_size: int | None = None
    sensitive_columns: list[str] = []
    enabled: bool = True


class PipelinePatch(BaseModel):
    """Only the fields sent change; `null` keeps a value (batch_size: back to the default)."""

    name: str | None = None
    source_connection_id: BodyId | None = None
    destination_connection_id: BodyId | None = None
    dataset_name: str | None = None
    mode: str | None = None
    config: dict[str, Any] | None = None
    write_disposition: str | None = None
    primary_key: list[str] | str | None = None
    schema_contract: dict[str, Any] | None = None
    filters: list[dict[str, Any]] | None = None
    batch_size: int | None = None
    sensitive_columns: list[str] | None = None
    enabled: bool | None = None


class LastRunOut(BaseModel):
    id: int
    status: str
    at: datetime | None
    rows_loaded: int | None


class PipelineOut(BaseModel):
    id: int
    name: str
    folder_id: int | None
    source_connection_id: int
    destination_connection_id: int
    dataset_name: str
    mode: str
    config: dict[str, Any]
    write_disposition: str
    primary_key: list[str]
    schema_contract: dict[str, Any]
    filters: list[dict[str, Any]]
    batch_size: int | None
    sensitive_columns: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    last_run: LastRunOut | None = None  # in the list
    next_run_at: datetime | None = None  # in the list


class PipelineStateOut(BaseModel):
    cursors: dict[str, dict[str, Any]]  # resource -> {cursor column: last value}
    last_load_id: str | None
    last_load_at: datetime | None  # when that load started
    last_extracted_at: datetime | None
    reset_pending: str | None  # "state" or "full_refresh" until the next run succeeds


class ResetIn(BaseModel):
    confirm: str = Field(description="The pipeline's name, typed again to confirm.")


class ColumnOut(BaseModel):
    name: str
    data_type: str


class TableOut(BaseModel):
    name: str
    columns: list[ColumnOut]


class PreviewOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
