"""Small factories for test data, through the real services."""

from __future__ import annotations

import itertools

from etlfabric.db import platform_session
from etlfabric.models import Organization, User
from etlfabric.services import organizations, users

_counter = itertools.count(1)


async def make_user(*, email: str | None = None, password: str = "correct horse battery") -> User:
    number = next(_counter)
    async with platform_session() as session:
        return await users.create_user(
            session=session,
            email=email or f"user{number}@example.com",
            password=password,
            name=f"User {number}",
        )


async def make_org(*, name: str | None = None, owner: User | None = None) -> Organization:
    async with platform_session() as session:
        return await organizations.create_organization(
            session=session, name=name or f"Org {next(_counter)}", owner=owner
        )


async def make_member(org: Organization, role: str = "editor", **user_kwargs):
    """A new user with `role` in `org`, and the Principal acting as them."""
    from etlfabric.models import Membership, Role
    from etlfabric.services.permissions import Principal

    user = await make_user(**user_kwargs)
    async with platform_session() as session:
        session.add(Membership(org_id=org.id, user_id=user.id, role=Role(role)))
    return user, Principal(org_id=org.id, role=Role(role), user_id=user.id, label=user.email)


async def make_owned_org():
    """An organisation with an owner; returns (org, owner user, owner principal)."""
    from etlfabric.models import Role
    from etlfabric.services.permissions import Principal

    owner = await make_user()
    org = await make_org(owner=owner)
    return (
        org,
        owner,
        Principal(org_id=org.id, role=Role.owner, user_id=owner.id, label=owner.email),
    )


async def call(function, principal, **kwargs):
    """A service function called as `principal` in its organisation's tenant session."""
    from etlfabric.db import tenant_session

    async with tenant_session(principal.org_id) as session:
        return await function(session=session, principal=principal, **kwargs)


async def audit_rows(principal, resource_type: str, resource_id=None) -> list:
    """The organisation's audit rows about one kind of thing (or one of them), oldest first."""
    from sqlalchemy import select

    from etlfabric.db import tenant_session
    from etlfabric.models import AuditLog

    query = select(AuditLog).where(AuditLog.resource_type == resource_type)
    if resource_id is not None:
        query = query.where(AuditLog.resource_id == str(resource_id))
    async with tenant_session(principal.org_id) as session:
        return list(await session.scalars(query.order_by(AuditLog.id)))
