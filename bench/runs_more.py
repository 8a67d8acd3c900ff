"""Run engine benchmarks, part two: script environments, and the runs list with 100,000 runs.

Called from bench/runs.py (`uv run python -m bench.runs environments list`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

from bench import harness

LIST_CALLS = 30
RUN_ROWS = 100_000


def _spec(script_id: int, run_id: int, content: str, requirements: str = ""):
    from etlfabric.runners.limits import Limits
    from etlfabric.runners.script import ScriptSpec

    return ScriptSpec(
        org_id=1_000_000,
        script_id=script_id,
        run_id=run_id,
        type="python",
        content=content,
        requirements=requirements,
        env_vars={},
        timeout_seconds=60,
        limits=Limits(),
    )


def environments(platform=None) -> None:
    """The runner alone (no queue, no database): what an environment costs per run."""
    from etlfabric.config import get_settings
    from etlfabric.runners.script import run_script

    def run(spec):
        outcome = run_script(spec, on_output=lambda *_: None, should_cancel=lambda: False)
        assert outcome.status == "succeeded", outcome.error

    counter = iter(range(1, 10**6))
    cached = harness.time_calls(lambda: run(_spec(1, next(counter), "print('hi')")), 50)
    direct = harness.time_calls(
        lambda: subprocess.run([sys.executable, "-c", "print('hi')"], capture_output=True), 50
    )
    harness.report(
        "environments: run in a cached environment",
        cached,
        baselines={"python -c started directly": direct},
    )
    added = harness.percentile(cached, 0.5) - harness.percentile(direct, 0.5)
    print(f"  added by the runner: {added:.1f} ms at p50 (target ≤ 50 ms)")

    envs = get_settings().data_dir / "envs" / "1000000"
    run(_spec(2, next(counter), "import six", "six"))  # warms the uv cache with `six`
    builds = []
    for attempt in range(5):
        shutil.rmtree(envs / "2", ignore_errors=True)
        started = time.perf_counter()
        run(_spec(2, next(counter), "import six", f"six\n# {attempt}"))
        builds.append((time.perf_counter() - started) * 1000)
    harness.report(
        "environments: new one with `six`, warm uv cache",
        builds,
        baselines={"the same run with the environment cached": cached},
        targets={"p50": 2000, "p95": 2000},
    )


def _fill(org_id: int, script_id: int) -> None:
    """RUN_ROWS finished runs over 90 days with mixed statuses and triggers, one log line each."""
    from sqlalchemy import text

    from etlfabric.db import sync_engine, tenant_schema

    schema = tenant_schema(org_id)
    with sync_engine().begin() as connection:
        connection.execute(
            text(
                f"""
                INSERT INTO "{schema}".runs (target_type, target_id, target_name, status, trigger,
                    queued_at, started_at, finished_at, duration_ms, exit_code)
                SELECT 'script', :script_id, 'bench',
                    (ARRAY['succeeded','succeeded','succeeded','failed','timed_out','cancelled'])
                        [1 + i % 6],
                    (ARRAY['manual','schedule','api','url'])[1 + i % 4],
                    now() - (i || ' minutes')::interval * 1.3,
                    now() - (i || ' minutes')::interval * 1.3,
                    now() - (i || ' minutes')::interval * 1.3 + interval '2 seconds',
                    2000, CASE WHEN i % 6 = 3 THEN 1 ELSE 0 END
                FROM generate_series(1, :rows) AS i
                """
            ),
            {"script_id": script_id, "rows": RUN_ROWS},
        )
        connection.execute(
            text(
                f"""
                INSERT INTO "{schema}".run_logs (run_id, seq, ts, stream, text)
                SELECT id, 1, queued_at, 'stdout',
                    'processed ' || (id % 977) || ' rows for customer c' || (id % 5000)
                FROM "{schema}".runs
                """
            )
        )
        connection.execute(text(f'ANALYZE "{schema}".runs; ANALYZE "{schema}".run_logs'))


def list(platform) -> None:  # noqa: A001 (the benchmark's name on the command line)
    script_id = platform.script("list", "print('hi')")
    started = time.perf_counter()
    _fill(platform.org_id, script_id)
    print(f"list: {RUN_ROWS:,} runs inserted in {time.perf_counter() - started:.1f} s")

    def get(path: str, **params):
        answer = platform.http.get(path, params=params)
        assert answer.status_code == 200, answer.text

    me = harness.time_calls(lambda: get("/api/v1/me"), LIST_CALLS)
    since = "2026-01-01T00:00:00Z"
    filters = {
        "no filter": {},
        "status=failed": {"status": "failed"},
        "trigger=schedule": {"trigger": "schedule"},
        "target": {"target_type": "script", "target_id": script_id},
        "date range": {"since": since},
        "search in output": {"search": "customer c4242"},
        "status + sort by duration": {"status": "succeeded", "sort": "-duration_ms"},
    }
    for label, params in filters.items():
        samples = harness.time_calls(lambda p=params: get("/api/v1/runs", **p), LIST_CALLS)
        harness.report(
            f"list: first page, {label}",
            samples,
            baselines={"GET /api/v1/me": me},
            targets={"p95": 200},
        )
