"""Firing (services/schedule_firing.py and schedule_runs.py) on the real database and Redis, with
the clock passed in: catch-up after downtime per policy, overlap, retries with backoff,
auto-disable with an alert, startup and one-off schedules, flows."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Alert, Dependency, Run, RunStatus, Schedule, TargetType, Trigger
from etlfabric.services import run_starts, runs, schedule_firing, schedules
from tests.run_factories import make_script, sent_messages

pytestmark = pytest.mark.usefixtures("clean_queues")
S = RunStatus
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def make_schedule(principal, target=None, **fields):
    target = target or await make_script(principal.org_id, name="Export")
    fields = {"kind": "interval", "start_at": T0, **fields}
    if fields["kind"] == "interval":
        fields.setdefault("interval_seconds", 60)
    async with tenant_session(principal.org_id) as session:
        item = await schedules.create(
            session=session,
            principal=principal,
            target_type="script",
            target_id=target.id,
            timezone="UTC",
            **fields,
        )
    return item.schedule


def sent() -> set[int]:
    """Ids of the runs whose Celery message waits in the default queue."""
    return {args[1] for args, _ in sent_messages()}


def set_next(org_id, schedule_id, moment):
    with sync_tenant_session(org_id) as session:
        session.execute(
            update(Schedule).where(Schedule.id == schedule_id).values(next_fire_at=moment)
        )


def fire(org_id, now):
    with sync_tenant_session(org_id) as session:
        return schedule_firing.fire_due(session, org_id=org_id, now=now)


def schedule_runs(org_id, schedule_id) -> list[Run]:
    with sync_tenant_session(org_id) as session:
        return list(
            session.scalars(select(Run).where(Run.schedule_id == schedule_id).order_by(Run.id))
        )


def load_schedule(org_id, schedule_id) -> Schedule:
    with sync_tenant_session(org_id) as session:
        return session.get(Schedule, schedule_id)


def end(org_id, run_id, status):
    with sync_tenant_session(org_id) as session:
        runs.claim_run(session, org_id=org_id, run_id=run_id, worker="test")
    with sync_tenant_session(org_id) as session:
        return runs.finish_run(session, org_id=org_id, run_id=run_id, status=status, error="boom")


async def test_a_due_fire_time_gets_exactly_one_run_and_the_next_is_planned(owner):
    schedule = await make_schedule(owner, max_attempts=3)
    set_next(owner.org_id, schedule.id, T0)
    assert fire(owner.org_id, T0 + timedelta(seconds=0.4)) == 1
    assert fire(owner.org_id, T0 + timedelta(seconds=0.9)) == 0  # nothing due any more
    [run] = schedule_runs(owner.org_id, schedule.id)
    assert (run.fire_time, run.trigger, run.status, run.max_attempts) == (
        T0,
        Trigger.schedule,
        S.queued,
        3,
    )
    assert run.target_name == "Export"
    assert sent() == {run.id}
    saved = load_schedule(owner.org_id, schedule.id)
    assert (saved.last_fire_at, saved.next_fire_at) == (T0, T0 + timedelta(seconds=60))
    # a second leader firing the same fire time (as after a failover) adds nothing
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0 + timedelta(seconds=1))
    assert len(schedule_runs(owner.org_id, schedule.id)) == 1


async def test_runs_are_sent_only_once_the_firing_commits(owner):
    schedule = await make_schedule(owner)
    set_next(owner.org_id, schedule.id, T0)
    with sync_tenant_session(owner.org_id) as session:
        schedule_firing.fire_due(session, org_id=owner.org_id, now=T0)
        assert sent() == set(), "a worker must not get a run it cannot see yet"
    [run] = schedule_runs(owner.org_id, schedule.id)
    assert sent() == {run.id}


async def test_a_schedule_that_cannot_fire_is_set_aside(owner, monkeypatch):
    broken = await make_schedule(owner)
    fine = await make_schedule(owner)
    for schedule_id in (broken.id, fine.id):
        set_next(owner.org_id, schedule_id, T0)
    real_fire = schedule_firing.fire

    def fire_or_break(session, org_id, schedule, now):
        if schedule.id == broken.id:
            raise RuntimeError("a bug")
        return real_fire(session, org_id, schedule, now)

    monkeypatch.setattr(schedule_firing, "fire", fire_or_break)
    from etlfabric.orchestration import firing

    firing.fire_organisation(owner.org_id, T0)
    assert len(schedule_runs(owner.org_id, fine.id)) == 1 and sent()
    saved = load_schedule(owner.org_id, broken.id)
    assert saved.next_fire_at == T0 + schedule_firing.BROKEN_RETRY
    assert schedule_runs(owner.org_id, broken.id) == []


@pytest.mark.parametrize(
    ("catch_up", "limit", "expected_minutes"),
    [("skip", 1, []), ("latest", 1, [10]), ("all", 3, [8, 9, 10]), ("all", 100, list(range(11)))],
)
async def test_catch_up_after_downtime(owner, catch_up, limit, expected_minutes):
    schedule = await make_schedule(
        owner, catch_up=catch_up, catch_up_limit=limit, misfire_grace_seconds=10, overlap="queue"
    )
    set_next(owner.org_id, schedule.id, T0)  # down since T0: fire times T0 .. T0+10min missed
    now = T0 + timedelta(minutes=10, seconds=30)
    fire(owner.org_id, now)
    fired = [run.fire_time for run in schedule_runs(owner.org_id, schedule.id)]
    assert fired == [T0 + timedelta(minutes=m) for m in expected_minutes]
    assert load_schedule(owner.org_id, schedule.id).next_fire_at == T0 + timedelta(minutes=11)


async def test_a_late_fire_within_the_grace_is_not_missed(owner):
    schedule = await make_schedule(owner, catch_up="skip", misfire_grace_seconds=60)
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0 + timedelta(seconds=45))  # a failover took 45 s
    assert [run.fire_time for run in schedule_runs(owner.org_id, schedule.id)] == [T0]


async def test_overlap_skip_records_a_skipped_run_with_the_reason(owner):
    schedule = await make_schedule(owner, overlap="skip")
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    fire(owner.org_id, T0 + timedelta(seconds=60))
    first, second = schedule_runs(owner.org_id, schedule.id)
    assert (first.status, second.status) == (S.queued, S.skipped)
    assert second.error == (
        f"Skipped: run #{first.id} of this schedule was still going (overlap policy: skip)."
    )
    assert second.finished_at is not None
    assert sent() == {first.id}


async def test_overlap_queue_waits_for_the_previous_run(owner):
    schedule = await make_schedule(owner, overlap="queue", max_attempts=1)
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    fire(owner.org_id, T0 + timedelta(seconds=60))
    first, second = schedule_runs(owner.org_id, schedule.id)
    assert second.status is S.queued and second.details == {"after_run": first.id}
    assert sent() == {first.id}
    with sync_tenant_session(owner.org_id) as session:  # the leader's sweep leaves it waiting
        assert schedule_firing.send_held_runs(session, org_id=owner.org_id, now=T0.max) == 0
    end(owner.org_id, first.id, "succeeded")
    assert sent() == {first.id, second.id}
    assert schedule_runs(owner.org_id, schedule.id)[1].not_before is None


async def test_overlap_cancel_cancels_the_previous_run(owner):
    schedule = await make_schedule(owner, overlap="cancel")
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    fire(owner.org_id, T0 + timedelta(seconds=60))
    first, second = schedule_runs(owner.org_id, schedule.id)
    assert first.status is S.cancelled and "overlap policy: cancel" in first.error
    assert second.status is S.queued
    # a running previous run is asked to stop (its worker records `cancelled`)
    with sync_tenant_session(owner.org_id) as session:
        runs.claim_run(session, org_id=owner.org_id, run_id=second.id, worker="test")
    fire(owner.org_id, T0 + timedelta(seconds=120))
    _, second, third = schedule_runs(owner.org_id, schedule.id)
    assert second.status is S.running and second.cancel_requested_at is not None
    assert third.status is S.queued


async def test_retries_of_a_scheduled_run_back_off_exponentially(owner):
    schedule = await make_schedule(owner, max_attempts=3, retry_delay_seconds=10)
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    [first] = schedule_runs(owner.org_id, schedule.id)
    failed = end(owner.org_id, first.id, "failed")
    _, retry = schedule_runs(owner.org_id, schedule.id)
    assert (retry.trigger, retry.attempt, retry.status) == (Trigger.retry, 2, S.queued)
    assert timedelta(seconds=9) < retry.not_before - failed.finished_at < timedelta(seconds=12)
    assert sent() == {first.id}  # the retry is not sent
    with sync_tenant_session(owner.org_id) as session:
        early = retry.not_before - timedelta(seconds=1)
        assert schedule_firing.send_held_runs(session, org_id=owner.org_id, now=early) == 0
    with sync_tenant_session(owner.org_id) as session:
        assert schedule_firing.send_held_runs(session, org_id=owner.org_id, now=retry.not_before)
    assert sent() == {first.id, retry.id}
    failed = end(owner.org_id, retry.id, "failed")
    third = schedule_runs(owner.org_id, schedule.id)[-1]
    assert third.attempt == 3
    assert timedelta(seconds=19) < third.not_before - failed.finished_at < timedelta(seconds=22)


async def test_manual_runs_still_retry_at_once(owner):
    script = await make_script(owner.org_id)
    async with tenant_session(owner.org_id) as session:
        run = await run_starts.start_run(
            session=session,
            principal=owner,
            target_type=TargetType.script,
            target_id=script.id,
            target_name=script.name,
            trigger=Trigger.manual,
            max_attempts=2,
        )
    end(owner.org_id, run.id, "failed")
    with sync_tenant_session(owner.org_id) as session:
        retry = session.scalar(select(Run).where(Run.retry_of_id == run.id))
    assert retry.not_before is None and sent() == {run.id, retry.id}  # sent right away


async def test_three_failures_disable_the_schedule_and_raise_an_alert(owner):
    schedule = await make_schedule(owner, max_attempts=1, auto_disable_after=3)
    set_next(owner.org_id, schedule.id, T0)
    outcomes = ["failed", "failed", "succeeded", "failed", "timed_out"]
    for minute, outcome in enumerate(outcomes):
        fire(owner.org_id, T0 + timedelta(minutes=minute))
        run = schedule_runs(owner.org_id, schedule.id)[-1]
        end(owner.org_id, run.id, outcome)
        assert load_schedule(owner.org_id, schedule.id).enabled, "not yet"
    assert load_schedule(owner.org_id, schedule.id).consecutive_failures == 2
    fire(owner.org_id, T0 + timedelta(minutes=5))
    end(owner.org_id, schedule_runs(owner.org_id, schedule.id)[-1].id, "failed")
    saved = load_schedule(owner.org_id, schedule.id)
    assert (saved.enabled, saved.next_fire_at, saved.consecutive_failures) == (False, None, 3)
    assert saved.disabled_reason.startswith("Disabled after 3 consecutive failed runs")
    with sync_tenant_session(owner.org_id) as session:
        [alert] = session.scalars(select(Alert)).all()
    assert alert.schedule_id == schedule.id and "boom" in alert.message
    assert fire(owner.org_id, T0 + timedelta(hours=1)) == 0  # a disabled schedule never fires


async def test_a_retried_failure_is_not_counted_until_final(owner):
    schedule = await make_schedule(owner, max_attempts=2, retry_delay_seconds=0)
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    end(owner.org_id, schedule_runs(owner.org_id, schedule.id)[0].id, "failed")
    assert load_schedule(owner.org_id, schedule.id).consecutive_failures == 0
    retry = schedule_runs(owner.org_id, schedule.id)[1]
    assert retry.not_before is None  # no delay: sent at once
    end(owner.org_id, retry.id, "failed")
    assert load_schedule(owner.org_id, schedule.id).consecutive_failures == 1


async def test_a_once_schedule_fires_once(owner):
    run_at = datetime.now(UTC) + timedelta(hours=1)
    schedule = await make_schedule(owner, kind="once", run_at=run_at, start_at=None)
    saved = load_schedule(owner.org_id, schedule.id)
    assert saved.next_fire_at == run_at.replace(microsecond=0)
    fire(owner.org_id, run_at + timedelta(seconds=1))
    fire(owner.org_id, run_at + timedelta(hours=5))
    assert len(schedule_runs(owner.org_id, schedule.id)) == 1
    assert load_schedule(owner.org_id, schedule.id).next_fire_at is None


async def test_startup_schedules_fire_once_per_start(owner):
    schedule = await make_schedule(owner, kind="startup", start_at=None)
    assert load_schedule(owner.org_id, schedule.id).next_fire_at is None
    start = datetime.now(UTC) + timedelta(seconds=1)
    for _ in range(2):  # the same start seen twice (a standby taking over) fires once
        with sync_tenant_session(owner.org_id) as session:
            schedule_firing.fire_startup(session, org_id=owner.org_id, started_at=start)
    with sync_tenant_session(owner.org_id) as session:
        schedule_firing.fire_startup(
            session, org_id=owner.org_id, started_at=start + timedelta(hours=1)
        )
    fired = [run.fire_time for run in schedule_runs(owner.org_id, schedule.id)]
    assert fired == [start, start + timedelta(hours=1)]


async def test_a_disabled_or_deleted_target(owner):
    script = await make_script(owner.org_id, name="Report", enabled=False)
    schedule = await make_schedule(owner, target=script)
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    [run] = schedule_runs(owner.org_id, schedule.id)
    assert (run.status, run.error) == (S.skipped, "Skipped: script Report is disabled.")
    with sync_tenant_session(owner.org_id) as session:
        from etlfabric.models import Script

        session.get(Script, script.id).deleted_at = T0
    fire(owner.org_id, T0 + timedelta(minutes=1))
    saved = load_schedule(owner.org_id, schedule.id)
    assert not saved.enabled and "was deleted" in saved.disabled_reason


async def test_a_target_with_downstream_starts_a_flow(owner):
    upstream = await make_script(owner.org_id)
    downstream = await make_script(owner.org_id)
    with sync_tenant_session(owner.org_id) as session:
        session.add(
            Dependency(
                upstream_type=TargetType.script,
                upstream_id=upstream.id,
                downstream_type=TargetType.script,
                downstream_id=downstream.id,
            )
        )
    schedule = await make_schedule(owner, target=upstream)
    set_next(owner.org_id, schedule.id, T0)
    fire(owner.org_id, T0)
    [run] = schedule_runs(owner.org_id, schedule.id)
    assert run.flow_id is not None
