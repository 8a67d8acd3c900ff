"""/settings in a real browser: invitations accepted in a second browser, roles, API keys."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser import chromium_available, chromium_page, screenshot, second_page
from tests.factories import make_org, make_user
from tests.ui.accounts import PASSWORD, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
async def owner():
    account = await make_user()
    org = await make_org(name=f"Acme {uuid.uuid4().hex[:6]}", owner=account)
    return account, org


def rest(base_url: str, method: str, path: str, *, token: str = "", body: dict | None = None):
    """(status, JSON body) of a call to the running app's REST API."""
    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def open_tab(page: Page, name: str) -> None:
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    page.get_by_role("tab", name=name).click()


def invite(page: Page, email: str, role: str) -> str:
    """Invite `email` from the Members tab; returns the link the dialog shows to copy."""
    open_tab(page, "Members")
    page.get_by_role("button", name="Invite member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("E-mail").fill(email)
    dialog.get_by_label("Role").select_option(role)
    dialog.get_by_role("button", name="Send invitation").click()
    link = dialog.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"/invite/"))
    screenshot(page, "settings-invitation-link")
    url = link.input_value()
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("table", name="Pending invitations")).to_contain_text(email)
    return url


def test_invited_member_joins_then_loses_edit_controls_as_viewer(base_url, owner):
    account, org = owner
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    with chromium_page(base_url, name="settings-owner") as owner_page:
        sign_in(owner_page, account.email)
        link = invite(owner_page, email, "admin")

        with second_page(owner_page, base_url, name="settings-invitee") as invitee:
            invitee.goto(link)
            expect(invitee.get_by_role("heading", name="You are invited")).to_be_visible()
            expect(invitee.get_by_text(org.name).first).to_be_visible()
            invitee.get_by_label("Your name").fill("Grace Member")
            invitee.get_by_label("Password").fill(PASSWORD)
            invitee.get_by_role("button", name="Create account and join").click()
            expect(invitee.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
            expect(invitee.get_by_label("Organisation")).to_contain_text(org.name)

            # As admin the member sees the edit controls of /settings.
            open_tab(invitee, "Members")
            expect(invitee.get_by_role("button", name="Invite member")).to_be_visible()
            expect(invitee.get_by_label("Role of Grace Member")).to_be_visible()

            # The owner makes them a viewer.
            open_tab(owner_page, "Members")
            owner_page.get_by_label("Role of Grace Member").select_option("viewer")
            row = owner_page.get_by_role("row", name=re.compile("Grace Member"))
            expect(row.get_by_label("Role of Grace Member")).to_have_value("viewer")
            expect(owner_page.get_by_role("table", name="Pending invitations")).to_have_count(0)

            # On their next page load the controls are gone...
            open_tab(invitee, "Members")
            expect(invitee.get_by_text("Your role can see the members")).to_be_visible()
            expect(invitee.get_by_role("button", name="Invite member")).to_have_count(0)
            expect(invitee.get_by_label("Role of Grace Member")).to_have_count(0)
            expect(invitee.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
            invitee.get_by_role("tab", name="Organisation").click()
            expect(invitee.get_by_role("button", name="Save profile")).to_have_count(0)
            expect(invitee.get_by_text("Owners and admins can change the profile.")).to_be_visible()
            expect(invitee.get_by_role("tab", name="API keys")).to_have_count(0)
            screenshot(invitee, "settings-as-viewer")

    # ...and the REST API refuses the same actions.
    status, tokens = rest(
        base_url, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD}
    )
    assert status == 200
    token = tokens["access_token"]
    status, answer = rest(
        base_url,
        "POST",
        "/api/v1/invitations",
        token=token,
        body={"email": "someone@example.com", "role": "viewer"},
    )
    assert status == 403, answer
    status, answer = rest(base_url, "PATCH", "/api/v1/org", token=token, body={"name": "Hijacked"})
    assert status == 403, answer
    status, _ = rest(base_url, "GET", "/api/v1/members", token=token)
    assert status == 200


def test_owner_removes_a_member_after_confirming(base_url, owner):
    account, _ = owner
    email = f"leaver-{uuid.uuid4().hex[:8]}@example.com"
    with chromium_page(base_url, name="settings-remove") as page:
        sign_in(page, account.email)
        link = invite(page, email, "editor")
        with second_page(page, base_url, name="settings-remove-invitee") as invitee:
            invitee.goto(link)
            invitee.get_by_label("Your name").fill("Leaving Member")
            invitee.get_by_label("Password").fill(PASSWORD)
            invitee.get_by_role("button", name="Create account and join").click()
            expect(invitee.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

            open_tab(page, "Members")
            page.get_by_role("button", name="Remove Leaving Member").click()
            confirm = page.get_by_role("alertdialog")
            expect(confirm).to_contain_text(email)
            confirm.get_by_role("button", name="Cancel").click()
            expect(page.get_by_role("table", name="Members")).to_contain_text(email)

            page.get_by_role("button", name="Remove Leaving Member").click()
            page.get_by_role("alertdialog").get_by_role("button", name="Remove member").click()
            expect(page.get_by_role("table", name="Members")).not_to_contain_text(email)

            # Their session in this organisation is over.
            invitee.reload()
            expect(invitee).to_have_url(re.compile(r"/sign-in/?$"))


def test_api_key_is_shown_once_works_and_stops_working_when_revoked(base_url, owner):
    account, _ = owner
    with chromium_page(base_url, name="settings-api-keys") as page:
        sign_in(page, account.email)
        open_tab(page, "API keys")
        page.get_by_role("button", name="Create API key").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Name").fill("   ")  # passes the browser's `required`, not ours
        dialog.get_by_role("button", name="Create key").click()
        expect(dialog.locator("#key_name-error")).not_to_be_empty()
        dialog.get_by_label("Name").fill("nightly export")
        dialog.get_by_role("button", name="Create key").click()
        secret_box = dialog.get_by_label("Secret of nightly export")
        expect(secret_box).to_have_value(re.compile(r"^etf_"))
        secret = secret_box.input_value()
        screenshot(page, "settings-api-key-created")
        dialog.get_by_role("button", name="Done").click()
        expect(dialog).to_be_hidden()  # the state closes it: a busy server takes a moment

        table = page.get_by_role("table", name="API keys")
        expect(table).to_contain_text("nightly export")
        expect(table).not_to_contain_text(secret)
        assert secret not in page.content()  # closing the dialog forgot it

        status, _ = rest(base_url, "GET", "/api/v1/members", token=secret)
        assert status == 200
        page.get_by_role("button", name="Revoke nightly export").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Revoke key").click()
        expect(table.get_by_text("Revoked")).to_be_visible()
        status, _ = rest(base_url, "GET", "/api/v1/members", token=secret)
        assert status == 401


def test_profile_refuses_an_unknown_time_zone_and_saves_a_good_one(base_url, owner):
    account, org = owner
    with chromium_page(base_url, name="settings-profile") as page:
        sign_in(page, account.email)
        open_tab(page, "Organisation")
        page.get_by_label("Default time zone").fill("Mars/Olympus")
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator("#org_timezone-error")).to_contain_text("time zone")
        page.reload()
        page.get_by_role("tab", name="Organisation").click()
        expect(page.get_by_label("Default time zone")).to_have_value("UTC")  # nothing changed

        page.get_by_label("Organisation name").fill(org.name + " Ltd")
        page.get_by_label("Default time zone").fill("Europe/Lisbon")
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator("#profile-saved")).to_be_visible()
        expect(page.get_by_label("Organisation", exact=True)).to_contain_text(org.name + " Ltd")
