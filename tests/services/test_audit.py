from datetime import UTC, datetime, timedelta

import pytest

from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import PermissionDenied
from etlfabric.services import audit, organizations
from etlfabric.services.audit import AuditFilter
from tests.factories import make_member, make_owned_org


def test_mask_hides_secret_values_at_any_depth():
    masked = audit.mask(
        {"name": "crm", "password": "hunter2", "config": {"api_key": "k"}, "token": None}
    )
    assert masked == {
        "name": "crm",
        "password": audit.MASK,
        "config": {"api_key": audit.MASK},
        "token": None,
    }


async def test_one_row_per_change_with_filters_and_pages():
    org, owner, principal = await make_owned_org()
    for number in range(5):
        async with platform_session() as session:
            await organizations.update_organization(
                session=session, principal=principal, name=f"Renamed {number}"
            )
    async with platform_session() as session:  # no change, no row
        await organizations.update_organization(
            session=session, principal=principal, name="Renamed 4"
        )
    async with tenant_session(org.id) as session:
        first = await audit.list_entries(session=session, principal=principal, page_size=2)
        third = await audit.list_entries(session=session, principal=principal, page=3, page_size=2)
        none = await audit.list_entries(
            session=session,
            principal=principal,
            filters=AuditFilter(since=datetime.now(UTC) + timedelta(hours=1)),
        )
        by_actor = await audit.list_entries(
            session=session,
            principal=principal,
            filters=AuditFilter(actor_user_id=owner.id, resource_type="organization"),
        )
    assert first.total == 5 and len(first.items) == 2 and len(third.items) == 1
    assert first.items[0].new_values == {"name": "Renamed 4", "timezone": "UTC"}
    assert first.items[0].actor_label == owner.email
    assert none.total == 0 and by_actor.total == 5


async def test_facets_list_what_the_log_holds_and_need_audit_read():
    org, owner, principal = await make_owned_org()
    _, viewer = await make_member(org, "viewer")
    async with platform_session() as session:
        await organizations.update_organization(session=session, principal=principal, name="New")
    async with tenant_session(org.id) as session:
        found = await audit.facets(session=session, principal=principal)
        with pytest.raises(PermissionDenied):
            await audit.facets(session=session, principal=viewer)
    assert found.actors == [(owner.id, owner.email)]
    assert found.actions == ["org.update"] and found.resource_types == ["organization"]
