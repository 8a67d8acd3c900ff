"""The Celery app. Tasks are thin: they take ids, call a service or runner, and return."""

from __future__ import annotations

import logging
import threading
import time

from celery import Celery
from celery.signals import (
    setup_logging,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)

from etlfabric.config import get_settings
from etlfabric.services.dbt_requests import INTERACTIVE_TASK
from etlfabric.services.run_events import INTERACTIVE_QUEUE

# Longer than the longest run we allow (24 h), so Redis never re-delivers a run still in progress.
VISIBILITY_TIMEOUT_SECONDS = 25 * 3600


def make_celery() -> Celery:
    settings = get_settings()
    app = Celery(
        "etlfabric",
        broker=settings.redis_url,
        backend=settings.redis_url,  # only tasks that ask for a result store one
        include=[
            "etlfabric.tasks.system",
            "etlfabric.tasks.runs",
            "etlfabric.tasks.notifications",
            "etlfabric.tasks.dbt",
        ],
    )
    app.conf.update(
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_reject_on_worker_lost=False,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        result_expires=3600,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="default",
        # compile / preview / lineage wait for an answer: a pool of their own serves them
        task_routes={INTERACTIVE_TASK: {"queue": INTERACTIVE_QUEUE}},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        timezone="UTC",
    )
    return app


celery_app = make_celery()
app = celery_app  # `celery -A etlfabric.tasks` looks for `app` or `celery`


@setup_logging.connect
def _json_logs(**_) -> None:
    """Celery leaves logging alone when this signal has a receiver: ours writes JSON lines."""
    from etlfabric.logs import configure_logging

    configure_logging("worker")


@worker_init.connect
def _protect_the_worker(**_) -> None:
    """The worker's memory and environment hold the platform's secrets: not readable through
    /proc by a script running as the same user (workers not running as root)."""
    from etlfabric.runners.script import protect_worker_process

    protect_worker_process()


@worker_ready.connect
def _prune_environments_here(**_) -> None:
    """Script environments live on each worker's machine: each worker prunes its own, now and
    then (safe beside builds, runs and other workers: environments in use are locked)."""
    from etlfabric.orchestration import reaper

    def loop() -> None:
        while True:
            try:
                reaper.prune_environments()
            except Exception:  # a full disk or a vanished folder must not stop the loop
                logging.getLogger("etlfabric.tasks").warning("pruning failed", exc_info=True)
            time.sleep(reaper.PRUNE_SWEEP_SECONDS)

    threading.Thread(target=loop, daemon=True, name="environment-prune").start()


@worker_ready.connect
def _start_heartbeat(sender=None, **_) -> None:
    """Record this worker and its queues in Redis every few seconds (the health page and
    /api/metrics read it without asking the workers)."""
    from etlfabric.services import workers

    name = sender.hostname
    queues = list(sender.app.amqp.queues.consume_from or {})
    concurrency = getattr(getattr(sender, "controller", None), "concurrency", 0) or 0

    def loop() -> None:
        while True:
            try:
                workers.record_heartbeat(name, queues, concurrency)
            except Exception:  # Redis away for a moment: the next beat catches up
                logging.getLogger("etlfabric.tasks").warning("heartbeat failed", exc_info=True)
            time.sleep(workers.HEARTBEAT_SECONDS)

    threading.Thread(target=loop, daemon=True, name="worker-heartbeat").start()


@worker_shutdown.connect
def _forget_this_worker(sender=None, **_) -> None:
    from etlfabric.services import workers

    try:
        workers.forget_worker(sender.hostname)
    except Exception:
        logging.getLogger("etlfabric.tasks").warning("could not forget the worker", exc_info=True)


@worker_process_init.connect
def _fresh_engines_in_child(**_) -> None:
    """Pooled connections must not cross a fork. A new child also kills what the runs of a dead
    child left running (Celery replaces a killed child at once)."""
    from etlfabric import db
    from etlfabric.runners import orphans

    for engine in db._sync_engines.values():
        engine.dispose(close=False)
    db._sync_engines.clear()
    db._async_engines.clear()
    orphans.sweep(get_settings().data_dir)
