"""Access tokens (JWT, HS256, 15 minutes) and rotating refresh tokens (opaque, stored hashed).

Reusing a refresh token that was already rotated means it leaked: the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.config import get_settings
from etlfabric.errors import Unauthenticated
from etlfabric.models import RefreshToken

ALGORITHM = "HS256"
AUDIENCE = "etlfabric"
ISSUER = "etlfabric"
INVALID = "Your session is not valid; sign in again."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    org_id: int


def _secret() -> str:
    return get_settings().secret_key.get_secret_value()


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_access_token(*, user_id: int, org_id: int, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "org": org_id,
        "typ": "access",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=get_settings().access_token_minutes)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM)


def decode_access_token(token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            _secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require_exp": True, "require_aud": True, "require_sub": True},
        )
    except JWTError as exc:
        raise Unauthenticated(INVALID) from exc
    if claims.get("typ") != "access":
        raise Unauthenticated(INVALID)
    try:
        return AccessClaims(user_id=int(claims["sub"]), org_id=int(claims["org"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthenticated(INVALID) from exc


async def issue_pair(
    *,
    session: AsyncSession,
    user_id: int,
    org_id: int,
    family_id: str | None = None,
    ip: str | None = None,
) -> TokenPair:
    refresh = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            org_id=org_id,
            family_id=family_id or secrets.token_hex(16),
            token_hash=sha256(refresh),
            expires_at=datetime.now(UTC) + timedelta(days=get_settings().refresh_token_days),
            ip=ip,
        )
    )
    await session.flush()
    return TokenPair(create_access_token(user_id=user_id, org_id=org_id), refresh)


async def revoke_family(*, session: AsyncSession, family_id: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def revoke_sessions(*, session: AsyncSession, user_id: int, org_id: int | None = None):
    """End every session of a user (in one organisation, or everywhere)."""
    query = update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    if org_id is not None:
        query = query.where(RefreshToken.org_id == org_id)
    await session.execute(query.values(revoked_at=datetime.now(UTC)))


async def find_refresh(*, session: AsyncSession, refresh_token: str) -> RefreshToken:
    row = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == sha256(refresh_token or ""))
        .with_for_update()
    )
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
        raise Unauthenticated(INVALID)
    return row


async def rotate(
    *, session: AsyncSession, row: RefreshToken, ip: str | None = None
) -> TokenPair | None:
    """A new pair for a valid refresh token (from find_refresh). Reuse of a rotated one revokes
    the whole family and returns None: the caller commits that revocation, then refuses."""
    if row.rotated_at is not None:
        await revoke_family(session=session, family_id=row.family_id)
        return None
    row.rotated_at = datetime.now(UTC)
    return await issue_pair(
        session=session, user_id=row.user_id, org_id=row.org_id, family_id=row.family_id, ip=ip
    )
