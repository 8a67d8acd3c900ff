"""The run state machine and its service functions, on the real database and Redis (no worker)."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.errors import Conflict, NotFound, PermissionDenied
from etlfabric.models import Run, RunStatus, Trigger
from etlfabric.services import run_events, run_starts, runs
from tests.factories import make_member, make_owned_org
from tests.run_factories import (
    load,
    make_script,
    next_message,
    queued_messages,
    sent_messages,
    start,
)

pytestmark = pytest.mark.usefixtures("clean_queues")
S = RunStatus
ALLOWED = {
    (S.queued, S.running),
    (S.queued, S.cancelled),
    (S.queued, S.skipped),
    (S.running, S.succeeded),
    (S.running, S.failed),
    (S.running, S.timed_out),
    (S.running, S.cancelled),
}


def claim(principal, run_id, **options):
    with sync_tenant_session(principal.org_id) as session:
        return runs.claim_run(
            session, org_id=principal.org_id, run_id=run_id, worker="test", **options
        )


def finish(principal, run_id, status, **options):
    with sync_tenant_session(principal.org_id) as session:
        return runs.finish_run(
            session, org_id=principal.org_id, run_id=run_id, status=status, **options
        )


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("new", list(S))
def test_only_the_designed_arrows_exist(current, new):
    if (current, new) in ALLOWED:
        runs.check_transition(current, new)
    else:
        with pytest.raises(runs.InvalidTransition):
            runs.check_transition(current, new)


async def test_the_database_refuses_a_change_along_a_missing_arrow(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    assert claim(owner, run.id).status is S.running
    assert finish(owner, run.id, "succeeded").status is S.succeeded
    async with tenant_session(owner.org_id) as session:
        for to in (S.running, S.failed, S.queued, S.cancelled):
            with pytest.raises(runs.InvalidTransition, match="succeeded to"):
                await runs.transition(session=session, run_id=run.id, to=to)
    assert finish(owner, run.id, "failed") is None, "a finished run cannot finish again"
    assert load(owner.org_id, run.id).status is S.succeeded


async def test_a_run_is_enqueued_only_after_its_transaction_commits(owner):
    script = await make_script(owner.org_id)
    async with tenant_session(owner.org_id) as session:
        run = await run_starts.start_run(
            session=session,
            principal=owner,
            target_type="script",
            target_id=script.id,
            target_name=script.name,
            trigger=Trigger.manual,
        )
        assert run.status is S.queued and run.queued_at is not None
        assert queued_messages() == 0, "nothing is sent before the commit"
    assert sent_messages() == [[[owner.org_id, run.id], {}]], "only org_id and run_id travel"


async def test_a_savepoint_inside_the_transaction_sends_nothing_early(owner):
    script = await make_script(owner.org_id)
    async with tenant_session(owner.org_id) as session:
        async with session.begin_nested():
            run = await run_starts.start_run(
                session=session,
                principal=owner,
                target_type="script",
                target_id=script.id,
                target_name=script.name,
                trigger=Trigger.manual,
            )
        async with session.begin_nested():  # released: not the commit of the transaction
            pass
        assert queued_messages() == 0, "a savepoint's release is not the commit"
    assert sent_messages() == [[[owner.org_id, run.id], {}]]


async def test_a_rolled_back_start_enqueues_nothing(owner):
    script = await make_script(owner.org_id)
    with pytest.raises(RuntimeError):
        async with tenant_session(owner.org_id) as session:
            run = await run_starts.start_run(
                session=session,
                principal=owner,
                target_type="script",
                target_id=script.id,
                target_name=script.name,
                trigger=Trigger.api,
            )
            raise RuntimeError("the caller failed after starting the run")
    assert queued_messages() == 0
    async with tenant_session(owner.org_id) as session:
        with pytest.raises(NotFound):
            await runs.get_run(session=session, principal=owner, run_id=run.id)


async def test_a_viewer_can_neither_start_nor_cancel(owner):
    from etlfabric.models import Organization

    script = await make_script(owner.org_id)
    run = await start(owner, script)
    _, viewer = await make_member(Organization(id=owner.org_id), "viewer")
    async with tenant_session(owner.org_id) as session:
        with pytest.raises(PermissionDenied):
            await run_starts.start_run(
                session=session,
                principal=viewer,
                target_type="script",
                target_id=script.id,
                target_name="x",
                trigger=Trigger.manual,
            )
        with pytest.raises(PermissionDenied):
            await runs.request_cancel(session=session, principal=viewer, run_id=run.id)
        assert (await runs.get_run(session=session, principal=viewer, run_id=run.id)).id == run.id


async def test_another_organisations_run_is_not_found(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    _, _, stranger = await make_owned_org()
    async with tenant_session(stranger.org_id) as session:
        with pytest.raises(NotFound):
            await runs.get_run(session=session, principal=stranger, run_id=run.id)
        with pytest.raises(NotFound):
            await runs.request_cancel(session=session, principal=stranger, run_id=run.id)
    async with tenant_session(stranger.org_id) as session:
        with pytest.raises(NotFound):  # the stranger's own script id space is separate too
            await run_starts.start_run(
                session=session,
                principal=stranger,
                target_type="script",
                target_id=script.id + 10_000,
                target_name="x",
                trigger=Trigger.manual,
            )


async def test_cancelling_a_queued_run_ends_it_at_once_and_closes_its_log(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    pubsub = run_events.sync_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(run_events.log_channel(owner.org_id, run.id))
    async with tenant_session(owner.org_id) as session:
        cancelled = await runs.request_cancel(session=session, principal=owner, run_id=run.id)
    assert cancelled.status is S.cancelled and cancelled.finished_at is not None
    assert owner.label in cancelled.error
    message = next_message(pubsub)
    assert json.loads(message["data"]) == {"end": True, "status": "cancelled"}
    assert claim(owner, run.id) is None, "a cancelled run's message claims nothing"


async def test_cancelling_a_running_run_asks_its_worker(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    claim(owner, run.id)
    pubsub = run_events.sync_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(run_events.cancel_channel(owner.org_id, run.id))
    async with tenant_session(owner.org_id) as session:
        asked = await runs.request_cancel(session=session, principal=owner, run_id=run.id)
    assert asked.status is S.running and asked.cancel_requested_at is not None
    assert next_message(pubsub) is not None, "the worker hears about it at once"
    with sync_tenant_session(owner.org_id) as session:
        assert runs.heartbeat(session, run_id=run.id) == runs.Pulse(True, True)
    assert finish(owner, run.id, "cancelled", error="cancelled").status is S.cancelled
    async with tenant_session(owner.org_id) as session:
        again = await runs.request_cancel(session=session, principal=owner, run_id=run.id)
        assert again.status is S.cancelled, "cancelling twice is harmless"


async def test_a_finished_run_cannot_be_cancelled(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    claim(owner, run.id)
    finish(owner, run.id, "succeeded", exit_code=0)
    async with tenant_session(owner.org_id) as session:
        with pytest.raises(Conflict, match="already finished"):
            await runs.request_cancel(session=session, principal=owner, run_id=run.id)


async def test_a_message_delivered_many_times_is_claimed_once(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    results, barrier = [], threading.Barrier(8)

    def deliver():
        barrier.wait()
        results.append(claim(owner, run.id))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert load(owner.org_id, run.id).status is S.running


async def test_a_run_over_its_scripts_limit_waits_queued_and_is_sent_when_a_slot_frees(owner):
    script = await make_script(owner.org_id, max_concurrent_runs=1)
    first, second = await start(owner, script), await start(owner, script)
    run_events.sync_redis().flushdb()
    assert claim(owner, first.id, concurrency_limit=1) is not None
    assert claim(owner, second.id, concurrency_limit=1) is None
    assert load(owner.org_id, second.id).status is S.queued, "it waits; it is not lost"
    finish(owner, first.id, "succeeded", release_target=True)
    assert sent_messages() == [[[owner.org_id, second.id], {}]], "the waiting run is sent again"
    assert claim(owner, second.id, concurrency_limit=1).status is S.running


async def test_a_failure_is_retried_while_attempts_remain(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script, max_attempts=3)
    chain = [run.id]
    for attempt in (1, 2, 3):
        run_events.sync_redis().flushdb()
        claim(owner, chain[-1])
        ended = finish(owner, chain[-1], "failed", exit_code=3, error="exit code 3")
        if attempt < 3:
            assert ended.error == f"exit code 3. Retrying as attempt {attempt + 1} of 3."
            [[[_, next_id], _]] = sent_messages()
            retry = load(owner.org_id, next_id)
            assert (retry.trigger, retry.retry_of_id, retry.attempt) == (
                "retry",
                ended.id,
                attempt + 1,
            )
            assert retry.status is S.queued and ended.details["retried_as"] == next_id
            chain.append(next_id)
        else:
            assert ended.error == "exit code 3. Gave up after 3 attempts."
            assert queued_messages() == 0


async def test_a_cancelled_run_is_not_retried(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script, max_attempts=3)
    claim(owner, run.id)
    run_events.sync_redis().flushdb()
    assert finish(owner, run.id, "cancelled").status is S.cancelled
    assert queued_messages() == 0


async def test_a_run_whose_heartbeat_went_stale_fails_as_worker_lost_and_is_retried(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script, max_attempts=2)
    claim(owner, run.id)
    with sync_tenant_session(owner.org_id) as session:
        assert runs.fail_stale_runs(session, org_id=owner.org_id) == [], "a fresh heartbeat"
        session.execute(
            update(Run)
            .where(Run.id == run.id)
            .values(heartbeat_at=Run.heartbeat_at - timedelta(minutes=2))
        )
    run_events.sync_redis().flushdb()
    with sync_tenant_session(owner.org_id) as session:
        [lost] = runs.fail_stale_runs(session, org_id=owner.org_id)
    assert lost.status is S.failed and lost.error.startswith("Worker lost")
    assert lost.error.endswith("Retrying as attempt 2 of 2.") and lost.duration_ms >= 0
    [[[_, retry_id], _]] = sent_messages()
    assert load(owner.org_id, retry_id).attempt == 2
    with sync_tenant_session(owner.org_id) as session:
        assert runs.heartbeat(session, run_id=run.id).running is False, "its worker stops"


async def test_a_batch_script_fails_at_once_when_no_worker_serves_the_windows_queue(owner):
    script = await make_script(owner.org_id, type="batch", content="echo hi")
    run = await start(owner, script)
    assert run.status is S.failed and run.queue == "windows"
    assert "No worker serves the 'windows' queue" in run.error
    assert queued_messages("windows") == 0 and run.finished_at is not None


async def test_a_lost_run_that_was_asked_to_stop_ends_cancelled_not_retried(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script, max_attempts=3)
    claim(owner, run.id)
    async with tenant_session(owner.org_id) as session:
        await runs.request_cancel(session=session, principal=owner, run_id=run.id)
    with sync_tenant_session(owner.org_id) as session:
        session.execute(
            update(Run)
            .where(Run.id == run.id)
            .values(heartbeat_at=Run.heartbeat_at - timedelta(minutes=2))
        )
    run_events.sync_redis().flushdb()
    with sync_tenant_session(owner.org_id) as session:
        [lost] = runs.fail_stale_runs(session, org_id=owner.org_id)
    assert lost.status is S.cancelled and lost.error.startswith("Worker lost")
    assert queued_messages() == 0, "a cancelled run is not retried"


async def test_what_the_work_reports_is_kept_on_the_run(owner):
    script = await make_script(owner.org_id)
    run = await start(owner, script)
    claim(owner, run.id)
    with sync_tenant_session(owner.org_id) as session:  # something already noted on the run
        session.execute(update(Run).where(Run.id == run.id).values(details={"sends": 1}))
    done = finish(owner, run.id, "succeeded", rows_loaded=42, details={"tables": {"users": 42}})
    assert done.rows_loaded == 42
    assert load(owner.org_id, run.id).details == {"sends": 1, "tables": {"users": 42}}
