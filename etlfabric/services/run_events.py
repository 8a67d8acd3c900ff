"""What a run tells the outside world, and when: Celery messages and Redis notices, sent only after
the transaction that justifies them commits (never when it rolls back).

- `after_commit(session, action)`: run `action()` once the session's transaction has committed.
- `enqueue_after_commit`: the Celery message for a run carries `org_id` and `run_id`, nothing else.
- Channels per run: `log_channel` (batches of lines, then `{"end": true}`) and `cancel_channel`.
- `served_queues()`: the queues some live worker consumes (Celery inspect), cached briefly.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable

import redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from etlfabric.redis_client import redis_url

log = logging.getLogger("etlfabric.runs")

EXECUTE_RUN_TASK = "etlfabric.execute_run"
DEFAULT_QUEUE = "default"
WINDOWS_QUEUE = "windows"  # batch scripts; consumed only by workers on Windows
# compile / preview / lineage: served by a small pool of its own, never behind long runs
INTERACTIVE_QUEUE = "interactive"
SERVED_QUEUES_TTL_SECONDS = 10.0
INSPECT_TIMEOUT_SECONDS = 0.5
_PENDING = "etlfabric.after_commit"


def after_commit(session: Session | AsyncSession, action: Callable[[], None]) -> None:
    """Run `action()` after this session's outermost transaction commits; drop it if that rolls
    back. Savepoints neither run nor drop anything: SQLAlchemy signals their release as a commit
    (which would send a run before its row is visible), and an action registered inside a savepoint
    that rolls back still runs at the outer commit (a message for a run that is not there is
    harmless: the worker finds nothing to claim)."""
    sync_session = session.sync_session if isinstance(session, AsyncSession) else session
    sync_session.info.setdefault(_PENDING, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for action in session.info.pop(_PENDING, []):
        try:
            action()
        except Exception:  # the row is committed: the reaper re-sends what got lost here
            log.exception("an after-commit action failed")


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def send_run(org_id: int, run_id: int, queue: str = DEFAULT_QUEUE) -> None:
    """The Celery message for one run (sent now; callers normally use enqueue_after_commit)."""
    from etlfabric.tasks import celery_app  # the app object only; no task module is imported

    celery_app.send_task(EXECUTE_RUN_TASK, args=[int(org_id), int(run_id)], queue=queue)


def enqueue_after_commit(session, *, org_id: int, run_id: int, queue: str) -> None:
    after_commit(session, lambda: send_run(org_id, run_id, queue))


# --- Redis ------------------------------------------------------------------------------------

_clients: dict[tuple[int, str], redis.Redis] = {}
_clients_lock = threading.Lock()


def sync_redis() -> redis.Redis:
    """A blocking Redis client for workers, the scheduler and after-commit hooks (one per process:
    a client must not cross a fork)."""
    key = (os.getpid(), redis_url())
    with _clients_lock:
        if key not in _clients:
            _clients[key] = redis.Redis.from_url(
                key[1], decode_responses=True, socket_timeout=5, health_check_interval=30
            )
        return _clients[key]


def log_channel(org_id: int, run_id: int) -> str:
    return f"etlfabric:run:{int(org_id)}:{int(run_id)}:log"


def cancel_channel(org_id: int, run_id: int) -> str:
    return f"etlfabric:run:{int(org_id)}:{int(run_id)}:cancel"


def publish(channel: str, message: dict) -> None:
    sync_redis().publish(channel, json.dumps(message, separators=(",", ":")))


def publish_end_after_commit(session, *, org_id: int, run_id: int, status: str) -> None:
    """The end-of-log marker: live viewers stop waiting once the final status is committed."""
    marker = {"end": True, "status": status}
    after_commit(session, lambda: publish(log_channel(org_id, run_id), marker))


def publish_cancel_after_commit(session, *, org_id: int, run_id: int) -> None:
    after_commit(session, lambda: publish(cancel_channel(org_id, run_id), {"cancel": True}))


# --- Which queues have a worker ----------------------------------------------------------------

_served: tuple[float, frozenset[str]] | None = None


def served_queues() -> frozenset[str]:
    """Queues consumed by at least one live worker; asks the workers at most every few seconds."""
    global _served
    now = time.monotonic()
    if _served is None or now - _served[0] > SERVED_QUEUES_TTL_SECONDS:
        from etlfabric.tasks import celery_app

        replies = celery_app.control.inspect(timeout=INSPECT_TIMEOUT_SECONDS).active_queues()
        names = {queue["name"] for queues in (replies or {}).values() for queue in queues}
        _served = (now, frozenset(names))
    return _served[1]


def queue_refusal(queue: str) -> str | None:
    """Why a run on `queue` cannot start now (no live worker consumes it), or None. Blocking."""
    if queue == DEFAULT_QUEUE or queue in served_queues():
        return None
    if queue == WINDOWS_QUEUE:
        hint = "Batch scripts need a Windows worker (`etlfabric worker --queues windows`)."
    else:
        hint = f"Start a worker with `etlfabric worker --queues {queue}`."
    return f"No worker serves the '{queue}' queue, so the run cannot start. {hint} Not retried."


def forget_served_queues() -> None:
    """Ask the workers again next time (a worker was just started or stopped)."""
    global _served
    _served = None
