"""Users: creation, sign-in check, the first administrator."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, Unauthenticated
from etlfabric.models import Membership, Organization, User
from etlfabric.services import organizations
from etlfabric.services.naming import require_text
from etlfabric.services.passwords import DUMMY_HASH, hash_password, verify_password

MIN_PASSWORD, MAX_PASSWORD = 8, 128
BAD_CREDENTIALS = "Incorrect e-mail or password."


def normalise_email(value: str, field: str = "email") -> str:
    try:
        return validate_email(value or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(field, f"Enter a valid e-mail address ({exc}).") from exc


def check_password_rules(password: str, field: str = "password") -> str:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise Invalid(field, f"Password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long.")
    return password


async def find_by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def create_user(
    *, session: AsyncSession, email: str, password: str, name: str, is_platform_admin=False
) -> User:
    email = normalise_email(email)
    check_password_rules(password)
    name = require_text("name", name, max_length=200)
    if await find_by_email(session=session, email=email) is not None:
        raise Conflict("An account with this e-mail already exists.", field="email")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        is_platform_admin=is_platform_admin,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(*, session: AsyncSession, email: str, password: str) -> User:
    """The user, or Unauthenticated (401) with one message whether or not the account exists."""
    try:
        email = normalise_email(email)
    except Invalid:
        verify_password(password or "", DUMMY_HASH)
        raise Unauthenticated(BAD_CREDENTIALS) from None
    user = await find_by_email(session=session, email=email)
    stored = user.password_hash if user is not None else DUMMY_HASH
    valid = verify_password(password or "", stored)
    if user is None or not valid or not user.is_active or user.deleted_at is not None:
        raise Unauthenticated(BAD_CREDENTIALS)
    user.last_login_at = datetime.now(UTC)
    return user


async def ensure_admin(
    *, session: AsyncSession, email: str, org_name: str = "Default"
) -> tuple[User, str | None]:
    """The first administrator and an organisation they own. Returns (user, new password or None
    when the account already existed: an existing password is never reset or printed)."""
    existing = await find_by_email(session=session, email=normalise_email(email))
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(18)
    user = await create_user(
        session=session,
        email=email,
        password=password,
        name="Administrator",
        is_platform_admin=True,
    )
    await organizations.create_organization(session=session, name=org_name, owner=user)
    return user, password


async def memberships_of(*, session: AsyncSession, user_id: int) -> list[tuple[Organization, str]]:
    rows = await session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == user_id, Organization.deleted_at.is_(None))
        .order_by(Organization.name)
    )
    return [(org, role.value) for org, role in rows]


THEMES = ("light", "dark")


async def update_profile(
    *, session: AsyncSession, user_id: int, name: str | None = None, theme: str | None = None
) -> User:
    """A user's own name and theme (remembered per user)."""
    user = await session.get(User, user_id)
    if name is not None:
        user.name = require_text("name", name, max_length=200)
    if theme is not None:
        if theme not in THEMES:
            raise Invalid("theme", "Theme must be light or dark.")
        user.theme = theme
    return user
