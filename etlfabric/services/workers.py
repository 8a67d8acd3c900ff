"""Which Celery workers are alive, which queues they serve, and how many runs wait in each queue.

Each worker records a heartbeat in one Redis hash every few seconds (`record_heartbeat`, from a
thread the worker starts when it is ready); readers see a worker as alive while its heartbeat is
fresh. Reading is one HGETALL and a few LLENs: no broadcast to the workers, nothing that blocks
the web process's event loop for longer than a Redis round trip.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from etlfabric.redis_client import get_redis
from etlfabric.services import run_events

WORKERS_KEY = "etlfabric:workers"
HEARTBEAT_SECONDS = 5.0
ALIVE_SECONDS = 20.0  # four missed heartbeats: the worker is gone
FORGET_SECONDS = 24 * 3600  # a dead worker is listed as dead for a day, then forgotten
# kombu's Redis transport keeps messages of priority n > 0 in "<queue>\x06\x16<n>".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
KNOWN_QUEUES = (run_events.DEFAULT_QUEUE, run_events.INTERACTIVE_QUEUE, run_events.WINDOWS_QUEUE)


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    host: str
    pid: int
    queues: tuple[str, ...]
    concurrency: int
    seen_at: float  # unix time of the last heartbeat
    alive: bool


def record_heartbeat(name: str, queues: list[str], concurrency: int) -> None:
    """This worker is alive now and consumes `queues` (called from the worker itself)."""
    beat = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "queues": sorted(queues),
        "concurrency": int(concurrency),
        "seen_at": time.time(),
    }
    run_events.sync_redis().hset(WORKERS_KEY, name, json.dumps(beat))


def forget_worker(name: str) -> None:
    """A worker stopping cleanly says so at once instead of going stale."""
    run_events.sync_redis().hdel(WORKERS_KEY, name)


def _parse(name: str, raw: str, now: float) -> WorkerInfo | None:
    try:
        beat = json.loads(raw)
        seen = float(beat["seen_at"])
        return WorkerInfo(
            name=name,
            host=str(beat.get("host", "")),
            pid=int(beat.get("pid", 0)),
            queues=tuple(beat.get("queues", ())),
            concurrency=int(beat.get("concurrency", 0)),
            seen_at=seen,
            alive=now - seen <= ALIVE_SECONDS,
        )
    except (ValueError, KeyError, TypeError):
        return None  # a malformed entry is forgotten like a long-dead worker


async def list_workers(now: float | None = None) -> list[WorkerInfo]:
    """Every worker that beat in the last day, alive ones first, by name."""
    now = time.time() if now is None else now
    client = get_redis()
    entries = await client.hgetall(WORKERS_KEY)
    workers, forgotten = [], []
    for name, raw in entries.items():
        info = _parse(name, raw, now)
        if info is None or now - info.seen_at > FORGET_SECONDS:
            forgotten.append(name)
        else:
            workers.append(info)
    if forgotten:
        await client.hdel(WORKERS_KEY, *forgotten)
    return sorted(workers, key=lambda w: (not w.alive, w.name))


async def queue_depths(workers: list[WorkerInfo]) -> dict[str, int]:
    """Messages waiting in each queue: the known queues and every queue a worker serves."""
    names = sorted({*KNOWN_QUEUES, *(q for w in workers for q in w.queues)})
    pipe = get_redis().pipeline(transaction=False)
    for name in names:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(name + suffix)
    lengths = await pipe.execute()
    step = len(_PRIORITY_SUFFIXES)
    return {name: sum(lengths[i * step : (i + 1) * step]) for i, name in enumerate(names)}
