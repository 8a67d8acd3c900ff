"""Login throttling in Redis: failed attempts counted per account and per IP over a window.

No permanent lockout: a window expires on its own. Keys hold a hash of the e-mail, not the e-mail.
"""

from __future__ import annotations

import hashlib

from etlfabric.errors import TooManyRequests
from etlfabric.redis_client import get_redis

WINDOW_SECONDS = 15 * 60
ACCOUNT_LIMIT = 10
IP_LIMIT = 50
MESSAGE = "Too many sign-in attempts. Wait a few minutes and try again."


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"throttle:login:account:{account}", ACCOUNT_LIMIT)]
    if ip:
        keys.append((f"throttle:login:ip:{ip}", IP_LIMIT))
    return keys


async def check(email: str, ip: str | None) -> None:
    """Refuse with 429 and Retry-After while either counter is at its limit."""
    redis = get_redis()
    for key, limit in _keys(email, ip):
        count = await redis.get(key)
        if count is not None and int(count) >= limit:
            retry_after = max(1, await redis.ttl(key))
            raise TooManyRequests(MESSAGE, retry_after=retry_after)


async def failed(email: str, ip: str | None) -> None:
    redis = get_redis()
    async with redis.pipeline(transaction=True) as pipe:
        for key, _ in _keys(email, ip):
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
        await pipe.execute()


async def succeeded(email: str) -> None:
    await get_redis().delete(_keys(email, None)[0][0])
