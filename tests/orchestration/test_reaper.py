"""The reaper's sweeps over every organisation: lost, unclaimed and expired runs, environments."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from etlfabric.db import platform_session, sync_tenant_session, tenant_session
from etlfabric.models import Organization, Run, RunLog, RunStatus
from etlfabric.orchestration import reaper, scheduler
from etlfabric.services import run_events, run_sweeps, runs
from tests.factories import make_owned_org
from tests.run_factories import load, make_script, queued_messages, sent_messages, start

pytestmark = pytest.mark.usefixtures("clean_queues")


def test_the_sweeps_are_leader_jobs():
    names = {name for name, _, _ in scheduler.LEADER_JOBS}
    assert {"reaper", "run-retention", "environment-prune"} <= names
    assert dict((n, s) for n, _, s in scheduler.LEADER_JOBS)["reaper"] <= 30


async def running_run(principal, *, heartbeat_age: timedelta, max_attempts=1) -> Run:
    script = await make_script(principal.org_id)
    run = await start(principal, script, max_attempts=max_attempts)
    with sync_tenant_session(principal.org_id) as session:
        runs.claim_run(session, org_id=principal.org_id, run_id=run.id, worker="gone")
        session.execute(
            update(Run).where(Run.id == run.id).values(heartbeat_at=func.now() - heartbeat_age)
        )
    return run


async def test_run_once_fails_lost_runs_in_every_organisation_and_spares_live_ones():
    _, _, first = await make_owned_org()
    _, _, second = await make_owned_org()
    lost_a = await running_run(first, heartbeat_age=timedelta(seconds=70))
    lost_b = await running_run(second, heartbeat_age=timedelta(seconds=70), max_attempts=2)
    alive = await running_run(first, heartbeat_age=timedelta(seconds=5))
    run_events.sync_redis().flushdb()
    sweep = reaper.run_once()
    assert sweep.lost >= 2
    assert load(first.org_id, lost_a.id).status is RunStatus.failed
    assert load(first.org_id, lost_a.id).error.startswith("Worker lost: no heartbeat for 60 s")
    assert load(second.org_id, lost_b.id).error.endswith("Retrying as attempt 2 of 2.")
    assert load(first.org_id, alive.id).status is RunStatus.running
    assert queued_messages() >= 1, "the retry is on its way"
    assert reaper.run_once().lost == 0, "a second pass finds nothing more"


def backdate(org_id: int, run_id: int, *, seconds: int) -> None:
    """Pretend the run's second message was sent `seconds` ago."""
    sent_at = str(datetime.now(UTC) - timedelta(seconds=seconds))
    with sync_tenant_session(org_id) as session:
        session.execute(
            update(Run).where(Run.id == run_id).values(details={"sends": 2, "sent_at": sent_at})
        )


async def test_a_queued_run_nobody_claimed_is_sent_again_with_a_growing_wait():
    _, _, principal = await make_owned_org()
    script = await make_script(principal.org_id)
    async with tenant_session(principal.org_id) as session:  # a run whose message was lost
        run = Run(
            target_type="script",
            target_id=script.id,
            trigger="manual",
            queued_at=datetime.now(UTC) - timedelta(seconds=30),
        )
        session.add(run)
    assert reaper.resend_unclaimed(older_than=timedelta(seconds=10)) >= 1
    mine = [[principal.org_id, run.id], {}]
    assert sent_messages().count(mine) == 1 and load(principal.org_id, run.id).details["sends"] == 2

    def resend() -> int:
        with sync_tenant_session(principal.org_id) as session:
            return run_sweeps.resend_unclaimed(
                session, org_id=principal.org_id, older_than=timedelta(seconds=10)
            )

    assert resend() == 0, "not again at once"
    backdate(principal.org_id, run.id, seconds=15)  # past 10 s, not yet 20 s
    assert resend() == 0, "the second wait is twice as long"
    backdate(principal.org_id, run.id, seconds=25)
    assert resend() == 1
    assert load(principal.org_id, run.id).details["sends"] == 3
    assert sent_messages().count(mine) == 2


async def test_retention_deletes_old_finished_runs_and_their_logs_per_organisation():
    _, _, short = await make_owned_org()
    _, _, default = await make_owned_org()
    async with platform_session() as session:
        await session.execute(
            update(Organization).where(Organization.id == short.org_id).values(run_retention_days=7)
        )
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    kept, gone = {}, {}
    for principal in (short, default):
        async with tenant_session(principal.org_id) as session:
            old = Run(
                target_type="script",
                target_id=1,
                trigger="manual",
                status="succeeded",
                queued_at=ten_days_ago,
            )
            old_running = Run(
                target_type="script",
                target_id=1,
                trigger="manual",
                status="running",
                queued_at=ten_days_ago,
            )
            recent = Run(target_type="script", target_id=1, trigger="manual", status="failed")
            session.add_all([old, old_running, recent])
            await session.flush()
            session.add(RunLog(run_id=old.id, seq=1, ts=ten_days_ago, stream="stdout", text="x"))
            gone[principal.org_id], kept[principal.org_id] = old.id, {old_running.id, recent.id}
    assert reaper.purge_expired(batch=1) >= 1
    with sync_tenant_session(short.org_id) as session:
        assert set(session.scalars(select(Run.id))) == kept[short.org_id]
        assert session.scalar(select(func.count()).select_from(RunLog)) == 0, "logs go too"
    with sync_tenant_session(default.org_id) as session:
        remaining = set(session.scalars(select(Run.id)))
        assert remaining == kept[default.org_id] | {gone[default.org_id]}, "30 days by default"


def test_pruning_environments_is_safe_with_nothing_to_prune():
    assert reaper.prune_environments() == 0
