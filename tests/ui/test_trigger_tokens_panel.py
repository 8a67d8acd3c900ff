"""URL triggers on the script editor, in a real browser: create one, see its URL once, call it,
revoke it after confirming, and see the call refused."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from etlfabric.db import tenant_session
from etlfabric.services import scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
async def script():
    org, editor, principal = await org_with_editor("Triggered")
    async with tenant_session(org.id) as session:
        made = await scripts.create(
            session=session, principal=principal, name="Webhook target", content="print(1)\n"
        )
    return {"editor": editor, "script": made}


def call(base_url: str, secret: str) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/hooks/{secret}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_create_a_trigger_see_it_once_and_revoke_it(base_url, script):
    with chromium_page(base_url, name="url-triggers") as page:
        sign_in(page, script["editor"].email)
        page.goto(f"/scripts/{script['script'].id}")
        panel = page.locator("#url-triggers")
        expect(panel.get_by_role("heading", name="URL triggers")).to_be_visible()
        expect(panel.locator("#no-triggers")).to_have_text("No URL triggers yet.")

        panel.get_by_role("button", name="Create URL trigger").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Name").fill("CRM webhook")
        dialog.get_by_label("Allowed IPs (optional)").fill("10.0.0.0/8, nonsense")
        dialog.get_by_role("button", name="Create trigger").click()
        expect(dialog.locator("#trigger_ips-error")).to_contain_text("'nonsense' is not an IP")
        dialog.get_by_label("Allowed IPs (optional)").fill("")
        dialog.get_by_role("button", name="Create trigger").click()

        url_box = dialog.locator("#trigger-url")
        expect(url_box).to_have_value(re.compile(r"/api/v1/hooks/etf_trg_[\w-]{43}$"))
        secret = url_box.input_value().rsplit("/", 1)[-1]
        expect(dialog.locator("#trigger-curl")).to_have_value(re.compile(r"^curl -X POST .*"))
        expect(dialog.get_by_role("alert")).to_contain_text("shown only this once")
        screenshot(page, "url-trigger-created")
        dialog.get_by_role("button", name="Done").click()
        expect(page.get_by_role("dialog")).to_have_count(0)

        row = panel.get_by_role("row", name=re.compile("CRM webhook"))
        expect(row).to_contain_text(secret[:16] + "…")
        expect(row).to_contain_text("Any address")
        expect(row).to_contain_text("Active")
        assert secret not in page.content()  # gone from the page once the dialog closed
        assert call(base_url, secret) == 202

        row.get_by_role("button", name="Revoke CRM webhook").click()
        confirm = page.get_by_role("alertdialog")
        expect(confirm).to_contain_text("Revoke this URL trigger?")
        confirm.get_by_role("button", name="Revoke trigger").click()
        expect(row).to_contain_text("Revoked")
        expect(row.get_by_role("button", name="Revoke CRM webhook")).to_have_count(0)
        assert call(base_url, secret) == 404
