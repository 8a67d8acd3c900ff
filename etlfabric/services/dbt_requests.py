"""Interactive dbt requests from the web side: compile, preview and lineage are answered by a
worker (tasks.dbt, where the organisation's warm dbt child lives); the web waits for the answer
in a thread, with a timeout, so the event loop never blocks and dbt never runs in the web."""

from __future__ import annotations

import asyncio

from celery.exceptions import TimeoutError as CeleryTimeout

from etlfabric.errors import Invalid, NotFound, Unavailable

INTERACTIVE_TASK = "etlfabric.dbt.interactive"
WORKER_GRACE_SECONDS = 3.0
ANSWER_SECONDS = 90.0  # a cold project parse included; a warm compile answers in well under 1 s


def _wait(org_id: int, op: str, transformation_id: int | None, timeout: float) -> dict:
    from etlfabric.tasks import celery_app

    result = celery_app.send_task(INTERACTIVE_TASK, args=[int(org_id), op, transformation_id])
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
    from etlfabric.services import run_events, workers

    for _ in range(int(WORKER_GRACE_SECONDS / 0.25)):
        alive = await workers.list_workers()
        if any(w.alive and run_events.DEFAULT_QUEUE in w.queues for w in alive):
            return
        await asyncio.sleep(0.25)
    raise Unavailable(
        "No worker is running, and dbt only runs on workers: start one (etlfabric worker, or "
        "etlfabric up) and try again."
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
