"""`etlfabric worker`: the Celery worker for runs and, beside it, a small worker of its own for
the `interactive` queue (dbt compile, preview, lineage).

One pool for both would not do: with every slot busy with hour-long runs, a compile would wait
for one of them to end. So this process starts two Celery workers, each in its own process: the
run worker (--queues, --concurrency) and the interactive one (INTERACTIVE_CONCURRENCY slots,
node name `<name>-interactive@<host>`). It forwards SIGTERM / SIGINT to both, starts the
interactive worker again if it dies alone, and ends when the run worker ends. Both die with this
process (PR_SET_PDEATHSIG), so a killed supervisor leaves no worker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

from etlfabric.services.run_events import INTERACTIVE_QUEUE

PR_SET_PDEATHSIG = 1
RESTART_PAUSE_SECONDS = 2.0
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def celery_argv(*, queues: str, concurrency: int, hostname: str, loglevel: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "etlfabric.tasks",
        "worker",
        "--loglevel",
        loglevel,
        "--concurrency",
        str(concurrency),
        "--queues",
        queues,
        "--hostname",
        hostname,
    ]


def interactive_hostname(hostname: str) -> str:
    """`worker@%h` → `worker-interactive@%h`: a node name of its own on the same host."""
    name, at, host = hostname.partition("@")
    return f"{name}-{INTERACTIVE_QUEUE}{at}{host}"


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor goes, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _start(argv: list[str]) -> subprocess.Popen:
    # Same process group as the supervisor: a signal to the group reaches the workers too.
    return subprocess.Popen(argv, preexec_fn=_die_with_parent)  # noqa: PLW1509 (no threads here)


def serve(*, queues: str, concurrency: int, hostname: str, interactive: int, loglevel: str) -> int:
    """Run the worker (with its interactive pool unless `interactive` is 0); its exit code."""
    runs = celery_argv(queues=queues, concurrency=concurrency, hostname=hostname, loglevel=loglevel)
    if interactive <= 0 or queues == INTERACTIVE_QUEUE:
        os.execv(runs[0], runs)  # celery owns the process and its signals from here
    answers = celery_argv(
        queues=INTERACTIVE_QUEUE,
        concurrency=interactive,
        hostname=interactive_hostname(hostname),
        loglevel=loglevel,
    )
    children = {"runs": _start(runs), "interactive": _start(answers)}
    stopping = []

    def forward(signum, _frame) -> None:
        stopping.append(signum)
        for child in children.values():
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    while children["runs"].poll() is None:
        if children["interactive"].poll() is not None and not stopping:
            print("etlfabric worker: the interactive worker ended; starting it again", flush=True)
            time.sleep(RESTART_PAUSE_SECONDS)
            children["interactive"] = _start(answers)
        time.sleep(0.2)
    if children["interactive"].poll() is None:  # the run worker ended by itself: so does this
        children["interactive"].send_signal(signal.SIGTERM)
    children["interactive"].wait()
    code = children["runs"].returncode
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention
