"""Members of an organisation: list, change role, remove (or leave).

Rules: only an owner grants or takes away the owner role; an admin cannot remove an owner; the
last owner can neither leave nor be demoted. Removal ends that member's sessions in the org.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import Membership, Role, User
from etlfabric.services import audit, tokens
from etlfabric.services.permissions import Principal, require


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    name: str
    role: Role
    joined_at: object


def parse_role(value: str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(field, "Role must be one of owner, admin, editor, viewer.") from None


async def list_members(*, session: AsyncSession, principal: Principal) -> list[Member]:
    require(principal, "members.read")
    rows = await session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == principal.org_id)
        .order_by(User.name, User.email)
    )
    return [Member(u.id, u.email, u.name, m.role, m.created_at) for u, m in rows]


async def _membership(session: AsyncSession, org_id: int, user_id: int) -> Membership:
    found = await session.scalar(
        select(Membership)
        .where(Membership.org_id == org_id, Membership.user_id == user_id)
        .with_for_update()
    )
    if found is None:
        raise NotFound("Member not found.")
    return found


async def _owner_count(session: AsyncSession, org_id: int) -> int:
    # Lock the owners so two concurrent demotions cannot both see "another owner is left".
    owners = await session.scalars(
        select(Membership.id)
        .where(Membership.org_id == org_id, Membership.role == Role.owner)
        .with_for_update()
    )
    return len(list(owners))


async def change_role(
    *, session: AsyncSession, principal: Principal, user_id: int, role: str
) -> Membership:
    require(principal, "members.change_role")
    new_role = parse_role(role)
    membership = await _membership(session, principal.org_id, user_id)
    touches_owner = Role.owner in (membership.role, new_role)
    if touches_owner and principal.role != Role.owner:
        raise PermissionDenied("Only an owner can grant or take away the owner role.")
    demoting_owner = membership.role == Role.owner and new_role != Role.owner
    if demoting_owner and await _owner_count(session, principal.org_id) <= 1:
        raise Conflict("The last owner cannot be demoted; make someone else owner first.")
    old = membership.role
    membership.role = new_role
    await audit.record(
        session=session,
        principal=principal,
        action="member.change_role",
        resource_type="member",
        resource_id=user_id,
        old={"role": old.value},
        new={"role": new_role.value},
    )
    return membership


async def remove_member(*, session: AsyncSession, principal: Principal, user_id: int) -> None:
    """Remove someone, or leave when `user_id` is the caller's own."""
    leaving = principal.user_id == user_id
    if not leaving:
        require(principal, "members.remove")
    membership = await _membership(session, principal.org_id, user_id)
    if membership.role == Role.owner:
        if not leaving and principal.role != Role.owner:
            raise PermissionDenied("Only an owner can remove an owner.")
        if await _owner_count(session, principal.org_id) <= 1:
            raise Conflict("The last owner cannot leave; make someone else owner first.")
    await session.delete(membership)
    await tokens.revoke_sessions(session=session, user_id=user_id, org_id=principal.org_id)
    await audit.record(
        session=session,
        principal=principal,
        action="member.leave" if leaving else "member.remove",
        resource_type="member",
        resource_id=user_id,
        old={"role": membership.role.value},
    )


async def member_count(*, session: AsyncSession, org_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.org_id == org_id)
        )
        or 0
    )
