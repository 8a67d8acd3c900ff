"""The run page with a long log, in a real browser: it opens at the end, follows on live without a
gap or a repeat, pages back on request, still searches and downloads the whole log; and its live
follower lets go of the run once the page is left or the tab is closed."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
import redis
from playwright.sync_api import Page, expect

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Run
from etlfabric.redis_client import redis_url
from etlfabric.services import run_events, run_logs, runs, scripts
from etlfabric.ui.state.run_detail import GONE_AFTER
from tests.browser import chromium_available, chromium_page, screenshot
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

PRINTED = 1200  # before the page opens; the page opens with the last 500
AT_BOTTOM = (
    "() => { const e = document.getElementById('run-log'); "
    "return !!e && e.scrollHeight - e.scrollTop - e.clientHeight < 40; }"
)


@pytest.fixture
async def team():
    org, editor, as_editor = await org_with_editor("Logs")
    return {"org": org, "editor": editor, "as_editor": as_editor}


@pytest.fixture
async def running(team):
    """A run that a (pretend) worker has started; the test writes its output."""
    principal = team["as_editor"]
    async with tenant_session(principal.org_id) as session:
        script = await scripts.create(session=session, principal=principal, name="Chatty")
        now = datetime.now(UTC)
        run = Run(
            status="running",
            target_type="script",
            target_id=script.id,
            target_name=script.name,
            trigger="manual",
            queued_at=now,
            started_at=now,
        )
        session.add(run)
        await session.flush()
    return run


def numbers(page: Page) -> list[int]:
    texts = page.locator("#run-log [data-stream=stdout]").all_inner_texts()
    return [int(re.search(r"line (\d+)", text).group(1)) for text in texts]


def followers(org_id: int, run_id: int) -> int:
    """Subscribers of the run's live-log channel: the run page's follower, while it runs."""
    channel = run_events.log_channel(org_id, run_id)
    client = redis.Redis.from_url(redis_url())
    try:
        return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)
    finally:
        client.close()


def wait_followers(org_id: int, run_id: int, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while followers(org_id, run_id) != count:
        assert time.monotonic() < deadline, f"expected {count} follower(s) within {timeout} s"
        time.sleep(0.25)


def write(writer: run_logs.LogWriter, first: int, last: int) -> None:
    for number in range(first, last + 1):
        writer.write("stdout", f"line {number}")
    writer.flush()


def test_a_long_log_opens_at_its_end_follows_on_and_pages_back(base_url, team, running):
    org_id, run_id = team["org"].id, running.id
    writer = run_logs.LogWriter(org_id=org_id, run_id=run_id).start()
    write(writer, 1, PRINTED)
    try:
        with chromium_page(base_url, name="run-log-tail") as page:
            sign_in(page, team["editor"].email)
            page.goto(f"/runs/{run_id}")
            log = page.locator("#run-log")
            expect(log).to_contain_text(f"line {PRINTED}")
            expect(page.locator("#earlier-lines")).to_have_text("700 earlier lines are not shown.")
            assert numbers(page) == list(range(701, PRINTED + 1)), "only the tail, in order"
            page.wait_for_function(AT_BOTTOM)  # the log opens at its newest line

            wait_followers(org_id, run_id, 1, timeout=10)
            write(writer, PRINTED + 1, PRINTED + 10)  # live, after the tail's last line
            expect(log).to_contain_text(f"line {PRINTED + 10}", timeout=5_000)
            assert numbers(page) == list(range(701, PRINTED + 11)), "no gap, no repeat"
            screenshot(page, "run-log-tail")

            page.get_by_role("button", name="Load 500 earlier lines").click()
            expect(page.locator("#earlier-lines")).to_have_text("200 earlier lines are not shown.")
            page.get_by_role("button", name="Load 200 earlier lines").click()
            expect(page.locator("#earlier-lines")).to_have_count(0)
            assert numbers(page) == list(range(1, PRINTED + 11)), "every line once, in order"

            page.get_by_role("searchbox", name="Search the log").fill("LINE 120")
            page.get_by_role("button", name="Search", exact=True).click()
            expect(page.locator("#log-matches-summary")).to_have_text(
                "11 lines contain “LINE 120”."  # 120 and 1200-1209, across the whole log
            )
            with page.expect_download() as download:
                page.get_by_role("button", name="Download .txt").click()
            with open(download.value.path(), encoding="utf-8") as file:
                lines = file.read().splitlines()
            assert len(lines) == PRINTED + 10 and lines[0].endswith("[stdout] line 1")

            # Leaving the page (in-app navigation) ends the follower at once...
            page.get_by_role("link", name="All runs").click()
            expect(page.get_by_role("heading", name="Runs", level=1)).to_be_visible()
            wait_followers(org_id, run_id, 0, timeout=5)
            page.go_back()
            expect(log).to_contain_text(f"line {PRINTED + 10}")
            wait_followers(org_id, run_id, 1, timeout=10)
            # ...and closing the tab ends it once the browser has been gone GONE_AFTER seconds.
            page.close()
            wait_followers(org_id, run_id, 0, timeout=GONE_AFTER + 10)
    finally:
        writer.close()
        with sync_tenant_session(org_id) as session:
            runs.finish_run(session, org_id=org_id, run_id=run_id, status="succeeded")
