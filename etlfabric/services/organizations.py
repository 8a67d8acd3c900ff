"""Organisations: create (and provision), disable, enable, purge."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.crypto import encrypt
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Membership, Organization, Role, User
from etlfabric.services import connections, tenancy
from etlfabric.services.naming import require_text, slugify, unique_name


def validate_timezone(value: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(field, f"'{value}' is not an IANA time zone (e.g. Europe/Berlin).") from exc
    if value not in available_timezones() and value != "UTC":
        raise Invalid(field, f"'{value}' is not an IANA time zone (e.g. Europe/Berlin).")
    return value


async def _free_slug(session: AsyncSession, name: str) -> str:
    base = slugify(name, max_length=50) or "org"
    taken = set(
        await session.scalars(select(Organization.slug).where(Organization.slug.startswith(base)))
    )
    return unique_name(base, taken)


async def create_organization(
    *,
    session: AsyncSession,
    name: str,
    owner: User | None = None,
    timezone: str = "UTC",
    data_schemas=tenancy.DEFAULT_DATA_SCHEMAS,
    field_prefix: str = "",
) -> Organization:
    """Create an organisation, provision its schema, roles and data schemas, add its owner.
    `field_prefix` names the fields in errors when the form calls them e.g. org_name."""
    name = require_text(f"{field_prefix}name", name, max_length=200)
    timezone = validate_timezone(
        timezone, f"{field_prefix}timezone" if field_prefix else "timezone"
    )
    workload_password = secrets.token_urlsafe(32)
    org = Organization(
        name=name,
        slug=await _free_slug(session, name),
        timezone=timezone,
        workload_secret=encrypt(workload_password),
    )
    session.add(org)
    await session.flush()
    await session.run_sync(
        lambda sync: tenancy.provision(sync.connection(), org.id, workload_password, data_schemas)
    )
    await connections.ensure_warehouse(session, org.id)
    if owner is not None:
        session.add(Membership(org_id=org.id, user_id=owner.id, role=Role.owner))
        await session.flush()
    return org


async def record_created(
    *, session: AsyncSession, org: Organization, owner: User, ip: str | None = None
) -> None:
    """The organisation's first audit row: who created it, at sign-up or later."""
    from etlfabric.services import audit
    from etlfabric.services.permissions import Principal

    creator = Principal(org_id=org.id, role=Role.owner, user_id=owner.id, label=owner.email, ip=ip)
    await audit.record(
        session=session,
        principal=creator,
        action="org.create",
        resource_type="organization",
        resource_id=org.id,
        new={"name": org.name, "timezone": org.timezone},
    )


async def get_organization(*, session: AsyncSession, org_id: int, include_disabled=False):
    org = await session.get(Organization, org_id)
    if org is None or (org.deleted_at is not None and not include_disabled):
        raise NotFound("Organisation not found.")
    return org


async def disable_organization(*, session: AsyncSession, org_id: int) -> Organization:
    """Soft delete: the data stays; the workload role can no longer log in."""
    org = await get_organization(session=session, org_id=org_id)
    org.deleted_at = datetime.now(UTC)
    await session.run_sync(lambda sync: tenancy.set_login(sync.connection(), org_id, allowed=False))
    return org


async def enable_organization(*, session: AsyncSession, org_id: int) -> Organization:
    org = await get_organization(session=session, org_id=org_id, include_disabled=True)
    org.deleted_at = None
    await session.run_sync(lambda sync: tenancy.set_login(sync.connection(), org_id, allowed=True))
    return org


async def purge_organization(*, session: AsyncSession, org_id: int) -> None:
    """Drop a disabled organisation's schemas, roles and rows. Irreversible."""
    org = await get_organization(session=session, org_id=org_id, include_disabled=True)
    if org.deleted_at is None:
        raise Conflict("Disable the organisation before purging it.")
    await session.run_sync(lambda sync: tenancy.drop_everything(sync.connection(), org_id))
    await session.delete(org)


async def data_schemas(*, session: AsyncSession, org_id: int) -> list[str]:
    await get_organization(session=session, org_id=org_id)
    return await session.run_sync(lambda sync: tenancy.list_data_schemas(sync.connection(), org_id))


async def add_data_schema(*, session: AsyncSession, org_id: int, name: str) -> str:
    from etlfabric.services.naming import require_identifier

    name = require_identifier("name", name)
    await get_organization(session=session, org_id=org_id)
    await session.run_sync(lambda sync: tenancy.create_data_schema(sync.connection(), org_id, name))
    return name


async def update_organization(
    *, session: AsyncSession, principal, name: str | None = None, timezone: str | None = None
) -> Organization:
    """Rename or change the default timezone (admins and owners)."""
    from etlfabric.services import audit
    from etlfabric.services.permissions import require

    require(principal, "org.update")
    org = await get_organization(session=session, org_id=principal.org_id)
    old = {"name": org.name, "timezone": org.timezone}
    if name is not None:
        org.name = require_text("name", name, max_length=200)
    if timezone is not None:
        org.timezone = validate_timezone(timezone)
    new = {"name": org.name, "timezone": org.timezone}
    if new != old:
        await audit.record(
            session=session,
            principal=principal,
            action="org.update",
            resource_type="organization",
            resource_id=org.id,
            old=old,
            new=new,
        )
    return org
