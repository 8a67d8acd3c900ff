"""Request and response bodies of the dependencies and flows API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from etlfabric.api.deps import TargetId
from etlfabric.api.v1.run_schemas import RunOut


class DependencyIn(BaseModel):
    upstream_type: str
    upstream_id: TargetId
    downstream_type: str
    downstream_id: TargetId


class DependencyOut(BaseModel):
    id: int
    upstream_type: str
    upstream_id: int
    upstream_name: str
    downstream_type: str
    downstream_id: int
    downstream_name: str
    created_at: datetime
    upstream_last_status: str | None = None
    downstream_last_status: str | None = None


class NodeOut(BaseModel):
    type: str
    id: int
    name: str
    last_status: str | None
    last_run_id: int | None


class GraphOut(BaseModel):
    nodes: list[NodeOut]
    edges: list[DependencyOut]


class FlowOut(BaseModel):
    id: int
    root_type: str
    root_id: int
    root_name: str
    trigger: str
    triggered_by_id: int | None
    schedule_id: int | None
    status: str
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, flow) -> FlowOut:
        enums = ("root_type", "trigger", "status")
        plain = {name: getattr(flow, name) for name in cls.model_fields if name not in enums}
        return cls(**plain, **{name: getattr(flow, name).value for name in enums})


class FlowNodeOut(BaseModel):
    type: str
    id: int
    name: str
    status: str | None
    run_id: int | None


class FlowEdgeOut(BaseModel):
    upstream_type: str
    upstream_id: int
    downstream_type: str
    downstream_id: int


class FlowDetailOut(FlowOut):
    runs: list[RunOut]
    nodes: list[FlowNodeOut]
    edges: list[FlowEdgeOut]
