"""Start and stop real platform processes (`python -m etlfabric ...`) from tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(
    *args: str,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    log: Path | None = None,
):
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.Popen(
        [sys.executable, "-m", "etlfabric", *args],
        cwd=ROOT,
        env={**environment, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signum)
            process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def wait_for(condition: Callable[[], object], timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
