"""Flows for tests: scripts linked by edges, run with downstream, and what each flow holds."""

from __future__ import annotations

from sqlalchemy import select

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Flow, Run
from etlfabric.services import dependencies, flow_runs, flows, run_starts, runs
from tests.run_factories import make_script


async def scripts_named(principal, *names, **fields):
    return {name: await make_script(principal.org_id, name=name, **fields) for name in names}


async def link(principal, edges: str, made: dict):
    """edges: "a>b b>c" between scripts of `made`."""
    for pair in edges.split():
        up, down = pair.split(">")
        async with tenant_session(principal.org_id) as session:
            await dependencies.create_edge(
                session=session,
                principal=principal,
                upstream_type="script",
                upstream_id=made[up].id,
                downstream_type="script",
                downstream_id=made[down].id,
            )


async def run_flow(principal, script, **options) -> Run:
    async with tenant_session(principal.org_id) as session:
        return await flows.run_with_downstream(
            session=session,
            principal=principal,
            target_type="script",
            target_id=script.id,
            **options,
        )


def flow_runs_of(principal, flow_id) -> dict[str, list[Run]]:
    """target name -> its runs in the flow, oldest first."""
    found: dict[str, list[Run]] = {}
    with sync_tenant_session(principal.org_id) as session:
        for run in session.scalars(select(Run).where(Run.flow_id == flow_id).order_by(Run.id)):
            found.setdefault(run.target_name, []).append(run)
    return found


def flow_of(principal, flow_id) -> Flow:
    with sync_tenant_session(principal.org_id) as session:
        return session.get(Flow, flow_id)


def end(principal, run_id, status="succeeded"):
    """Claim and finish a run, as the worker does."""
    with sync_tenant_session(principal.org_id) as session:
        runs.claim_run(session, org_id=principal.org_id, run_id=run_id, worker="test")
    with sync_tenant_session(principal.org_id) as session:
        return runs.finish_run(session, org_id=principal.org_id, run_id=run_id, status=status)


def latest(principal, flow_id, name) -> Run:
    return flow_runs_of(principal, flow_id)[name][-1]


async def start_flow(principal, script, **options) -> Run:
    """A run opening a flow the way the scheduler does (start_run + open_flow, one transaction)."""
    async with tenant_session(principal.org_id) as session:
        run = await run_starts.start_run(
            session=session,
            principal=principal,
            target_type="script",
            target_id=script.id,
            target_name=script.name,
            trigger=options.pop("trigger", "manual"),
            **options,
        )
        await session.run_sync(lambda sync: flow_runs.open_flow(sync, root=run))
        return run
