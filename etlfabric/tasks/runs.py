"""The task that executes one run: claim it, do its target's work, record how it ended.

The task is thin: status changes are services.runs, output is services.run_logs, the work itself is
a runner. EXECUTORS maps a target type to how its work is prepared from the database, so pipelines
and transformations plug in here without touching the engine.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from etlfabric.db import sync_tenant_session
from etlfabric.errors import ConfigError, DomainError, NotFound, SkipRun
from etlfabric.models import Run, Schedule, Script, TargetType
from etlfabric.pipelines.executor import prepare_pipeline
from etlfabric.runners.process import Limits, OnOutput, Outcome, ShouldCancel
from etlfabric.runners.script import ScriptSpec, run_script
from etlfabric.services import run_events, runs, script_env
from etlfabric.services.run_logs import LogWriter
from etlfabric.tasks import celery_app
from etlfabric.transformations.executor import prepare_transformation

log = logging.getLogger("etlfabric.tasks.runs")

HEARTBEAT_SECONDS = 5.0  # the reaper gives a run up after runs.STALE_AFTER (60 s) of silence
FINISH_ATTEMPTS = 5


@dataclass(frozen=True)
class Work:
    """A claimed run's work: call it with (on_output, should_cancel) to get its Outcome."""

    call: Callable[[OnOutput, ShouldCancel], Outcome]
    secrets: tuple[str, ...] = ()  # values masked in the log
    concurrency_limit: int | None = None  # runs of the same target allowed at once


def run_timeout(session: Session, run: Run, target_timeout: int) -> int:
    """The schedule's timeout, when the run came from a schedule that sets one; else the
    target's own."""
    if run.schedule_id is None:
        return target_timeout
    query = select(Schedule.timeout_seconds).where(Schedule.id == run.schedule_id)
    return session.scalar(query) or target_timeout


def prepare_script(session: Session, org_id: int, run: Run) -> Work:
    script = session.scalar(
        select(Script).where(Script.id == run.target_id, Script.deleted_at.is_(None))
    )
    if script is None:
        raise NotFound(f"The script '{run.target_name}' was deleted before this run started.")
    env_vars = script_env.decrypted_env_vars(script)
    spec = ScriptSpec(
        org_id=org_id,
        script_id=script.id,
        run_id=run.id,
        type=script.type.value,
        content=script.content,
        requirements=script.requirements,
        env_vars={str(k): str(v) for k, v in env_vars.items()},
        timeout_seconds=run_timeout(session, run, script.timeout_seconds),
        limits=Limits(memory_mb=script.memory_limit_mb, cpu_seconds=script.cpu_limit_seconds),
        payload=None if run.payload is None else json.dumps(run.payload),
    )
    return Work(
        call=lambda on_output, should_cancel: run_script(
            spec, on_output=on_output, should_cancel=should_cancel
        ),
        secrets=tuple(spec.env_vars.values()),
        concurrency_limit=script.max_concurrent_runs,
    )


# target type -> prepare(session, org_id, run) -> Work; a DomainError when the target is unusable
EXECUTORS: dict[TargetType, Callable[[Session, int, Run], Work]] = {
    TargetType.script: prepare_script,
    TargetType.pipeline: prepare_pipeline,
    TargetType.transformation: prepare_transformation,
}


def _refused(message: str) -> Outcome:
    return Outcome(None, "failed", message, 0, None, None)


def _failing(message: str) -> Work:
    def call(on_output: OnOutput, should_cancel: ShouldCancel) -> Outcome:
        on_output("system", message)
        return _refused(message)

    return Work(call=call)


def _prepare(session: Session, org_id: int, run: Run) -> Work:
    prepare = EXECUTORS.get(run.target_type)
    if prepare is None:
        return _failing(f"This worker cannot run {run.target_type.value} targets.")
    try:
        return prepare(session, org_id, run)
    except DomainError as exc:
        return _failing(exc.message)
    except ConfigError as exc:
        return _failing(str(exc))


class _Waits(Exception):
    """The run's target already runs as many runs as it may: roll the claim back."""


def claim(org_id: int, run_id: int, worker: str) -> Work | None:
    """The run's work if this delivery claimed it; None for a duplicate, a run not queued, or one
    that waits for a free slot of its target (it stays queued) or was skipped."""
    try:
        with sync_tenant_session(org_id) as session:
            run = runs.claim_run(session, org_id=org_id, run_id=run_id, worker=worker)
            if run is None:
                return None
            work = _prepare(session, org_id, run)
            limit = work.concurrency_limit
            if limit is not None and runs.over_limit(session, org_id, run, limit):
                log.info("run %s waits: its target runs %s at most", run_id, limit)
                raise _Waits
            return work
    except _Waits:
        return None
    except SkipRun as skip:  # rolled back above: the run is queued again, and now skipped
        with sync_tenant_session(org_id) as session:
            runs.skip_queued(session, org_id, run_id, skip.reason)
        return None
    except NotFound:  # the organisation was removed meanwhile
        return None


