"""How a pipeline run is prepared and done: `prepare_pipeline` (registered in tasks.runs.EXECUTORS)
loads the pipeline and its connections, refuses what must not run, builds the spec, and returns a
Work that runs the child under runners.process limits.

The spec reaches the child through a FIFO in the run's fresh working directory, redirected to its
stdin: never argv, never the environment, never a file on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from etlfabric.config import get_settings
from etlfabric.errors import Conflict, NotFound, SkipRun
from etlfabric.models import Connection, Organization, Pipeline, Run
from etlfabric.pipelines import cooldown, spec, state
from etlfabric.pipelines.results import ResultReader
from etlfabric.runners.process import Command, Limits, OnOutput, Outcome, ShouldCancel, run_process
from etlfabric.runners.script import remove_tree
from etlfabric.services import run_logs, tenancy

MEMORY_MB = 2048
TIMEOUT_SECONDS = 3600
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
FIFO = "spec.fifo"


def _load(session: Session, model, row_id: int, what: str):
    row = session.scalar(select(model).where(model.id == row_id, model.deleted_at.is_(None)))
    if row is None:
        raise NotFound(f"The {what} was deleted before this run started.")
    return row


def prepare_pipeline(session: Session, org_id: int, run: Run):
    from etlfabric.tasks.runs import Work, run_timeout

    pipeline = _load(session, Pipeline, run.target_id, f"pipeline '{run.target_name}'")
    if not pipeline.enabled:
        raise Conflict(f"The pipeline '{pipeline.name}' is disabled; enable it to run it.")
    source = _load(session, Connection, pipeline.source_connection_id, "source connection")
    destination = _load(
        session, Connection, pipeline.destination_connection_id, "destination connection"
    )
    left = cooldown.remaining(org_id, source.id)
    if left:
        reason = (
            f"Skipped: source '{source.name}' answered 503 recently and cools down for "
            f"another {left} s."
        )
        raise SkipRun(reason)
    org = session.get(Organization, org_id)
    own = tenancy.list_data_schemas(session.connection(), org_id)
    spec.check_dataset(org_id, pipeline, destination, own)
    if destination.type == "warehouse" and pipeline.write_disposition == "merge":
        # dlt merges through "<dataset>_staging"; the workload role may not create schemas, so
        # the platform makes it (idempotent). Only for merge: dlt takes an existing staging
        # schema as initialised, and a drop would then look for its _dlt_version table.
        tenancy.create_data_schema(session.connection(), org_id, f"{pipeline.dataset_name}_staging")
    data_dir = get_settings().data_dir
    pending = state.pending_reset(data_dir, org_id, pipeline.id)
    payload = run.payload if isinstance(run.payload, dict) else {}
    child_spec = spec.build_spec(
        org=org,
        pipeline=pipeline,
        source=source,
        destination=destination,
        data_dir=data_dir,
        refresh=bool(payload.get("full_refresh")) or pending == "full_refresh",
        reset_state=pending == "state",
    )
    config_timeout = (pipeline.config or {}).get("timeout_seconds") or TIMEOUT_SECONDS
    job = ChildRun(
        org_id=org_id,
        run_id=run.id,
        pipeline_id=pipeline.id,
        source_id=source.id,
        spec=child_spec,
        timeout_seconds=run_timeout(session, run, int(config_timeout)),
        secrets=spec.secrets_of(source, destination, org),
        data_dir=data_dir,
        reset_pending=pending is not None,
    )
    return Work(call=job, secrets=job.secrets, concurrency_limit=1)


class ChildRun:
    """One run of the child: working dir, FIFO, run_process, the result read back."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __call__(self, on_output: OnOutput, should_cancel: ShouldCancel) -> Outcome:
        workdir = self.data_dir / "runs" / str(self.org_id) / f"pipeline-{self.run_id}"
        remove_tree(workdir)
        workdir.mkdir(parents=True, mode=0o700)
        (workdir / "tmp").mkdir(mode=0o700)
        Path(self.spec["pipelines_dir"]).mkdir(parents=True, exist_ok=True)
        reader = ResultReader(on_output)
        try:
            with feeding(workdir / FIFO, json.dumps(self.spec).encode()):
                outcome = run_process(
                    self.command(workdir), on_output=reader, should_cancel=should_cancel
                )
        finally:
            remove_tree(workdir)
        outcome = reader.outcome(outcome)
        self.after(reader.result or {}, outcome, on_output)
        mask = run_logs.masker(self.secrets)
        return replace(outcome, error=mask(outcome.error) if outcome.error else None)

    def command(self, workdir: Path) -> Command:
        return Command(
            argv=["/bin/sh", "-c", f'exec "$0" -u -m etlfabric.pipelines.child < {FIFO}']
            + [sys.executable],
            cwd=workdir,
            env=child_environment(workdir),
            timeout_seconds=self.timeout_seconds,
            limits=Limits(memory_mb=MEMORY_MB, file_size_mb=None, processes=256),
        )

    def after(self, result: dict, outcome: Outcome, on_output: OnOutput) -> None:
        if result.get("kind") == "unavailable":
            ttl = cooldown.start(self.org_id, self.source_id, result.get("retry_after"))
            on_output("system", f"The source connection cools down for {ttl} s.")
        if outcome.status == "succeeded" and self.reset_pending:
            state.clear_reset(self.data_dir, self.org_id, self.pipeline_id)


def child_environment(workdir: Path) -> dict[str, str]:
    """An allowlist: nothing of the worker's environment (DATABASE_URL, FERNET_KEYS...) passes."""
    return {
        "PATH": SYSTEM_PATH,
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": os.environ.get("TZ", "UTC"),
        "TMPDIR": str(workdir / "tmp"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "DLT_DATA_DIR": str(workdir / "dlt"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "RUNTIME__LOG_LEVEL": "WARNING",
        # dlt gzips its intermediate files by default: for 1M rows that is ~2.6 s of the
        # normalize step's ~4 s, to save disk space on files deleted once they are loaded...
        "DATA_WRITER__DISABLE_COMPRESSION": "true",
        # ...which dlt does not do by default: it keeps every loaded package's files (30-60 MB
        # per million rows, forever). The package folders, which state.py reads, stay.
        "LOAD__DELETE_COMPLETED_JOBS": "true",
        "DO_NOT_TRACK": "1",
    }


@contextlib.contextmanager
def feeding(fifo: Path, data: bytes):
    """A FIFO the child reads as stdin, written by a thread; unblocked if the child never reads."""
    os.mkfifo(fifo, 0o600)
    writer = threading.Thread(target=_write_fifo, args=(fifo, data), daemon=True)
    writer.start()
    try:
        yield
    finally:
        if writer.is_alive():  # the child died before opening it: open the read end ourselves
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=2)


def _write_fifo(fifo: Path, data: bytes) -> None:
    with contextlib.suppress(OSError), open(fifo, "wb") as pipe:
        pipe.write(data)
