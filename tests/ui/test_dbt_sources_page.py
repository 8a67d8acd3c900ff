"""dbt sources in a real browser: a table a real pipeline loaded is suggested and one click
declares it, its freshness thresholds are set in the form (a refusal under its field first),
"Check freshness" runs `dbt source freshness` on a real Celery worker and the page shows its
progress, then the status badge with the age of the newest row and a link to the run; a source
declared by hand is deleted; a viewer sees all of it and none of the actions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from etlfabric.models import RunStatus
from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse
from tests.pipeline_runs import execute
from tests.ui.accounts import org_with_editor, sign_in
from tests.ui.test_scripts_page import outside_requests
from tests.ui.test_transformations_page import console_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
async def team(source_db):
    """An editor and a viewer whose organisation's pipeline loaded `customers` (its rows updated
    three hours ago) into the Warehouse's raw schema."""
    source_sql(
        source_db,
        "DROP TABLE IF EXISTS customers",
        "CREATE TABLE customers (id int PRIMARY KEY, name text, updated_at timestamp)",
        "INSERT INTO customers SELECT g, 'customer ' || g,"
        " now() at time zone 'utc' - interval '3 hours' FROM generate_series(1, 5) g",
    )
    org, editor, principal = await org_with_editor("Sources", owner_name="Sid Source")
    pipeline = await make_pipeline(
        principal,
        await postgres_source(org.id, source_db),
        await warehouse(org.id),
        name="Shop load",
    )
    run, log = execute(org.id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, log)
    viewer, _ = await make_member(org, "viewer")
    return {"editor": editor, "viewer": viewer}


def open_sources(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transformations").click()
    page.get_by_role("link", name="Sources").click()
    expect(page).to_have_url(re.compile(r"/transformations/sources$"))
    expect(page.get_by_role("heading", name="Sources", level=1)).to_be_visible()


def declare_suggested(page: Page) -> None:
    expect(page.locator("#sources-empty")).to_be_visible()
    suggested = page.locator("#suggested-sources tbody tr")
    expect(suggested).to_have_count(1)
    expect(suggested).to_contain_text("raw.customers")
    expect(suggested).to_contain_text("Shop load")
    page.get_by_role("button", name="Add raw.customers").click()
    row = page.locator("#sources-table tbody tr").filter(has_text="raw.customers")
    expect(row).to_contain_text("No thresholds")
    expect(page.locator("#no-suggestions")).to_be_visible()
    expect(page.locator("#sources-summary")).to_have_text("1 source table")


def set_thresholds(page: Page) -> None:
    page.get_by_role("button", name="Edit raw.customers").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Table")).to_have_value("customers")
    dialog.get_by_label("Warn after: count").fill("1")
    dialog.get_by_label("Warn after: period").select_option("hour")
    dialog.get_by_role("button", name="Save source").click()
    expect(dialog.locator("#loaded_at_field-error")).to_have_text(
        "Freshness needs the column that says when rows loaded."
    )
    dialog.get_by_label("Loaded-at column").fill("updated_at")
    dialog.get_by_label("Error after: count").fill("6")
    dialog.get_by_role("button", name="Save source").click()
    expect(dialog.locator("#error_period-error")).to_contain_text("Choose a period")
    dialog.get_by_label("Error after: period").select_option("hour")
    dialog.get_by_role("button", name="Save source").click()
    expect(dialog).to_have_count(0)
    row = page.locator("#sources-table tbody tr").filter(has_text="raw.customers")
    expect(row).to_contain_text("Warn after 1 hour")
    expect(row).to_contain_text("Error after 6 hours")
    expect(row).to_contain_text("updated_at")
    expect(row.locator(".freshness-badge")).to_have_text("Never checked")


def check_freshness(page: Page) -> None:
    expect(page.locator("#check-status")).to_have_count(0)
    page.get_by_role("button", name="Check freshness").click()
    expect(page.locator("#check-progress")).to_contain_text("Checking on a worker")
    expect(page.locator("#check-status")).to_have_text("Succeeded", timeout=120_000)
    expect(page.locator("#check-run")).to_have_attribute("href", re.compile(r"^/runs/\d+$"))
    row = page.locator("#sources-table tbody tr").filter(has_text="raw.customers")
    expect(row.locator(".freshness-badge")).to_have_text("Warning")
    expect(row).to_contain_text(re.compile(r"newest row (2 h 5\d|3 h 0\d) min old"))
    checked = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
    expect(row.get_by_role("link", name=checked)).to_be_visible()


def add_and_delete_by_hand(page: Page) -> None:
    page.get_by_role("button", name="Add source").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Source name").fill("Shop Data")
    dialog.get_by_label("Table").fill("customers")
    dialog.get_by_role("button", name="Declare source").click()
    expect(dialog.locator("#source_name-error")).to_contain_text("'Shop Data' is not")
    dialog.get_by_label("Source name").fill("shop")
    dialog.get_by_role("button", name="Declare source").click()
    expect(page.locator("#sources-summary")).to_have_text("2 source tables")
    shop = page.locator("#sources-table tbody tr").filter(has_text="shop")
    expect(shop.locator(".freshness-badge")).to_have_text("No thresholds")
    shop.get_by_role("button", name="Delete shop.customers").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete source").click()
    expect(page.locator("#sources-summary")).to_have_text("1 source table")
    expect(page.locator("#sources-table tbody tr")).to_contain_text("Warning")


def test_a_suggested_table_is_declared_given_thresholds_and_checked_for_freshness(
    base_url, team, celery_worker
):
    with chromium_page(base_url, name="dbt-sources", viewport=(1440, 900)) as page:
        outside = outside_requests(page, base_url)
        errors = console_errors(page)
        sign_in(page, team["editor"].email)
        open_sources(page)
        declare_suggested(page)
        set_thresholds(page)
        check_freshness(page)
        screenshot(page, "dbt-sources")
        add_and_delete_by_hand(page)
        page.get_by_role("link", name="Lineage").click()
        expect(page.get_by_role("heading", name="Lineage", level=1)).to_be_visible()
        page.get_by_role("link", name="Sources").click()
        expect(page.locator("#check-status")).to_have_text("Succeeded")
        assert outside == [], f"requests left the app: {outside}"
        assert errors == [], f"console errors: {errors}"

    with chromium_page(base_url, name="dbt-sources-viewer") as page:
        sign_in(page, team["viewer"].email)
        page.goto("/transformations/sources")
        row = page.locator("#sources-table tbody tr").filter(has_text="raw.customers")
        expect(row.locator(".freshness-badge")).to_have_text("Warning")
        expect(page.locator("#check-status")).to_have_text("Succeeded")
        for name in ("Add source", "Check freshness", "Edit raw.customers"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
