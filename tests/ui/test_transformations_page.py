"""dbt transformations in a real browser: create a model, see a refusal under its field, write its
SQL, compile it, preview its rows, run it and its tests (a real Celery worker runs dbt), see the
per-test results, find it on the lineage page with its column docs and (after generating the
docs) its column types, the URL-trigger panel of the editor, and the list's last run and last
test. A viewer sees the editor read-only and may still compile."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member
from tests.transformation_factories import model, source, workload_sql
from tests.ui.accounts import org_with_editor, sign_in
from tests.ui.test_scripts_page import outside_requests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]
MODEL_SQL = "select id, status from {{ source('shop', 'items') }}"


@pytest.fixture
async def team():
    """An editor whose organisation has 150 loaded items (3 without a status) and a source."""
    org, editor, _ = await org_with_editor("Models", owner_name="Mona Model")
    workload_sql(
        org.id,
        f"CREATE TABLE t{org.id}_raw.items (id int, status text)",
        f"INSERT INTO t{org.id}_raw.items SELECT g, CASE WHEN g <= 3 THEN NULL"
        " WHEN g % 2 = 0 THEN 'new' ELSE 'done' END FROM generate_series(1, 150) g",
    )
    source(org.id, "items", source_name="shop")
    return {"org": org, "editor": editor}


def console_errors(page: Page) -> list[str]:
    """Errors the page logs or throws (the app has no favicon yet: the browser's 404 for it is
    not the page's doing)."""
    errors: list[str] = []

    def logged(message) -> None:
        where = message.location.get("url") or ""
        if message.type == "error" and not where.endswith("/favicon.ico"):
            errors.append(f"{message.text} at {where}")

    page.on("console", logged)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def set_sql(page: Page, text: str) -> None:
    """Replace the SQL (inserted at once: typed `{{` would get CodeMirror's closing brackets)."""
    page.get_by_role("textbox", name="SQL").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def add_test(page: Page, index: int, column: str, kind: str, argument: str = "") -> None:
    card = page.locator("#tests-card")
    card.get_by_role("button", name="Add test").click()
    card.get_by_label("Tested column").nth(index).fill(column)
    card.locator("select").nth(index).select_option(kind)
    if argument:
        card.get_by_label("Values or model.field").nth(index).fill(argument)
    card.get_by_label("Values or model.field").nth(index).press("Tab")


def create_model(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transformations").click()
    expect(page.get_by_role("heading", name="Transformations", level=1)).to_be_visible()
    expect(page.locator("#transformations-empty")).to_be_visible()
    page.get_by_role("button", name="New transformation").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Stg Items")
    dialog.get_by_label("Schema").select_option("staging")
    dialog.get_by_role("button", name="Create and edit").click()
    expect(dialog.locator("#new_name-error")).to_contain_text("'Stg Items' is not")
    dialog.get_by_label("Name").fill("stg_items")
    dialog.get_by_role("button", name="Create and edit").click()
    expect(page).to_have_url(re.compile(r"/transformations/\d+$"))
    expect(page.get_by_role("heading", name="stg_items", level=1)).to_be_visible()
    expect(page.locator("#sql-editor .cm-editor")).to_be_visible()


def write_model(page: Page) -> None:
    page.get_by_label("Unique key").fill("id")
    page.get_by_label("Unique key").press("Tab")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#unique_key-error")).to_have_text(
        "Only an incremental model has a unique key."
    )
    page.get_by_label("Unique key").fill("")
    page.get_by_label("Unique key").press("Tab")
    set_sql(page, MODEL_SQL)
    # SQL is highlighted: keywords get a token class of their own
    expect(page.locator("#sql-editor .cm-content span").first).to_be_visible()
    page.locator("#columns-card").get_by_role("button", name="Add column").click()
    page.get_by_label("Column name").fill("id")
    page.get_by_label("Column description").fill("The item's number")
    page.get_by_label("Column description").press("Tab")
    add_test(page, 0, "id", "not_null")
    add_test(page, 1, "status", "not_null")
    add_test(page, 2, "status", "accepted_values", "new, done")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved-note")).to_have_text("Saved.")
    expect(page.locator("#unique_key-error")).to_have_text("")


def add_url_trigger(page: Page) -> None:
    """The editor's URL-trigger panel makes a token for this model."""
    panel = page.locator("#url-triggers")
    expect(panel.locator("#no-triggers")).to_have_text("No URL triggers yet.")
    panel.get_by_role("button", name="Create URL trigger").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("After the nightly load")
    dialog.get_by_role("button", name="Create trigger").click()
    expect(dialog.locator("#trigger-url")).to_have_value(re.compile(r"/api/v1/hooks/etf_trg_"))
    dialog.get_by_role("button", name="Done").click()
    row = panel.get_by_role("row", name=re.compile("After the nightly load"))
    expect(row).to_contain_text("Active")


def test_write_compile_preview_run_and_test_a_model_then_see_its_lineage(
    base_url, team, celery_worker
):
    org = team["org"].id
    with chromium_page(base_url, name="transformations", viewport=(1440, 900)) as page:
        outside = outside_requests(page, base_url)
        errors = console_errors(page)
        sign_in(page, team["editor"].email)
        create_model(page)
        write_model(page)
        add_url_trigger(page)

        page.get_by_role("button", name="Compile").click()
        expect(page.locator("#panel-progress")).to_contain_text("Compiling on a worker")
        expect(page.locator("#compiled-sql")).to_contain_text(
            f'"t{org}_raw"."items"', timeout=120_000
        )
        screenshot(page, "transformation-compiled")

        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview-summary")).to_have_text(
            "100 rows (at most 100)", timeout=60_000
        )
        expect(page.locator("#preview-table tbody tr")).to_have_count(100)
        expect(page.locator("#preview-table thead")).to_contain_text("status")
        expect(page.locator("#preview-table tbody tr").first).to_contain_text("NULL")

        page.get_by_label("Select").select_option("+stg_items")
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=120_000)

        page.get_by_role("button", name="Test", exact=True).click()
        results = page.locator("#test-results")
        expect(results).to_be_visible(timeout=120_000)
        failing = results.get_by_role("listitem").filter(has_text="not_null_stg_items_status")
        expect(failing).to_contain_text("Failed")
        expect(failing).to_contain_text("3 failing rows")
        passed = results.get_by_role("listitem").filter(has_text="not_null_stg_items_id")
        expect(passed).to_contain_text("Passed")
        expect(passed).to_contain_text("0 failing rows")
        expect(results.get_by_role("listitem").filter(has_text="accepted_values")).to_contain_text(
            "Passed"
        )
        failing.get_by_text("Compiled test SQL").click()
        expect(failing).to_contain_text("status is null")
        screenshot(page, "transformation-tests")

        page.get_by_role("link", name="Lineage", exact=True).click()
        expect(page.get_by_role("heading", name="Lineage", level=1)).to_be_visible()
        model = page.locator(".react-flow__node").filter(has_text="stg_items")
        expect(model).to_be_visible(timeout=60_000)
        expect(page.locator("#lineage-summary")).to_have_text("2 nodes, 1 edge")
        expect(page.locator(".react-flow__node").filter(has_text="items")).to_have_count(2)
        expect(model).to_contain_text("Model · staging")  # the data schema, not t<id>_staging
        model.click()
        panel = page.locator("#lineage-node")
        expect(panel).to_contain_text("The item's number")
        catalog = page.locator("#lineage-catalog")
        expect(catalog).to_contain_text("No column types yet")
        page.get_by_role("button", name="Generate docs").click()
        expect(catalog).to_contain_text("Column types from docs run #", timeout=180_000)
        expect(panel.get_by_role("row", name=re.compile(r"^id\b"))).to_contain_text("integer")
        expect(panel.get_by_role("row", name=re.compile(r"^status\b"))).to_contain_text("text")
        expect(panel.get_by_role("row", name=re.compile(r"^id\b"))).to_contain_text(
            "The item's number"
        )
        screenshot(page, "lineage")

        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Transformations"
        ).click()
        row = page.locator("#transformations-table tbody tr").filter(has_text="stg_items")
        expect(row).to_contain_text("Succeeded")
        expect(row).to_contain_text("Failed")  # its last test
        expect(row).to_contain_text("View")
        assert outside == [], f"requests left the app: {outside}"
        assert errors == [], f"console errors: {errors}"