class RunWatch:
    """Beats the run's heart while it works and notices a cancel: at once from the Redis notice,
    and at each beat from the database (a missed notice, or the run given up by the reaper)."""

    def __init__(self, org_id: int, run_id: int, every: float = HEARTBEAT_SECONDS) -> None:
        self.org_id, self.run_id, self.every = org_id, run_id, every
        self._cancel, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="run-watch")

    def start(self) -> RunWatch:
        self._thread.start()
        return self

    def should_cancel(self) -> bool:
        return self._cancel.is_set()

    def stop(self) -> None:
        """Returns at once; the thread ends within one listening interval (0.2 s) on its own,
        and a late heartbeat of an ended run changes nothing."""
        self._stop.set()

    def _loop(self) -> None:
        pubsub = self._subscribe()
        # The claim set the first heartbeat; one check soon after catches a cancel sent before
        # the subscription above, then one every `every` seconds.
        next_beat = time.monotonic() + min(1.0, self.every)
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_beat:
                    self._beat()
                    next_beat = time.monotonic() + self.every
                self._listen(pubsub)
        finally:
            if pubsub is not None:
                pubsub.close()

    def _subscribe(self):
        try:
            pubsub = run_events.sync_redis().pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(run_events.cancel_channel(self.org_id, self.run_id))
            return pubsub
        except redis.RedisError:
            log.warning("no cancel notices for run %s; the database is polled", self.run_id)
            return None

    def _listen(self, pubsub) -> None:
        try:
            message = pubsub.get_message(timeout=0.2) if pubsub is not None else None
        except redis.RedisError:
            message = None
            self._stop.wait(0.2)
        else:
            if pubsub is None:
                self._stop.wait(0.2)
        if message and message.get("type") == "message":
            self._cancel.set()

    def _beat(self) -> None:
        try:
            with sync_tenant_session(self.org_id) as session:
                pulse = runs.heartbeat(session, run_id=self.run_id)
        except Exception:  # the reaper judges a run by its heartbeats; try again next beat
            log.warning("heartbeat of run %s failed", self.run_id, exc_info=True)
            return
        if pulse.cancel_requested or not pulse.running:
            self._cancel.set()


def perform(org_id: int, run_id: int, work: Work, writer: LogWriter) -> Outcome:
    """Do the work with the log writer and a watch; an unexpected error becomes a failed outcome."""
    watch = RunWatch(org_id, run_id).start()
    started = time.monotonic()
    try:
        return work.call(writer.write, watch.should_cancel)
    except Exception as exc:
        log.exception("run %s broke inside the worker", run_id)
        message = f"ETL Fabric failed while running this work ({type(exc).__name__}: {exc})."
        writer.write("system", message)
        elapsed_ms = int((time.monotonic() - started) * 1000)
        return Outcome(None, "failed", message, elapsed_ms, None, None)
    finally:
        watch.stop()


def why(outcome: Outcome, last_error_line: str) -> str | None:
    """The run's error; a bare "exit code N" gets the last line the child wrote to stderr
    (a Python traceback's last line names the exception), so the runs list says why."""
    bare = outcome.error and outcome.error.startswith("exit code ") and ":" not in outcome.error
    return f"{outcome.error}: {last_error_line}" if bare and last_error_line else outcome.error


def record(org_id: int, run_id: int, work: Work, outcome: Outcome, writer: LogWriter) -> None:
    """The last log lines and the final status in one transaction, so every line is stored
    before the status says the run ended; retried briefly, since otherwise the reaper fails a
    run that finished."""
    rest = writer.stop()
    for attempt in range(1, FINISH_ATTEMPTS + 1):
        try:
            with sync_tenant_session(org_id) as session:
                writer.store_with(session, rest)
                runs.finish_run(
                    session,
                    org_id=org_id,
                    run_id=run_id,
                    status=outcome.status,
                    exit_code=outcome.exit_code,
                    error=why(outcome, writer.last_error_line),
                    duration_ms=outcome.duration_ms,
                    peak_memory_mb=outcome.peak_memory_mb,
                    cpu_time_ms=outcome.cpu_time_ms,
                    rows_loaded=outcome.rows_loaded,
                    details=outcome.details,
                    release_target=work.concurrency_limit is not None,
                )
            return
        except DBAPIError:
            if attempt == FINISH_ATTEMPTS:
                raise
            log.warning("recording the end of run %s failed; retrying", run_id, exc_info=True)
            time.sleep(attempt)


@celery_app.task(name=run_events.EXECUTE_RUN_TASK, bind=True)
def execute_run(self, org_id: int, run_id: int) -> str:
    """The message carries only ids; everything else comes from the database."""
    worker = self.request.hostname or socket.gethostname()
    work = claim(org_id, run_id, worker)
    if work is None:
        return "not claimed"
    writer = LogWriter(org_id=org_id, run_id=run_id, secrets=work.secrets).start()
    outcome = perform(org_id, run_id, work, writer)
    record(org_id, run_id, work, outcome, writer)
    return outcome.status
