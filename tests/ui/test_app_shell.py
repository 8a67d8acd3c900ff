"""Sign up, the app shell (sidebar, organisation switcher, user menu, theme) and the dashboard."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member, make_org, make_user
from tests.ui.accounts import PASSWORD, open_account_menu, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

SIGN_IN_URL = re.compile(r"/sign-in/?$")
SIGN_UP_URL = re.compile(r"/sign-up/?$")
HOME_URL = re.compile(r"://[^/]+/?$")


@pytest.fixture
async def owner():
    account = await make_user()
    org = await make_org(name=f"Acme {uuid.uuid4().hex[:6]}", owner=account)
    return account, org


@pytest.fixture
async def second_org(owner):
    account, _ = owner
    return await make_org(name=f"Beta {uuid.uuid4().hex[:6]}", owner=account)


@pytest.fixture
async def viewer(owner):
    _, org = owner
    account, _ = await make_member(org, "viewer")
    return account


def html_classes(page) -> str:
    return page.evaluate("document.documentElement.className")


def test_sign_up_refuses_bad_input_then_lands_on_the_dashboard(base_url):
    email = f"founder-{uuid.uuid4().hex[:8]}@example.com"
    org_name = f"Founders {uuid.uuid4().hex[:6]}"
    with chromium_page(base_url, name="sign-up") as page:
        page.goto("/sign-in")
        page.get_by_role("link", name="Create an account").click()
        expect(page).to_have_url(SIGN_UP_URL)
        expect(page.get_by_text("15+ characters recommended")).to_be_visible()
        page.get_by_label("Your name").fill("Ada Founder")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill("short")
        page.get_by_label("Organisation name").fill(org_name)
        page.get_by_role("button", name="Create account").click()
        # The error sits under the field it names; the page stays and the values are kept.
        expect(page.locator("#password-error")).to_have_text(
            "Password must be 8 to 128 characters long."
        )
        expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
        expect(page).to_have_url(SIGN_UP_URL)
        expect(page.get_by_label("E-mail")).to_have_value(email)
        screenshot(page, "sign-up-bad-password")

        # Nothing was created: the same e-mail signs up without "already exists".
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        expect(page).to_have_url(HOME_URL)
        expect(page.get_by_text("Welcome, Ada Founder.", exact=False)).to_be_visible()
        expect(page.get_by_label("Organisation")).to_contain_text(org_name)
        expect(page.locator("#member-count")).to_have_text("1 member")
        expect(page.get_by_text("owner", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Invite your team"))).to_be_visible()
        screenshot(page, "dashboard-after-sign-up")

        page.goto("/sign-up")  # signed in: straight back to the app
        expect(page).to_have_url(HOME_URL)


def test_theme_is_remembered_per_user_and_survives_a_reload(base_url, owner):
    account, _ = owner
    with chromium_page(base_url, name="theme") as page:
        sign_in(page, account.email)
        assert "dark" not in html_classes(page)
        open_account_menu(page)
        page.get_by_role("menuitem", name="Dark theme").click()
        page.wait_for_function("document.documentElement.classList.contains('dark')")
        screenshot(page, "theme-dark")

        # Dark from the very first paint after a reload, before the app has loaded its state.
        page.reload(wait_until="domcontentloaded")
        assert "dark" in html_classes(page)
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        assert "dark" in html_classes(page)
        open_account_menu(page)
        expect(page.get_by_role("menuitem", name="Light theme")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("menu")).to_be_hidden()
        screenshot(page, "theme-dark-after-reload")

    # A fresh browser has no saved copy: the theme comes from the user's row.
    with chromium_page(base_url, name="theme-other-browser") as page:
        sign_in(page, account.email)
        page.wait_for_function("document.documentElement.classList.contains('dark')")
        open_account_menu(page)
        page.get_by_role("menuitem", name="Light theme").click()
        page.wait_for_function("!document.documentElement.classList.contains('dark')")


def test_reload_keeps_you_signed_in_and_sign_out_closes_the_app(base_url, owner):
    account, org = owner
    with chromium_page(base_url, name="reload-sign-out") as page:
        sign_in(page, account.email)
        page.reload()
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        expect(page).to_have_url(HOME_URL)
        expect(page.get_by_label("Organisation")).to_contain_text(org.name)

        open_account_menu(page)
        expect(page.get_by_role("menu")).to_contain_text(account.email)
        page.get_by_role("menuitem", name="Sign out").click()
        expect(page).to_have_url(SIGN_IN_URL)
        page.goto("/")
        expect(page).to_have_url(SIGN_IN_URL)
        page.goto("/audit")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=/audit$"))


def test_org_switcher_moves_between_organisations(base_url, owner, second_org):
    account, first = owner
    first_name, second_name = first.name, second_org.name
    with chromium_page(base_url, name="org-switcher") as page:
        sign_in(page, account.email)
        switcher = page.get_by_label("Organisation")
        expect(switcher).to_contain_text(first_name)
        switcher.click()
        page.get_by_role("option", name=second_name).click()
        expect(switcher).to_contain_text(second_name)
        welcome = page.get_by_text(f"You are signed in to {second_name}.", exact=False)
        expect(welcome).to_be_visible()
        screenshot(page, "org-switched")
        page.reload()  # the switch is the session's organisation now, not a view
        expect(page.get_by_label("Organisation")).to_contain_text(second_name)


def test_keyboard_reaches_the_sidebar_with_a_visible_focus(base_url, owner):
    account, _ = owner
    with chromium_page(base_url, name="keyboard") as page:
        sign_in(page, account.email)
        nav = page.get_by_role("navigation", name="Main")
        dashboard = nav.get_by_role("link", name="Dashboard")
        expect(dashboard).to_have_attribute("aria-current", "page")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Tab")
        expect(dashboard).to_be_focused()
        outline = dashboard.evaluate(
            "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
        )
        assert outline == "solid 2px"
        names = ("Connections", "Pipelines", "Transformations", "Scripts", "Runs", "Schedules")
        names += ("Dependencies",)
        names += ("Notifications",)
        for name in (*names, "Settings"):
            page.keyboard.press("Tab")
            expect(nav.get_by_role("link", name=name)).to_be_focused()
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name="Audit log")).to_be_focused()
        screenshot(page, "keyboard-focus-sidebar")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
        expect(nav.get_by_role("link", name="Audit log")).to_have_attribute("aria-current", "page")
        expect(dashboard).to_have_attribute("aria-current", "false")


def test_tablet_width_keeps_an_icon_sidebar_with_named_links(base_url, owner):
    account, _ = owner
    with chromium_page(base_url, name="tablet", viewport=(768, 1024)) as page:
        sign_in(page, account.email)
        nav = page.get_by_role("navigation", name="Main")
        settings = nav.get_by_role("link", name="Settings")
        expect(settings).to_be_visible()
        expect(nav.get_by_text("Settings", exact=True)).to_be_hidden()
        assert nav.bounding_box()["width"] < 100
        screenshot(page, "dashboard-tablet")


def test_a_viewer_sees_no_audit_link_and_no_invite_step(base_url, viewer):
    with chromium_page(base_url, name="viewer-shell") as page:
        sign_in(page, viewer.email)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Settings")).to_be_visible()
        expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
        expect(page.get_by_role("link", name=re.compile("Invite your team"))).to_have_count(0)
        expect(page.get_by_text("viewer", exact=True)).to_be_visible()