@pytest.fixture
async def viewer_and_model(team):
    """A viewer of the team's organisation and a model with a column doc and a column test."""
    viewer, _ = await make_member(team["org"], "viewer")
    stg = model(
        team["org"].id,
        "stg_items",
        MODEL_SQL,
        columns=[{"name": "id", "description": "The item's number"}],
        tests=[{"column": "id", "test": "not_null"}],
    )
    return viewer, stg


def test_a_viewer_sees_the_model_read_only_and_may_compile_it(
    base_url, team, viewer_and_model, celery_worker
):
    viewer, stg = viewer_and_model
    with chromium_page(base_url, name="transformation-viewer", viewport=(1440, 900)) as page:
        errors = console_errors(page)
        sign_in(page, viewer.email)
        page.goto(f"/transformations/{stg.id}")
        expect(page.get_by_role("heading", name="stg_items", level=1)).to_be_visible()
        expect(page.locator("#sql-editor .cm-content")).to_have_attribute(
            "contenteditable", "false"
        )
        materialization = page.get_by_label("Materialization")
        expect(materialization).to_be_disabled()
        expect(materialization).to_have_css("cursor", "not-allowed")  # looks disabled too
        for label in ("Unique key", "Description", "Column name", "Column description"):
            expect(page.get_by_label(label, exact=True)).to_be_disabled()
        expect(page.get_by_label("Column name")).to_have_value("id")
        tests = page.locator("#tests-card")
        expect(tests.get_by_label("Tested column")).to_be_disabled()
        expect(tests.get_by_label("Test", exact=True)).to_be_disabled()
        for name in ("Save", "Delete", "Add column", "Add test", "Run", "Test"):
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)

        page.get_by_role("button", name="Compile").click()
        expect(page.locator("#compiled-sql")).to_contain_text(
            f'"t{team["org"].id}_raw"."items"', timeout=120_000
        )
        screenshot(page, "transformation-viewer")
        assert errors == [], f"console errors: {errors}"
