"""Notifications in a real browser: an editor adds an e-mail channel (the form says what each
field is for, and names the field at fault), sends a test e-mail, adds a failure rule; a script
then fails on a real worker, the e-mail reaches a real SMTP server on loopback, and the delivery
(and the test) show in the history. Then the channel's recipients are edited and the rule is
switched off, and both are still so after a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Run
from etlfabric.services import run_events, scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.notification_servers import body_of, smtp_server, wait_until
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

SMTP_PASSWORD = "ui-canary-smtp-password"


@pytest.fixture
async def team():
    org, editor, as_editor = await org_with_editor("Alerted")
    async with tenant_session(as_editor.org_id) as session:
        script = await scripts.create(
            session=session,
            principal=as_editor,
            name="Broken export",
            content="print('about to fail')\nraise SystemExit(5)\n",
        )
    return {"org": org, "editor": editor, "as_editor": as_editor, "script": script}


def start_run(org_id: int, script) -> Run:
    """A manual run of `script`, sent to the worker once its row commits."""
    with sync_tenant_session(org_id) as session:
        run = Run(
            target_type="script",
            target_id=script.id,
            target_name=script.name,
            trigger="manual",
        )
        session.add(run)
        session.flush()
        run_events.enqueue_after_commit(session, org_id=org_id, run_id=run.id, queue="default")
    return run


def add_email_channel(page: Page, port: int) -> None:
    page.get_by_role("button", name="Add channel").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Addresses separated by commas.")).to_be_visible()
    dialog.get_by_label("Name").fill("Ops mail")
    dialog.get_by_label("SMTP host").fill("127.0.0.1")
    dialog.get_by_label("Port").fill(str(port))
    dialog.get_by_label("TLS").select_option("none")
    dialog.get_by_label("Password (optional)").fill(SMTP_PASSWORD)
    dialog.get_by_label("From").fill("alerts@example.com")
    dialog.get_by_label("Recipients").fill("nobody")
    dialog.get_by_role("button", name="Add channel").click()
    expect(dialog.locator("#smtp_recipients-error")).to_have_text(
        "'nobody' is not an e-mail address."
    )
    dialog.get_by_label("Recipients").fill("ops@example.com")
    dialog.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("Channel Ops mail was added.")).to_be_visible()


def test_configure_email_and_a_failure_rule_then_see_the_delivery(base_url, team, celery_worker):
    with smtp_server() as mail, chromium_page(base_url, name="notifications") as page:
        sign_in(page, team["editor"].email)
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Notifications").click()
        expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
        expect(page.locator("#history-empty")).to_have_text("Nothing has been sent yet.")
        expect(page.get_by_role("button", name="Add rule")).to_be_disabled()
        expect(page.locator("#rule-needs-channel")).to_have_text(
            "Add a channel first: a rule sends through one."
        )
        add_email_channel(page, mail.port)
        expect(page.locator("#rule-needs-channel")).to_have_count(0)
        channels = page.get_by_role("table", name="Channels")
        expect(channels).to_contain_text(f"ops@example.com via 127.0.0.1:{mail.port}")
        expect(channels).to_contain_text("password: ••••••")
        assert SMTP_PASSWORD not in page.content()

        page.get_by_role("button", name="Send a test message to Ops mail").click()
        expect(page.get_by_text("Test message sent to ops@example.com.")).to_be_visible()
        assert "test message from ETL Fabric" in body_of(mail.messages[0])

        page.get_by_role("button", name="Add rule").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("When").select_option("failure")
        dialog.get_by_label("Target").select_option(label="Script · Broken export")
        expect(dialog.get_by_label("Group repeats for (minutes)")).to_have_value("15")
        dialog.get_by_role("button", name="Add rule").click()
        expect(page.get_by_text("The rule was added.")).to_be_visible()
        rules = page.get_by_role("table", name="Rules")
        expect(rules).to_contain_text("On failure")
        expect(rules).to_contain_text("Broken export")
        screenshot(page, "notifications-configured")

        run = start_run(team["as_editor"].org_id, team["script"])
        wait_until(lambda: len(mail.messages) == 2, 60, "the failure e-mail")
        assert f"/runs/{run.id}" in body_of(mail.messages[1])
        page.get_by_role("button", name="Refresh").click()
        history = page.get_by_role("table", name="Deliveries")
        row = history.locator("tbody tr").first
        expect(row).to_contain_text(
            f"Failed: script 'Broken export' (run #{run.id})", timeout=20_000
        )
        expect(row).to_contain_text("sent")
        expect(history.locator("tbody tr").last).to_contain_text("Test message for 'Ops mail'")
        screenshot(page, "notifications-history")

        edit_recipients(page, mail.port)
        switch = rules.get_by_role("switch", name="Enabled: On failure · Broken export")
        switch.click()
        expect(switch).not_to_be_checked()
        page.reload()
        expect(channels).to_contain_text(
            f"ops@example.com, oncall@example.com via 127.0.0.1:{mail.port}"
        )
        expect(channels).to_contain_text("password: ••••••")  # left empty: kept
        expect(switch).not_to_be_checked()
        expect(rules.locator("tbody tr").first).to_contain_text("Off")
        screenshot(page, "notifications-edited")
        history.locator("tbody tr").first.get_by_role("link").click()
        expect(page).to_have_url(re.compile(rf"/runs/{run.id}$"))


def edit_recipients(page: Page, port: int) -> None:
    """The edit form opens with the stored settings, the password empty (kept unless typed)."""
    page.get_by_role("button", name="Edit Ops mail").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Name")).to_have_value("Ops mail")
    expect(dialog.get_by_label("SMTP host")).to_have_value("127.0.0.1")
    expect(dialog.get_by_label("Port")).to_have_value(str(port))
    expect(dialog.get_by_label("TLS")).to_have_value("none")
    expect(dialog.get_by_label("From")).to_have_value("alerts@example.com")
    expect(dialog.get_by_label("Recipients")).to_have_value("ops@example.com")
    expect(dialog.get_by_label("Password (optional)")).to_have_value("")
    expect(dialog.get_by_text("Leave empty to keep the stored one.")).to_be_visible()
    dialog.get_by_label("Recipients").fill("ops@example.com, not-an-address")
    dialog.get_by_role("button", name="Save channel").click()
    expect(dialog.locator("#smtp_recipients-error")).to_have_text(
        "'not-an-address' is not an e-mail address."
    )
    dialog.get_by_label("Recipients").fill("ops@example.com, oncall@example.com")
    dialog.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text("Channel Ops mail was saved.")).to_be_visible()
    expect(dialog).to_be_hidden()
