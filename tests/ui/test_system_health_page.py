"""The system health page in a browser: a platform administrator sees host, scheduler and
workers, and the page refreshes itself; an organisation owner gets a refusal and no link."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from etlfabric.db import platform_session
from etlfabric.services import auth, workers
from etlfabric.services.users import ensure_admin
from tests.browser import chromium_available, chromium_page, screenshot
from tests.ui.accounts import PASSWORD, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
async def accounts():
    async with platform_session() as session:
        admin, password = await ensure_admin(
            session=session, email=f"root-{uuid.uuid4().hex[:6]}@example.com"
        )
    owner = await auth.signup(
        email=f"owner-{uuid.uuid4().hex[:8]}@example.com",
        password=PASSWORD,
        name="Olive Owner",
        org_name=f"Tenant {uuid.uuid4().hex[:4]}",
    )
    workers.record_heartbeat("ui-worker@host", ["default", "reports"], 2)
    return (admin.email, password), owner.user.email


def test_the_health_page_refreshes_itself(base_url, accounts):
    (admin_email, admin_password), owner_email = accounts
    with chromium_page(base_url, name="system-health") as page:
        sign_in(page, admin_email, admin_password)
        page.get_by_role("link", name="System health").click()
        expect(page.get_by_role("heading", name="System health", level=1)).to_be_visible()
        checked = page.locator("#health-checked")
        expect(checked).to_have_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"))
        first = checked.inner_text()
        expect(checked).not_to_have_text(first, timeout=10_000)  # refreshed by itself
        expect(page.get_by_text("CPU", exact=True)).to_be_visible()
        expect(page.get_by_text("Memory", exact=True)).to_be_visible()
        workers_table = page.get_by_role("table", name="Workers")
        expect(workers_table.get_by_role("row", name=re.compile("ui-worker@host"))).to_contain_text(
            "default, reports"
        )
        expect(page.get_by_role("table", name="Queues")).to_contain_text("reports")
        screenshot(page, "system-health")

    with chromium_page(base_url, name="system-health-owner") as page:
        sign_in(page, owner_email)
        expect(page.get_by_role("link", name="System health")).to_have_count(0)
        page.goto("/system")
        expect(page.get_by_role("alert")).to_contain_text("platform administrator")
