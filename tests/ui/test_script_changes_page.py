"""Renaming, moving and deleting scripts and folders on /scripts, in a real browser: the new safe
name is shown, a refusal names its field (or says what is in the way) and changes nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Script
from etlfabric.services import folders, scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
async def team():
    """Folders Reports and Reports/Daily; scripts Report (in Reports), Other and Scratch."""
    org, editor, principal = await org_with_editor("Changes")
    async with tenant_session(principal.org_id) as session:
        reports = await folders.create(session=session, principal=principal, name="Reports")
        await folders.create(
            session=session, principal=principal, name="Daily", parent_id=reports.id
        )
        made = {}
        for name, folder_id in (("Report", reports.id), ("Other", None), ("Scratch", None)):
            made[name] = await scripts.create(
                session=session, principal=principal, name=name, folder_id=folder_id
            )
    return {"org": org, "editor": editor, "scripts": made}


def row(page: Page, name: str):
    return page.locator("#scripts-table tbody tr").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def test_an_editor_renames_moves_and_deletes_scripts(base_url, team):
    with chromium_page(base_url, name="script-changes") as page:
        sign_in(page, team["editor"].email)
        page.goto("/scripts")
        table = page.locator("#scripts-table")
        expect(table.locator("tbody tr")).to_have_count(3)

        page.get_by_role("button", name="Rename or move Other").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Safe name now: other")
        dialog.get_by_label("Name", exact=True).fill("!!!")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.locator("#edit_name-error")).to_have_text(
            "The name needs at least one letter or digit."
        )
        expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
        page.keyboard.press("Escape")
        expect(row(page, "Other")).to_contain_text("other")  # nothing changed

        page.get_by_role("button", name="Rename or move Other").click()
        dialog.get_by_label("Name", exact=True).fill("Report")
        dialog.get_by_label("Folder").select_option(label="Reports")
        dialog.get_by_role("button", name="Save").click()
        expect(page.get_by_text("its safe name is report-2.")).to_be_visible()
        expect(dialog).to_have_count(0)
        moved = row(page, "Report").filter(has_text="report-2")
        expect(moved).to_contain_text("Reports")  # its folder column
        screenshot(page, "script-renamed")

        page.get_by_role("button", name="Delete Scratch").click()
        confirm = page.get_by_role("alertdialog")
        expect(confirm.get_by_role("heading")).to_have_text("Delete script “Scratch”?")
        expect(confirm).to_contain_text("its runs are kept")
        confirm.get_by_role("button", name="Delete script").click()
        expect(page.get_by_text("Script “Scratch” was deleted")).to_be_visible()
        expect(row(page, "Scratch")).to_have_count(0)
        expect(table.locator("tbody tr")).to_have_count(2)
    with sync_tenant_session(team["org"].id) as session:
        scratch = session.get(Script, team["scripts"]["Scratch"].id)
        other = session.get(Script, team["scripts"]["Other"].id)
        assert scratch.deleted_at is not None
        assert (other.name, other.safe_name) == ("Report", "report-2")


def test_an_editor_nests_renames_moves_and_deletes_folders(base_url, team):
    with chromium_page(base_url, name="folder-changes") as page:
        sign_in(page, team["editor"].email)
        page.goto("/scripts")
        tree = page.get_by_role("navigation", name="Folders")
        tree.get_by_role("button", name="Reports").click()
        expect(page.get_by_role("heading", name="Reports", level=2)).to_be_visible()

        page.get_by_role("button", name="Rename or move folder").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Folder name").fill("Monthly Reports")
        dialog.get_by_role("button", name="Save folder").click()
        expect(tree.get_by_role("button", name="Monthly Reports")).to_be_visible()

        page.get_by_role("button", name="Rename or move folder").click()
        dialog.get_by_label("Inside").select_option(label="Monthly Reports/Daily")
        dialog.get_by_role("button", name="Save folder").click()
        expect(dialog.locator("#edit_folder_parent-error")).to_have_text(
            "A folder cannot be moved into itself or its subfolders."
        )
        page.keyboard.press("Escape")
        expect(page.get_by_role("heading", name="Monthly Reports", level=2)).to_be_visible()

        page.get_by_role("button", name="New folder").click()  # inside the folder in view
        dialog.get_by_label("Folder name").fill("Archive")
        dialog.get_by_role("button", name="Create folder").click()
        expect(page.get_by_role("heading", name="Monthly Reports/Archive", level=2)).to_be_visible()
        page.get_by_role("button", name="Rename or move folder").click()
        dialog.get_by_label("Inside").select_option(label="Top level")
        dialog.get_by_role("button", name="Save folder").click()
        expect(page.get_by_role("heading", name="Archive", level=2)).to_be_visible()

        page.get_by_role("button", name="Delete folder").click()
        confirm = page.get_by_role("alertdialog")
        expect(confirm.get_by_role("heading")).to_have_text("Delete folder Archive?")
        confirm.get_by_role("button", name="Delete folder").click()
        expect(page.get_by_text("Folder Archive was deleted.")).to_be_visible()
        expect(tree.get_by_role("button", name="Archive")).to_have_count(0)
        expect(page.get_by_role("heading", name="All scripts", level=2)).to_be_visible()

        tree.get_by_role("button", name="Monthly Reports").click()
        page.get_by_role("button", name="Delete folder").click()
        confirm.get_by_role("button", name="Delete folder").click()
        expect(confirm.locator("#delete-folder-error")).to_have_text(
            "Folder 'Monthly Reports' is not empty: it holds 1 script(s) (Report) and "
            "1 folder(s) (Daily). Move or delete them first."
        )
        screenshot(page, "folder-not-empty")
        confirm.get_by_role("button", name="Cancel").click()
        expect(tree.get_by_role("button", name="Monthly Reports")).to_be_visible()
        expect(page.locator("#scripts-table tbody tr")).to_have_count(1)
        expect(tree.get_by_role("button", name=re.compile("Daily"))).to_be_visible()
