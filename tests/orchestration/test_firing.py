"""Real scheduler processes firing schedules: the leader killed mid-way loses and repeats nothing;
a restart catches up per policy; startup schedules fire once per platform start."""

import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Run
from etlfabric.services import schedules
from tests.factories import make_owned_org
from tests.orchestration.test_scheduler import instances, leaders
from tests.processes import start, stop, wait_for
from tests.run_factories import make_script

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_queues")]
ENV = {"SCHEDULER_POLL_SECONDS": "0.5"}
SECOND = timedelta(seconds=1)


async def make_schedules(principal, count, **fields):
    script = await make_script(principal.org_id)
    made = []
    async with tenant_session(principal.org_id) as session:
        for _ in range(count):
            item = await schedules.create(
                session=session,
                principal=principal,
                target_type="script",
                target_id=script.id,
                timezone="UTC",
                **fields,
            )
            made.append(item.schedule.id)
    return made


def fire_times(org_id) -> dict[int, list[datetime]]:
    """schedule id -> the fire time of each of its runs, in order (duplicates kept)."""
    with sync_tenant_session(org_id) as session:
        rows = session.execute(
            select(Run.schedule_id, Run.fire_time)
            .where(Run.schedule_id.is_not(None))
            .order_by(Run.fire_time)
        ).all()
    found: dict[int, list[datetime]] = {}
    for schedule_id, moment in rows:
        found.setdefault(schedule_id, []).append(moment)
    return found


def total(org_id) -> int:
    return sum(len(times) for times in fire_times(org_id).values())


async def test_leader_killed_mid_way_no_fire_time_missed_or_repeated(tmp_path):
    _, _, owner = await make_owned_org()
    first_fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    ids = await make_schedules(
        owner, 6, kind="interval", interval_seconds=1, start_at=first_fire, overlap="skip"
    )
    first = start("scheduler", env=ENV, log=tmp_path / "first.log")
    second = start("scheduler", env=ENV, log=tmp_path / "second.log")
    processes = {first.pid: first, second.pid: second}
    try:
        wait_for(lambda: len(leaders(processes)) == 1, 30, "one leader")
        wait_for(lambda: total(owner.org_id) >= 90, 60, "the leader to fire a while")
        [leader] = leaders(processes)
        killed_at = datetime.now(UTC)
        processes.pop(leader).send_signal(signal.SIGKILL)
        [survivor] = processes
        wait_for(lambda: leaders([survivor]) == [survivor], 15, "the standby to take over")
        wait_for(lambda: total(owner.org_id) >= 240, 90, "240 fire times")
    finally:
        for process in (first, second):
            stop(process)
    found = fire_times(owner.org_id)
    assert sorted(found) == sorted(ids)
    for schedule_id, times in found.items():
        repeated = [moment for moment, n in Counter(times).items() if n > 1]
        assert repeated == [], f"schedule {schedule_id} fired twice at {repeated}"
        expected = [first_fire + n * SECOND for n in range(len(times))]
        missing = sorted(set(expected) - set(times))
        assert missing == [], f"schedule {schedule_id} missed {missing}"
        assert times == expected
        assert times[0] < killed_at < times[-1]
    assert sum(len(times) for times in found.values()) >= 200


def first_queued_after(org_id, moment) -> datetime:
    with sync_tenant_session(org_id) as session:
        return session.scalar(
            select(Run.queued_at).where(Run.queued_at > moment).order_by(Run.queued_at).limit(1)
        )


