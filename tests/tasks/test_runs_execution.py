"""Runs executed by a real Celery worker over the real Redis broker and database."""

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Run, RunStatus
from etlfabric.services import run_events, run_logs, runs
from tests.run_factories import (
    attempts,
    load,
    log_texts,
    make_script,
    queued_messages,
    start,
    unacked_messages,
    wait_status,
    worker,
)

pytestmark = pytest.mark.slow
ENDED = ("succeeded", "failed", "timed_out", "cancelled")


async def test_a_script_runs_and_its_output_is_stored_in_order_with_secrets_masked(owner):
    script = await make_script(
        owner.org_id,
        content=(
            "import os, sys\n"
            "print('hello from', os.environ['ETLFABRIC_RUN_ID'])\n"
            "print('token is', os.environ['API_TOKEN'])\n"
            "print('to stderr', file=sys.stderr)\n"
        ),
        env_vars={"API_TOKEN": "tok-8f3a9c2e"},
    )
    run = await start(owner, script)
    done = wait_status(owner.org_id, run.id, ENDED, timeout=120)
    texts = log_texts(owner.org_id, run.id)
    assert done.status is RunStatus.succeeded, texts
    assert (done.exit_code, done.error) == (0, None)
    assert done.duration_ms > 0 and done.started_at and done.finished_at and done.worker
    assert f"hello from {run.id}" in texts and "to stderr" in texts
    assert "token is ****" in texts and not any("tok-8f3a9c2e" in t for t in texts)
    async with tenant_session(owner.org_id) as session:
        lines, finished = await run_logs.read_lines(session=session, principal=owner, run_id=run.id)
    assert [line.seq for line in lines] == list(range(1, len(lines) + 1)) and finished


async def test_output_arrives_while_the_script_is_still_running(owner):
    script = await make_script(
        owner.org_id, content="import time\nprint('first')\ntime.sleep(4)\nprint('second')\n"
    )
    run = await start(owner, script)
    deadline = time.monotonic() + 60
    while "first" not in log_texts(owner.org_id, run.id):
        assert time.monotonic() < deadline, "the first line never arrived"
        time.sleep(0.05)
    assert load(owner.org_id, run.id).status is RunStatus.running
    assert "second" not in log_texts(owner.org_id, run.id)
    assert wait_status(owner.org_id, run.id, ENDED).status is RunStatus.succeeded


async def test_a_failing_script_is_retried_until_its_attempts_run_out(owner):
    script = await make_script(owner.org_id, content="print('trying')\nraise SystemExit(3)\n")
    run = await start(owner, script, max_attempts=2)
    wait_status(owner.org_id, run.id, ENDED, timeout=60)
    deadline = time.monotonic() + 60
    while len(chain := attempts(owner.org_id, run.id)) < 2 or chain[-1].status not in ENDED:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    first, second = chain
    assert first.error == "exit code 3. Retrying as attempt 2 of 2." and first.exit_code == 3
    assert (second.trigger, second.attempt, second.status) == ("retry", 2, RunStatus.failed)
    assert second.error == "exit code 3. Gave up after 2 attempts."


async def test_a_failed_run_says_why_with_its_last_error_line_secrets_masked(owner):
    content = (
        "import os, sys\nprint('working')\nprint('token', os.environ['API_TOKEN'], file=sys.stderr)"
        "\nraise ValueError('boom ' + os.environ['API_TOKEN'])\n"
    )
    script = await make_script(owner.org_id, content=content, env_vars={"API_TOKEN": "s3cr3t-v4l"})
    run = await start(owner, script)
    ended = wait_status(owner.org_id, run.id, ENDED, timeout=60)
    assert (ended.status, ended.exit_code) == (RunStatus.failed, 1)
    assert ended.error == "exit code 1: ValueError: boom ****"


