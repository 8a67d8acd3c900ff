"""The sign-in page in Chromium, against `reflex run --env prod` on the test database."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_org, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

PASSWORD = "correct horse battery"
SIGN_IN_URL = re.compile(r"/sign-in/?$")
HOME_URL = re.compile(r"://[^/]+/?$")


@pytest.fixture
async def user():
    account = await make_user(password=PASSWORD)
    await make_org(owner=account)
    return account


def get_json(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, json.loads(answer.read())


def test_rest_api_is_served_on_the_web_port(base_url):
    assert get_json(f"{base_url}/api/health") == (
        200,
        {"status": "ok", "database": "ok", "redis": "ok"},
    )
    status, version = get_json(f"{base_url}/api/version")
    assert status == 200 and version["api"] == "v1"


def test_home_sends_a_visitor_to_sign_in(base_url):
    with chromium_page(base_url, name="home-redirect") as page:
        page.goto("/")
        expect(page).to_have_url(SIGN_IN_URL)
        expect(page).to_have_title("Sign in · ETL Fabric")
        # Labelled fields: found by their visible label, as a screen reader would.
        assert page.get_by_label("E-mail").get_attribute("type") == "email"
        assert page.get_by_label("Password").get_attribute("type") == "password"
        screenshot(page, "sign-in")


def test_wrong_password_shows_the_error_and_stays(base_url, user):
    with chromium_page(base_url, name="sign-in-wrong-password") as page:
        page.goto("/sign-in")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#sign-in-error")).to_have_text("Incorrect e-mail or password.")
        expect(page).to_have_url(SIGN_IN_URL)
        # Focus returns to the password, ready for another try.
        expect(page.get_by_label("Password")).to_be_focused()
        screenshot(page, "sign-in-wrong-password")


def test_sign_in_with_the_keyboard_then_sign_out(base_url, user):
    with chromium_page(base_url, name="sign-in-keyboard") as page:
        page.goto("/sign-in")
        expect(page.get_by_label("E-mail")).to_be_focused()  # autofocus
        page.keyboard.type(user.email)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        expect(page.get_by_text(f"Welcome, {user.name}.", exact=False)).to_be_visible()
        expect(page).to_have_url(HOME_URL)
        steps = (
            page.get_by_role("list")
            .filter(has_text="Getting started")
            .or_(page.locator("ul").filter(has_text="Connect a source"))
        )
        for step, href in (("Connect a source", "/connections"), ("Load it with", "/pipelines")):
            link = steps.first.get_by_role("link").filter(has_text=step)
            expect(link).to_have_attribute("href", href)
        screenshot(page, "home-signed-in")

        page.get_by_role("button", name="Account menu").click()
        page.get_by_role("menuitem", name="Sign out").click()
        expect(page).to_have_url(SIGN_IN_URL)
        page.goto("/")  # signed out: the home page is closed again
        expect(page).to_have_url(SIGN_IN_URL)


def test_a_page_opened_signed_out_opens_after_signing_in_and_next_stays_in_the_app(base_url, user):
    with chromium_page(base_url, name="sign-in-next") as page:
        page.goto("/runs?status=failed")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=/runs%3Fstatus%3Dfailed$"))
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Runs", level=1)).to_be_visible()
        expect(page).to_have_url(re.compile(r"/runs/?\?status=failed$"))

    with chromium_page(base_url, name="sign-in-next-elsewhere") as page:
        page.goto("/sign-in?next=//evil.example/steal")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        expect(page).to_have_url(HOME_URL)


def test_an_unknown_address_says_so_and_offers_the_way_back(base_url):
    with urllib.request.urlopen(f"{base_url}/favicon.ico", timeout=10) as answer:
        assert answer.status == 200 and answer.read(4) == b"\x00\x00\x01\x00"  # an icon
    with chromium_page(base_url, name="not-found") as page:
        page.goto("/no/such/page")
        expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
        expect(page).to_have_title("Page not found · ETL Fabric")
        screenshot(page, "not-found")
        page.get_by_role("link", name="Go to the dashboard").click()
        expect(page).to_have_url(SIGN_IN_URL)  # not signed in: the dashboard asks to sign in
