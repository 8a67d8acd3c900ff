"""The pages on a phone (390 × 844) in a real browser: none scrolls sideways, their toolbars wrap,
so every action stays on screen, tabs are all reachable, and a success rate reads "100%"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from etlfabric.db import tenant_session
from etlfabric.models import Run
from etlfabric.services import schedules, scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.factories import make_member
from tests.pipeline_factories import make_connection, make_pipeline, warehouse
from tests.transformation_factories import model
from tests.ui.accounts import org_with_editor, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]

PHONE = (390, 844)
LONG_NAME = "Customers from the CRM to raw"
# The parts of the element that its scrolling or clipping ancestors and the window leave visible.
CLIPPED = """element => {
    const box = element.getBoundingClientRect();
    let left = box.left, right = box.right;
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX === 'visible') continue;
        const frame = parent.getBoundingClientRect();
        left = Math.max(left, frame.left);
        right = Math.min(right, frame.right);
    }
    left = Math.max(left, 0);
    right = Math.min(right, window.innerWidth);
    return right - left < box.width - 1;
}"""
NAME = "e => e.getAttribute('aria-label') || e.labels?.[0]?.innerText || e.innerText"
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
LINES = """element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""


@pytest.fixture
async def workspace():
    """An admin (the API keys tab is theirs) in an organisation with one of everything: a script
    with a finished run and a schedule, a dbt model, and a pipeline whose one run succeeded."""
    org, _, editor = await org_with_editor("Narrow")
    admin, _ = await make_member(org, "admin")
    source = await make_connection(org.id, name="Customer relationship database")
    pipeline = await make_pipeline(
        editor, source, await warehouse(org.id), direct=True, name=LONG_NAME
    )
    transformation = model(org.id, "stg_customers", "select 1 as id")
    finished = datetime.now(UTC) - timedelta(minutes=5)
    async with tenant_session(org.id) as session:
        script = await scripts.create(
            session=session,
            principal=editor,
            name="Nightly customer export",
            content="print('hello')\n",
        )
        await schedules.create(
            session=session,
            principal=editor,
            target_type="script",
            target_id=script.id,
            kind="interval",
            interval_seconds=3600,
        )
        runs = [
            Run(
                status="succeeded",
                target_type=kind,
                target_id=target.id,
                target_name=target.name,
                trigger="manual",
                queued_at=finished - timedelta(seconds=3),
                started_at=finished - timedelta(seconds=2),
                finished_at=finished,
                duration_ms=2000,
            )
            for kind, target in (("script", script), ("pipeline", pipeline))
        ]
        session.add_all(runs)
        await session.flush()
    return {
        "admin": admin,
        "script": script,
        "run": runs[0],
        "pipeline": pipeline,
        "transformation": transformation,
    }


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def problems_on(page: Page, path: str, controls: list[Locator]) -> list[str]:
    """What a phone user would trip over on `path`: sideways scrolling, controls cut off."""
    page.goto(path)
    for control in controls:
        expect(control).to_be_visible()
    # The target pickers list every target once loaded: the longest name sets their width.
    for picker in page.locator("select#target, select#upstream, select#downstream").all():
        expect(picker).to_contain_text(LONG_NAME)
    screenshot(page, f"narrow-{path}")
    found = []
    if (extra := page.evaluate(SIDEWAYS)) > 0:
        found.append(f"{path} scrolls {extra}px sideways")
    for control in controls:
        if control.evaluate(CLIPPED):
            name = control.evaluate(NAME)
            found.append(f"{path}: {name!r} is cut off")
    return found


def test_pages_fit_a_phone_screen(base_url, workspace):
    script, run = workspace["script"], workspace["run"]
    with chromium_page(base_url, name="narrow-screens", viewport=PHONE) as page:
        sign_in(page, workspace["admin"].email)
        tab = lambda name: page.get_by_role("tab", name=name)  # noqa: E731
        checks = {
            "/runs": [button(page, "Export CSV"), button(page, "Export XLSX")],
            "/scripts": [
                page.get_by_role("searchbox", name="Search scripts"),
                button(page, "New script"),
            ],
            f"/scripts/{script.id}": [
                button(page, "Save"),
                button(page, "Run"),
                button(page, "Run with downstream"),
                button(page, "Create URL trigger"),
            ],
            f"/runs/{run.id}": [button(page, "Search"), button(page, "Download .txt")],
            "/schedules": [
                button(page, "Disable selected"),
                page.get_by_role("link", name="New schedule"),
            ],
            "/dependencies": [
                page.get_by_label("Upstream (runs first)"),
                page.get_by_label("Downstream (runs after it succeeds)"),
                button(page, "Add edge"),
            ],
            f"/transformations/{workspace['transformation'].id}": [
                button(page, "Run"),
                button(page, "Test"),
                tab("Results"),
                button(page, "Create URL trigger"),
            ],
            "/settings": [tab("Members"), tab("API keys")],
            f"/pipelines/{workspace['pipeline'].id}": [
                page.locator("#success-rates").get_by_text("100%").first
            ],
        }
        problems = [
            found
            for path, controls in checks.items()
            for found in problems_on(page, path, controls)
        ]

        page.goto(f"/pipelines/{workspace['pipeline'].id}")
        rates = page.locator("#success-rates").get_by_text(re.compile(r"^\d+%$"))
        expect(rates).to_have_count(3)
        for rate in rates.all():
            if rate.evaluate(LINES) > 1:
                problems.append(f"the success rate {rate.inner_text()!r} breaks over two lines")
    assert not problems, "\n".join(problems)
