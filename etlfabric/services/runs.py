"""Runs: the state machine, and the only module that changes a run's status (DESIGN.md §5).

    queued ──► running ──► succeeded | failed | timed_out | cancelled
       └─────► cancelled | skipped

Every change is one conditional UPDATE (`... WHERE id = :id AND status IN (<sources>) RETURNING`),
so when two actors race on a run (two deliveries of one message, a worker and the reaper, a cancel
and a claim) exactly one wins. Celery messages and Redis notices go out only after the change
commits (run_events). The web side is async; the worker and reaper side is synchronous, like the
processes that call it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from etlfabric.errors import Conflict, NotFound
from etlfabric.models import Run, RunStatus, Trigger
from etlfabric.services import audit, flow_runs, notifications, schedule_runs
from etlfabric.services import run_events as events
from etlfabric.services.permissions import Principal, require

log = logging.getLogger("etlfabric.runs")

S = RunStatus
ARROWS: dict[RunStatus, frozenset[RunStatus]] = {
    S.queued: frozenset({S.running, S.cancelled, S.skipped}),
    S.running: frozenset({S.succeeded, S.failed, S.timed_out, S.cancelled}),
}
TERMINAL = frozenset({S.succeeded, S.failed, S.timed_out, S.cancelled, S.skipped})
RETRIED = frozenset({S.failed, S.timed_out})  # a cancelled or skipped run is never retried
MAX_ATTEMPTS = 10
STALE_AFTER = timedelta(seconds=60)
WORKER_LOST = (
    "Worker lost: no heartbeat for {seconds} s (the worker was killed or its machine stopped)."
)


class InvalidTransition(Conflict):
    """A status change along an arrow the state machine does not have."""


def check_transition(current: RunStatus, new: RunStatus) -> None:
    if new not in ARROWS.get(current, frozenset()):
        raise InvalidTransition(f"A run cannot go from {current.value} to {new.value}.")


def _move(run_id: int, new: RunStatus, **values):
    """The one statement that changes a status: it matches only if the arrow exists."""
    return (
        update(Run)
        .where(Run.id == run_id, Run.status.in_([s for s, to in ARROWS.items() if new in to]))
        .values(status=new, **values)
        .returning(Run)
        .execution_options(populate_existing=True)
    )


def _explained(error: str | None, run: Run, new: RunStatus, retry: bool) -> str | None:
    """The error, followed by what happens next when the run has several attempts."""
    if retry:
        step = f"Retrying as attempt {run.attempt + 1} of {run.max_attempts}."
    elif new in RETRIED and run.max_attempts > 1:
        step = f"Gave up after {run.max_attempts} attempts."
    else:
        return error
    error = (error or new.value).rstrip()
    return f"{error}{'' if error.endswith('.') else '.'} {step}"


# --- the web side (async) -----------------------------------------------------------------------


async def transition(*, session: AsyncSession, run_id: int, to: RunStatus, **values) -> Run:
    """Move one run along an arrow; InvalidTransition if its current status has no such arrow."""
    run = (await session.scalars(_move(run_id, to, **values))).one_or_none()
    if run is None:
        current = await session.scalar(select(Run.status).where(Run.id == run_id))
        if current is None:
            raise NotFound("Run not found.")
        check_transition(current, to)
        raise InvalidTransition(f"The run changed to {current.value} meanwhile; try again.")
    return run


async def get_run(*, session: AsyncSession, principal: Principal, run_id: int) -> Run:
    """`session` is the principal's tenant session: another organisation's run is not found."""
    require(principal, "resources.read")
    run = await session.scalar(
        select(Run).where(Run.id == run_id).execution_options(populate_existing=True)
    )
    if run is None:
        raise NotFound("Run not found.")
    return run


async def request_cancel(*, session: AsyncSession, principal: Principal, run_id: int) -> Run:
    """A queued run is cancelled at once; a running one is asked to stop (the worker kills it
    within 2 s and records `cancelled`). Conflict if the run has already finished."""
    require(principal, "runs.cancel")
    org_id, who = principal.org_id, principal.label or "a user"
    run = await get_run(session=session, principal=principal, run_id=run_id)
    if run.status is S.queued:
        reason = f"Cancelled by {who}."
        run = await session.run_sync(lambda sync: cancel_queued(sync, org_id, run_id, reason))
        if run is None:  # claimed meanwhile: ask its worker instead
            run = await get_run(session=session, principal=principal, run_id=run_id)
    if run.status is S.running:  # asked again: the notice is sent again, the first time is kept
        ask = (
            update(Run)
            .where(Run.id == run_id, Run.status == S.running)
            .values(cancel_requested_at=func.coalesce(Run.cancel_requested_at, func.now()))
            .returning(Run)
            .execution_options(populate_existing=True)
        )
        run = (await session.scalars(ask)).one_or_none() or await get_run(
            session=session, principal=principal, run_id=run_id
        )
        events.publish_cancel_after_commit(session, org_id=org_id, run_id=run_id)
    elif run.status in TERMINAL and run.status is not S.cancelled:
        raise Conflict(f"This run has already finished ({run.status.value}); nothing to cancel.")
    await audit.record(
        session=session,
        principal=principal,
        action="run.cancel",
        resource_type="run",
        resource_id=run.id,
        new={"status": run.status.value},
    )
    return run


# --- the worker and reaper side (sync) ------------------------------------------------------------


def _target_lock(session: Session, org_id: int, run: Run) -> None:
    """Serialise claims of one target's runs (transaction-scoped), so a limit cannot be overrun."""
    key = f"etlfabric.run-target.{int(org_id)}.{run.target_type.value}.{int(run.target_id)}"
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def _running_count(session: Session, run: Run) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Run)
        .where(
            Run.target_type == run.target_type,
            Run.target_id == run.target_id,
            Run.status == S.running,
        )
    )


