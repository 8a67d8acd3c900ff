"""Scripts in a real browser: create by name, write code and requirements, save, run and watch the
output arrive live; drafts, history with diff and restore, env vars, folders and uploads; and what a
viewer may not do. Runs go through a real Celery worker."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Script
from etlfabric.services import scripts
from etlfabric.services.permissions import Principal
from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member
from tests.ui.accounts import open_account_menu, org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

LIVE_SCRIPT = (
    "import time\n"
    "import six\n"
    "print('first line', six.PY3, flush=True)\n"
    "time.sleep(3)\n"
    "print('second line')\n"
)


@pytest.fixture
async def team():
    """An organisation made by sign-up, with an editor and a viewer."""
    org, editor, editor_principal = await org_with_editor("Scripted")
    viewer, _ = await make_member(org, "viewer")
    return {"org": org, "editor": editor, "as_editor": editor_principal, "viewer": viewer}


async def make_script(principal: Principal, name: str, content: str, **fields):
    async with tenant_session(principal.org_id) as session:
        return await scripts.create(
            session=session, principal=principal, name=name, content=content, **fields
        )


@pytest.fixture
async def two_versions(team):
    principal = team["as_editor"]
    script = await make_script(principal, "Report", "print('one')\n")
    async with tenant_session(principal.org_id) as session:
        await scripts.update(
            session=session,
            principal=principal,
            script_id=script.id,
            content="print('two')\n",
            message="Say two",
        )
    return script


@pytest.fixture
async def with_token(team):
    env_vars = {"API_TOKEN": "s3cr3t-value"}
    return await make_script(team["as_editor"], "Uses a token", "print(1)\n", env_vars=env_vars)


@pytest.fixture
async def readable(team):
    return await make_script(team["as_editor"], "Read me", "print('hi')\n")


def stored_env_vars(org_id: int, script_id: int) -> dict[str, str]:
    with sync_tenant_session(org_id) as session:
        return scripts.decrypted_env_vars(session.get(Script, script_id))


def replace_text(page: Page, label: str, text: str) -> None:
    """Type into a code editor as a person would (its auto-indent and bracket closing included)."""
    box = page.get_by_role("textbox", name=label)
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def editor_text(page: Page, label: str) -> str:
    return page.get_by_role("textbox", name=label).inner_text()


def outside_requests(page: Page, base_url: str) -> list[str]:
    """Every request the page makes that does not go to the app itself (filled as it browses)."""
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((base_url, "data:", "blob:", "ws://127.0.0.1"))
            else outside.append(request.url)
        ),
    )
    return outside


def test_an_editor_writes_saves_and_runs_a_script_and_sees_its_output_live(
    base_url, team, celery_worker
):
    with chromium_page(base_url, name="scripts-editor") as page:
        outside = outside_requests(page, base_url)
        sign_in(page, team["editor"].email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Scripts").click()
        expect(page.get_by_role("heading", name="Scripts", level=1)).to_be_visible()
        expect(page.locator("#scripts-empty")).to_have_text("No scripts here yet.")

        page.get_by_role("button", name="New script").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Name").fill("!!!")
        dialog.get_by_role("button", name="Create and edit").click()
        expect(dialog.locator("#new_name-error")).to_have_text(
            "The name needs at least one letter or digit."
        )
        expect(dialog.get_by_label("Name")).to_be_focused()
        dialog.get_by_label("Name").fill("Data Backup Script!")
        dialog.get_by_role("button", name="Create and edit").click()
        expect(page).to_have_url(re.compile(r"/scripts/\d+$"))
        expect(page.get_by_role("heading", name="Data Backup Script!", level=1)).to_be_visible()
        expect(page.get_by_text("data-backup-script", exact=True)).to_be_visible()
        expect(page.locator("#content-editor .cm-editor")).to_be_visible()

        replace_text(page, "Code", "x = = 1")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#content-error")).to_have_text(
            re.compile(r"^Line 1, column \d+: invalid syntax")
        )
        screenshot(page, "script-editor-syntax-error")

        replace_text(page, "Code", LIVE_SCRIPT)
        replace_text(page, "Requirements", "six")
        expect(page.locator("#draft-status")).to_contain_text("Draft auto-saved", timeout=10_000)
        expect(page.locator("#versions tbody tr")).to_have_count(1)  # a draft is no version
        page.reload()  # nothing typed is lost: the draft comes back, and says so
        expect(page.locator("#draft-note")).to_contain_text("Showing your unsaved changes")
        expect(page.get_by_role("textbox", name="Requirements")).to_have_text("six")
        assert "print('second line')" in editor_text(page, "Code")
        screenshot(page, "script-editor-draft")

        page.get_by_label("Change message").fill("Prints twice")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved as version 2.")).to_be_visible()
        expect(page.locator("#content-error")).to_have_text("")
        expect(page.locator("#versions tbody tr").first).to_contain_text("Prints twice")
        expect(page.locator("#draft-status")).to_have_text("")
        screenshot(page, "script-editor-saved")

        page.get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        log = page.locator("#run-log")
        expect(log).to_contain_text("first line True", timeout=60_000)
        # The script sleeps 3 s after its first line: that line is on the page while it runs.
        expect(page.locator("#run-status")).to_have_text("Running", timeout=1_000)
        expect(log).not_to_contain_text("second line")
        screenshot(page, "run-live-output")
        expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=30_000)
        expect(log).to_contain_text("second line")
        expect(page.get_by_text("Exit code")).to_be_visible()
        screenshot(page, "run-succeeded")
        assert outside == [], f"requests left the app: {outside}"


def test_history_shows_what_changed_and_restores_an_old_version(base_url, team, two_versions):
    script = two_versions
    with chromium_page(base_url, name="scripts-history") as page:
        sign_in(page, team["editor"].email)
        page.goto(f"/scripts/{script.id}")
        history = page.locator("#history")
        expect(history.locator("#versions tbody tr")).to_have_count(2)
        expect(
            history.get_by_role("heading", name="Changes from version 1 to version 2")
        ).to_be_visible()
        removed = page.locator('#version-diff [data-kind="removed"]')
        added = page.locator('#version-diff [data-kind="added"]')
        expect(removed.first).to_have_text("-print('one')")
        expect(added.first).to_have_text("+print('two')")
        assert removed.first.evaluate("e => getComputedStyle(e).backgroundColor") != (
            added.first.evaluate("e => getComputedStyle(e).backgroundColor")
        )
        screenshot(page, "script-history-diff")

        code = page.get_by_role("textbox", name="Code")
        code.click()
        page.keyboard.press("Tab")  # indents: Tab belongs to the editor...
        expect(code).to_be_focused()
        page.keyboard.press("Escape")  # ...until Esc, then Tab moves on: no keyboard trap
        page.keyboard.press("Tab")
        expect(page.get_by_role("textbox", name="Requirements")).to_be_focused()

        page.get_by_label("Timeout (seconds)").fill("ten")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#timeout_seconds-error")).to_have_text(
            "Timeout seconds must be a whole number from 1 to 86400."
        )
        expect(page.get_by_label("Timeout (seconds)")).to_have_attribute("aria-invalid", "true")

        open_account_menu(page)
        page.get_by_role("menuitem", name="Dark theme").click()
        expect(page.locator("#content-editor .cm-theme-dark")).to_have_count(1)
        screenshot(page, "script-editor-dark")
        open_account_menu(page)
        page.get_by_role("menuitem", name="Light theme").click()
        expect(page.locator("#content-editor .cm-theme-light")).to_have_count(1)

        page.get_by_role("button", name="Restore version 1").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Restore").click()
        expect(page.get_by_text("Version 1 restored as version 3.")).to_be_visible()
        expect(history.locator("#versions tbody tr")).to_have_count(3)
        expect(page.get_by_role("textbox", name="Code")).to_have_text("print('one')")


def test_ctrl_s_and_cmd_s_save_like_the_save_button(base_url, team, readable):
    script = readable
    with chromium_page(base_url, name="scripts-save-keys") as page:
        sign_in(page, team["editor"].email)
        page.goto(f"/scripts/{script.id}")
        # Runs after the page's own listener: whether the browser may still act on the keys.
        page.evaluate(
            "window.addEventListener('keydown', e => {"
            " if (e.key.toLowerCase() === 's') window.etfBrowserSave = !e.defaultPrevented; })"
        )
        page.get_by_label("Change message").fill("Saved with the keyboard")
        replace_text(page, "Code", "print('ctrl s')")
        page.keyboard.press("Control+S")
        expect(page.get_by_text("Saved as version 2.")).to_be_visible()
        expect(page.locator("#versions tbody tr").first).to_contain_text("Saved with the keyboard")
        assert page.evaluate("window.etfBrowserSave") is False, "no browser save dialog"

        replace_text(page, "Code", "print('cmd s')")
        page.get_by_label("Change message").click()
        page.keyboard.press("Meta+S")
        expect(page.get_by_text("Saved as version 3.")).to_be_visible()
        assert page.evaluate("window.etfBrowserSave") is False
    with sync_tenant_session(team["org"].id) as session:
        assert session.get(Script, script.id).content == "print('cmd s')"


def test_env_var_values_are_write_only(base_url, team, with_token):
    script = with_token
    with chromium_page(base_url, name="scripts-env") as page:
        sign_in(page, team["editor"].email)
        page.goto(f"/scripts/{script.id}")
        env = page.locator("#env-vars")
        expect(env).to_contain_text("API_TOKEN")
        expect(page.get_by_label("New value for API_TOKEN")).to_have_attribute(
            "placeholder", "•••• (unchanged)"
        )
        assert "s3cr3t-value" not in page.content()

        names = page.get_by_label("Name", exact=True)
        before = names.count()
        page.get_by_role("button", name="Add variable").click()
        expect(names).to_have_count(before + 1)  # else .last is the script's own Name field
        names.last.fill("1BAD")
        page.get_by_label("Value", exact=True).last.fill("x")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#env_vars-error")).to_contain_text(
            "'1BAD' is not a valid env var name"
        )

        page.get_by_label("Name", exact=True).last.fill("REGION")
        page.get_by_label("New value for API_TOKEN").fill("rotated-value")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("The code did not change")).to_be_visible()
        expect(env).to_contain_text("REGION")
        page.get_by_role("button", name="Remove API_TOKEN").click()
        page.get_by_role("button", name="Save").click()
        expect(env).not_to_contain_text("API_TOKEN")
        page.reload()
        expect(env).to_contain_text("REGION")
        assert "rotated-value" not in page.content() and "s3cr3t" not in page.content()
        screenshot(page, "script-env-vars")
    assert stored_env_vars(team["org"].id, script.id) == {"REGION": "x"}


def test_folders_and_uploads(base_url, team, tmp_path):
    good, bad = tmp_path / "nightly_load.py", tmp_path / "latin1.py"
    good.write_text("print('loaded')\n")
    bad.write_bytes("print('caf\xe9')\n".encode("latin-1"))
    with chromium_page(base_url, name="scripts-folders") as page:
        sign_in(page, team["editor"].email)
        page.goto("/scripts")
        page.get_by_role("button", name="New folder").click()
        page.get_by_role("dialog").get_by_label("Folder name").fill("Reports")
        page.get_by_role("dialog").get_by_role("button", name="Create folder").click()
        folders = page.get_by_role("navigation", name="Folders")
        expect(folders.get_by_role("button", name="Reports")).to_have_attribute(
            "aria-current", "true"
        )

        page.locator("#script-upload input[type=file]").set_input_files([str(bad)])
        expect(page.locator("#upload-errors")).to_contain_text("latin1.py is not UTF-8 text")

        page.locator("#script-upload input[type=file]").set_input_files([str(good)])
        expect(page).to_have_url(re.compile(r"/scripts/\d+$"))
        expect(page.get_by_role("heading", name="nightly_load", level=1)).to_be_visible()
        expect(page.get_by_label("Folder")).to_have_value(re.compile(r"\d+"))

        page.goto("/scripts")
        folders.get_by_role("button", name="Reports").click()
        expect(page.locator("#scripts-table tbody tr")).to_have_count(1)
        expect(page.locator("#scripts-table")).to_contain_text("nightly_load")
        expect(page.locator("#scripts-table")).to_contain_text("Never run")
        screenshot(page, "scripts-folder")


def test_a_viewer_sees_scripts_but_no_edit_or_run_controls(base_url, team, readable):
    script = readable
    with chromium_page(base_url, name="scripts-viewer") as page:
        sign_in(page, team["viewer"].email)
        expect(page.get_by_role("button", name=re.compile("^Run "))).to_have_count(0)
        page.goto("/scripts")
        expect(page.locator("#scripts-table")).to_contain_text("Read me")
        for name in ("New script", "New folder", "Upload files", "Rename or move Read me"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name="Delete Read me")).to_have_count(0)
        expect(page.get_by_role("columnheader", name="Actions")).to_have_count(0)
        page.goto(f"/scripts/{script.id}")
        expect(page.get_by_role("heading", name="Read me", level=1)).to_be_visible()
        expect(page.get_by_role("textbox", name="Code")).to_have_attribute(
            "contenteditable", "false"
        )
        for name in ("Save", "Run", "Add variable", "Restore version 1"):
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
        expect(page.get_by_label("Name", exact=True)).to_be_disabled()
        screenshot(page, "script-editor-viewer")
