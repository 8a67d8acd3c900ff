"""The audit page: entries, filters and pages for admins; a plain refusal for other roles."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from etlfabric.db import platform_session
from etlfabric.models import Role
from etlfabric.services import auth, organizations
from etlfabric.services.permissions import Principal
from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member
from tests.ui.accounts import PASSWORD, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

RENAMES = 26  # with the sign-up's org.create, 27 entries: two pages of 25


@pytest.fixture
async def signed_up():
    """An organisation made by sign-up (which audits its creation), renamed RENAMES times."""
    result = await auth.signup(
        email=f"owner-{uuid.uuid4().hex[:8]}@example.com",
        password=PASSWORD,
        name="Olive Owner",
        org_name="Audited Ltd",
    )
    owner = Principal(
        org_id=result.org.id, role=Role.owner, user_id=result.user.id, label=result.user.email
    )
    for number in range(RENAMES):
        async with platform_session() as session:
            await organizations.update_organization(
                session=session, principal=owner, name=f"Audited {number}"
            )
    return result


@pytest.fixture
async def admin(signed_up):
    account, _ = await make_member(signed_up.org, "admin")
    return account


@pytest.fixture
async def viewer(signed_up):
    account, _ = await make_member(signed_up.org, "viewer")
    return account


def rows(page):
    return page.locator("#audit-entries tbody tr")


def test_an_admin_filters_and_pages_through_the_log(base_url, signed_up, admin):
    with chromium_page(base_url, name="audit-admin") as page:
        sign_in(page, admin.email)
        page.get_by_role("link", name="Audit log").click()
        expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
        summary = page.locator("#audit-summary")
        expect(summary).to_have_text(f"{RENAMES + 1} entries · page 1 of 2")
        expect(rows(page)).to_have_count(25)
        newest = rows(page).first
        expect(newest).to_contain_text("org.update")
        expect(newest).to_contain_text(f"name: Audited {RENAMES - 2} → Audited {RENAMES - 1}")
        expect(newest).to_contain_text(signed_up.user.email)
        screenshot(page, "audit-page-1")

        page.get_by_role("button", name="Next").click()
        expect(summary).to_have_text(f"{RENAMES + 1} entries · page 2 of 2")
        expect(rows(page)).to_have_count(2)
        expect(rows(page).last).to_contain_text("org.create")
        expect(page.get_by_role("button", name="Next")).to_be_disabled()

        page.get_by_label("Action").select_option("org.create")
        page.get_by_role("button", name="Apply filters").click()
        expect(summary).to_have_text("1 entry · page 1 of 1")
        expect(rows(page)).to_have_count(1)
        expect(rows(page).first).to_contain_text("name: Audited Ltd")
        screenshot(page, "audit-filtered-by-action")

        page.get_by_role("button", name="Clear").click()
        expect(summary).to_have_text(f"{RENAMES + 1} entries · page 1 of 2")
        expect(page.get_by_label("Action")).to_have_value("")

        page.get_by_label("Actor").select_option(label=signed_up.user.email)
        page.get_by_label("Resource type").select_option("organization")
        page.get_by_label("From (UTC)").fill("2000-01-01")
        page.get_by_label("To (UTC)").fill("2000-01-31")
        page.get_by_role("button", name="Apply filters").click()
        expect(summary).to_have_text("0 entries · page 1 of 1")
        expect(page.locator("#audit-empty")).to_have_text("No entries match these filters.")

        page.get_by_label("From (UTC)").fill("2000-02-01")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("#date-error")).to_have_text("The “To” date is before the “From” date.")


def test_a_viewer_is_told_their_role_cannot_see_the_log(base_url, viewer):
    with chromium_page(base_url, name="audit-viewer") as page:
        sign_in(page, viewer.email)
        page.goto("/audit")
        expect(page.locator("#audit-refused")).to_have_text(
            "Your role (viewer) cannot see the audit log. "
            "Owners and admins can; ask one of them if you need it."
        )
        expect(page.get_by_role("table")).to_have_count(0)
        screenshot(page, "audit-refused-for-viewer")
