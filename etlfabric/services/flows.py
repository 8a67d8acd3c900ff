"""Flows for REST and the UI: "run with downstream", one flow with its runs and subgraph, and the
recent flows. What happens inside a flow as its runs end is flow_runs.py (the worker side).
`session` is always the principal's tenant session; another organisation's flow is not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import NotFound
from etlfabric.models import Dependency, Flow, Run, RunStatus, TargetType, Trigger
from etlfabric.services import audit, flow_runs, run_starts, scripts, targets
from etlfabric.services.graph import downstream_map, reachable
from etlfabric.services.permissions import Principal, require
from etlfabric.services.targets import Key

MAX_FLOWS = 200


@dataclass(frozen=True)
class FlowNode:
    type: str
    id: int
    name: str
    status: str | None  # of the target's latest run in the flow; None: not started yet
    run_id: int | None


@dataclass(frozen=True)
class FlowView:
    flow: Flow
    runs: list[Run]  # every run of the flow, retries and skipped ones too, oldest first
    nodes: list[FlowNode]  # the root first, then downstream, breadth first
    edges: list[tuple[Key, Key]]  # (upstream, downstream) within the flow


async def run_with_downstream(
    *,
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType | str,
    target_id: int,
    trigger: Trigger = Trigger.manual,
    payload: dict | None = None,
) -> Run:
    """Start the target and open a flow: each downstream target runs once its upstreams in the
    flow have succeeded. Returns the root run, its `flow_id` set; sent once the session commits."""
    require(principal, "runs.start")
    kind, id_ = targets.key(target_type, target_id)
    if kind is TargetType.script:  # the checks a manual run of a script has (enabled, queue)
        run = await scripts.run(
            session=session, principal=principal, script_id=id_, trigger=trigger, payload=payload
        )
    else:
        name = await session.scalar(targets.live(kind, id_))
        if name is None:
            raise NotFound(f"{kind.value.title()} not found.")
        run = await run_starts.start_run(
            session=session,
            principal=principal,
            target_type=kind,
            target_id=id_,
            target_name=name,
            trigger=trigger,
            payload=payload,
        )
    flow = await session.run_sync(lambda sync: flow_runs.open_flow(sync, root=run))
    if run.status is not RunStatus.queued:  # refused at once: skip the rest and close the flow
        await session.run_sync(lambda sync: flow_runs.advance(sync, principal.org_id, flow.id))
    await audit.record(
        session=session,
        principal=principal,
        action="flow.start",
        resource_type="flow",
        resource_id=flow.id,
        new={"root": f"{kind.value}:{id_} ({run.target_name})", "run_id": run.id},
    )
    return run


async def get_flow(*, session: AsyncSession, principal: Principal, flow_id: int) -> FlowView:
    require(principal, "resources.read")
    flow = await session.get(Flow, flow_id, populate_existing=True)
    if flow is None:
        raise NotFound("Flow not found.")
    flow_rows = list(
        await session.scalars(
            select(Run)
            .where(Run.flow_id == flow_id)
            .order_by(Run.id)
            .execution_options(populate_existing=True)
        )
    )
    latest = {targets.key(run.target_type, run.target_id): run for run in flow_rows}
    edges = [
        (
            targets.key(e.upstream_type, e.upstream_id),
            targets.key(e.downstream_type, e.downstream_id),
        )
        for e in await session.scalars(select(Dependency).order_by(Dependency.id))
    ]
    order = reachable(downstream_map(edges), targets.key(flow.root_type, flow.root_id))
    order += [key for key in latest if key not in order]  # ran, though its edge is gone since
    inside = set(order)
    names = {
        targets.key(kind, id_): name
        for kind, id_, name in await session.execute(targets.all_live())
    }
    nodes = [_node(key, latest.get(key), names) for key in order]
    kept = [(up, down) for up, down in edges if up in inside and down in inside]
    return FlowView(flow=flow, runs=flow_rows, nodes=nodes, edges=kept)


def _node(key: Key, run: Run | None, names: dict[Key, str]) -> FlowNode:
    name = names.get(key) or (run.target_name if run else "") or f"{key[0].value} #{key[1]}"
    return FlowNode(
        type=key[0].value,
        id=key[1],
        name=name,
        status=run.status.value if run else None,
        run_id=run.id if run else None,
    )


async def list_flows(*, session: AsyncSession, principal: Principal, limit: int = 50) -> list[Flow]:
    """The most recent flows first."""
    require(principal, "resources.read")
    limit = max(1, min(int(limit), MAX_FLOWS))
    query = select(Flow).order_by(Flow.id.desc()).limit(limit)
    return list(await session.scalars(query))
