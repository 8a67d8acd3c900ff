"""Flows executed by a real Celery worker with two slots: parallel branches, skips, retries."""

import time
import uuid
from pathlib import Path

import pytest

from etlfabric.models import FlowStatus, RunStatus
from tests.flow_factories import flow_of, flow_runs_of, link, run_flow, scripts_named, start_flow
from tests.run_factories import log_texts

pytestmark = pytest.mark.slow
TIMED = (
    "import time\n"
    "print('start', time.time(), flush=True)\n"
    "time.sleep(1.5)\n"
    "print('end', time.time(), flush=True)\n"
)


def wait_flow(principal, flow_id, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while (flow := flow_of(principal, flow_id)).status is FlowStatus.running:
        assert time.monotonic() < deadline, flow_runs_of(principal, flow_id)
        time.sleep(0.1)
    return flow


def times(principal, run) -> tuple[float, float]:
    """(start, end) as the script itself printed them."""
    lines = [line.split() for line in log_texts(principal.org_id, run.id)]
    found = {words[0]: words[1] for words in lines if words and words[0] in ("start", "end")}
    return float(found["start"]), float(found["end"])


async def test_a_diamond_runs_both_branches_at_once_and_the_join_after_both(owner):
    made = await scripts_named(owner, "a", "b", "c", "d", content=TIMED)
    await link(owner, "a>b a>c b>d c>d", made)
    root = await run_flow(owner, made["a"])
    flow = wait_flow(owner, root.flow_id)
    found = flow_runs_of(owner, root.flow_id)
    assert flow.status is FlowStatus.succeeded, found
    assert {name: [r.status for r in rs] for name, rs in found.items()} == {
        name: [RunStatus.succeeded] for name in "abcd"
    }
    a, b, c, d = (times(owner, found[name][0]) for name in "abcd")
    assert a[1] <= min(b[0], c[0]), "the branches start after their upstream"
    assert b[0] < c[1] and c[0] < b[1], f"b {b} and c {c} overlap"
    assert d[0] >= max(b[1], c[1]), "the join starts after both branches"


async def test_an_upstream_failure_skips_its_downstream_with_the_reason(owner):
    made = await scripts_named(owner, "extract", "load", content="print('ok')\n")
    made |= await scripts_named(owner, "broken", content="raise SystemExit(2)\n")
    await link(owner, "extract>broken broken>load", made)
    root = await run_flow(owner, made["extract"])
    flow = wait_flow(owner, root.flow_id)
    found = flow_runs_of(owner, root.flow_id)
    assert flow.status is FlowStatus.failed
    assert [r.status for r in found["broken"]] == [RunStatus.failed]
    skipped = found["load"]
    assert [(r.status, r.error) for r in skipped] == [
        (RunStatus.skipped, f"Skipped: upstream broken failed in flow #{root.flow_id}.")
    ]


async def test_a_retried_upstream_continues_the_flow(owner):
    marker = Path(f"/tmp/etf-flow-retry-{uuid.uuid4().hex}")
    flaky = (
        "import pathlib, sys\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        "    marker.write_text('failed once')\n"
        "    sys.exit(1)\n"
        "print('second time lucky')\n"
    )
    made = await scripts_named(owner, "flaky", content=flaky)
    made |= await scripts_named(owner, "after", content="print('after')\n")
    await link(owner, "flaky>after", made)
    try:
        root = await start_flow(owner, made["flaky"], max_attempts=2)
        flow = wait_flow(owner, root.flow_id)
    finally:
        marker.unlink(missing_ok=True)
    found = flow_runs_of(owner, root.flow_id)
    assert flow.status is FlowStatus.succeeded, found
    assert [(r.status, r.attempt) for r in found["flaky"]] == [
        (RunStatus.failed, 1),
        (RunStatus.succeeded, 2),
    ]
    assert [r.status for r in found["after"]] == [RunStatus.succeeded]
    assert "after" in log_texts(owner.org_id, found["after"][0].id)
