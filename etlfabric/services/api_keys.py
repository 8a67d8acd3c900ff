"""API keys: `etf_` + 256 random bits, shown once, stored as a SHA-256 hash with a lookup prefix.

A key acts in its organisation with the admin role at most, narrowed by its scopes.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import platform_session
from etlfabric.errors import Invalid, NotFound, Unauthenticated
from etlfabric.models import ApiKey, Organization, Role
from etlfabric.services import audit
from etlfabric.services.naming import require_text
from etlfabric.services.permissions import SCOPES, Principal, require
from etlfabric.services.tokens import sha256

KEY_PREFIX = "etf_"
LOOKUP_LENGTH = 12  # "etf_" + 8 characters of the secret
LAST_USED_RESOLUTION = timedelta(minutes=1)
INVALID_KEY = "This API key is not valid (unknown, revoked or expired)."


def _validate_scopes(scopes: list[str] | None) -> list[str]:
    chosen = sorted(set(scopes or []))
    if not chosen or not set(chosen) <= set(SCOPES):
        raise Invalid("scopes", f"Choose one or more of: {', '.join(sorted(SCOPES))}.")
    return chosen


def _validate_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= datetime.now(UTC):
        raise Invalid("expires_at", "The expiry must be in the future.")
    return expires_at


def public_view(key: ApiKey) -> dict:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """The new key and its secret; the secret is never stored and cannot be shown again."""
    require(principal, "api_keys.manage")
    name = require_text("name", name, max_length=200)
    chosen, expiry = _validate_scopes(scopes), _validate_expiry(expires_at)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        org_id=principal.org_id,
        name=name,
        prefix=secret[:LOOKUP_LENGTH],
        secret_hash=sha256(secret),
        scopes=chosen,
        created_by_id=principal.user_id,
        expires_at=expiry,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="api_key.create",
        resource_type="api_key",
        resource_id=key.id,
        new={"name": name, "scopes": chosen, "prefix": key.prefix},
    )
    return key, secret


async def list_keys(*, session: AsyncSession, principal: Principal) -> list[ApiKey]:
    require(principal, "api_keys.read")
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.org_id == principal.org_id).order_by(ApiKey.created_at.desc())
    )
    return list(rows)


async def revoke(*, session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    require(principal, "api_keys.manage")
    key = await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == principal.org_id)
    )
    if key is None:
        raise NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await audit.record(
            session=session,
            principal=principal,
            action="api_key.revoke",
            resource_type="api_key",
            resource_id=key.id,
            old={"name": key.name, "prefix": key.prefix},
        )
    return key


async def authenticate(secret: str, *, ip: str | None = None) -> Principal:
    """The principal an API key acts as; 401 for unknown, revoked or expired keys."""
    now = datetime.now(UTC)
    async with platform_session() as session:
        key = await session.scalar(
            select(ApiKey)
            .join(Organization, Organization.id == ApiKey.org_id)
            .where(ApiKey.prefix == secret[:LOOKUP_LENGTH], Organization.deleted_at.is_(None))
        )
        valid = key is not None and hmac.compare_digest(key.secret_hash, sha256(secret))
        if not valid or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
            raise Unauthenticated(INVALID_KEY)
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            await session.execute(
                update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
            )
    return Principal(
        org_id=key.org_id,
        role=Role.admin,
        api_key_id=key.id,
        scopes=frozenset(key.scopes),
        label=f"api key {key.name} ({key.prefix}…)",
        ip=ip,
    )
