"""Schedules in a real browser: a bad cron field is named and nothing is saved; a schedule built
in the cron builder previews its next runs, saves, and fires through the real scheduler and a
real Celery worker (the calendar then shows the day); the list's toggle and bulk actions; the
dashboard alert of an auto-disabled schedule is acknowledged."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Alert, Run, Schedule
from etlfabric.services import schedules, scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.processes import start, stop, wait_for
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The real scheduler process (`etlfabric scheduler`), leading on the test database."""
    log = tmp_path_factory.mktemp("ui-scheduler") / "scheduler.log"
    process = start("scheduler", env={"SCHEDULER_POLL_SECONDS": "0.5"}, log=log)
    try:
        yield process
    finally:
        stop(process)


@pytest.fixture
async def team():
    _, editor, principal = await org_with_editor("Timely", owner_name="Sam Schedule")
    async with tenant_session(principal.org_id) as session:
        script = await scripts.create(
            session=session, principal=principal, name="Ping", content="print('pong')\n"
        )
    return {"editor": editor, "principal": principal, "script": script}


def schedule_count(org_id: int) -> int:
    with sync_tenant_session(org_id) as session:
        return session.scalar(select(func.count()).select_from(Schedule))


def fired_runs(org_id: int, schedule_id: int) -> list[Run]:
    with sync_tenant_session(org_id) as session:
        return list(session.scalars(select(Run).where(Run.schedule_id == schedule_id)))


def cron_field(page: Page, label: str):
    return page.get_by_role("group", name="Cron fields").get_by_label(label, exact=True)


