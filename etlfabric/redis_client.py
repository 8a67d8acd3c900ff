"""The shared Redis client (broker, live logs, throttling)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from etlfabric.config import get_settings
from etlfabric.errors import ConfigError

_clients: dict[str, aioredis.Redis] = {}


def redis_url() -> str:
    url = get_settings().redis_url
    if not url:
        raise ConfigError("REDIS_URL is not set (run `etlfabric up` for an embedded Redis).")
    return url


def get_redis() -> aioredis.Redis:
    url = redis_url()
    if url not in _clients:
        _clients[url] = aioredis.from_url(url, decode_responses=True, socket_timeout=5)
    return _clients[url]


async def close_redis() -> None:
    for client in list(_clients.values()):
        await client.aclose()
    _clients.clear()


async def ping_redis(timeout: float = 2.0) -> None:
    """Raise when Redis does not answer PING within `timeout` seconds."""
    await asyncio.wait_for(get_redis().ping(), timeout)
