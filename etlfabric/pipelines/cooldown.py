"""A source connection that answered 503 cools down: a Redis key with a TTL; runs of pipelines
reading from it meanwhile end `skipped` with the reason instead of hammering the source."""

from __future__ import annotations

import contextlib

import redis

from etlfabric.services import run_events

DEFAULT_SECONDS = 300  # no Retry-After given
MIN_SECONDS = 60  # a run gave up after its retries: a 1 s Retry-After is not a real pause
MAX_SECONDS = 3600


def key(org_id: int, connection_id: int) -> str:
    return f"etlfabric:cooldown:{int(org_id)}:{int(connection_id)}"


def start(org_id: int, connection_id: int, seconds: int | None) -> int:
    ttl = max(MIN_SECONDS, min(MAX_SECONDS, seconds or DEFAULT_SECONDS))
    try:
        run_events.sync_redis().set(key(org_id, connection_id), str(ttl), ex=ttl)
    except redis.RedisError:
        return 0
    return ttl


def remaining(org_id: int, connection_id: int) -> int:
    """Seconds of cooldown left (0: none, or Redis did not answer: runs go ahead)."""
    try:
        left = run_events.sync_redis().ttl(key(org_id, connection_id))
    except redis.RedisError:
        return 0
    return max(0, int(left or 0))


def clear(org_id: int, connection_id: int) -> None:
    with contextlib.suppress(redis.RedisError):
        run_events.sync_redis().delete(key(org_id, connection_id))
