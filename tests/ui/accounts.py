"""Signing in through the real form, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"  # tests.factories.make_user's default


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
