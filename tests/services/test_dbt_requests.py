"""Interactive dbt requests need a worker on the `interactive` queue: with only run workers alive
the caller is told at once, naming the queue, instead of waiting for an answer nobody gives."""

from __future__ import annotations

import time

import pytest

from etlfabric.errors import Unavailable
from etlfabric.redis_client import get_redis
from etlfabric.services import dbt_requests, run_events, workers
from etlfabric.tasks import celery_app


async def test_only_run_workers_alive_answers_unavailable_at_once():
    await get_redis().delete(workers.WORKERS_KEY)
    workers.record_heartbeat("runs-only@host", [run_events.DEFAULT_QUEUE], 2)
    started = time.monotonic()
    with pytest.raises(Unavailable) as refused:
        await dbt_requests.ask(1, "lineage")
    assert time.monotonic() - started < dbt_requests.WORKER_GRACE_SECONDS + 2
    assert f"'{run_events.INTERACTIVE_QUEUE}' queue" in refused.value.message
    assert run_events.sync_redis().llen(run_events.INTERACTIVE_QUEUE) == 0  # nothing was sent


def test_the_interactive_task_is_routed_to_its_own_queue():
    route = celery_app.amqp.router.route({}, dbt_requests.INTERACTIVE_TASK)
    assert route["queue"].name == run_events.INTERACTIVE_QUEUE
