from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from etlfabric.db import platform_session
from etlfabric.errors import Conflict, NotFound, PermissionDenied, Unauthenticated
from etlfabric.models import Invitation, Role
from etlfabric.services import auth, invitations, members
from tests.factories import make_member, make_owned_org, make_user

PASSWORD = "a long enough passphrase"


async def invite(principal, email, role="editor"):
    return await invitations.invite_and_notify(principal=principal, email=email, role=role)


async def test_accepting_creates_the_account_and_joins_with_the_role():
    org, _, owner = await make_owned_org()
    new = await invite(owner, "Newcomer@Example.com", "viewer")
    assert new.accept_url.endswith(f"/invite/{new.token}") and not new.emailed
    info = await invitations.describe(token=new.token)
    assert info == {
        "email": "newcomer@example.com",
        "role": "viewer",
        "org_name": org.name,
        "has_account": False,
    }
    pair, org_id = await invitations.accept(token=new.token, password=PASSWORD, name="Newcomer")
    principal = await auth.principal_from_bearer(pair.access_token)
    assert (principal.org_id, principal.role) == (org.id, Role.viewer)
    with pytest.raises(NotFound):
        await invitations.accept(token=new.token, password=PASSWORD, name="Again")


async def test_existing_account_must_prove_itself():
    org, _, owner = await make_owned_org()
    existing = await make_user(password=PASSWORD)
    new = await invite(owner, existing.email)
    with pytest.raises(Unauthenticated):
        await invitations.accept(token=new.token, password="not the password")
    _, org_id = await invitations.accept(token=new.token, password=PASSWORD)
    assert org_id == org.id


async def test_expired_and_revoked_invitations_are_not_valid():
    _, _, owner = await make_owned_org()
    expired, revoked = await invite(owner, "late@example.com"), await invite(owner, "r@example.com")
    async with platform_session() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == expired.invitation.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await invitations.revoke(
            session=session, principal=owner, invitation_id=revoked.invitation.id
        )
    for token in (expired.token, revoked.token, "made-up"):
        with pytest.raises(NotFound):
            await invitations.accept(token=token, password=PASSWORD, name="X")


async def test_rules_for_who_invites_whom():
    org, _, owner = await make_owned_org()
    member, admin = await make_member(org, "admin")
    with pytest.raises(PermissionDenied):
        await invite(admin, "boss@example.com", "owner")
    with pytest.raises(Conflict):
        await invite(owner, member.email)
    first = await invite(owner, "twice@example.com")
    await invite(owner, "twice@example.com")
    async with platform_session() as session:
        pending = await invitations.pending(session=session, principal=owner)
    assert [p.email for p in pending].count("twice@example.com") == 1
    assert first.invitation.id not in [p.id for p in pending]
    async with platform_session() as session:
        assert len(await members.list_members(session=session, principal=owner)) == 2
