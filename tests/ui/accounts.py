"""Accounts for the browser tests: an organisation with an editor, and signing in through the
real form."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from etlfabric.services import auth
from tests.factories import make_member

PASSWORD = "correct horse battery"  # tests.factories.make_user's default


async def org_with_editor(org_name: str, owner_name: str = "Olive Owner"):
    """(org, editor, editor's principal): an organisation made by sign-up, its name made unique
    with a suffix, and an editor in it."""
    result = await auth.signup(
        email=f"owner-{uuid.uuid4().hex[:8]}@example.com",
        password=PASSWORD,
        name=owner_name,
        org_name=f"{org_name} {uuid.uuid4().hex[:4]}",
    )
    editor, principal = await make_member(result.org, "editor")
    return result.org, editor, principal


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in at /sign-in and wait for the dashboard."""
    page.goto("/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def open_account_menu(page: Page) -> None:
    page.get_by_role("button", name="Account menu").click()
    expect(page.get_by_role("menu")).to_be_visible()
