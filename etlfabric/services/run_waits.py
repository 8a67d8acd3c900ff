"""Waiting for a run to end (`?wait=N` on triggers, `etlfabric run --wait`).

The end-of-log notice on Redis wakes the waiter at once; the Run row stays the truth, so the
status is read from the database after each notice and every few seconds in case one got lost.
"""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from etlfabric.db import tenant_session
from etlfabric.models import Run
from etlfabric.redis_client import get_redis
from etlfabric.services import run_events as events
from etlfabric.services.runs import TERMINAL

MAX_WAIT_SECONDS = 60
RECHECK_SECONDS = 2.0


async def load_run(org_id: int, run_id: int) -> Run:
    async with tenant_session(org_id) as session:
        return await session.scalar(select(Run).where(Run.id == run_id))


def _is_end(data) -> bool:
    try:
        notice = json.loads(data)
    except (TypeError, ValueError):
        return False
    return isinstance(notice, dict) and notice.get("end") is True


async def _end_notice(pubsub, timeout: float) -> bool:
    """True once an end-of-log marker arrives within `timeout` seconds (log batches skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message and _is_end(message.get("data")):
            return True
    return False


async def wait_for_end(*, org_id: int, run_id: int, timeout: float) -> Run:
    """The run once it has ended, or as it is when `timeout` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, timeout)
    pubsub = get_redis().pubsub()
    # Subscribe before reading the status: an end between the two is then not missed.
    await pubsub.subscribe(events.log_channel(org_id, run_id))
    try:
        while True:
            run = await load_run(org_id, run_id)
            left = deadline - loop.time()
            if run is None or run.status in TERMINAL or left <= 0:
                return run
            await _end_notice(pubsub, min(left, RECHECK_SECONDS))
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()
