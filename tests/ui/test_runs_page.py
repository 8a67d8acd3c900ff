"""Runs in a real browser: the history (filters, sort, pages, CSV and XLSX export), the run page
(live log that survives a reload, autoscroll, search, download, cancel) and the dashboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from etlfabric.db import tenant_session
from etlfabric.models import Run, RunLog
from etlfabric.services import scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

NOW = datetime.now(UTC).replace(microsecond=0)
FAILURES = 3  # of HISTORY's 30 runs
COUNTING = (
    "import time\n"
    "for n in range(1, 61):\n"
    "    print(f'line {n}', flush=True)\n"
    "    time.sleep(0.15)\n"
)
LONG = "import time\nprint('started', flush=True)\ntime.sleep(120)\n"


@pytest.fixture
async def team():
    org, editor, as_editor = await org_with_editor("Runs")
    viewer, _ = await make_member(org, "viewer")
    return {"org": org, "editor": editor, "as_editor": as_editor, "viewer": viewer}


async def make_script(team, name: str, content: str):
    principal = team["as_editor"]
    async with tenant_session(principal.org_id) as session:
        return await scripts.create(
            session=session, principal=principal, name=name, content=content
        )


@pytest.fixture
async def history(team):
    """30 finished runs of two scripts, 1 to 30 hours old; every tenth one failed with a
    KeyError in its output."""
    loader = await make_script(team, "Loader", "print('x')\n")
    mailer = await make_script(team, "Mailer", "print('y')\n")
    async with tenant_session(team["org"].id) as session:
        for number in range(1, 31):
            failed = number % 10 == 0
            target = loader if number % 2 else mailer
            queued = NOW - timedelta(hours=number)
            run = Run(
                status="failed" if failed else "succeeded",
                target_type="script",
                target_id=target.id,
                target_name=target.name,
                trigger="schedule" if number % 3 == 0 else "manual",
                queued_at=queued,
                started_at=queued,
                finished_at=queued + timedelta(milliseconds=100 * number),
                duration_ms=100 * number,
                exit_code=1 if failed else 0,
                error="exit code 1" if failed else None,
            )
            session.add(run)
            await session.flush()
            text = "KeyError: customer_id" if failed else f"loaded {number} rows"
            session.add(RunLog(run_id=run.id, seq=1, ts=queued, stream="stdout", text=text))
    return loader, mailer


@pytest.fixture
async def slow_run(team, history):
    """A run of Loader 5 minutes ago that took 30 s, where its others took 0.1-2.9 s: slow."""
    loader, _ = history
    queued = NOW - timedelta(minutes=5)
    async with tenant_session(team["org"].id) as session:
        session.add(
            Run(
                status="succeeded",
                target_type="script",
                target_id=loader.id,
                target_name=loader.name,
                trigger="manual",
                queued_at=queued,
                started_at=queued,
                finished_at=queued + timedelta(seconds=30),
                duration_ms=30_000,
                exit_code=0,
            )
        )


@pytest.fixture
async def counter(team):
    return await make_script(team, "Counter", COUNTING)


@pytest.fixture
async def long_job(team):
    return await make_script(team, "Long job", LONG)


def rows(page: Page):
    return page.locator("#runs-table tbody tr")


def test_the_history_filters_sorts_pages_and_exports(base_url, team, history, tmp_path):
    loader, _ = history
    with chromium_page(base_url, name="runs-history") as page:
        sign_in(page, team["editor"].email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Runs").click()
        expect(page.get_by_role("heading", name="Runs", level=1)).to_be_visible()
        summary = page.locator("#runs-summary")
        expect(summary).to_have_text("30 runs · page 1 of 2")
        expect(rows(page)).to_have_count(25)
        page.get_by_role("button", name="Next").click()
        expect(summary).to_have_text("30 runs · page 2 of 2")
        expect(rows(page)).to_have_count(5)

        page.get_by_label("Status").select_option("failed")
        page.get_by_role("button", name="Apply filters").click()
        expect(summary).to_have_text(f"{FAILURES} runs · page 1 of 1")
        for index in range(FAILURES):
            expect(rows(page).nth(index)).to_contain_text("Failed")
        screenshot(page, "runs-filtered")

        page.get_by_label("Status").select_option("")
        page.get_by_label("Target").select_option(label="Loader (Script)")
        page.get_by_label("Output contains").fill("rows")
        page.get_by_role("button", name="Apply filters").click()
        expect(summary).to_have_text("15 runs · page 1 of 1")  # odd numbers, none a tenth

        page.get_by_role("button", name="Duration").click()  # longest first
        expect(page.get_by_role("columnheader", name="Duration")).to_have_attribute(
            "aria-sort", "descending"
        )
        expect(rows(page).first).to_contain_text("2.9 s")
        page.get_by_role("button", name="Duration").click()
        expect(rows(page).first).to_contain_text("100 ms")

        with page.expect_download() as download:
            page.get_by_role("button", name="Export XLSX").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix == ".xlsx"
        sheet = load_workbook(path).active
        table = list(sheet.iter_rows(values_only=True))
        header, body = table[0], table[1:]
        assert len(body) == 15
        column = {name: index for index, name in enumerate(header)}
        assert {row[column["target_name"]] for row in body} == {"Loader"}
        assert [row[column["duration_ms"]] for row in body] == sorted(
            row[column["duration_ms"]] for row in body
        )

        with page.expect_download() as download:
            page.get_by_role("button", name="Export CSV").click()
        with open(download.value.path(), encoding="utf-8-sig") as file:
            text = file.read()
        assert len(list(csv.DictReader(io.StringIO(text)))) == 15

        page.get_by_label("From (UTC)").fill("2030-01-02")
        page.get_by_label("To (UTC)").fill("2030-01-01")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("#until-error")).to_have_text(
            "The “To” date is before the “From” date."
        )

        page.get_by_role("button", name="Clear").click()
        expect(summary).to_have_text("30 runs · page 1 of 2")
        screenshot(page, "runs-history")


def test_the_live_log_survives_a_reload_and_can_be_searched_and_downloaded(
    base_url, team, counter, celery_worker
):
    script = counter
    with chromium_page(base_url, name="runs-live") as page:
        sign_in(page, team["editor"].email)
        page.goto(f"/scripts/{script.id}")
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        log = page.locator("#run-log")
        expect(log).to_contain_text("line 5", timeout=30_000)
        expect(page.locator("#run-status")).to_have_text("Running")
        page.reload()  # a new connection mid-run: the log resumes where it was
        expect(log).to_contain_text("line 20", timeout=10_000)
        at_bottom = "e => e.scrollHeight - e.scrollTop - e.clientHeight < 40"
        assert log.evaluate(at_bottom), "autoscroll keeps the newest line in view"
        expect(log).to_contain_text("line 35", timeout=10_000)  # well past one screenful
        log.evaluate("e => { e.scrollTop = 0; }")
        resume = page.get_by_role("button", name=re.compile("Autoscroll paused"))
        expect(resume).to_be_visible()
        expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=30_000)
        assert log.evaluate("e => e.scrollTop") == 0, "paused: the view stays where the user put it"
        resume.click()
        expect(resume).to_have_count(0)
        texts = [t for t in log.locator("[data-stream=stdout]").all_inner_texts()]
        numbers = [int(re.search(r"line (\d+)", t).group(1)) for t in texts]
        assert numbers == list(range(1, 61)), "every line once, in order, across the reload"
        screenshot(page, "run-log-complete")

        page.get_by_role("searchbox", name="Search the log").fill("LINE 4")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("#log-matches-summary")).to_have_text("11 lines contain “LINE 4”.")

        with page.expect_download() as download:
            page.get_by_role("button", name="Download .txt").click()
        assert download.value.suggested_filename.endswith(".txt")
        with open(download.value.path(), encoding="utf-8") as file:
            lines = file.read().splitlines()
        assert [line for line in lines if "[stdout]" in line][-1].endswith("[stdout] line 60")


def test_a_long_run_is_cancelled_from_its_page_and_the_dashboard_shows_it(
    base_url, team, long_job, celery_worker
):
    with chromium_page(base_url, name="runs-cancel") as page:
        sign_in(page, team["editor"].email)
        scripts_card = page.locator("#dashboard-scripts")
        expect(scripts_card).to_contain_text("Long job")
        expect(scripts_card).to_contain_text("Never run")
        page.get_by_role("button", name="Run Long job").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        expect(page.locator("#run-log")).to_contain_text("started", timeout=30_000)
        expect(page.locator("#run-status")).to_have_text("Running")
        page.get_by_role("button", name="Cancel run").click()
        expect(page.locator("#run-status")).to_have_text("Cancelled", timeout=5_000)
        expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
        expect(page.get_by_role("button", name="Run again")).to_be_visible()
        screenshot(page, "run-cancelled")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        expect(scripts_card).to_contain_text("Cancelled")
        expect(page.locator("#dashboard-recent")).to_contain_text("Long job")
        screenshot(page, "dashboard")


def test_a_viewer_can_watch_runs_but_not_start_or_cancel_them(base_url, team, slow_run):
    with chromium_page(base_url, name="runs-viewer") as page:
        sign_in(page, team["viewer"].email)
        expect(page.locator("#dashboard-scripts")).to_contain_text("Loader")
        recent = page.locator("#dashboard-recent tbody tr")
        expect(recent.first.locator(".run-slow")).to_have_text("Slow")
        expect(recent.nth(1).locator(".run-slow")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("^Run "))).to_have_count(0)
        page.goto("/runs")
        expect(page.locator("#runs-summary")).to_have_text("31 runs · page 1 of 2")
        expect(rows(page).first.locator(".run-slow")).to_have_text("Slow")
        rows(page).first.get_by_role("link", name=re.compile(r"^Run \d+$")).click()
        expect(page.get_by_role("heading", name=re.compile(r"^Run #\d+$"))).to_be_visible()
        expect(page.locator("#run-status")).to_have_text("Succeeded")
        for name in ("Run again", "Cancel run"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
