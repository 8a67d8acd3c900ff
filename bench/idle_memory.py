"""Idle resident memory of web + worker + scheduler, beside a bare Python interpreter.

    uv run python -m bench.idle_memory

Starts the three processes as `etlfabric up` would (on a throwaway database), lets them settle,
then sums each process tree. RSS counts shared pages once per process; PSS shares them out, so
PSS is the fairer total for forked workers.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import psutil

from bench import harness
from tests.processes import free_port, start, stop, wait_for

SETTLE_SECONDS = 20


def tree_memory(pid: int) -> tuple[float, float, int]:
    """(RSS MB, PSS MB, processes) of a process and its descendants."""
    root = psutil.Process(pid)
    rss = pss = 0
    members = [root, *root.children(recursive=True)]
    for process in members:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20, len(members)


def web_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def main() -> None:
    from etlfabric.toolchain import ensure_js_runtime
    from tests.browser import ROOT, build_dir

    with harness.platform("etlfabric_bench_memory"), build_dir() as web_dir:
        port = free_port()
        web_env = {**ensure_js_runtime(ROOT), "WEB_PORT": str(port)}
        web_env["REFLEX_WEB_WORKDIR"] = str(web_dir)
        processes = {
            "web": start("web", env=web_env),
            "worker": start("worker", "--concurrency", "2"),
            "scheduler": start("scheduler"),
        }
        bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        try:
            wait_for(lambda: web_ready(port), 300, "the web app")
            time.sleep(SETTLE_SECONDS)
            print(f"idle resident memory after {SETTLE_SECONDS} s settled:")
            total_rss = total_pss = 0.0
            for name, process in processes.items():
                rss, pss, count = tree_memory(process.pid)
                total_rss, total_pss = total_rss + rss, total_pss + pss
                print(f"  {name:<10} RSS {rss:7.1f} MB  PSS {pss:7.1f} MB  ({count} processes)")
            print(f"  {'total':<10} RSS {total_rss:7.1f} MB  PSS {total_pss:7.1f} MB")
            rss, pss, _ = tree_memory(bare.pid)
            print(f"  baseline: bare python  RSS {rss:.1f} MB  PSS {pss:.1f} MB")
            print(f"  → the platform at idle is ×{total_pss / pss:.0f} a bare interpreter (PSS)")
        finally:
            bare.kill()
            for process in processes.values():
                stop(process)


if __name__ == "__main__":
    main()
