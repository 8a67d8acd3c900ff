"""The dbt project page in a real browser: upload a seed CSV (bad files refused under the field)
and load it with a real worker, import a project zip and read what it created and skipped, add
a snapshot (a refusal under its field first) and run snapshots, build the whole project, export
the zip as a download; and what a viewer sees."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import chromium_available, chromium_page, screenshot
from tests.dbt_zips import SHOP, SHOP_RAW, make_zip
from tests.factories import make_member
from tests.transformation_factories import seed, workload_sql
from tests.ui.accounts import org_with_editor, sign_in
from tests.ui.test_scripts_page import outside_requests
from tests.ui.test_transformations_page import console_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]
RUN_TIMEOUT = 180_000


@pytest.fixture
async def team():
    """An editor whose organisation has the shop's raw tables loaded, and a viewer."""
    org, editor, _ = await org_with_editor("Seeded", owner_name="Sid Seed")
    viewer, _ = await make_member(org, "viewer")
    raw = f"t{org.id}_raw"
    workload_sql(org.id, *(statement.format(raw=raw) for statement in SHOP_RAW))
    return {"org": org, "editor": editor, "viewer": viewer}


def pick(page: Page, upload_id: str, path) -> None:
    page.locator(f"#{upload_id} input[type=file]").set_input_files(str(path))


