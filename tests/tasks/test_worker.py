"""A real Celery worker process answers over the real Redis broker."""

import pytest

from etlfabric.tasks import celery_app
from etlfabric.tasks.system import ping
from tests.processes import start, stop

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


def test_celery_settings_follow_the_design():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_reject_on_worker_lost is False
    assert conf.broker_transport_options["visibility_timeout"] > 24 * 3600
