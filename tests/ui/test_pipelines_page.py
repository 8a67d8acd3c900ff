"""Pipelines in a real browser: a PostgreSQL connection made and tested through the form, a
single-table pipeline into the Warehouse, a run watched live through a real Celery worker, then
the pipeline page with its run, state, tables and a preview without the sensitive column, a CSV
download and "Reset state" confirmed by name; and the editor's errors beside their fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from etlfabric.db import sync_tenant_session
from etlfabric.models import Pipeline
from tests.browser import chromium_available, chromium_page, screenshot
from tests.pipeline_factories import make_connection, source_sql
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]
RUN_URL = re.compile(r"/runs/\d+/?$")
PIPELINE_URL = re.compile(r"/pipelines/\d+/?$")


@pytest.fixture(scope="module")
def shop_db(source_db):
    """The module's source database with a small customers table; its name."""
    source_sql(
        source_db,
        "CREATE TABLE customers (id int PRIMARY KEY, name text, email text)",
        "INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@example.com' "
        "FROM generate_series(1, 3) g",
    )
    return source_db


@pytest.fixture
async def team():
    _, editor, principal = await org_with_editor("Loaders", owner_name="Lou Loader")
    return {"editor": editor, "principal": principal}


@pytest.fixture
async def legacy_source(team):
    """A source connection made directly (never reached: the editor tests do not run it)."""
    config = {"host": "127.0.0.1", "database": "legacy", "username": "etl"}
    return await make_connection(team["principal"].org_id, name="Legacy DB", config=config)


def pipeline_count(org_id: int) -> int:
    with sync_tenant_session(org_id) as session:
        return session.scalar(select(func.count()).select_from(Pipeline))


def make_postgres_connection(page: Page, database: str) -> None:
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Connections").click()
    warehouse = page.locator("#connections-table tbody tr", has_text="Warehouse")
    expect(warehouse).to_contain_text("Managed · cannot be deleted")
    expect(warehouse.get_by_role("button", name=re.compile("Delete"))).to_have_count(0)
    expect(page.locator("#exercised-note")).to_contain_text("SQL Server and Oracle")
    page.get_by_role("link", name="New connection").click()
    page.get_by_role("button", name=re.compile(r"^PostgreSQL")).click()
    expect(page.get_by_role("heading", name="New PostgreSQL connection")).to_be_visible()
    expect(page.locator("#exercised")).to_contain_text("real PostgreSQL server")
    page.get_by_label("Name", exact=True).fill("Shop DB")
    page.get_by_label("Direction").select_option("source")
    page.get_by_label("Host").fill("127.0.0.1")
    page.get_by_label("Database").fill(database)
    page.get_by_label("User name").fill("postgres")
    page.get_by_label("Password").fill("not-needed-on-a-trusting-server")
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    page.get_by_label("SSL mode").select_option("disable")
    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("OK", timeout=20_000)
    expect(result).to_contain_text("Connected to PostgreSQL")
    expect(result).to_contain_text(re.compile(r"\d+ ms"))
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_role("heading", name="Connection: Shop DB")).to_be_visible()
    # The stored password is never sent back: the input is empty and says it is kept.
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_have_attribute("placeholder", re.compile("stored"))
    page.get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text("OK", timeout=20_000)


