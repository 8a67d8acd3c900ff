"""Starting runs from the web side (UI, REST, flows): a queued run whose Celery message is sent
once the transaction commits, or a run failed at once when no worker serves its queue. Status
changes after that are services.runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Run, Script, ScriptType, TargetType, Trigger
from etlfabric.services import audit, targets
from etlfabric.services import run_events as events
from etlfabric.services import transformation_checks as checks
from etlfabric.services.permissions import Principal, require
from etlfabric.services.runs import MAX_ATTEMPTS, S, get_run


async def _route(session: AsyncSession, target_type: TargetType, target_id: int, queue: str):
    """(queue, current name or None) for a target; batch scripts go to the Windows queue."""
    if target_type is not TargetType.script:
        return queue, None
    query = select(Script.type, Script.name).where(Script.id == target_id)
    found = (await session.execute(query.where(Script.deleted_at.is_(None)))).first()
    if found is None:
        raise NotFound("Script not found.")
    return (events.WINDOWS_QUEUE if found.type is ScriptType.batch else queue), found.name


async def start_run(
    *,
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType,
    target_id: int,
    target_name: str,
    trigger: Trigger,
    payload: dict | None = None,
    max_attempts: int = 1,
    queue: str = events.DEFAULT_QUEUE,
    flow_id: int | None = None,
) -> Run:
    """Insert a queued run; its Celery message is sent once `session` commits (never on rollback).

    A run for a queue no live worker consumes is created `failed` at once, with that reason."""
    require(principal, "runs.start")
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise Invalid("max_attempts", f"Choose between 1 and {MAX_ATTEMPTS} attempts.")
    queue, current_name = await _route(session, TargetType(target_type), target_id, queue)
    run = Run(
        target_type=target_type,
        target_id=target_id,
        target_name=(current_name or target_name or "")[:200],
        trigger=trigger,
        triggered_by_id=principal.user_id,
        payload=payload,
        max_attempts=max_attempts,
        queue=queue,
        flow_id=flow_id,
    )
    if refusal := await asyncio.to_thread(events.queue_refusal, queue):
        run.status, run.error, run.finished_at = S.failed, refusal, datetime.now(UTC)
    session.add(run)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="run.start",
        resource_type="run",
        resource_id=run.id,
        new={"target": f"{run.target_type}:{run.target_id}", "trigger": str(trigger)},
    )
    if run.status is S.queued:
        events.enqueue_after_commit(session, org_id=principal.org_id, run_id=run.id, queue=queue)
    else:
        events.publish_end_after_commit(
            session, org_id=principal.org_id, run_id=run.id, status=run.status.value
        )
    return run


async def start_target(
    *,
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType | str,
    target_id: int,
    trigger: Trigger,
    payload: dict | None = None,
) -> Run:
    """A run of any kind of target, if it exists and is enabled (URL triggers, the command line)."""
    require(principal, "runs.start")
    kind = TargetType(target_type)
    if targets.is_project(kind, target_id):  # no row to check: live while it has models
        checks.dbt_request(payload, None)  # refused here, not later on the worker
        name = await targets.live_name(session, targets.PROJECT)
        return await start_run(
            session=session,
            principal=principal,
            target_type=kind,
            target_id=target_id,
            target_name=name,
            trigger=trigger,
            payload=payload,
        )
    model = targets.MODELS[kind]
    found = (
        await session.execute(
            select(model.name, model.enabled).where(
                model.id == target_id, model.deleted_at.is_(None)
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"The {kind.value} this points at no longer exists.")
    if not found.enabled:
        raise Conflict(
            f"{kind.value.capitalize()} '{found.name}' is disabled; enable it before running it."
        )
    if kind is TargetType.transformation:
        checks.dbt_request(payload, found.name)
    return await start_run(
        session=session,
        principal=principal,
        target_type=kind,
        target_id=target_id,
        target_name=found.name,
        trigger=trigger,
        payload=payload,
    )


async def rerun(*, session: AsyncSession, principal: Principal, run_id: int) -> Run:
    """A new manual run of the same target with the same payload and attempts."""
    old = await get_run(session=session, principal=principal, run_id=run_id)
    return await start_run(
        session=session,
        principal=principal,
        target_type=old.target_type,
        target_id=old.target_id,
        target_name=old.target_name,
        trigger=Trigger.manual,
        payload=old.payload,
        max_attempts=old.max_attempts,
    )
