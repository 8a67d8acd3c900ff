import pytest
from sqlalchemy import select

from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import AuditLog, Role
from etlfabric.services import invitations, members
from tests.factories import make_member, make_owned_org


async def audit_actions(org_id: int) -> list[str]:
    async with tenant_session(org_id) as session:
        return list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


async def test_viewer_can_read_but_not_change_anything():
    org, owner, _ = await make_owned_org()
    editor, _ = await make_member(org, "editor")
    _, viewer = await make_member(org, "viewer")
    async with platform_session() as session:
        listed = await members.list_members(session=session, principal=viewer)
        assert {m.user_id for m in listed} >= {owner.id, editor.id}
        with pytest.raises(PermissionDenied):
            await invitations.create(
                session=session, principal=viewer, email="x@example.com", role="viewer"
            )
        with pytest.raises(PermissionDenied):
            await members.change_role(
                session=session, principal=viewer, user_id=editor.id, role="viewer"
            )
        with pytest.raises(PermissionDenied):
            await members.remove_member(session=session, principal=viewer, user_id=editor.id)
    assert await audit_actions(org.id) == []


async def test_admin_cannot_remove_or_demote_the_owner_nor_make_owners():
    org, owner, _ = await make_owned_org()
    editor, _ = await make_member(org, "editor")
    _, admin = await make_member(org, "admin")
    async with platform_session() as session:
        with pytest.raises(PermissionDenied):
            await members.remove_member(session=session, principal=admin, user_id=owner.id)
        with pytest.raises(PermissionDenied):
            await members.change_role(
                session=session, principal=admin, user_id=owner.id, role="admin"
            )
        with pytest.raises(PermissionDenied):
            await members.change_role(
                session=session, principal=admin, user_id=editor.id, role="owner"
            )
        await members.change_role(
            session=session, principal=admin, user_id=editor.id, role="viewer"
        )
    assert await audit_actions(org.id) == ["member.change_role"]


async def test_last_owner_cannot_leave_or_be_demoted_until_another_owner_exists():
    org, owner, owner_principal = await make_owned_org()
    async with platform_session() as session:
        with pytest.raises(Conflict, match="last owner"):
            await members.remove_member(
                session=session, principal=owner_principal, user_id=owner.id
            )
        with pytest.raises(Conflict, match="last owner"):
            await members.change_role(
                session=session, principal=owner_principal, user_id=owner.id, role="admin"
            )
    successor, _ = await make_member(org, "admin")
    async with platform_session() as session:
        await members.change_role(
            session=session, principal=owner_principal, user_id=successor.id, role="owner"
        )
        await members.remove_member(session=session, principal=owner_principal, user_id=owner.id)
    async with platform_session() as session:
        rows = await members.list_members(
            session=session,
            principal=owner_principal.__class__(
                org_id=org.id, role=Role.owner, user_id=successor.id
            ),
        )
    assert [(m.user_id, m.role) for m in rows] == [(successor.id, Role.owner)]
    assert await audit_actions(org.id) == ["member.change_role", "member.leave"]


async def test_other_organisations_members_are_not_found():
    org, _, owner = await make_owned_org()
    other, _, _ = await make_owned_org()
    stranger, _ = await make_member(other, "editor")
    async with platform_session() as session:
        for call in (members.change_role, members.remove_member):
            kwargs = {"role": "viewer"} if call is members.change_role else {}
            with pytest.raises(NotFound):
                await call(session=session, principal=owner, user_id=stranger.id, **kwargs)


async def test_unknown_role_names_the_field():
    org, _, owner = await make_owned_org()
    member, _ = await make_member(org)
    async with platform_session() as session:
        with pytest.raises(Invalid) as caught:
            await members.change_role(
                session=session, principal=owner, user_id=member.id, role="superuser"
            )
    assert caught.value.field == "role"
