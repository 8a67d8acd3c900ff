"""A real Celery worker process answers over the real Redis broker; `etlfabric worker` starts
an interactive worker beside it, which lives and dies with it."""

import signal
import socket

import psutil
import pytest

from etlfabric.services.run_events import INTERACTIVE_QUEUE
from etlfabric.tasks import celery_app
from etlfabric.tasks.system import ping
from tests.processes import start, stop, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.usefixtures("clean_queues")  # not behind runs another test left in the queue
def test_worker_answers_a_task(tmp_path):
    worker = start(
        "worker", "--concurrency", "1", "--hostname", "test-worker@%h", log=tmp_path / "worker.log"
    )
    try:
        answer = ping.delay().get(timeout=60)
        assert answer["pid"] != worker.pid, "prefork: a child process ran the task"
        assert set(answer) == {"host", "pid"}
    finally:
        assert stop(worker) == 0, (tmp_path / "worker.log").read_text()[-2000:]


def _celery_workers(supervisor) -> list[psutil.Process]:
    return [p for p in psutil.Process(supervisor.pid).children() if "celery" in p.cmdline()]


@pytest.mark.usefixtures("clean_queues")
def test_the_worker_starts_an_interactive_worker_beside_it_that_dies_with_it(tmp_path):
    host = socket.gethostname()
    names = [f"pools@{host}", f"pools-interactive@{host}"]
    supervisor = start(
        "worker", "--concurrency", "1", "--interactive", "1", "--hostname", "pools@%h",
        log=tmp_path / "worker.log",
    )  # fmt: skip
    try:
        for name in names:
            wait_for(lambda n=name: celery_app.control.ping([n], timeout=0.5), 60, name)
        queues = celery_app.control.inspect(names, timeout=2).active_queues()
        assert [q["name"] for q in queues[names[1]]] == [INTERACTIVE_QUEUE]
        assert [q["name"] for q in queues[names[0]]] == ["default"]
        pools = _celery_workers(supervisor)
        assert len(pools) == 2
        interactive = next(p for p in pools if "pools-interactive@%h" in p.cmdline())
        interactive.kill()  # it dies alone: started again, the run worker untouched
        wait_for(lambda: celery_app.control.ping([names[1]], timeout=0.5), 60, "a restart")
        assert len(_celery_workers(supervisor)) == 2
        pools = _celery_workers(supervisor)
        supervisor.send_signal(signal.SIGKILL)  # the supervisor dies: both workers go with it
        gone, alive = psutil.wait_procs(pools, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
    finally:
        stop(supervisor)


def test_celery_settings_follow_the_design():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_reject_on_worker_lost is False
    assert conf.broker_transport_options["visibility_timeout"] > 24 * 3600
