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
