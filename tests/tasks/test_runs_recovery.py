"""No run stays `running` when its worker dies: kill -9 of a worker child, of the whole worker, and
a script that kills its worker on every attempt (real workers, real scheduler, real Redis)."""

import os
import signal
import time
from datetime import timedelta

import psutil
import pytest

from etlfabric.models import RunStatus
from etlfabric.orchestration import reaper
from tests.factories import make_owned_org
from tests.processes import start as start_process
from tests.processes import stop, wait_for
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
    worker_children,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_queues")]
ENDED = ("succeeded", "failed", "timed_out", "cancelled")
# Longer than a heartbeat (5 s), far shorter than the real 60 s: the tests need not wait that long.
SHORT_STALENESS = timedelta(seconds=8)
# Queued runs older than this are re-sent by the reaper: other test modules' leftovers would be.
OTHER_TESTS_RUNS = timedelta(days=1)
# Prints the pid of the worker process that runs it and its own, then works for a while.
REPORTS_ITS_WORKER = (
    "import os, time\nprint('worker', os.getppid(), os.getpid(), flush=True)\n"
    "for _ in range(150):\n    time.sleep(0.2)\n"
)


def pids_from_log(org_id: int, run_id: int) -> tuple[int, int]:
    """(the worker process running the script, the script's own process)."""
    line = wait_for(
        lambda: next((t for t in log_texts(org_id, run_id) if t.startswith("worker ")), None),
        60,
        "the script to report its worker",
    )
    return int(line.split()[1]), int(line.split()[2])


def worker_pid_from_log(org_id: int, run_id: int) -> int:
    return pids_from_log(org_id, run_id)[0]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def reap_until_ended(org_id: int, run_id: int, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while (run := load(org_id, run_id)).status not in ENDED:
        assert time.monotonic() < deadline, f"run {run_id} still {run.status} after {timeout}s"
        reaper.run_once(stale_after=SHORT_STALENESS, unclaimed_after=OTHER_TESTS_RUNS)
        time.sleep(0.5)
    return run


async def test_kill_9_of_a_worker_child_fails_the_run_as_worker_lost(tmp_path):
    _, _, owner = await make_owned_org()
    script = await make_script(owner.org_id, content=REPORTS_ITS_WORKER)
    with worker(tmp_path, "child-killed", concurrency=1) as process:
        run = await start(owner, script)
        child, script_pid = pids_from_log(owner.org_id, run.id)
        assert child in worker_children(process)
        killed = time.monotonic()
        os.kill(child, signal.SIGKILL)
        # The child Celery starts in its place kills the orphaned script.
        wait_for(lambda: gone(script_pid), 15, "the orphaned script to be stopped")
        lost = reap_until_ended(owner.org_id, run.id)
        assert time.monotonic() - killed < 90
        assert lost.status is RunStatus.failed and lost.error.startswith("Worker lost")
        # The worker replaced its child and goes on: the next run starts and succeeds.
        quick = await make_script(owner.org_id, content="print('still here')")
        after = await start(owner, quick)
        assert wait_status(owner.org_id, after.id, ENDED, 60).status is RunStatus.succeeded
    assert queued_messages() == 0


KILLS_ITS_WORKER = "import os\nprint('bye', flush=True)\nos.kill(os.getppid(), 9)\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a root worker")
async def test_a_script_run_as_the_run_user_cannot_kill_its_worker(tmp_path):
    _, _, owner = await make_owned_org()
    script = await make_script(owner.org_id, content=KILLS_ITS_WORKER)
    with worker(tmp_path, "cannot-kill", concurrency=1) as process:
        children = worker_children(process)
        run = await start(owner, script)
        ended = wait_status(owner.org_id, run.id, ENDED, 60)
        assert ended.status is RunStatus.failed and ended.attempt == 1
        assert any("PermissionError" in text for text in log_texts(owner.org_id, run.id))
        assert worker_children(process) == children, "the worker child lives on"


async def test_a_script_that_kills_its_worker_every_time_fails_after_its_attempts(
    tmp_path, monkeypatch
):
    """Scripts run as the worker's own user here (RUN_SCRIPTS_AS=root on a root worker, or any
    worker not running as root), so a script can kill its worker."""
    monkeypatch.setenv("RUN_SCRIPTS_AS", "root")
    _, _, owner = await make_owned_org()
    script = await make_script(owner.org_id, content=KILLS_ITS_WORKER)
    with worker(tmp_path, "suicidal", concurrency=1):
        run = await start(owner, script, max_attempts=3)
        deadline = time.monotonic() + 240
        while True:
            chain = attempts(owner.org_id, run.id)
            if len(chain) == 3 and chain[-1].status in ENDED:
                break
            assert time.monotonic() < deadline, [(r.attempt, r.status) for r in chain]
            reaper.run_once(stale_after=SHORT_STALENESS, unclaimed_after=OTHER_TESTS_RUNS)
            time.sleep(0.5)
        assert [r.status for r in chain] == [RunStatus.failed] * 3
        assert [r.attempt for r in chain] == [1, 2, 3]
        assert chain[-1].error.startswith("Worker lost")
        assert chain[-1].error.endswith("Gave up after 3 attempts.")
        wait_for(lambda: queued_messages() == 0 and unacked_messages() == 0, 30, "an empty queue")
        time.sleep(2)
        assert len(attempts(owner.org_id, run.id)) == 3, "no fourth attempt appears"


async def test_kill_9_of_the_whole_worker_leaves_running_within_90_s_with_the_real_reaper(
    tmp_path,
):
    """The real timing path: default staleness (60 s), the reaper run by a scheduler process."""
    _, _, owner = await make_owned_org()
    script = await make_script(owner.org_id, content=REPORTS_ITS_WORKER)
    scheduler = start_process("scheduler", log=tmp_path / "scheduler.log")
    try:
        with worker(tmp_path, "whole-killed", concurrency=1) as process:
            run = await start(owner, script)
            worker_pid_from_log(owner.org_id, run.id)
            killed = time.monotonic()
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            lost = wait_status(owner.org_id, run.id, ENDED, timeout=90)
            elapsed = time.monotonic() - killed
    finally:
        stop(scheduler)
    assert lost.status is RunStatus.failed and lost.error.startswith("Worker lost"), lost.error
    assert 50 < elapsed < 90, f"left running after {elapsed:.0f} s"
