"""Flows on the worker side: what happens in a flow when one of its runs ends (sync sessions).

A flow is one "run with downstream": its root run and a run of every target reachable downstream
of the root through the dependency edges (read when each decision is made). When a run of the
flow ends, `advance` decides, holding the flow's row lock (SELECT … FOR UPDATE, so two upstreams
ending at the same moment cannot both start the same downstream):
- a target with no run in the flow yet starts (trigger `dependency`) once every upstream of it
  that is in the flow has succeeded in the flow (its latest attempt);
- a target downstream of a final failure (failed, timed out, cancelled; or skipped) gets a
  `skipped` run saying which upstream failed; a failure that is being retried skips nothing;
- when no run of the flow is queued or running any more, the flow gets its final status.
Downstream runs get the root run's max_attempts. Runs start after the transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import TopologicalSorter

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from etlfabric.models import (
    Dependency,
    Flow,
    FlowStatus,
    Run,
    RunStatus,
    Script,
    ScriptType,
    TargetType,
    Trigger,
)
from etlfabric.services import run_events as events
from etlfabric.services import targets
from etlfabric.services.graph import downstream_map, reachable, upstream_map
from etlfabric.services.targets import Key

log = logging.getLogger("etlfabric.flows")

S = RunStatus
D = Dependency
ACTIVE = frozenset({S.queued, S.running})
GAVE_UP = {S.failed: "failed", S.timed_out: "timed out", S.cancelled: "was cancelled"}


@dataclass
class Seen:
    """The latest run of one target in the flow."""

    run_id: int
    status: RunStatus
    name: str
    error: str | None


def has_downstream(session: Session, target_type: TargetType | str, target_id: int) -> bool:
    kind, id_ = targets.key(target_type, target_id)
    found = exists().where(Dependency.upstream_type == kind, Dependency.upstream_id == id_)
    return bool(session.scalar(select(found)))


def open_flow(session: Session, *, root: Run) -> Flow:
    """A new flow whose root is `root` (a run not yet sent): sets root.flow_id and flushes."""
    flow = Flow(
        root_type=root.target_type,
        root_id=root.target_id,
        root_name=root.target_name,
        trigger=root.trigger,
        triggered_by_id=root.triggered_by_id,
        schedule_id=root.schedule_id,
    )
    session.add(flow)
    session.flush()
    root.flow_id = flow.id
    session.flush()
    return flow


def after_run_end(session: Session, org_id: int, run: Run, *, retry: bool) -> None:
    """The hook services/runs.py calls for every ended run."""
    if run.flow_id is None or retry:  # a retried run's next attempt is in the flow: wait for it
        return
    advance(session, org_id, run.flow_id)


def _latest_runs(session: Session, flow_id: int) -> tuple[dict[Key, Seen], int]:
    """The latest run per target of the flow, and the root run's max_attempts."""
    rows = session.execute(
        select(
            Run.id,
            Run.target_type,
            Run.target_id,
            Run.status,
            Run.target_name,
            Run.error,
            Run.max_attempts,
        )
        .where(Run.flow_id == flow_id)
        .order_by(Run.id)
    ).all()
    latest = {
        targets.key(row.target_type, row.target_id): Seen(
            row.id, row.status, row.target_name, row.error
        )
        for row in rows
    }
    return latest, (rows[0].max_attempts if rows else 1)


