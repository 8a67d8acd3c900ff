"""Sign-up, sign-in, refresh, sign-out, organisation switch, and who a bearer token is.

These functions open their own transactions: a refresh-token reuse must stay revoked even though
the call then fails, and a throttled or failed login must still count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from sqlalchemy import select

from etlfabric.db import platform_session
from etlfabric.errors import Invalid, NotFound, PermissionDenied, Unauthenticated
from etlfabric.models import Membership, Organization, Role, User
from etlfabric.services import api_keys, organizations, throttle, tokens, users
from etlfabric.services.permissions import Principal
from etlfabric.services.tokens import TokenPair


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("etlfabric.data").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_new_password(password: str, field: str = "password") -> str:
    users.check_password_rules(password, field)
    if password.lower() in common_passwords():
        raise Invalid(field, "This password is among the most common ones; choose another.")
    return password


@dataclass(frozen=True)
class SignUp:
    user: User
    org: Organization
    tokens: TokenPair


async def signup(
    *, email: str, password: str, name: str, org_name: str, ip: str | None = None
) -> SignUp:
    """A new account and a new organisation it owns, signed in."""
    check_new_password(password)
    async with platform_session() as session:
        user = await users.create_user(session=session, email=email, password=password, name=name)
        org = await organizations.create_organization(
            session=session, name=org_name, owner=user, field_prefix="org_"
        )
        await organizations.record_created(session=session, org=org, owner=user, ip=ip)
        pair = await tokens.issue_pair(session=session, user_id=user.id, org_id=org.id, ip=ip)
        return SignUp(user, org, pair)


async def _default_org(session, user_id: int) -> int:
    org_id = await session.scalar(
        select(Membership.org_id)
        .join(Organization, Organization.id == Membership.org_id)
        .where(Membership.user_id == user_id, Organization.deleted_at.is_(None))
        .order_by(Membership.created_at)
        .limit(1)
    )
    if org_id is None:
        raise PermissionDenied("This account belongs to no organisation.")
    return org_id


async def login(*, email: str, password: str, ip: str | None = None) -> TokenPair:
    await throttle.check(email or "", ip)
    try:
        async with platform_session() as session:
            user = await users.authenticate(session=session, email=email, password=password)
            org_id = await _default_org(session, user.id)
            pair = await tokens.issue_pair(session=session, user_id=user.id, org_id=org_id, ip=ip)
    except Unauthenticated:
        await throttle.failed(email or "", ip)
        raise
    await throttle.succeeded(email)
    return pair


async def refresh(*, refresh_token: str, ip: str | None = None) -> TokenPair:
    async with platform_session() as session:
        row = await tokens.find_refresh(session=session, refresh_token=refresh_token)
        pair = await tokens.rotate(session=session, row=row, ip=ip)
        if pair is not None:
            try:
                await _require_member(session, row.user_id, row.org_id)
            except NotFound:
                raise Unauthenticated(tokens.INVALID) from None
    if pair is None:  # the family's revocation is committed; now refuse
        raise Unauthenticated("This session was already refreshed elsewhere; sign in again.")
    return pair


async def logout(*, refresh_token: str) -> None:
    """End this session's whole family; an unknown or spent token is simply ignored."""
    async with platform_session() as session:
        try:
            row = await tokens.find_refresh(session=session, refresh_token=refresh_token)
        except Unauthenticated:
            return
        await tokens.revoke_family(session=session, family_id=row.family_id)


async def switch_org(*, principal: Principal, org_id: int, ip: str | None = None) -> TokenPair:
    if principal.user_id is None:
        raise PermissionDenied("API keys belong to one organisation and cannot switch.")
    async with platform_session() as session:
        await _require_member(session, principal.user_id, org_id)
        return await tokens.issue_pair(
            session=session, user_id=principal.user_id, org_id=org_id, ip=ip
        )


async def _require_member(session, user_id: int, org_id: int) -> tuple[User, Role]:
    """The active user's role in an active organisation; NotFound otherwise (no existence leak)."""
    row = (
        await session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Organization, Organization.id == Membership.org_id)
            .where(
                User.id == user_id,
                Membership.org_id == org_id,
                User.is_active.is_(True),
                User.deleted_at.is_(None),
                Organization.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound("Organisation not found.")
    return row[0], row[1]


async def principal_from_bearer(token: str, *, ip: str | None = None) -> Principal:
    """Who is calling: a JWT access token or an API key (`etf_...`). 401 when neither is valid."""
    if not token:
        raise Unauthenticated("Sign in or send an API key as a bearer token.")
    if token.startswith(api_keys.KEY_PREFIX):
        return await api_keys.authenticate(token, ip=ip)
    claims = tokens.decode_access_token(token)
    async with platform_session() as session:
        try:
            user, role = await _require_member(session, claims.user_id, claims.org_id)
        except NotFound:
            raise Unauthenticated(tokens.INVALID) from None
    return Principal(org_id=claims.org_id, role=role, user_id=user.id, label=user.email, ip=ip)
