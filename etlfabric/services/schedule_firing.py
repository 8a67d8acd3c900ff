"""Firing schedules (sync; called by the scheduler's leader, orchestration/firing.py).

`fire_due` takes the organisation's enabled schedules whose `next_fire_at` has come, locked
(FOR UPDATE SKIP LOCKED), and for each, in one transaction: inserts a run per fire time that is
due (ON CONFLICT (schedule_id, fire_time) DO NOTHING: a fire time gets one run, whatever leader
fires it), moves `next_fire_at`/`last_fire_at` on, and sends the runs after the commit.

Which fire times are due at `now`: those from next_fire_at on. One within misfire_grace_seconds of
`now` is on time and fires; an older one was missed (the scheduler was down) and follows the
schedule's catch-up policy: `skip` fires none of them, `latest` the most recent one when nothing
is on time, `all` the most recent catch_up_limit of them, oldest first.

While a run of the schedule is still queued or running (or waits for a retry), a new fire follows
the overlap policy: `skip` records a `skipped` run saying why; `queue` records a run that waits
(not_before set, details.after_run = the run it waits for) and is sent when that one ends;
`cancel` cancels the previous run(s) (queued: at once; running: the worker is asked to stop) and
starts the new one. A target whose downstream has dependency edges starts a flow.
`send_held_runs` sends waiting runs whose time has come: delayed retries and queued fires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from etlfabric.models import (
    CatchUp,
    Overlap,
    Run,
    RunStatus,
    Schedule,
    ScheduleKind,
    ScriptType,
    TargetType,
    Trigger,
)
from etlfabric.services import flow_runs, runs, targets
from etlfabric.services import run_events as events
from etlfabric.services.schedule_runs import disable_with_alert, waiting_on
from etlfabric.services.schedule_times import (
    TINY,
    Timing,
    fire_times_between,
    last_fire_times,
    next_fire_time,
)

S = RunStatus
ACTIVE = (S.queued, S.running)
MAX_ON_TIME = 1000  # fire times handled per schedule and tick (a 1 s interval with a long grace)
BROKEN_RETRY = timedelta(seconds=60)  # a schedule whose firing raised is tried again after this


def due_times(schedule: Schedule, now: datetime) -> list[datetime]:
    """The fire times to fire now, oldest first (see the module's docstring)."""
    timing = Timing.of(schedule)
    first = schedule.next_fire_at
    cutoff = now - timedelta(seconds=schedule.misfire_grace_seconds)
    on_time = fire_times_between(
        timing, after=max(first, cutoff) - TINY, until=now, limit=MAX_ON_TIME
    )
    if first >= cutoff:
        return on_time
    wanted = {
        CatchUp.skip: 0,
        CatchUp.latest: 0 if on_time else 1,
        CatchUp.all: schedule.catch_up_limit,
    }[CatchUp(schedule.catch_up)]
    missed = last_fire_times(timing, after=first - TINY, until=cutoff - TINY, count=wanted)
    return missed + on_time


def _target(session: Session, schedule: Schedule) -> tuple[str | None, str, str | None]:
    """(name, queue, why it cannot run now) of the schedule's target; name None when deleted."""
    if targets.is_project(schedule.target_type, schedule.target_id):
        name = session.scalar(targets.live(schedule.target_type, schedule.target_id))
        return name, events.DEFAULT_QUEUE, None
    model = targets.MODELS[TargetType(schedule.target_type)]
    columns = [model.name, model.enabled]
    if model is targets.MODELS[TargetType.script]:
        columns.append(model.type)
    found = session.execute(
        select(*columns).where(model.id == schedule.target_id, model.deleted_at.is_(None))
    ).first()
    if found is None:
        return None, events.DEFAULT_QUEUE, None
    batch = len(found) > 2 and found[2] is ScriptType.batch
    queue = events.WINDOWS_QUEUE if batch else events.DEFAULT_QUEUE
    kind = TargetType(schedule.target_type).value
    refusal = None if found.enabled else f"Skipped: {kind} {found.name} is disabled."
    return found.name, queue, refusal


def _cancel_previous(session: Session, org_id: int, run_id: int, reason: str) -> None:
    """Through the run state machine: queued → cancelled now; running → asked to stop. A run
    locked elsewhere is ending at this moment and is left alone."""
    mine = select(Run.id).where(Run.id == run_id).with_for_update(skip_locked=True)
    if session.scalar(mine) is None:
        return
    if runs.cancel_queued(session, org_id, run_id, reason) is not None:
        return
    asked = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == S.running)
        .values(cancel_requested_at=func.coalesce(Run.cancel_requested_at, func.now()))
        .execution_options(synchronize_session=False)
    )
    if asked.rowcount:
        events.publish_cancel_after_commit(session, org_id=org_id, run_id=run_id)


def _overlap(session: Session, org_id: int, schedule: Schedule, values: dict) -> None:
    """Apply the overlap policy to the new run's `values` when a previous run is still going."""
    active = session.scalars(
        select(Run.id)
        .where(Run.schedule_id == schedule.id, Run.status.in_(ACTIVE))
        .order_by(Run.id)
    ).all()
    if not active:
        return
    policy = Overlap(schedule.overlap)
    if policy is Overlap.skip:
        values["status"], values["finished_at"] = S.skipped, func.now()
        values["error"] = (
            f"Skipped: run #{active[-1]} of this schedule was still going (overlap policy: skip)."
        )
    elif policy is Overlap.queue:
        values["not_before"] = values["fire_time"]
        values["details"] = {"after_run": active[-1]}
    else:
        fire = values["fire_time"].isoformat()
        for run_id in active:
            reason = f"Cancelled: the schedule fired again ({fire}; overlap policy: cancel)."
            _cancel_previous(session, org_id, run_id, reason)