def claim_run(
    session: Session, *, org_id: int, run_id: int, worker: str, concurrency_limit: int | None = None
) -> Run | None:
    """queued → running for exactly one caller. None for a duplicate delivery, a run no longer
    queued, or one over its target's concurrent-run limit: that one stays queued and is sent again
    when a run of the same target ends (and by the reaper's re-send sweep)."""
    if concurrency_limit is not None:
        run = session.get(Run, run_id)
        if run is None or run.status is not S.queued:
            return None
        _target_lock(session, org_id, run)
        if _running_count(session, run) >= max(1, concurrency_limit):
            log.info("run %s waits: its target runs %s at most", run_id, concurrency_limit)
            return None
    now = func.now()
    statement = _move(run_id, S.running, started_at=now, heartbeat_at=now, worker=worker[:200])
    return session.scalars(statement).one_or_none()


def over_limit(session: Session, org_id: int, run: Run, limit: int) -> bool:
    """For a run claimed in this transaction: whether its target now runs more than `limit` runs,
    this one included. Serialised per target until commit; roll back when True, and the run stays
    queued like one claim_run refused."""
    _target_lock(session, org_id, run)
    return _running_count(session, run) > max(1, limit)


@dataclass(frozen=True)
class Pulse:
    running: bool  # False: the run ended elsewhere (reaped, or cancelled): stop working on it
    cancel_requested: bool


def heartbeat(session: Session, *, run_id: int) -> Pulse:
    row = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == S.running)
        .values(heartbeat_at=func.now())
        .returning(Run.cancel_requested_at)
        .execution_options(synchronize_session=False)
    ).first()
    return Pulse(running=row is not None, cancel_requested=bool(row and row[0]))


def finish_run(
    session: Session,
    *,
    org_id: int,
    run_id: int,
    status: str,
    exit_code: int | None = None,
    error: str | None = None,
    duration_ms: int | None = None,
    peak_memory_mb: float | None = None,
    cpu_time_ms: int | None = None,
    rows_loaded: int | None = None,
    details: dict | None = None,
    release_target: bool = False,
) -> Run | None:
    """running → a final status; retries a failure while attempts remain. None when the run had
    already ended elsewhere (the reaper gave it up). `details` (what the work reports: rows per
    table, load ids...) are merged into the run's. `release_target`: send the oldest run of the
    same target that waits for a free slot (targets with a concurrent-run limit)."""
    new = RunStatus(status)
    run = session.scalars(
        _move(
            run_id,
            new,
            finished_at=func.now(),
            exit_code=exit_code,
            error=error,
            duration_ms=duration_ms,
            peak_memory_mb=peak_memory_mb,
            cpu_time_ms=cpu_time_ms,
            rows_loaded=rows_loaded,
            **({"details": Run.details.concat(details)} if details else {}),
        )
    ).one_or_none()
    if run is None:
        return None
    retry = new in RETRIED and run.attempt < run.max_attempts
    if (explained := _explained(error, run, new, retry)) != error:
        run.error = explained  # runs with several attempts only: one more UPDATE at flush
    _after_end(session, org_id, run, retry=retry, release_target=release_target)
    return run


