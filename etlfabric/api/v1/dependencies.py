"""The dependency graph and its flows: thin routes over services/dependencies.py and flows.py."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Response

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.flow_schemas import (
    DependencyIn,
    DependencyOut,
    FlowDetailOut,
    FlowEdgeOut,
    FlowNodeOut,
    FlowOut,
    GraphOut,
    NodeOut,
)
from etlfabric.api.v1.run_schemas import RunOut
from etlfabric.db import tenant_session
from etlfabric.services import dependencies, flows
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["dependencies"])


@router.get("/dependencies", response_model=list[DependencyOut])
async def list_dependencies(principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        edges = await dependencies.list_edges(session=session, principal=principal)
    return [DependencyOut(**asdict(edge)) for edge in edges]


@router.get("/dependencies/graph", response_model=GraphOut)
async def dependency_graph(principal: Principal = Depends(current_principal)) -> GraphOut:
    """Every target with its latest run's status, and every edge."""
    async with tenant_session(principal.org_id) as session:
        found = await dependencies.graph(session=session, principal=principal)
    return GraphOut(
        nodes=[NodeOut(**asdict(node)) for node in found.nodes],
        edges=[DependencyOut(**asdict(edge)) for edge in found.edges],
    )


@router.post("/dependencies", status_code=201, response_model=DependencyOut)
async def create_dependency(
    body: DependencyIn, principal: Principal = Depends(current_principal)
) -> DependencyOut:
    async with tenant_session(principal.org_id) as session:
        edge = await dependencies.create_edge(
            session=session, principal=principal, **body.model_dump()
        )
    return DependencyOut(**asdict(edge))


@router.delete("/dependencies/{edge_id}", status_code=204)
async def delete_dependency(edge_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await dependencies.delete_edge(session=session, principal=principal, edge_id=edge_id)
    return Response(status_code=204)


@router.get("/flows", response_model=list[FlowOut])
async def list_flows(
    principal: Principal = Depends(current_principal),
    limit: int = Query(50, ge=1, le=flows.MAX_FLOWS),
) -> list[FlowOut]:
    async with tenant_session(principal.org_id) as session:
        rows = await flows.list_flows(session=session, principal=principal, limit=limit)
    return [FlowOut.of(row) for row in rows]


@router.get("/flows/{flow_id}", response_model=FlowDetailOut)
async def get_flow(flow_id: Id, principal: Principal = Depends(current_principal)):
    """The flow, every run of it (retries and skipped runs too), and its subgraph."""
    async with tenant_session(principal.org_id) as session:
        view = await flows.get_flow(session=session, principal=principal, flow_id=flow_id)
    edges = [
        FlowEdgeOut(
            upstream_type=up[0].value,
            upstream_id=up[1],
            downstream_type=down[0].value,
            downstream_id=down[1],
        )
        for up, down in view.edges
    ]
    return FlowDetailOut(
        **FlowOut.of(view.flow).model_dump(),
        runs=[RunOut.of(run) for run in view.runs],
        nodes=[FlowNodeOut(**asdict(node)) for node in view.nodes],
        edges=edges,
    )
