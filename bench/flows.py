"""Dependency-graph benchmark (issue #5): a chain of 40 dependent scripts, each computing
fibo(10), run end to end through the graph, beside the same 40 scripts run back to back by a shell
loop (`python -c` 40 times) measured in the same run.

    uv run python -m bench.flows            # 1 warm-up flow, then 5 measured flows

End to end = from the REST call `POST /scripts/{first}/runs?downstream=true` to the flow's final
status being committed (polled in the database every 10 ms). Per hop, from the run rows:
"handoff" = the next run's `started_at` − this run's `finished_at` (the finish transaction with
the flow's decision, after-commit dispatch, Celery delivery, claim) and "run" = `finished_at` −
`started_at` of one run, split into the runner's own `duration_ms` (environment, process start,
the script) and the rest (watch and log writer start, log flush). Target: ≤ 4 s end to end
(Windmill 4.4 s, Prefect 4.9 s, Airflow 116 s on 2 vCPUs, issue #5).
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench import harness

CHAIN = 40
FLOWS = 5
TARGET_MS = 4000
FIBO = "def fibo(n):\n    return n if n < 2 else fibo(n - 1) + fibo(n - 2)\nprint(fibo(10))\n"


def build_chain(platform) -> list[int]:
    ids = [platform.script(f"fibo {n:02d}", FIBO) for n in range(1, CHAIN + 1)]
    for upstream, downstream in zip(ids, ids[1:], strict=False):
        answer = platform.http.post(
            "/api/v1/dependencies",
            json={
                "upstream_type": "script",
                "upstream_id": upstream,
                "downstream_type": "script",
                "downstream_id": downstream,
            },
        )
        answer.raise_for_status()
    return ids


def _flow_status(org_id: int, flow_id: int) -> str:
    from sqlalchemy import select

    from etlfabric.db import sync_tenant_session
    from etlfabric.models import Flow

    with sync_tenant_session(org_id) as session:
        return session.scalar(select(Flow.status).where(Flow.id == flow_id)).value


def run_chain(platform, first: int) -> tuple[float, int]:
    """Milliseconds from the trigger until the flow has ended, and the flow's id."""
    started = time.perf_counter()
    answer = platform.http.post(f"/api/v1/scripts/{first}/runs", params={"downstream": "true"})
    answer.raise_for_status()
    flow_id = answer.json()["flow_id"]
    deadline = time.monotonic() + 300
    while (status := _flow_status(platform.org_id, flow_id)) == "running":
        if time.monotonic() > deadline:
            raise TimeoutError(f"flow {flow_id} still running")
        time.sleep(0.01)
    elapsed = (time.perf_counter() - started) * 1000
    if status != "succeeded":
        raise RuntimeError(f"flow {flow_id} ended {status}")
    return elapsed, flow_id


def hops(org_id: int, flow_id: int) -> dict[str, list[float]]:
    """Per-hop times of one flow in ms: handoff, run, and within run the runner's own duration."""
    from sqlalchemy import select

    from etlfabric.db import sync_tenant_session
    from etlfabric.models import Run

    with sync_tenant_session(org_id) as session:
        rows = session.execute(
            select(Run.started_at, Run.finished_at, Run.duration_ms)
            .where(Run.flow_id == flow_id)
            .order_by(Run.id)
        ).all()
    ms = lambda delta: delta.total_seconds() * 1000  # noqa: E731
    runs = [ms(row.finished_at - row.started_at) for row in rows]
    return {
        "handoff": [ms(b.started_at - a.finished_at) for a, b in zip(rows, rows[1:], strict=False)],
        "run": runs,
        "runner": [float(row.duration_ms) for row in rows],
        "engine": [total - row.duration_ms for total, row in zip(runs, rows, strict=True)],
    }


def shell_loop() -> float:
    """The same 40 scripts back to back from a shell loop, in ms."""
    loop = f'for i in $(seq {CHAIN}); do "$PYTHON" -c "$CODE" > /dev/null; done'
    env = {"PYTHON": sys.executable, "CODE": FIBO, "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    subprocess.run(["bash", "-c", loop], env=env, check=True)
    return (time.perf_counter() - started) * 1000


def chain(platform) -> dict:
    ids = build_chain(platform)
    run_chain(platform, ids[0])  # warm-up: builds each script's environment once
    samples, parts = [], {"handoff": [], "run": [], "runner": [], "engine": []}
    for _ in range(FLOWS):
        elapsed, flow_id = run_chain(platform, ids[0])
        samples.append(elapsed)
        for name, values in hops(platform.org_id, flow_id).items():
            parts[name] += values
    loops = [shell_loop() for _ in range(FLOWS)]
    result = harness.report(
        f"flows: chain of {CHAIN} fibo(10) scripts, end to end",
        samples,
        baselines={f"shell loop, python -c ×{CHAIN}": loops},
        targets={"p50": TARGET_MS, "p95": TARGET_MS},
    )
    print(f"  per hop: {harness.percentile(samples, 0.5) / CHAIN:.1f} ms at p50 of the chain")
    labels = {
        "handoff": "handoff (finish → next start)",
        "run": "run (start → finish)",
        "runner": "  of which the runner's duration",
        "engine": "  of which log/finish around it",
    }
    for name, label in labels.items():
        print(f"  {label:<34} {harness.summary(parts[name])}")
    return result


def main(argv: list[str]) -> None:
    from bench.runs import Platform

    with harness.platform("etlfabric_bench_flows"):
        platform = Platform()
        try:
            chain(platform)
        finally:
            platform.close()


if __name__ == "__main__":
    main(sys.argv[1:])