def cancel_queued(session: Session, org_id: int, run_id: int, reason: str) -> Run | None:
    """queued → cancelled with `reason`, and what follows any end (its flow goes on without it);
    None when the run is no longer queued."""
    stop = _move(run_id, S.cancelled, finished_at=func.now(), error=reason)
    stop = stop.where(Run.status == S.queued)
    if (run := session.scalars(stop).one_or_none()) is not None:
        _after_end(session, org_id, run, retry=False, release_target=False)
    return run


def skip_queued(session: Session, org_id: int, run_id: int, reason: str) -> Run | None:
    """queued → skipped with `reason` (e.g. its source cools down after a 503); None when the
    run is no longer queued."""
    stop = _move(run_id, S.skipped, finished_at=func.now(), error=reason)
    stop = stop.where(Run.status == S.queued)
    if (run := session.scalars(stop).one_or_none()) is not None:
        _after_end(session, org_id, run, retry=False, release_target=False)
    return run


def _after_end(session: Session, org_id: int, run: Run, *, retry: bool, release_target: bool):
    if release_target:  # before the retry exists: that one is sent on its own
        _send_next_waiting(session, org_id, run)
    if retry:
        _retry(session, org_id, run)
    flow_runs.after_run_end(session, org_id, run, retry=retry)
    schedule_runs.after_run_end(session, org_id, run, retry=retry)
    notifications.after_run_end(session, org_id, run, retry=retry)
    events.publish_end_after_commit(session, org_id=org_id, run_id=run.id, status=run.status.value)


def _retry(session: Session, org_id: int, run: Run) -> Run:
    delay = schedule_runs.retry_delay(session, run)  # a scheduled run backs off; others go at once
    again = Run(
        target_type=run.target_type,
        target_id=run.target_id,
        target_name=run.target_name,
        trigger=Trigger.retry,
        triggered_by_id=run.triggered_by_id,
        schedule_id=run.schedule_id,
        flow_id=run.flow_id,
        retry_of_id=run.id,
        attempt=run.attempt + 1,
        max_attempts=run.max_attempts,
        queue=run.queue,
        payload=run.payload,
        not_before=None if delay is None else datetime.now(UTC) + delay,
    )
    session.add(again)
    session.flush()
    run.details = {**(run.details or {}), "retried_as": again.id}
    if delay is None:  # a delayed retry is sent by the scheduler's leader when it is due
        events.enqueue_after_commit(session, org_id=org_id, run_id=again.id, queue=again.queue)
    return again


def _send_next_waiting(session: Session, org_id: int, run: Run) -> None:
    waiting = session.execute(
        select(Run.id, Run.queue)
        .where(
            Run.target_type == run.target_type,
            Run.target_id == run.target_id,
            Run.status == S.queued,
            Run.not_before.is_(None),  # a held run (delayed retry, queued fire) waits its turn
        )
        .order_by(Run.queued_at, Run.id)
        .limit(1)
    ).first()
    if waiting is not None:
        events.enqueue_after_commit(session, org_id=org_id, run_id=waiting.id, queue=waiting.queue)


def fail_stale_runs(
    session: Session, *, org_id: int, stale_after: timedelta = STALE_AFTER, batch: int = 100
) -> list[Run]:
    """running → failed ("worker lost") for runs whose heartbeat is older than `stale_after`;
    retried while attempts remain (→ cancelled if a cancel was asked). Safe to repeat."""
    stale_ids = session.scalars(
        select(Run.id)
        .where(
            Run.status == S.running,
            func.coalesce(Run.heartbeat_at, Run.started_at, Run.queued_at)
            < func.now() - stale_after,
        )
        .order_by(Run.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    failed = []
    lost = WORKER_LOST.format(seconds=int(stale_after.total_seconds()))
    elapsed_ms = (func.extract("epoch", func.now() - Run.started_at) * 1000).cast(BigInteger)
    for run_id in stale_ids:
        current = session.get(Run, run_id)
        # A run someone asked to stop ends cancelled: the worker was lost before it could say so.
        new = S.failed if current.cancel_requested_at is None else S.cancelled
        retry = new is S.failed and current.attempt < current.max_attempts
        error = _explained(lost, current, new, retry)
        ended = dict(finished_at=func.now(), error=error, duration_ms=elapsed_ms)
        if (run := session.scalars(_move(run_id, new, **ended)).one_or_none()) is not None:
            _after_end(session, org_id, run, retry=retry, release_target=True)
            failed.append(run)
    return failed