def make_pipeline(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipelines").click()
    expect(page.locator("#pipelines-empty")).to_be_visible()
    page.get_by_role("link", name="New pipeline").click()
    expect(page.get_by_role("heading", name="New pipeline", level=1)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Customers to raw")
    page.get_by_label("Source connection").select_option(label="Shop DB (PostgreSQL)")
    expect(page.get_by_label("Destination connection")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Dataset (schema)")).to_have_value("raw")
    # Only the modes a database source can do are offered.
    expect(page.get_by_label("Mode").locator("option")).to_have_text(
        ["Single table", "Whole database"]
    )
    page.get_by_label("Table", exact=True).fill("customers")
    page.get_by_label("Incremental cursor column").fill("id")
    page.get_by_label("Initial value").fill("0")
    page.get_by_label("Primary key").fill("id")
    page.get_by_label("Sensitive columns").fill("email")
    screenshot(page, "pipeline-editor")
    page.get_by_role("button", name="Save pipeline").click()
    expect(page).to_have_url(PIPELINE_URL)
    expect(page.get_by_role("heading", name="Pipeline: Customers to raw")).to_be_visible()
    expect(page.locator("#no-runs")).to_be_visible()
    # Before the first run: what it reads and the cursor it will keep, and nothing loaded.
    expect(page.locator("#pipeline-reads")).to_have_text("customers")
    expect(page.locator("#pipeline-cursor")).to_have_text("id (from 0)")
    expect(page.locator("#cursor-pending")).to_contain_text("Incremental cursor id (from 0)")
    expect(page.locator("#no-cursors")).to_have_count(0)
    expect(page.locator("#no-tables")).to_be_visible()


def test_connect_postgres_load_a_table_watch_the_run_and_preview_it(
    base_url, team, shop_db, celery_worker
):
    with chromium_page(base_url, name="pipeline-flow") as page:
        sign_in(page, team["editor"].email)
        make_postgres_connection(page, shop_db)
        make_pipeline(page)

        page.get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(RUN_URL)
        log = page.locator("#run-log")
        expect(log).to_contain_text("extract: 3 rows", timeout=120_000)
        expect(log).to_contain_text("load: 3 rows")
        expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=60_000)
        expect(page.locator("#run-tables")).to_contain_text("customers")
        expect(page.locator("#run-load-notes")).to_contain_text(
            "New table customers (email, id, name)"
        )
        screenshot(page, "pipeline-run")

        page.locator("#main-content").get_by_role("link", name="Customers to raw").click()
        expect(page).to_have_url(PIPELINE_URL)
        runs = page.locator("#pipeline-runs tbody tr")
        expect(runs).to_have_count(1)
        expect(runs.first).to_contain_text("Succeeded")
        expect(runs.first).to_contain_text("3")
        expect(page.locator("#state-cursors")).to_contain_text("customers")
        expect(page.locator("#last-load")).to_have_text(
            re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
        )
        expect(page.locator("#last-load-id")).to_have_text(re.compile(r"^Load id \d+\.\d+$"))
        expect(page.locator("#loaded-tables")).to_contain_text("customers")
        expect(page.locator("#loaded-tables")).to_contain_text(re.compile("integer|bigint"))
        preview = page.locator("#preview")
        expect(preview.locator("tbody tr")).to_have_count(3)
        expect(preview).to_contain_text("customer 2")
        expect(preview.locator("thead")).not_to_contain_text("email")
        expect(preview).not_to_contain_text("@example.com")
        screenshot(page, "pipeline-detail")
        expect(page.get_by_role("link", name="Schedule it")).to_have_attribute(
            "href", re.compile(r"/schedules/new\?target=pipeline:\d+$")
        )

        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        content = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert content.splitlines()[0].startswith("id,name") and "@example.com" not in content

        page.get_by_role("button", name="Reset state").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Pipeline name").fill("not the name")
        dialog.get_by_role("button", name="Reset state").click()
        expect(dialog.locator("#confirm_name-error")).to_contain_text("Type the pipeline's name")
        dialog.get_by_label("Pipeline name").fill("Customers to raw")
        dialog.get_by_role("button", name="Reset state").click()
        expect(page.locator("#reset-pending")).to_contain_text("Reset state on the next run")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipelines").click()
        row = page.locator("#pipelines-table tbody tr", has_text="Customers to raw")
        expect(row).to_contain_text("Succeeded")
        expect(row).to_contain_text("Shop DB")


def test_the_editor_shows_each_error_beside_its_field(base_url, team, legacy_source):
    org_id = team["principal"].org_id
    with chromium_page(base_url, name="pipeline-errors") as page:
        sign_in(page, team["editor"].email)
        page.goto("/pipelines/new")
        page.get_by_role("button", name="Save pipeline").click()
        expect(page.locator("#name-error")).to_have_text("Name is required.")
        expect(page.get_by_label("Name", exact=True)).to_be_focused()
        page.get_by_label("Name", exact=True).fill("Orders")
        page.get_by_role("button", name="Save pipeline").click()
        expect(page.locator("#source-error")).to_have_text("Choose the source connection.")
        page.get_by_label("Source connection").select_option(label="Legacy DB (PostgreSQL)")
        page.get_by_label("Table", exact=True).fill("orders")
        page.get_by_label("Write disposition").select_option("merge")
        page.get_by_role("button", name="Save pipeline").click()
        expect(page.locator("#primary_key-error")).to_contain_text("Merge needs a primary key")
        expect(page.get_by_label("Primary key")).to_be_focused()
        page.get_by_label("Primary key").fill("id")

        options = page.get_by_label("Options (JSON)")
        options.fill('{"backend": "pyarrow"')
        expect(page.locator("#options-error")).to_contain_text("Not valid JSON")
        options.fill('{"colour": "red"}')
        expect(page.locator("#options-error")).to_contain_text("'colour' is not an allowed")
        options.fill('{"backend": "pyarrow"}')
        expect(page.locator("#options-error")).to_have_text("")

        page.get_by_role("button", name="Add a filter").click()
        page.get_by_label("Filter 1 operator").select_option("in")
        page.get_by_label("Filter 1 column").fill("region")
        page.get_by_role("button", name="Save pipeline").click()
        expect(page.locator("#filter-0-error")).to_contain_text("needs a non-empty list")
        expect(page.get_by_label("Filter 1 value")).to_be_focused()
        screenshot(page, "pipeline-errors")
        assert re.search(r"/pipelines/new/?$", page.url)
    assert pipeline_count(org_id) == 0
