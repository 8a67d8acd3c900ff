"""Connections in a real browser: each refusal shown beside the input it names and nothing
saved; "Test connection" says exactly what failed; a REST API form shows the inputs of its
authentication; a files connection gets its CSV uploaded and tested; a connection is edited
(the stored secret kept) and deleted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from etlfabric.db import sync_tenant_session
from etlfabric.models import Connection
from etlfabric.services.connection_access import connection_credentials
from tests.browser import chromium_available, chromium_page, screenshot
from tests.processes import free_port
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]
CONNECTION_URL = re.compile(r"/connections/\d+/?$")


@pytest.fixture
async def team():
    _, editor, principal = await org_with_editor("Plugs", owner_name="Pat Plug")
    return {"editor": editor, "principal": principal}


def live_connections(org_id: int) -> list[Connection]:
    with sync_tenant_session(org_id) as session:
        return list(session.scalars(select(Connection).where(Connection.deleted_at.is_(None))))


def test_each_refusal_is_shown_beside_its_input_and_nothing_is_saved(base_url, team):
    org_id = team["principal"].org_id
    closed_port = free_port()
    with chromium_page(base_url, name="connection-errors") as page:
        sign_in(page, team["editor"].email)
        page.goto("/connections/new")
        expect(page.locator("#type-picker")).to_contain_text("NOT exercised against a real SQL")
        page.get_by_role("button", name=re.compile(r"^PostgreSQL")).click()
        page.get_by_role("button", name="Save connection").click()
        expect(page.locator("#name-error")).to_have_text("Name is required.")
        expect(page.get_by_label("Name", exact=True)).to_be_focused()

        page.get_by_label("Name", exact=True).fill("Broken")
        page.get_by_role("button", name="Save connection").click()
        expect(page.locator("#host-error")).to_have_text("host is required.")
        expect(page.get_by_label("Host")).to_be_focused()
        page.get_by_label("Host").fill("bad host")
        page.get_by_role("button", name="Save connection").click()
        expect(page.locator("#host-error")).to_contain_text("without spaces")

        page.get_by_label("Host").fill("127.0.0.1")
        page.get_by_label("Port").fill("70000")
        page.get_by_label("Database").fill("nothing")
        page.get_by_label("User name").fill("nobody")
        page.get_by_role("button", name="Save connection").click()
        expect(page.locator("#port-error")).to_have_text(
            "port must be a whole number from 1 to 65535."
        )

        page.get_by_label("Port").fill(str(closed_port))
        page.get_by_role("button", name="Test connection").click()
        result = page.locator("#test-result")
        expect(result).to_contain_text("Failed", timeout=20_000)
        expect(result).to_contain_text(
            f"Connection refused: nothing accepts connections on 127.0.0.1:{closed_port}."
        )

        page.get_by_role("button", name="Change type").click()
        page.get_by_role("button", name=re.compile(r"^REST API")).click()
        expect(page.get_by_label("Bearer token")).to_have_count(0)
        page.get_by_label("Authentication").select_option("bearer")
        expect(page.get_by_label("Bearer token")).to_have_attribute("type", "password")
        page.get_by_label("Base URL").fill("ftp://files.example.com")
        page.get_by_role("button", name="Save connection").click()
        expect(page.locator("#base-url-error")).to_contain_text("http:// or https:// URL")
        page.get_by_label("Base URL").fill("https://api.example.com/v1/")
        page.get_by_role("button", name="Save connection").click()
        expect(page.locator("#credentials-token-error")).to_contain_text("bearer auth needs")
        page.get_by_label("Pagination").select_option("json_link")
        expect(page.get_by_label("Next link path")).to_have_value("next")
        screenshot(page, "connection-errors")
        assert re.search(r"/connections/new/?$", page.url)
    assert [c.name for c in live_connections(org_id)] == ["Warehouse"]


def test_files_are_uploaded_tested_and_a_connection_edited_then_deleted(base_url, team, tmp_path):
    org_id = team["principal"].org_id
    csv = tmp_path / "sales 2024.csv"
    csv.write_text("id,amount\n1,10\n2,20\n")
    with chromium_page(base_url, name="connection-files") as page:
        sign_in(page, team["editor"].email)
        page.goto("/connections/new?type=files")
        expect(page.get_by_role("heading", name="New Files connection")).to_be_visible()
        expect(page.locator("#files-empty")).to_be_visible()
        page.locator("#connection-upload input[type=file]").set_input_files([str(csv)])
        files = page.locator("#files-table")
        expect(files).to_contain_text("sales_2024.csv")
        files.get_by_role("button", name="Use sales_2024.csv").click()
        expect(page.get_by_label("Files (glob)")).to_have_value("sales_2024.csv")
        page.get_by_label("Name", exact=True).fill("Sales files")
        page.get_by_role("button", name="Test connection").click()
        expect(page.locator("#test-result")).to_contain_text("1 file(s) match", timeout=20_000)
        page.get_by_role("button", name="Save connection").click()
        expect(page).to_have_url(CONNECTION_URL)
        expect(page.get_by_role("heading", name="Connection: Sales files")).to_be_visible()

        page.goto("/connections/new?type=mysql")
        page.get_by_label("Name", exact=True).fill("Shop")
        page.get_by_label("Host").fill("127.0.0.1")
        page.get_by_label("Database").fill("shop")
        page.get_by_label("User name").fill("etl")
        password_hint = page.locator("#credentials-password-hint")
        expect(password_hint).to_have_text("Stored encrypted; never shown again.")  # none yet
        page.get_by_label("Password").fill("first-secret")
        page.get_by_role("button", name="Save connection").click()
        expect(page.get_by_role("heading", name="Connection: Shop")).to_be_visible()
        expect(password_hint).to_have_text(
            "Stored encrypted; never shown again. Leave blank to keep the stored one."
        )
        page.get_by_label("Port").fill("3307")
        page.get_by_role("button", name="Save connection").click()
        expect(page.get_by_text("The connection was saved.")).to_be_visible()
        shop = next(c for c in live_connections(org_id) if c.name == "Shop")
        assert shop.config["port"] == 3307
        assert connection_credentials(shop) == {"password": "first-secret"}

        page.get_by_role("link", name="Back to the connections").click()
        rows = page.locator("#connections-table tbody tr")
        expect(rows).to_have_count(3)
        rows.filter(has_text="Shop").get_by_role("button", name="Delete Shop").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Delete connection").click()
        expect(rows).to_have_count(2)
    assert sorted(c.name for c in live_connections(org_id)) == ["Sales files", "Warehouse"]