def test_a_bad_cron_field_is_named_and_nothing_is_saved(base_url, team):
    org_id = team["principal"].org_id
    with chromium_page(base_url, name="schedule-bad-cron") as page:
        sign_in(page, team["editor"].email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedules").click()
        expect(page.locator("#schedules-empty")).to_be_visible()
        page.get_by_role("link", name="New schedule").click()
        expect(page.get_by_role("heading", name="New schedule", level=1)).to_be_visible()
        page.get_by_label("Target", exact=True).select_option(label="Ping (Script)")
        page.get_by_label("Repeat").select_option("cron")
        cron_field(page, "Hour").fill("24")
        expect(page.locator("#cron_hour-error")).to_have_text(
            re.compile("The hour field has 24; use 0 to 23")
        )
        expect(page.get_by_label("Cron expression")).to_have_value("30 24 * * *")
        expect(page.locator("#preview-empty")).to_contain_text(
            "No fire times until the timing is fixed: The hour field has 24"
        )
        page.get_by_role("button", name="Save schedule").click()
        expect(page.locator("#cron-error")).to_contain_text("The hour field has 24")
        expect(page.get_by_label("Cron expression")).to_be_focused()
        screenshot(page, "schedule-bad-cron")
        assert page.url.endswith("/schedules/new")
    assert schedule_count(org_id) == 0


def test_build_a_cron_schedule_see_the_preview_save_and_see_it_fire(
    base_url, team, celery_worker, scheduler
):
    org_id = team["principal"].org_id
    with chromium_page(base_url, name="schedule-fire") as page:
        sign_in(page, team["editor"].email)
        page.goto(f"/schedules/new?target=script:{team['script'].id}")
        expect(page.get_by_label("Target", exact=True)).to_have_value(f"script:{team['script'].id}")
        # A weekly form first: the description and the cron it stands for follow as you type.
        page.get_by_label("Repeat").select_option("weekly")
        expect(page.locator("#form-cron")).to_have_text("30 7 * * 1,2,3,4,5")
        expect(page.locator("#schedule-description")).to_contain_text("weekday at 07:30")
        page.get_by_role("button", name="Edit in the cron builder").click()
        expect(cron_field(page, "Day of week")).to_have_value("1,2,3,4,5")

        page.get_by_role("button", name="Every 15 minutes").click()
        expect(page.get_by_label("Cron expression")).to_have_value("*/15 * * * *")
        expect(page.locator("#schedule-description")).to_have_text("Every 15 minutes")
        preview = page.locator("#schedule-preview tbody tr")
        expect(preview).to_have_count(5)
        expect(preview.first).to_contain_text(re.compile(r":(00|15|30|45) "))
        expect(page.locator("#schedule-preview thead")).to_contain_text(
            re.compile(r"Your time \(\S+\)")
        )
        page.get_by_role("button", name="Show 50").click()
        expect(preview).to_have_count(50)
        page.get_by_role("button", name="Show 5").click()
        expect(preview).to_have_count(5)

        cron_field(page, "Minute").fill("*")
        expect(page.locator("#schedule-description")).to_have_text("Every minute")
        expect(page.get_by_label("Cron expression")).to_have_value("* * * * *")
        page.get_by_label("Max attempts").fill("1")
        screenshot(page, "schedule-editor")
        page.get_by_role("button", name="Save schedule").click()
        expect(page).to_have_url(re.compile(r"/schedules/\d+$"))
        schedule_id = int(page.url.rsplit("/", 1)[-1])
        expect(page.get_by_role("heading", name="Schedule: Ping", level=1)).to_be_visible()
        expect(page.locator("#saved-description")).to_have_text("Every minute")

        wait_for(
            lambda: any(r.status.value == "succeeded" for r in fired_runs(org_id, schedule_id)),
            100,
            "the schedule to fire and its run to succeed",
            step=1,
        )
        page.reload()
        expect(page.locator("#schedule-calendar td[aria-current=date]")).to_contain_text(
            re.compile(r"\d+ succeeded"), timeout=15_000
        )
        expect(page.get_by_text("Succeeded").first).to_be_visible()
        screenshot(page, "schedule-fired")
        this_month = page.locator("#calendar-month").inner_text()
        page.get_by_role("button", name="Previous month").click()
        expect(page.locator("#calendar-month")).not_to_have_text(this_month)
        expect(page.locator("#calendar-summary")).to_have_text("No runs this month")
        page.get_by_role("button", name="Next month").click()
        expect(page.locator("#calendar-month")).to_have_text(this_month)
        expect(page.locator("#calendar-summary")).to_contain_text("succeeded")

        page.get_by_role("link", name="Back to the schedules").click()
        row = page.locator("#schedules-table tbody tr").filter(has_text="Ping")
        expect(row).to_contain_text("Every minute")
        row.get_by_role("switch", name="Enabled: Ping").click()
        expect(row).to_contain_text("Off")
        assert not team_schedule(org_id, schedule_id).enabled
        row.get_by_role("checkbox", name="Select the schedule of Ping").click()
        expect(page.locator("#checked-count")).to_have_text("1 selected")
        page.get_by_role("button", name="Enable selected").click()
        expect(row).to_contain_text("On")
        assert team_schedule(org_id, schedule_id).enabled


def team_schedule(org_id: int, schedule_id: int) -> Schedule:
    with sync_tenant_session(org_id) as session:
        return session.get(Schedule, schedule_id)


@pytest.fixture
async def alerted(team):
    """A schedule that switched itself off, and the alert it raised."""
    principal = team["principal"]
    async with tenant_session(principal.org_id) as session:
        item = await schedules.create(
            session=session,
            principal=principal,
            target_type="script",
            target_id=team["script"].id,
            kind="interval",
            interval_seconds=3600,
            enabled=False,
        )
        session.add(
            Alert(
                kind="schedule_disabled",
                schedule_id=item.schedule.id,
                target_type="script",
                target_id=team["script"].id,
                message="The schedule of Ping was disabled after 3 failures in a row.",
            )
        )
    return item.schedule.id


def test_the_dashboard_alert_of_an_auto_disabled_schedule_is_acknowledged(base_url, team, alerted):
    with chromium_page(base_url, name="dashboard-alert") as page:
        sign_in(page, team["editor"].email)
        alerts = page.get_by_role("region", name="Alerts")
        expect(alerts).to_contain_text("disabled after 3 failures")
        expect(alerts.get_by_role("link", name="Open the schedule")).to_have_attribute(
            "href", f"/schedules/{alerted}"
        )
        screenshot(page, "dashboard-alert")
        alerts.get_by_role("button", name="Acknowledge").click()
        expect(page.locator("#dashboard-alerts")).to_have_count(0)
    with sync_tenant_session(team["principal"].org_id) as session:
        stored = session.scalar(select(Alert).where(Alert.schedule_id == alerted))
        assert stored.acknowledged_at is not None


@pytest.fixture
async def two_schedules(team):
    principal = team["principal"]
    async with tenant_session(principal.org_id) as session:
        archive = await scripts.create(
            session=session, principal=principal, name="Archive", content="pass\n"
        )
        for target, seconds in ((team["script"].id, 600), (archive.id, 7200)):
            await schedules.create(
                session=session,
                principal=principal,
                target_type="script",
                target_id=target,
                kind="interval",
                interval_seconds=seconds,
            )


def test_the_list_sorts_by_next_run_and_by_name(base_url, team, two_schedules):
    with chromium_page(base_url, name="schedules-sort") as page:
        sign_in(page, team["editor"].email)
        page.goto("/schedules")
        targets = page.locator("#schedules-table tbody tr th")
        expect(targets).to_have_text([re.compile("Ping"), re.compile("Archive")], timeout=15_000)
        expect(page.locator("#schedules-table tbody tr").first).to_contain_text("Every 10 minutes")
        sort = page.get_by_role("group", name="Sort by")
        sort.get_by_role("button", name="Name").click()
        expect(targets).to_have_text([re.compile("Archive"), re.compile("Ping")])
        sort.get_by_role("button", name="Name").click()  # again: descending
        expect(targets).to_have_text([re.compile("Ping"), re.compile("Archive")])
        page.get_by_role("columnheader", name="Next run (UTC)").get_by_role("button").click()
        expect(targets).to_have_text([re.compile("Ping"), re.compile("Archive")])
        expect(page.locator("#schedules-summary")).to_have_text("2 schedules, 2 enabled")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        ping = page.locator("#dashboard-scripts tbody tr").filter(has_text="Ping")
        expect(ping.locator("td").nth(2)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d"))

        page.goto("/schedules")
        page.get_by_role("link", name="Archive").click()
        expect(page.get_by_role("heading", name="Schedule: Archive", level=1)).to_be_visible()
        page.get_by_role("button", name="Delete").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Delete schedule").click()
        expect(page).to_have_url(re.compile(r"/schedules$"))
        expect(page.locator("#schedules-summary")).to_have_text("1 schedule, 1 enabled")
