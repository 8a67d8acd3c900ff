"""The dependency graph in a real browser: build a three-node graph by the form and by dragging a
handle, see a cycle refused by name, run with downstream and watch the flow complete (a real
Celery worker runs the scripts), remove an edge."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import Page, expect

from etlfabric.db import tenant_session
from etlfabric.services import dependencies, scripts
from tests.browser import chromium_available, chromium_page, screenshot
from tests.ui.accounts import org_with_editor, sign_in
from tests.ui.test_scripts_page import outside_requests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
async def team():
    _, editor, principal = await org_with_editor("Graphs", owner_name="Gina Graph")
    made = {}
    async with tenant_session(principal.org_id) as session:
        for name in ("Extract", "Clean", "Report"):
            script = await scripts.create(
                session=session, principal=principal, name=name, content=f"print('{name}')\n"
            )
            made[name] = script.id
    return {"editor": editor, "scripts": made}


def node(page: Page, script_id: int):
    return page.locator(f'.react-flow__node[data-id="script:{script_id}"]')


def add_edge(page: Page, upstream: str, downstream: str) -> None:
    form = page.get_by_role("form", name="Add an edge")
    form.get_by_label("Upstream (runs first)").select_option(label=f"{upstream} (Script)")
    form.get_by_label("Downstream (runs after it succeeds)").select_option(
        label=f"{downstream} (Script)"
    )
    form.get_by_role("button", name="Add edge").click()


def test_build_a_graph_refuse_a_cycle_and_run_it_with_downstream(base_url, team, celery_worker):
    ids = team["scripts"]
    with chromium_page(base_url, name="dependencies") as page:
        outside = outside_requests(page, base_url)
        sign_in(page, team["editor"].email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dependencies").click()
        expect(page.get_by_role("heading", name="Dependencies", level=1)).to_be_visible()
        expect(page.locator(".react-flow__node")).to_have_count(3)
        expect(node(page, ids["Extract"])).to_contain_text("Never run")
        expect(page.locator("#graph-summary")).to_have_text("3 targets, 0 edges")

        add_edge(page, "Extract", "Clean")
        expect(page.locator("#graph-summary")).to_have_text("3 targets, 1 edge")
        # The second edge by dragging Clean's right handle onto Report's left handle.
        source = node(page, ids["Clean"]).locator(".react-flow__handle-right")
        target = node(page, ids["Report"]).locator(".react-flow__handle-left")
        source.drag_to(target)
        expect(page.locator("#graph-summary")).to_have_text("3 targets, 2 edges")
        expect(page.locator(".react-flow__edge")).to_have_count(2)
        # Layers: Extract, then Clean, then Report, left to right.
        xs = [node(page, ids[n]).bounding_box()["x"] for n in ("Extract", "Clean", "Report")]
        assert xs == sorted(xs) and len(set(xs)) == 3

        add_edge(page, "Report", "Extract")
        expect(page.locator("#graph-problem")).to_contain_text(
            re.compile(r"cycle: .*Extract.*Clean.*Report", re.S)
        )
        expect(page.locator("#graph-summary")).to_have_text("3 targets, 2 edges")
        add_edge(page, "Clean", "Clean")
        expect(page.locator("#graph-problem, #upstream-error, #downstream-error")).not_to_have_text(
            ["", "", ""]
        )
        screenshot(page, "dependencies-graph")

        node(page, ids["Extract"]).click()
        panel = page.locator("#graph-selection")
        expect(panel.get_by_role("heading", name="Extract")).to_be_visible()
        panel.get_by_role("button", name="Run with downstream").click()
        expect(page).to_have_url(re.compile(r"/flows/\d+$"))
        expect(page.locator("#flow-status")).to_have_text("Succeeded", timeout=90_000)
        expect(page.locator("#flow-progress")).to_have_text("3 of 3 targets succeeded")
        rows = page.locator("#flow-runs tbody tr")
        expect(rows).to_have_count(3)
        for name in ("Extract", "Clean", "Report"):
            expect(rows.filter(has_text=name)).to_contain_text("Succeeded")
        screenshot(page, "flow-view")
        rows.filter(has_text="Report").get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+$"))

        page.goto("/dependencies")
        expect(node(page, ids["Report"])).to_contain_text("Succeeded", timeout=15_000)
        table = page.locator("#edges-table")
        table.get_by_role("button", name="Remove edge Clean to Report").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Remove edge").click()
        expect(page.locator("#graph-summary")).to_have_text("3 targets, 1 edge")
        expect(page.locator(".react-flow__edge")).to_have_count(1)
        assert outside == []


@pytest.fixture
async def hundred():
    """100 scripts and 120 edges of a random DAG (lower number upstream)."""
    _, editor, principal = await org_with_editor("Big graph", owner_name="Hugo Hundred")
    rng = random.Random(5)
    async with tenant_session(principal.org_id) as session:
        ids = [
            (
                await scripts.create(
                    session=session, principal=principal, name=f"Job {n:03d}", content="pass\n"
                )
            ).id
            for n in range(100)
        ]
        pairs = {tuple(sorted(rng.sample(range(100), 2))) for _ in range(140)}
        for up, down in sorted(pairs)[:120]:
            await dependencies.create_edge(
                session=session,
                principal=principal,
                upstream_type="script",
                upstream_id=ids[up],
                downstream_type="script",
                downstream_id=ids[down],
            )
    return editor


def test_a_hundred_nodes_stay_readable(base_url, hundred):
    with chromium_page(base_url, name="dependencies-100") as page:
        sign_in(page, hundred.email)
        page.goto("/dependencies")
        expect(page.locator("#graph-summary")).to_have_text(
            "100 targets, 120 edges", timeout=15_000
        )
        nodes = page.locator(".react-flow__node")
        expect(nodes).to_have_count(100)
        page.wait_for_timeout(500)  # the view fits itself once the nodes are measured
        boxes = [nodes.nth(i).bounding_box() for i in range(100)]
        assert min(box["width"] for box in boxes) >= 100  # zoomed out at most to half size
        overlapping = [
            (i, j)
            for i, a in enumerate(boxes)
            for j, b in enumerate(boxes[i + 1 :], i + 1)
            if a["x"] < b["x"] + b["width"]
            and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"]
            and b["y"] < a["y"] + a["height"]
        ]
        assert overlapping == []
        expect(page.locator(".react-flow__minimap")).to_be_visible()
        page.locator("#dependency-graph").scroll_into_view_if_needed()
        screenshot(page, "dependencies-100", full_page=False)
        page.get_by_role("button", name="Zoom Out").click()  # React Flow's own controls
        page.mouse.move(700, 600)
        page.mouse.wheel(0, 400)  # and the wheel