def advance(session: Session, org_id: int, flow_id: int) -> Flow | None:
    """Start, skip or close what the flow's current state allows; safe to repeat."""
    flow = session.scalar(  # the row lock serialises every decision about this flow
        select(Flow)
        .where(Flow.id == flow_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if flow is None or flow.status is not FlowStatus.running:
        return flow
    columns = (D.upstream_type, D.upstream_id, D.downstream_type, D.downstream_id)
    edges = [
        (targets.key(up_type, up_id), targets.key(down_type, down_id))
        for up_type, up_id, down_type, down_id in session.execute(select(*columns))
    ]
    nodes = set(reachable(downstream_map(edges), targets.key(flow.root_type, flow.root_id)))
    parents = upstream_map((up, down) for up, down in edges if up in nodes and down in nodes)
    latest, max_attempts = _latest_runs(session, flow_id)
    for node in TopologicalSorter({node: parents.get(node, []) for node in nodes}).static_order():
        if node in latest:
            continue
        upstream = [latest.get(parent) for parent in parents.get(node, [])]
        if any(seen is None or seen.status in ACTIVE for seen in upstream):
            continue  # still waiting for an upstream
        failed = next((seen for seen in upstream if seen.status is not S.succeeded), None)
        if failed is not None:
            latest[node] = _skip(session, flow, node, _skip_reason(flow, failed))
        else:
            latest[node] = _start(session, org_id, flow, node, max_attempts)
    if latest and not any(seen.status in ACTIVE for seen in latest.values()):
        _close(flow, latest.values())
    return flow


def advance_stalled(session: Session, org_id: int, *, batch: int = 100) -> int:
    """Advance running flows none of whose runs is queued or running; the number advanced.
    Every end of a run advances its flow already; the reaper calls this as a safety net (a
    flow whose last step was lost between two transactions). Safe to repeat."""
    active = exists().where(Run.flow_id == Flow.id, Run.status.in_(ACTIVE))
    stalled = session.scalars(
        select(Flow.id)
        .where(Flow.status == FlowStatus.running, ~active)
        .order_by(Flow.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for flow_id in stalled:
        advance(session, org_id, flow_id)
    return len(stalled)


def _skip_reason(flow: Flow, upstream: Seen) -> str:
    if upstream.status is S.skipped and (upstream.error or "").startswith("Skipped: upstream"):
        return upstream.error  # the failure further up is the reason for everything below it
    verb = GAVE_UP.get(upstream.status, "was skipped")
    return f"Skipped: upstream {upstream.name} {verb} in flow #{flow.id}."


def _insert_run(session: Session, flow: Flow, node: Key, name: str, **values) -> int:
    """A run of `node` in the flow (a plain INSERT: this is on every hop of a chain)."""
    statement = insert(Run).values(
        target_type=node[0],
        target_id=node[1],
        target_name=name[:200],
        trigger=Trigger.dependency,
        triggered_by_id=flow.triggered_by_id,
        flow_id=flow.id,
        **values,
    )
    return session.scalar(statement.returning(Run.id))


def _skip(session: Session, flow: Flow, node: Key, reason: str, name: str | None = None) -> Seen:
    """A run born `skipped` (queued → skipped in one step: it never waited in a queue)."""
    name = name or session.scalar(targets.live(*node)) or f"{node[0].value} #{node[1]}"
    ended = {"status": S.skipped, "error": reason, "finished_at": datetime.now(UTC)}
    return Seen(_insert_run(session, flow, node, name, **ended), S.skipped, name, reason)


def _route(session: Session, node: Key) -> tuple[str | None, str, str | None]:
    """(name, queue, why it cannot run) of a target; name None when it no longer exists."""
    if node[0] is not TargetType.script:
        return session.scalar(targets.live(*node)), events.DEFAULT_QUEUE, None
    found = session.execute(
        select(Script.name, Script.type, Script.enabled).where(
            Script.id == node[1], Script.deleted_at.is_(None)
        )
    ).first()
    if found is None:
        return None, events.DEFAULT_QUEUE, None
    queue = events.WINDOWS_QUEUE if found.type is ScriptType.batch else events.DEFAULT_QUEUE
    disabled = None if found.enabled else f"Skipped: script {found.name} is disabled."
    return found.name, queue, disabled


def _start(session: Session, org_id: int, flow: Flow, node: Key, max_attempts: int) -> Seen:
    name, queue, refusal = _route(session, node)
    if name is None:
        gone = f"Skipped: {node[0].value} #{node[1]} was deleted."
        return _skip(session, flow, node, gone, name=f"{node[0].value} #{node[1]}")
    if refusal is not None:
        return _skip(session, flow, node, refusal, name=name)
    values = {"queue": queue, "max_attempts": max_attempts}
    if refused := events.queue_refusal(queue):  # no worker serves that queue: fail it now
        failed = {"status": S.failed, "error": refused, "finished_at": datetime.now(UTC)}
        return Seen(
            _insert_run(session, flow, node, name, **values, **failed), S.failed, name, refused
        )
    run_id = _insert_run(session, flow, node, name, **values)
    events.enqueue_after_commit(session, org_id=org_id, run_id=run_id, queue=queue)
    return Seen(run_id, S.queued, name, None)


def _close(flow: Flow, latest) -> None:
    statuses = {seen.status for seen in latest}
    if statuses <= {S.succeeded}:
        flow.status = FlowStatus.succeeded
    elif statuses & {S.failed, S.timed_out}:
        flow.status = FlowStatus.failed
    elif S.cancelled in statuses:
        flow.status = FlowStatus.cancelled
    else:
        flow.status = FlowStatus.failed
    flow.finished_at = datetime.now(UTC)
    log.info("flow %s ended %s", flow.id, flow.status.value)
