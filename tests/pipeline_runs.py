"""Pipeline runs for the runner tests: a queued Run row, then the engine's own claim → perform →
record (tasks.runs), on the test's thread, without a broker."""

from __future__ import annotations

import socket

from etlfabric.db import sync_tenant_session
from etlfabric.models import Pipeline, Run, TargetType, Trigger
from etlfabric.services.run_logs import LogWriter
from etlfabric.tasks import runs as task_runs
from tests.run_factories import load, log_texts


def queue_run(org_id: int, pipeline: Pipeline, payload: dict | None = None) -> int:
    with sync_tenant_session(org_id) as session:
        run = Run(
            target_type=TargetType.pipeline,
            target_id=pipeline.id,
            target_name=pipeline.name,
            trigger=Trigger.manual,
            payload=payload,
        )
        session.add(run)
        session.flush()
        return run.id


def execute(org_id: int, pipeline: Pipeline, payload: dict | None = None) -> tuple[Run, list[str]]:
    """Run the pipeline once, as a worker would; the finished Run and its log lines."""
    return finish(org_id, queue_run(org_id, pipeline, payload))


def finish(org_id: int, run_id: int) -> tuple[Run, list[str]]:
    """Carry out a queued run (one started through the API, say) as a worker would."""
    work = task_runs.claim(org_id, run_id, f"test@{socket.gethostname()}")
    if work is not None:
        writer = LogWriter(org_id=org_id, run_id=run_id, secrets=work.secrets).start()
        outcome = task_runs.perform(org_id, run_id, work, writer)
        task_runs.record(org_id, run_id, work, outcome, writer)
    return load(org_id, run_id), log_texts(org_id, run_id)
