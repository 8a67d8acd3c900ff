"""Run engine benchmarks (issue #4), each beside a baseline measured in the same run.

    uv run python -m bench.runs            # all of them
    uv run python -m bench.runs dispatch   # or: throughput, environments, list

- dispatch: REST trigger → first output line of a trivial script (cached environment), 100 runs;
  baselines `python -c` started directly and a bare Celery round trip. Target p50 ≤ 100 ms,
  p95 ≤ 250 ms.
- throughput: 200 runs of a 100 ms sleep on 2 worker processes. Target ≥ 16 runs/s (ideal 20).
- environments: a run in a cached environment vs `python -c`; a new environment with one
  requirement on a warm uv cache. Targets ≤ 50 ms added, ≤ 2 s.
- list: GET /api/v1/runs first page with 100,000 runs in the tenant, per filter; baseline
  GET /api/v1/me. Target p95 ≤ 200 ms.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from datetime import datetime

import httpx

from bench import harness
from tests.processes import free_port, start, stop, wait_for

RUNS = 100


class Platform:
    """A throwaway organisation with an API key, 2 workers and the REST API on granian."""

    def __init__(self) -> None:
        self.org_id, self.key, self.principal = asyncio.run(self._organisation())
        self.port = free_port()
        self.api = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "asgi", "--factory"]
            + ["--port", str(self.port), "--log-level", "warning", "etlfabric.api.app:build_api"],
            start_new_session=True,
        )
        self.worker = start("worker", "--concurrency", "2")
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        wait_for(self._ready, 60, "the REST API")
        self._wait_for_worker()

    async def _organisation(self):
        from etlfabric.db import platform_session
        from etlfabric.services import api_keys
        from tests.factories import make_owned_org

        org, _, principal = await make_owned_org()
        async with platform_session() as session:
            _, secret = await api_keys.create(
                session=session, principal=principal, name="bench", scopes=["admin"]
            )
        return org.id, secret, principal

    def _ready(self) -> bool:
        try:
            return self.http.get("/api/health").status_code == 200
        except httpx.HTTPError:
            return False

    def _wait_for_worker(self) -> None:
        from etlfabric.tasks.system import ping

        ping.delay().get(timeout=60)

    def script(self, name: str, content: str, requirements: str = "") -> int:
        answer = self.http.post(
            "/api/v1/scripts", json={"name": name, "content": content, "requirements": requirements}
        )
        answer.raise_for_status()
        return answer.json()["id"]

    def trigger(self, script_id: int) -> int:
        answer = self.http.post(f"/api/v1/scripts/{script_id}/runs")
        answer.raise_for_status()
        return answer.json()["id"]

    def wait_done(self, run_id: int, timeout: float = 120) -> dict:
        def done():
            run = self.http.get(f"/api/v1/runs/{run_id}").json()
            return run if run["status"] not in ("queued", "running") else None

        return wait_for(done, timeout, f"run {run_id}", step=0.05)

    def unfinished(self, script_id: int) -> int:
        query = {"target_id": script_id, "status": ["queued", "running"], "page_size": 1}
        return self.http.get("/api/v1/runs", params=query).json()["total"]

    def runs_of(self, script_id: int) -> list[dict]:
        found, page = [], 1
        while True:
            query = {"target_id": script_id, "page": page, "page_size": 100}
            items = self.http.get("/api/v1/runs", params=query).json()["items"]
            found += items
            if len(items) < 100:
                return found
            page += 1

    def close(self) -> None:
        self.http.close()
        stop(self.worker)
        stop(self.api)


class FirstLines:
    """Listens on every run's log channel of one organisation; notes when each first line came."""

    def __init__(self, org_id: int) -> None:
        from etlfabric.services.run_events import sync_redis

        self.seen: dict[int, float] = {}
        self.changed = threading.Condition()
        self.pubsub = sync_redis().pubsub()
        self.pubsub.psubscribe(f"etlfabric:run:{org_id}:*:log")
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        try:
            self._receive()
        except Exception:  # the benchmark's Redis went away at the end
            return

    def _receive(self) -> None:
        for message in self.pubsub.listen():
            if message["type"] != "pmessage" or "lines" not in json.loads(message["data"]):
                continue
            run_id = int(str(message["channel"]).split(":")[3])
            with self.changed:
                self.seen.setdefault(run_id, time.perf_counter())
                self.changed.notify_all()

    def wait(self, run_id: int, timeout: float = 30) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: run_id in self.seen, timeout):
                raise TimeoutError(f"no output from run {run_id}")
            return self.seen[run_id]


