"""Interactive dbt requests from the web side: compile, preview and lineage are answered by a
worker (tasks.dbt, where the organisation's warm dbt child lives); the web waits for the answer
in a thread, with a timeout, so the event loop never blocks and dbt never runs in the web.

They go to the `interactive` queue, which `etlfabric worker` serves with a small pool of its own
(worker_pools.py): a worker whose slots are all busy with hour-long runs still answers a compile
at once. The caller holds no database connection while it waits (services/transformations.py)."""

from __future__ import annotations

import asyncio

from celery.exceptions import TimeoutError as CeleryTimeout

from etlfabric.errors import Invalid, NotFound, Unavailable
from etlfabric.services.run_events import INTERACTIVE_QUEUE

INTERACTIVE_TASK = "etlfabric.dbt.interactive"
WORKER_GRACE_SECONDS = 3.0
ANSWER_SECONDS = 90.0  # a cold project parse included; a warm compile answers in well under 1 s


def _wait(org_id: int, op: str, transformation_id: int | None, timeout: float) -> dict:
    from etlfabric.tasks import celery_app

    result = celery_app.send_task(
        INTERACTIVE_TASK, args=[int(org_id), op, transformation_id], queue=INTERACTIVE_QUEUE
    )
    try:
        return result.get(timeout=timeout)
    except CeleryTimeout:
        raise Unavailable(
            f"No worker answered within {timeout:.0f} s; check that a worker is running "
            "(etlfabric worker) and try again."
        ) from None
    finally:
        result.forget()


async def _require_worker() -> None:
    """A request nobody will take fails at once (a worker just starting gets a few seconds to
    send its first heartbeat) instead of holding the caller for ANSWER_SECONDS."""
    from etlfabric.services import workers

    for _ in range(int(WORKER_GRACE_SECONDS / 0.25)):
        alive = await workers.list_workers()
        if any(w.alive and INTERACTIVE_QUEUE in w.queues for w in alive):
            return
        await asyncio.sleep(0.25)
    raise Unavailable(
        f"No worker is running for compile, preview and lineage (the '{INTERACTIVE_QUEUE}' "
        "queue), and dbt only runs on workers: start one (etlfabric worker, or etlfabric up) "
        "and try again."
    )


async def ask(
    org_id: int, op: str, transformation_id: int | None = None, timeout: float = ANSWER_SECONDS
) -> dict:
    """The worker's answer; dbt's refusal as Invalid("sql", ...) naming what dbt said."""
    await _require_worker()
    answer = await asyncio.to_thread(_wait, org_id, op, transformation_id, timeout)
    if answer.get("ok"):
        return answer
    status = answer.get("status")
    if status == 404:
        raise NotFound(answer["error"])
    if status == 503:
        raise Unavailable(answer["error"])
    raise Invalid(answer.get("field") or "sql", answer.get("error") or "dbt refused the request.")