async def test_restart_catches_up_per_policy(tmp_path):
    _, _, owner = await make_owned_org()
    first_fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    common = dict(kind="interval", interval_seconds=2, start_at=first_fire, overlap="queue")
    common["misfire_grace_seconds"] = 1
    [skip] = await make_schedules(owner, 1, catch_up="skip", **common)
    [latest] = await make_schedules(owner, 1, catch_up="latest", **common)
    [every] = await make_schedules(owner, 1, catch_up="all", catch_up_limit=2, **common)
    process = start("scheduler", env=ENV, log=tmp_path / "before.log")
    try:
        wait_for(lambda: len(fire_times(owner.org_id).get(skip, [])) >= 2, 30, "fires")
    finally:
        stop(process)
    stopped_at = datetime.now(UTC)
    time.sleep(8)  # down for four fire times or more
    process = start("scheduler", env=ENV, log=tmp_path / "after.log")
    try:
        wait_for(lambda: first_queued_after(owner.org_id, stopped_at), 30, "the restart's fires")
    finally:
        stop(process)
    restarted = first_queued_after(owner.org_id, stopped_at)  # the new leader's first tick
    found = fire_times(owner.org_id)
    grid = [first_fire + 2 * n * SECOND for n in range(100)]
    last_before = max(t for t in found[skip] if t <= stopped_at)
    for times in found.values():
        assert len(times) == len(set(times))

    def expected_at(now: datetime) -> dict[int, list[datetime]]:
        """What the first tick fires if the new leader looked at the clock at `now`."""
        missed = [g for g in grid if last_before < g < now - SECOND]  # older than the grace
        on_time = [g for g in grid if now - SECOND <= g <= now]
        return {skip: on_time, latest: on_time or missed[-1:], every: missed[-2:] + on_time}

    def fired_by(now: datetime) -> dict[int, list[datetime]]:
        return {s: [t for t in found[s] if last_before < t <= now] for s in (skip, latest, every)}

    # The leader read its clock a moment before `restarted` (how long a moment depends on the
    # machine's load): some instant in the seconds before must explain every policy at once.
    candidates = [restarted - n * SECOND / 20 for n in range(0, 100)]
    explained = [now for now in candidates if fired_by(now) == expected_at(now)]
    assert explained, f"no instant explains the fires after the restart: {fired_by(restarted)}"
    now = explained[0]
    assert len([g for g in grid if last_before < g < now - SECOND]) >= 3, "down long enough"


async def test_startup_schedules_fire_once_per_platform_start(tmp_path):
    _, _, owner = await make_owned_org()
    [startup] = await make_schedules(owner, 1, kind="startup")

    def fired():
        return len(fire_times(owner.org_id).get(startup, []))

    first = start("scheduler", env=ENV, log=tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: fired() == 1, 30, "the startup fire")
        second = start("scheduler", env=ENV, log=tmp_path / "second.log")  # a standby joins
        wait_for(lambda: second.pid in instances(), 30, "the standby to report")
        first.send_signal(signal.SIGKILL)  # the standby takes over: not a new start
        wait_for(lambda: leaders([second.pid]) == [second.pid], 15, "the standby to take over")
        time.sleep(2)
        assert fired() == 1
    finally:
        stop(first)
        if second is not None:
            stop(second)
    time.sleep(2)  # the killed one was last seen long enough ago: nobody alive any more
    third = start("scheduler", env=ENV, log=tmp_path / "third.log")  # alone: a new start
    try:
        wait_for(lambda: fired() == 2, 30, "the second start's fire")
    finally:
        stop(third)


async def test_changes_take_effect_without_a_restart(tmp_path):
    _, _, owner = await make_owned_org()
    process = start("scheduler", env=ENV, log=tmp_path / "scheduler.log")
    try:
        wait_for(lambda: leaders([process.pid]) == [process.pid], 30, "the leader")
        first_fire = datetime.now(UTC).replace(microsecond=0) + 2 * SECOND
        [made] = await make_schedules(
            owner, 1, kind="interval", interval_seconds=1, start_at=first_fire
        )
        wait_for(lambda: fire_times(owner.org_id).get(made), 10, "the new schedule to fire")
        assert fire_times(owner.org_id)[made][0] == first_fire
        assert first_queued_after(owner.org_id, first_fire - SECOND) - first_fire < 2 * SECOND
        async with tenant_session(owner.org_id) as session:
            await schedules.set_enabled(
                session=session, principal=owner, schedule_id=made, enabled=False
            )
        disabled_at = datetime.now(UTC)
        time.sleep(3)
        later = [t for t in fire_times(owner.org_id)[made] if t > disabled_at + 2 * SECOND]
        assert later == [], "a disabled schedule stops firing within 2 s"
    finally:
        stop(process)