def dispatch(platform: Platform) -> dict:
    from etlfabric.tasks.system import ping

    script_id = platform.script("dispatch", "print('hello')")
    platform.wait_done(platform.trigger(script_id), 300)  # builds the environment once
    listener = FirstLines(platform.org_id)
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run_id = platform.trigger(script_id)
        samples.append((listener.wait(run_id) - started) * 1000)
        platform.wait_done(run_id)
    direct = harness.time_calls(
        lambda: subprocess.run([sys.executable, "-c", "print('hello')"], capture_output=True),
        RUNS,
    )
    celery = harness.time_calls(lambda: ping.delay().get(timeout=10), RUNS)
    return harness.report(
        "dispatch: REST trigger → first line",
        samples,
        baselines={"python -c started directly": direct, "bare Celery round trip": celery},
        targets={"p50": 100, "p95": 250},
    )


def throughput(platform: Platform, count: int = 200) -> dict:
    """Timed from the first run queued to the last run finished, by the database's clock; the
    client checks for the end four times a second, so its polling hardly loads the machine."""
    script_id = platform.script("throughput", "import time\ntime.sleep(0.1)")
    platform.wait_done(platform.trigger(script_id), 300)
    run_ids = set(platform.trigger(script_id) for _ in range(count))
    wait_for(lambda: platform.unfinished(script_id) == 0, 600, "the runs", step=0.25)
    runs = [run for run in platform.runs_of(script_id) if run["id"] in run_ids]
    assert len(runs) == count and all(run["status"] == "succeeded" for run in runs)
    first = min(datetime.fromisoformat(run["queued_at"]) for run in runs)
    last = max(datetime.fromisoformat(run["finished_at"]) for run in runs)
    elapsed = (last - first).total_seconds()
    rate = count / elapsed
    bare = bare_throughput(count)
    print(f"throughput: {count} runs of a 100 ms sleep on 2 workers in {elapsed:.1f} s")
    print(f"  {rate:.1f} runs/s; ideal 20 runs/s (×{rate / 20:.2f} of ideal); target ≥ 16")
    print(f"  baseline, the same sleeps as `python -c` in 2 loops: {bare:.1f} runs/s")
    print(f"  (the platform reaches ×{rate / bare:.2f} of the bare processes)")
    print("  where a slot's time goes, per run on average:", *where_time_goes(runs, elapsed))
    return {"name": "throughput", "runs_per_second": rate, "bare_runs_per_second": bare}


def where_time_goes(runs: list[dict], elapsed: float) -> list[str]:
    """Each slot's time split into: the process (duration_ms), the rest of the run from its
    claim to its final status, and the hand-over between runs (final commit, Celery, claim)."""
    at = datetime.fromisoformat
    busy = [(at(run["finished_at"]) - at(run["started_at"])).total_seconds() for run in runs]
    process = sum(run["duration_ms"] for run in runs) / 1000
    per_run = 1000 / len(runs)
    return [
        f"process {process * per_run:.1f} ms,",
        f"claim to final status around it {(sum(busy) - process) * per_run:.1f} ms,",
        f"hand-over {(2 * elapsed - sum(busy)) * per_run:.1f} ms",
    ]


def bare_throughput(count: int) -> float:
    """`count` × `python -c "sleep 0.1"` on 2 threads: what the machine does without us."""
    argv = [sys.executable, "-I", "-c", "import time; time.sleep(0.1)"]

    def loop() -> None:
        for _ in range(count // 2):
            subprocess.run(argv, check=True)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


def main(argv: list[str]) -> None:
    chosen = argv or ["dispatch", "throughput", "environments", "list"]
    with harness.platform("etlfabric_bench_runs"):
        platform = Platform()
        try:
            for name in chosen:
                if name in ("environments", "list"):
                    from bench import runs_more

                    getattr(runs_more, name)(platform)
                else:
                    globals()[name](platform)
        finally:
            platform.close()


if __name__ == "__main__":
    main(sys.argv[1:])