def upload_seed(page: Page, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("code,name\nde,Germany\n")
    (tmp_path / "bad header.csv").write_text("code,full name\nde,Germany\n")
    (tmp_path / "Country Codes.csv").write_text("code,name\nde,Germany\nfr,France\n")
    page.get_by_role("button", name="Upload seed").click()
    dialog = page.get_by_role("dialog")
    pick(page, "seed-upload", tmp_path / "notes.txt")
    expect(dialog.locator("#file-error")).to_have_text(
        "notes.txt is not a CSV file: upload a .csv file."
    )
    (tmp_path / "big.csv").write_text("id\n" + "123456\n" * 900_000)
    pick(page, "seed-upload", tmp_path / "big.csv")
    expect(dialog.locator("#file-error")).to_contain_text(
        "big.csv is 6.3 MB; a seed is at most 5 MB"
    )
    pick(page, "seed-upload", tmp_path / "bad header.csv")
    expect(dialog.locator("#file-error")).to_contain_text("'full name' is not a column name")
    dialog.get_by_role("button", name="Save seed").click()
    expect(dialog.locator("#file-error")).to_have_text("Choose a CSV file to upload.")
    pick(page, "seed-upload", tmp_path / "Country Codes.csv")
    expect(dialog.locator("#seed-file")).to_have_text(
        "Country Codes.csv: 2 columns (code, name), 2 rows"
    )
    expect(dialog.get_by_label("Seed name")).to_have_value("country_codes")
    expect(dialog.get_by_label("Schema")).to_have_value("raw")
    expect(dialog.locator("#file-error")).to_have_text("")
    dialog.get_by_role("button", name="Save seed").click()
    expect(dialog).to_have_count(0)
    row = page.locator("#seeds-table tbody tr")
    expect(row).to_have_count(1)
    for cell in ("country_codes", "raw", "code, name", "2", "31 B"):
        expect(row).to_contain_text(cell)


def replace_seed(page: Page, tmp_path) -> None:
    (tmp_path / "codes-v2.csv").write_text("code,name\nde,Germany\nfr,France\nit,Italy\n")
    page.get_by_role("button", name="Replace country_codes").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Replace seed")).to_be_visible()
    expect(dialog.get_by_label("Seed name")).to_have_value("country_codes")
    pick(page, "seed-upload", tmp_path / "codes-v2.csv")
    expect(dialog.locator("#seed-file")).to_contain_text("3 rows")
    expect(dialog.get_by_label("Seed name")).to_have_value("country_codes")  # kept, not codes_v2
    dialog.get_by_role("button", name="Save seed").click()
    expect(dialog).to_have_count(0)
    row = page.locator("#seeds-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("3")
    expect(row.locator("td").nth(3)).to_have_text("40 B")


def import_project(page: Page, tmp_path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"this is not a zip")
    pick(page, "import-upload", tmp_path / "broken.zip")
    expect(page.locator("#import-error")).to_contain_text("zip")
    expect(page.locator("#import-report")).to_have_count(0)
    files = {**SHOP, "models/scored.py": "def model(dbt, session):\n    return None\n"}
    (tmp_path / "shop.zip").write_bytes(make_zip(files))
    pick(page, "import-upload", tmp_path / "shop.zip")
    report = page.locator("#import-report")
    expect(report).to_be_visible(timeout=60_000)
    created = report.locator("#import-created")
    for line in ("Models: 4", "Sources: 2", "Seeds: 0", "Snapshots: 1"):
        expect(created).to_contain_text(line)
    skipped = report.locator("#import-skipped tbody tr")
    seed_row = skipped.filter(has_text="seeds/country_codes.csv")
    expect(seed_row).to_contain_text("'country_codes' exists already")
    expect(skipped.filter(has_text="models/scored.py")).to_contain_text("not supported")
    expect(page.locator("#import-error")).to_have_text("")
    # the imported snapshot is listed at once
    expect(page.locator("#snapshots-table")).to_contain_text("customers_snapshot")


def add_snapshot(page: Page) -> None:
    page.get_by_role("button", name="New snapshot").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Snapshot name").fill("orders_history")
    dialog.get_by_label("Schema").select_option("staging")
    dialog.get_by_label("SELECT").fill("select id, status from {{ source('shop', 'orders') }}")
    dialog.get_by_label("Unique key").fill("id")
    dialog.get_by_label("Strategy").select_option("check")
    dialog.get_by_role("button", name="Add snapshot").click()
    expect(dialog.locator("#snap_check_cols-error")).to_contain_text("needs the columns")
    dialog.get_by_label("Columns to compare").fill("all")
    dialog.get_by_role("button", name="Add snapshot").click()
    expect(dialog).to_have_count(0)
    row = page.locator("#snapshots-table tbody tr").filter(has_text="orders_history")
    expect(row).to_contain_text("check: all columns")


def expect_run(page: Page, label: str) -> Locator:
    """The newest run of `label` in the page's list of runs, once it has succeeded."""
    line = page.locator("#project-runs li").filter(has_text=label).first
    expect(line).to_be_visible()
    expect(line.get_by_text("Succeeded")).to_be_visible(timeout=RUN_TIMEOUT)
    return line


def test_seed_import_snapshot_build_and_export(base_url, team, celery_worker, tmp_path):
    org = team["org"].id
    with chromium_page(base_url, name="dbt-project", viewport=(1440, 900)) as page:
        outside = outside_requests(page, base_url)
        errors = console_errors(page)
        sign_in(page, team["editor"].email)
        page.goto("/transformations")
        page.get_by_role("link", name="dbt project").click()
        expect(page.get_by_role("heading", name="dbt project", level=1)).to_be_visible()
        expect(page.locator("#seeds-empty")).to_be_visible()

        upload_seed(page, tmp_path)
        page.get_by_role("button", name="Load country_codes").click()
        expect_run(page, "dbt seed country_codes")
        seed_line = page.locator("#seeds-table tbody tr")
        expect(seed_line.get_by_role("link", name="Run #")).to_be_visible()
        rows = workload_sql(org, f"SELECT code, name FROM t{org}_raw.country_codes ORDER BY code")
        assert rows == [("de", "Germany"), ("fr", "France")]

        replace_seed(page, tmp_path)
        import_project(page, tmp_path)
        add_snapshot(page)
        # two runs started one after the other are both followed to their end
        page.get_by_role("button", name="Run snapshots").click()
        expect(page.locator("#project-runs li").filter(has_text="dbt snapshot")).to_be_visible()
        page.get_by_role("button", name="Build whole project").click()
        build = expect_run(page, "dbt build")
        snapshot = expect_run(page, "dbt snapshot")
        history = workload_sql(org, f"SELECT count(*) FROM t{org}_staging.orders_history")
        assert history == [(3,)]
        expect(page.locator("#project-runs li")).to_have_count(3)  # the seed's load too
        expect(page.locator("#project-runs li").first).to_contain_text("dbt build")
        screenshot(page, "dbt-project")
        links = [line.get_by_role("link") for line in (build, snapshot)]
        ids = [link.inner_text()[5:] for link in links]
        assert len(set(ids)) == 2
        for link, run_id in zip(links, ids, strict=True):
            expect(link).to_have_attribute("href", f"/runs/{run_id}")

        with page.expect_download() as download:
            page.get_by_role("button", name="Export zip").click()
        assert download.value.suggested_filename == "dbt_project.zip"
        with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
            names = set(archive.namelist())
            assert (
                archive.read("dbt_project/seeds/country_codes.csv").decode().startswith("code,name")
            )
        assert {"dbt_project/dbt_project.yml", "dbt_project/models/staging/stg_orders.sql"} <= names
        assert not any("profiles" in name for name in names)
        assert outside == [], f"requests left the app: {outside}"
        assert errors == [], f"console errors: {errors}"


def test_a_viewer_sees_seeds_and_snapshots_but_no_buttons_that_change_or_run(base_url, team):
    org = team["org"].id
    seed(org, "country_codes", "code,name\nde,Germany\n")
    with chromium_page(base_url, name="dbt-project-viewer") as page:
        sign_in(page, team["viewer"].email)
        page.goto("/transformations/project")
        expect(page.locator("#seeds-table")).to_contain_text("country_codes")
        expect(page.locator("#snapshots-empty")).to_be_visible()
        for name in (
            "Upload seed",
            "Load country_codes",
            "Replace country_codes",
            "Delete country_codes",
            "New snapshot",
            "Run snapshots",
            "Import zip",
            "Build whole project",
        ):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name="Export zip")).to_be_visible()
