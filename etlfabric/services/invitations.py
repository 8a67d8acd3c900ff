"""Invitations: by e-mail, valid 7 days; accepting joins the organisation, creating the account
when there is none. The token is shown to the inviter once and stored only as a hash."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.config import get_settings
from etlfabric.db import platform_session
from etlfabric.errors import Conflict, NotFound, PermissionDenied
from etlfabric.models import Invitation, Membership, Organization, Role
from etlfabric.services import audit, mailer, tokens, users
from etlfabric.services.members import parse_role
from etlfabric.services.permissions import Principal, require
from etlfabric.services.tokens import TokenPair, sha256

log = logging.getLogger("etlfabric.invitations")
VALID_FOR = timedelta(days=7)
NOT_VALID = "This invitation is not valid: it was used, revoked or has expired."


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str
    accept_url: str
    emailed: bool = False


def accept_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/invite/{token}"


async def create(
    *, session: AsyncSession, principal: Principal, email: str, role: str
) -> NewInvitation:
    require(principal, "members.invite")
    email, chosen = users.normalise_email(email), parse_role(role)
    if chosen == Role.owner and principal.role != Role.owner:
        raise PermissionDenied("Only an owner can invite another owner.")
    existing = await users.find_by_email(session=session, email=email)
    if existing is not None and await session.scalar(
        select(Membership.id).where(
            Membership.org_id == principal.org_id, Membership.user_id == existing.id
        )
    ):
        raise Conflict(f"{email} is already a member.", field="email")
    now = datetime.now(UTC)
    for older in await pending(session=session, principal=principal, email=email):
        older.revoked_at = now  # one live invitation per address
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        org_id=principal.org_id,
        email=email,
        role=chosen,
        token_hash=sha256(token),
        invited_by_id=principal.user_id,
        expires_at=now + VALID_FOR,
    )
    session.add(invitation)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="invitation.create",
        resource_type="invitation",
        resource_id=invitation.id,
        new={"email": email, "role": chosen.value},
    )
    return NewInvitation(invitation, token, accept_url(token))


async def invite_and_notify(*, principal: Principal, email: str, role: str) -> NewInvitation:
    """Create the invitation, commit, then e-mail it when SMTP is configured."""
    async with platform_session() as session:
        new = await create(session=session, principal=principal, email=email, role=role)
        org = await session.get(Organization, principal.org_id)
    if not mailer.smtp_configured():
        return new
    try:
        await mailer.send(
            to=new.invitation.email,
            subject=f"You are invited to {org.name} on ETL Fabric",
            body=(
                f"{principal.label or 'A member'} invited you to join {org.name} as "
                f"{new.invitation.role.value}.\n\nAccept within 7 days:\n{new.accept_url}\n"
            ),
        )
    except Exception as exc:  # the inviter still gets the link to send by hand
        log.warning("invitation e-mail to %s failed: %s", new.invitation.email, exc)
        return new
    return NewInvitation(new.invitation, new.token, new.accept_url, emailed=True)


async def pending(
    *, session: AsyncSession, principal: Principal, email: str | None = None
) -> list[Invitation]:
    require(principal, "members.read")
    query = select(Invitation).where(
        Invitation.org_id == principal.org_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > datetime.now(UTC),
    )
    if email:
        query = query.where(Invitation.email == email)
    return list(await session.scalars(query.order_by(Invitation.created_at.desc())))


async def revoke(*, session: AsyncSession, principal: Principal, invitation_id: int) -> None:
    require(principal, "members.invite")
    invitation = await session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.org_id == principal.org_id
        )
    )
    if invitation is None:
        raise NotFound("Invitation not found.")
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = datetime.now(UTC)
        await audit.record(
            session=session,
            principal=principal,
            action="invitation.revoke",
            resource_type="invitation",
            resource_id=invitation.id,
            old={"email": invitation.email},
        )


async def _live_invitation(session: AsyncSession, token: str) -> Invitation:
    invitation = await session.scalar(
        select(Invitation)
        .join(Organization, Organization.id == Invitation.org_id)
        .where(Invitation.token_hash == sha256(token or ""), Organization.deleted_at.is_(None))
        .with_for_update(of=Invitation)
    )
    if (
        invitation is None
        or invitation.accepted_at
        or invitation.revoked_at
        or invitation.expires_at <= datetime.now(UTC)
    ):
        raise NotFound(NOT_VALID)
    return invitation


async def describe(*, token: str) -> dict:
    """What the accept page shows before anyone signs in."""
    async with platform_session() as session:
        invitation = await _live_invitation(session, token)
        org = await session.get(Organization, invitation.org_id)
        has_account = await users.find_by_email(session=session, email=invitation.email)
        return {
            "email": invitation.email,
            "role": invitation.role.value,
            "org_name": org.name,
            "has_account": has_account is not None,
        }


async def accept(
    *,
    token: str,
    password: str,
    name: str | None = None,
    signed_in_user_id: int | None = None,
    ip: str | None = None,
) -> tuple[TokenPair, int]:
    """Join the organisation: an existing account proves itself with its password (or by being
    signed in), a new one is created with `name` and `password`. Returns tokens and the org id."""
    async with platform_session() as session:
        invitation = await _live_invitation(session, token)
        user = await users.find_by_email(session=session, email=invitation.email)
        if user is None:
            from etlfabric.services.auth import check_new_password

            check_new_password(password)
            user = await users.create_user(
                session=session,
                email=invitation.email,
                password=password,
                name=name or invitation.email,
            )
        elif signed_in_user_id != user.id:
            user = await users.authenticate(session=session, email=user.email, password=password)
        session.add(Membership(org_id=invitation.org_id, user_id=user.id, role=invitation.role))
        invitation.accepted_at = datetime.now(UTC)
        principal = Principal(
            org_id=invitation.org_id, role=invitation.role, user_id=user.id, label=user.email, ip=ip
        )
        await audit.record(
            session=session,
            principal=principal,
            action="invitation.accept",
            resource_type="member",
            resource_id=user.id,
            new={"email": user.email, "role": invitation.role.value},
        )
        pair = await tokens.issue_pair(
            session=session, user_id=user.id, org_id=invitation.org_id, ip=ip
        )
        return pair, invitation.org_id
