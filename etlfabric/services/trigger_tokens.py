"""URL trigger tokens: `etf_trg_` + 256 random bits, shown once, stored as a SHA-256 hash with a
lookup prefix, per target, revocable, with an optional IP allowlist and a rate per minute.

Tokens live in the platform schema (a call finds its organisation from the token alone); the
functions here take the organisation's tenant session, which reaches both schemas, so the target
check, the token and the audit row share one transaction. Firing a token is url_triggers.py.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid, NotFound
from etlfabric.models import TriggerToken
from etlfabric.services import addresses, audit, targets
from etlfabric.services.naming import require_text
from etlfabric.services.permissions import Principal, require
from etlfabric.services.tokens import sha256

TOKEN_PREFIX = "etf_trg_"
LOOKUP_LENGTH = 16  # "etf_trg_" + 8 characters of the secret
DEFAULT_RATE = 60
MAX_RATE = 10_000


def target_text(token: TriggerToken) -> str:
    return f"{token.target_type.value}:{token.target_id}"


def public_view(token: TriggerToken) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "target": target_text(token),
        "allowed_ips": list(token.allowed_ips or []),
        "rate_per_minute": token.rate_per_minute,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


def _validate_rate(rate: int | None) -> int:
    if rate is None:
        return DEFAULT_RATE
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE:
        raise Invalid("rate_per_minute", f"Choose a whole number from 1 to {MAX_RATE}.")
    return rate


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    target: targets.Key,
    name: str,
    allowed_ips: list[str] | None = None,
    rate_per_minute: int | None = DEFAULT_RATE,
) -> tuple[TriggerToken, str]:
    """The new token and its secret; the secret is never stored and cannot be shown again."""
    # Who may edit the target may add a way in; it must not start more than its maker could.
    require(principal, "resources.write")
    require(principal, "runs.start")
    name = require_text("name", name, max_length=200)
    networks = addresses.parse_networks("allowed_ips", allowed_ips or [])
    rate = _validate_rate(rate_per_minute)
    target_name = await targets.live_name(session, target)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = TriggerToken(
        org_id=principal.org_id,
        target_type=target[0],
        target_id=target[1],
        name=name,
        prefix=secret[:LOOKUP_LENGTH],
        secret_hash=sha256(secret),
        allowed_ips=networks,
        rate_per_minute=rate,
        created_by_id=principal.user_id,
    )
    session.add(token)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="trigger_token.create",
        resource_type="trigger_token",
        resource_id=token.id,
        new={
            "name": name,
            "prefix": token.prefix,
            "target": target_text(token),
            "target_name": target_name,
            "allowed_ips": networks,
            "rate_per_minute": rate,
        },
    )
    return token, secret


async def list_tokens(
    *, session: AsyncSession, principal: Principal, target: targets.Key
) -> list[TriggerToken]:
    """The target's tokens, newest first, revoked ones included."""
    require(principal, "runs.start")
    await targets.live_name(session, target)
    rows = await session.scalars(
        select(TriggerToken)
        .where(
            TriggerToken.org_id == principal.org_id,
            TriggerToken.target_type == target[0],
            TriggerToken.target_id == target[1],
        )
        .order_by(TriggerToken.created_at.desc(), TriggerToken.id.desc())
    )
    return list(rows)


async def revoke(*, session: AsyncSession, principal: Principal, token_id: int) -> TriggerToken:
    require(principal, "resources.write")
    token = await session.scalar(
        select(TriggerToken).where(
            TriggerToken.id == token_id, TriggerToken.org_id == principal.org_id
        )
    )
    if token is None:
        raise NotFound("Trigger token not found.")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await audit.record(
            session=session,
            principal=principal,
            action="trigger_token.revoke",
            resource_type="trigger_token",
            resource_id=token.id,
            old={"name": token.name, "prefix": token.prefix, "target": target_text(token)},
        )
    return token