async def test_cancelling_a_running_script_takes_effect_within_two_seconds(owner):
    script = await make_script(
        owner.org_id,
        content="import time\nwhile True:\n    print('working', flush=True)\n    time.sleep(0.2)\n",
    )
    run = await start(owner, script)
    deadline = time.monotonic() + 60
    while "working" not in log_texts(owner.org_id, run.id):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    asked = time.monotonic()
    async with tenant_session(owner.org_id) as session:
        await runs.request_cancel(session=session, principal=owner, run_id=run.id)
    done = wait_status(owner.org_id, run.id, ENDED, timeout=10)
    assert done.status is RunStatus.cancelled and time.monotonic() - asked < 2.5
    assert len(attempts(owner.org_id, run.id)) == 1, "a cancelled run is not retried"


async def test_a_message_delivered_twice_runs_the_script_once(owner):
    marker = Path(f"/tmp/etf-duplicate-{uuid.uuid4().hex}")
    script = await make_script(
        owner.org_id,
        content=f"import time\nopen({str(marker)!r}, 'a').write('ran\\n')\ntime.sleep(0.5)\n",
    )
    unacked_before = unacked_messages()  # a worker killed elsewhere may have left one behind
    run = await start(owner, script)
    run_events.send_run(owner.org_id, run.id)  # the same message again, as a redelivery would
    run_events.send_run(owner.org_id, run.id)
    assert wait_status(owner.org_id, run.id, ENDED).status is RunStatus.succeeded
    deadline = time.monotonic() + 10
    while queued_messages() or unacked_messages() > unacked_before:
        assert time.monotonic() < deadline, "the duplicates were not consumed"
        time.sleep(0.1)
    try:
        assert marker.read_text() == "ran\n"
    finally:
        marker.unlink(missing_ok=True)


async def test_a_scripts_concurrency_limit_holds_and_no_waiting_run_is_lost(owner):
    script = await make_script(
        owner.org_id, content="import time\ntime.sleep(1)\n", max_concurrent_runs=1
    )
    started = [await start(owner, script) for _ in range(3)]
    most, deadline = 0, time.monotonic() + 90
    while True:
        with sync_tenant_session(owner.org_id) as session:
            counts = dict(
                session.execute(
                    select(Run.status, func.count())
                    .where(Run.target_id == script.id)
                    .group_by(Run.status)
                ).all()
            )
        most = max(most, counts.get(RunStatus.running, 0))
        if counts.get(RunStatus.succeeded, 0) == 3:
            break
        assert time.monotonic() < deadline, counts
        time.sleep(0.05)
    assert most == 1, "never two runs of the script at once, though the worker had two slots"
    assert all(load(owner.org_id, r.id).status is RunStatus.succeeded for r in started)


async def test_a_batch_script_goes_to_a_worker_of_the_windows_queue(owner, tmp_path):
    script = await make_script(owner.org_id, type="batch", content="echo hi\r\n")
    with worker(tmp_path, "windows", concurrency=1, queues="windows"):
        run = await start(owner, script)
        assert run.queue == "windows" and run.status is RunStatus.queued
        done = wait_status(owner.org_id, run.id, ENDED, timeout=60)
    assert done.status is RunStatus.failed  # this worker is Linux: the runner says so
    assert "Windows" in done.error


async def test_a_schedules_timeout_overrides_the_scripts(owner):
    from datetime import UTC, datetime

    from etlfabric.models import Schedule
    from etlfabric.services import schedule_firing, schedules

    script = await make_script(owner.org_id, content="import time\ntime.sleep(30)")
    async with tenant_session(owner.org_id) as session:
        item = await schedules.create(
            session=session,
            principal=owner,
            target_type="script",
            target_id=script.id,
            kind="interval",
            interval_seconds=3600,
            timezone="UTC",
            timeout_seconds=2,
        )
    with sync_tenant_session(owner.org_id) as session:
        schedule = session.get(Schedule, item.schedule.id)
        run = schedule_firing.fire_once(session, owner.org_id, schedule, datetime.now(UTC))
        run_id = run.id
    ended = wait_status(owner.org_id, run_id, ENDED, 60)
    assert ended.status is RunStatus.timed_out, ended.error
    assert ended.error.startswith("timed out after 2 s")
