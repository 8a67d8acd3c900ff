"""Two real scheduler processes: one leads, the other stands by and takes over."""

import signal

import pytest
from sqlalchemy import text

from etlfabric.db import sync_engine
from tests.processes import start, stop, wait_for

pytestmark = pytest.mark.slow


def instances() -> dict[int, bool]:
    with sync_engine().connect() as connection:
        rows = connection.execute(text("SELECT pid, is_leader FROM public.scheduler_instances"))
        return dict(rows.all())


def leaders(pids) -> list[int]:
    current = instances()
    return [pid for pid in pids if current.get(pid)]


def test_one_leader_and_a_standby_that_takes_over(tmp_path):
    env = {"SCHEDULER_POLL_SECONDS": "0.5"}
    first = start("scheduler", env=env, log=tmp_path / "first.log")
    second = start("scheduler", env=env, log=tmp_path / "second.log")
    processes = {first.pid: first, second.pid: second}
    try:
        wait_for(lambda: set(instances()) >= set(processes), 30, "both schedulers to report")
        wait_for(lambda: len(leaders(processes)) == 1, 10, "exactly one leader")
        [leader] = leaders(processes)
        assert len(leaders(processes)) == 1
        processes.pop(leader).send_signal(signal.SIGKILL)  # no goodbye, the lock just drops
        [survivor] = processes
        wait_for(lambda: leaders([survivor]) == [survivor], 10, "the standby to take over")
        assert stop(processes[survivor]) == 0, "the new leader stops cleanly on SIGTERM"
    finally:
        for process in (first, second):
            stop(process)


def test_stopped_scheduler_removes_its_entry(tmp_path):
    process = start("scheduler", env={"SCHEDULER_POLL_SECONDS": "0.5"}, log=tmp_path / "s.log")
    wait_for(lambda: instances().get(process.pid), 30, "the scheduler to lead")
    assert stop(process, signal.SIGINT) == 0
    assert process.pid not in instances()
