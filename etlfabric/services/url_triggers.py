"""Firing a URL trigger token: `POST /api/v1/hooks/{token}` finds the organisation from the token
alone, checks it (unknown or revoked: 404, address not allowed: 403, over its rate: 429) and starts
a run of its target with the body as the run's payload.

Every call is audited in the organisation's log, refused ones too (in their own transaction, as
the refusal rolls nothing back); an unknown token has no organisation and is only logged. Neither
keeps the token: the audit names the token by id and prefix.
"""

from __future__ import annotations

import hmac
import logging
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from etlfabric.config import get_settings
from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import DomainError, NotFound, PermissionDenied, TooManyRequests
from etlfabric.models import Organization, Role, Run, Trigger, TriggerToken
from etlfabric.redis_client import get_redis
from etlfabric.services import addresses, audit, run_starts
from etlfabric.services.permissions import Principal
from etlfabric.services.tokens import sha256
from etlfabric.services.trigger_tokens import LOOKUP_LENGTH, TOKEN_PREFIX, target_text

log = logging.getLogger("etlfabric.triggers")

UNKNOWN = "No trigger is known by this token (unknown or revoked)."
WINDOW_SECONDS = 60
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Fired:
    org_id: int
    run: Run


def hook_path(secret: str) -> str:
    return f"/api/v1/hooks/{secret}"


def hook_url(secret: str) -> str:
    return get_settings().public_url.rstrip("/") + hook_path(secret)


def curl_example(secret: str) -> str:
    return (
        "curl -X POST -H 'Content-Type: application/json' "
        f'-d \'{{"key": "value"}}\' {shlex.quote(hook_url(secret))}'
    )


def status_url(run_id: int) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/v1/runs/{int(run_id)}"


async def _find(secret: str) -> TriggerToken | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) <= LOOKUP_LENGTH:
        return None
    async with platform_session() as session:
        token = await session.scalar(
            select(TriggerToken)
            .join(Organization, Organization.id == TriggerToken.org_id)
            .where(TriggerToken.prefix == secret[:LOOKUP_LENGTH], Organization.deleted_at.is_(None))
        )
    if token is None or not hmac.compare_digest(token.secret_hash, sha256(secret)):
        return None
    return token


def _principal(token: TriggerToken, ip: str | None) -> Principal:
    # Acts only through start_target: "runs.start", which an editor has.
    return Principal(
        org_id=token.org_id,
        role=Role.editor,
        label=f"trigger {token.name} ({token.prefix}…)",
        ip=ip,
    )


async def _over_rate(token: TriggerToken) -> int:
    """0 while the token is within its rate; otherwise the seconds until its window ends."""
    key = f"throttle:trigger:{token.id}"
    async with get_redis().pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    return max(1, int(ttl)) if int(count) > token.rate_per_minute else 0


async def _audit_call(principal: Principal, token: TriggerToken, outcome: str, **values) -> None:
    async with tenant_session(token.org_id) as session:
        await _record(session, principal, token, outcome, **values)


async def _record(session, principal, token: TriggerToken, outcome: str, **values) -> None:
    await audit.record(
        session=session,
        principal=principal,
        action="trigger.call",
        resource_type="trigger_token",
        resource_id=token.id,
        new={"outcome": outcome, "target": target_text(token), **values},
    )


def _refusal(token: TriggerToken, ip: str | None) -> tuple[str, DomainError] | None:
    if token.revoked_at is not None:
        return "revoked", NotFound(UNKNOWN)
    if not addresses.allowed(ip, list(token.allowed_ips or [])):
        shown = ip or "an unknown address"
        return "ip_not_allowed", PermissionDenied(
            f"This trigger does not accept calls from {shown}; add it to the token's allowed IPs."
        )
    return None


async def fire(*, secret: str, ip: str | None, payload: dict | None = None) -> Fired:
    """Start a run of the token's target; a refused call raises after its audit row commits."""
    token = await _find(secret)
    if token is None:
        log.warning("URL trigger refused: unknown token, from %s", ip or "an unknown address")
        raise NotFound(UNKNOWN)
    principal = _principal(token, ip)
    refusal = _refusal(token, ip)
    if refusal is None and (retry_after := await _over_rate(token)):
        message = (
            f"This trigger accepts {token.rate_per_minute} calls per minute; "
            f"try again in {retry_after} s."
        )
        refusal = "rate_limited", TooManyRequests(message, retry_after=retry_after)
    if refusal is not None:
        outcome, error = refusal
        log.info("URL trigger %s refused (%s), from %s", token.id, outcome, ip)
        await _audit_call(principal, token, outcome)
        raise error
    try:
        async with tenant_session(token.org_id) as session:
            run = await run_starts.start_target(
                session=session,
                principal=principal,
                target_type=token.target_type,
                target_id=token.target_id,
                trigger=Trigger.url,
                payload=payload,
            )
            await _record(session, principal, token, "accepted", run_id=run.id)
    except DomainError as exc:
        await _audit_call(principal, token, "not_started", reason=exc.message)
        raise
    await _touch(token)
    return Fired(org_id=token.org_id, run=run)


async def _touch(token: TriggerToken) -> None:
    now = datetime.now(UTC)
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    async with platform_session() as session:
        await session.execute(
            update(TriggerToken).where(TriggerToken.id == token.id).values(last_used_at=now)
        )