def _disable_orphan(session: Session, org_id: int, schedule: Schedule) -> None:
    """A schedule whose target was deleted stops, with a reason and an alert."""
    what = f"{TargetType(schedule.target_type).value} #{schedule.target_id}"
    disable_with_alert(
        session,
        schedule,
        reason=f"Disabled: its {what} was deleted.",
        message=f"Schedule #{schedule.id} was disabled: the {what} it runs was deleted.",
        org_id=org_id,
    )


def fire_once(session: Session, org_id: int, schedule: Schedule, fire_time: datetime) -> Run | None:
    """The run of one fire time, or None when that fire time already has one."""
    taken = exists().where(Run.schedule_id == schedule.id, Run.fire_time == fire_time)
    if session.scalar(select(taken)):
        return None
    name, queue, refusal = _target(session, schedule)
    kind = TargetType(schedule.target_type)
    if name is None:
        _disable_orphan(session, org_id, schedule)
        return None
    values = dict(
        target_type=kind,
        target_id=schedule.target_id,
        target_name=name[:200],
        status=S.queued,
        trigger=Trigger.schedule,
        schedule_id=schedule.id,
        fire_time=fire_time,
        max_attempts=schedule.max_attempts,
        queue=queue,
        details={},
    )
    if refusal is not None:
        values.update(status=S.skipped, error=refusal, finished_at=func.now())
    else:
        _overlap(session, org_id, schedule, values)
    if values["status"] is S.queued and (refused := events.queue_refusal(queue)):
        values.update(status=S.failed, error=refused, finished_at=func.now())
        values.pop("not_before", None)
    statement = (
        insert(Run)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["schedule_id", "fire_time"])
    )
    run_id = session.scalar(statement.returning(Run.id))
    if run_id is None:
        return None
    run = session.get(Run, run_id)
    if run.status is not S.queued:
        events.publish_end_after_commit(
            session, org_id=org_id, run_id=run.id, status=run.status.value
        )
        return run
    if flow_runs.has_downstream(session, run.target_type, run.target_id):
        flow_runs.open_flow(session, root=run)
    if run.not_before is None:
        events.enqueue_after_commit(session, org_id=org_id, run_id=run.id, queue=run.queue)
    return run


def fire(session: Session, org_id: int, schedule: Schedule, now: datetime) -> list[Run]:
    """Fire what is due of one locked schedule and plan its next fire time."""
    fired = []
    for fire_time in due_times(schedule, now):
        if run := fire_once(session, org_id, schedule, fire_time):
            fired.append(run)
        schedule.last_fire_at = fire_time
    if schedule.enabled:
        schedule.next_fire_at = next_fire_time(Timing.of(schedule), after=now)
    return fired


class Broken(Exception):
    """Firing one schedule raised: the caller rolls back, sets it aside and goes on."""

    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"firing schedule {schedule_id} failed")
        self.schedule_id = schedule_id


def fire_due(session: Session, *, org_id: int, now: datetime, batch: int = 100) -> int:
    """One batch of due schedules; returns how many were handled. Broken(schedule_id) when one
    of them raised (no SAVEPOINT: run_events would send its messages at the savepoint's end)."""
    due = session.scalars(
        select(Schedule)
        .where(
            Schedule.enabled.is_(True),
            Schedule.deleted_at.is_(None),
            Schedule.next_fire_at <= now,
        )
        .order_by(Schedule.next_fire_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for schedule in due:
        try:
            fire(session, org_id, schedule, now)
        except Exception as exc:
            raise Broken(schedule.id) from exc
    return len(due)


def set_aside(session: Session, *, schedule_id: int, now: datetime) -> None:
    """A schedule whose firing raised is tried again later instead of on every tick."""
    session.execute(
        update(Schedule)
        .where(Schedule.id == schedule_id)
        .values(next_fire_at=now + BROKEN_RETRY)
        .execution_options(synchronize_session=False)
    )


def fire_startup(session: Session, *, org_id: int, started_at: datetime) -> int:
    """Startup schedules (created before this start) fire once, with fire_time = the start."""
    due = session.scalars(
        select(Schedule)
        .where(
            Schedule.kind == ScheduleKind.startup,
            Schedule.enabled.is_(True),
            Schedule.deleted_at.is_(None),
            Schedule.created_at <= started_at,
        )
        .with_for_update()
    ).all()
    fired = 0
    for schedule in due:
        if fire_once(session, org_id, schedule, started_at) is not None:
            schedule.last_fire_at = started_at
            fired += 1
    return fired


def send_held_runs(session: Session, *, org_id: int, now: datetime, batch: int = 100) -> int:
    """Send queued runs whose not_before has come and that wait for no run still going."""
    before = aliased(Run)
    blocked = exists().where(before.id == waiting_on(Run), before.status.in_(ACTIVE))
    due = (
        select(Run.id)
        .where(Run.status == S.queued, Run.not_before <= now, ~blocked)
        .order_by(Run.not_before, Run.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    sent = session.execute(
        update(Run)
        .where(Run.id.in_(due.scalar_subquery()))
        .values(not_before=None)
        .returning(Run.id, Run.queue)
        .execution_options(synchronize_session=False)
    ).all()
    for run_id, queue in sent:
        events.enqueue_after_commit(session, org_id=org_id, run_id=run_id, queue=queue)
    return len(sent)
