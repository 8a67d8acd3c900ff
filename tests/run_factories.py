"""Scripts and runs for the run-engine tests, written with the ORM and the runs service directly
(the scripts service is tested on its own)."""

from __future__ import annotations

import itertools
import socket
import time
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from etlfabric.crypto import encrypt_json
from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Run, RunLog, RunStatus, Script, ScriptType, TargetType, Trigger
from etlfabric.services import run_events, run_starts
from etlfabric.services.permissions import Principal

_numbers = itertools.count(1)


async def make_script(
    org_id: int,
    *,
    content: str = "print('hello')",
    type: str = "python",
    env_vars: dict[str, str] | None = None,
    **fields,
) -> Script:
    number = next(_numbers)
    async with tenant_session(org_id) as session:
        script = Script(
            name=fields.pop("name", f"Script {number}"),
            safe_name=f"script-{number}",
            type=ScriptType(type),
            content=content,
            env_vars_secret=encrypt_json(env_vars) if env_vars else None,
            **fields,
        )
        session.add(script)
        await session.flush()
        return script


async def start(principal: Principal, script: Script, **options) -> Run:
    async with tenant_session(principal.org_id) as session:
        return await run_starts.start_run(
            session=session,
            principal=principal,
            target_type=TargetType.script,
            target_id=script.id,
            target_name=script.name,
            trigger=options.pop("trigger", Trigger.manual),
            **options,
        )


def load(org_id: int, run_id: int) -> Run:
    with sync_tenant_session(org_id) as session:
        return session.get(Run, run_id)


def attempts(org_id: int, first_run_id: int) -> list[Run]:
    """The run and its retries, oldest first."""
    chain, current = [], first_run_id
    with sync_tenant_session(org_id) as session:
        while current is not None:
            run = session.get(Run, current)
            chain.append(run)
            current = session.scalar(select(Run.id).where(Run.retry_of_id == run.id))
    return chain


def log_texts(org_id: int, run_id: int) -> list[str]:
    with sync_tenant_session(org_id) as session:
        return list(
            session.scalars(select(RunLog.text).where(RunLog.run_id == run_id).order_by(RunLog.seq))
        )


def wait_status(
    org_id: int, run_id: int, statuses: Iterable[RunStatus | str], timeout: float = 60
) -> Run:
    wanted = {RunStatus(s) for s in statuses}
    deadline = time.monotonic() + timeout
    while True:
        run = load(org_id, run_id)
        if run.status in wanted:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} is {run.status}, not {wanted}, after {timeout}s")
        time.sleep(0.1)


def queued_messages(queue: str = "default") -> int:
    """Messages waiting in a Celery queue (kombu keeps each Redis queue as a list)."""
    return run_events.sync_redis().llen(queue)


def unacked_messages() -> int:
    return run_events.sync_redis().hlen("unacked")


def next_message(pubsub, timeout: float = 2.0) -> dict | None:
    """The next published message (subscribe confirmations are skipped), or None."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = pubsub.get_message(timeout=left)
        if message and message.get("type") == "message":
            return message
    return None


@contextmanager
def worker(
    log_dir: Path, name: str, *, concurrency: int = 2, queues: str = "default", interactive: int = 0
):
    """A real Celery worker process (prefork), ready to take tasks; stopped afterwards. With
    `interactive` slots, `etlfabric worker` also starts its interactive worker (dbt compile,
    preview, lineage) and the process is their supervisor."""
    from etlfabric.tasks import celery_app
    from etlfabric.worker_pools import interactive_hostname
    from tests.processes import start as start_process
    from tests.processes import stop, wait_for

    hostname = f"{name}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    hostnames = [hostname] + ([interactive_hostname(hostname)] if interactive else [])
    log = log_dir / f"{name}.log"
    process = start_process(
        "worker",
        "--concurrency",
        str(concurrency),
        "--queues",
        queues,
        "--hostname",
        hostname,
        "--interactive",
        str(interactive),
        log=log,
    )
    try:
        for each in hostnames:
            wait_for(
                lambda each=each: celery_app.control.ping(destination=[each], timeout=0.5),
                60,
                f"worker {each} to answer",
            )
        run_events.forget_served_queues()
        yield process
    finally:
        stop(process)
        run_events.forget_served_queues()


def worker_children(process) -> list[int]:
    import psutil

    return [child.pid for child in psutil.Process(process.pid).children()]


def sent_messages(queue: str = "default") -> list[list]:
    """[args, kwargs] of every Celery message waiting in `queue`."""
    import base64
    import json

    raw = run_events.sync_redis().lrange(queue, 0, -1)
    return [json.loads(base64.b64decode(json.loads(m)["body"]))[:2] for m in raw]
