"""Liveness of the web process and of what it depends on; the version it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import etlfabric
from etlfabric.db import ping_database
from etlfabric.redis_client import ping_redis

CHECK_TIMEOUT_SECONDS = 2.0
MAX_REASON_LENGTH = 200

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    database: str
    redis: str


class Version(BaseModel):
    version: str
    api: str


async def check(ping: Callable[..., Awaitable[None]]) -> str:
    """ "ok", or "error: <short reason>"; never raises, never takes much longer than the timeout."""
    try:
        # The outer bound also covers a ping that ignores its own timeout (e.g. a slow DNS lookup).
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS + 0.5):
            await ping(timeout=CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"error: no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure is reported, not raised
        return f"error: {short_reason(exc)}"
    return "ok"


def short_reason(exc: BaseException) -> str:
    # SQLAlchemy wraps the driver's error (`.orig`) in a long message with a documentation link.
    cause = getattr(exc, "orig", None) or exc
    reason = " ".join(str(cause).split()) or type(cause).__name__
    return reason[:MAX_REASON_LENGTH]


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "A dependency does not answer"}},
    summary="Is the platform able to serve requests?",
)
async def health() -> JSONResponse:
    database, redis = await asyncio.gather(check(ping_database), check(ping_redis))
    healthy = database == "ok" and redis == "ok"
    report = Health(status="ok" if healthy else "error", database=database, redis=redis)
    return JSONResponse(report.model_dump(), status_code=200 if healthy else 503)


@router.get("/version", response_model=Version, summary="The running ETL Fabric version")
async def version() -> Version:
    return Version(version=etlfabric.__version__, api="v1")
