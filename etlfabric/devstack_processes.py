"""Process plumbing for the dev stack: spawn detached, know our own pids, wait, stop, ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from etlfabric.devstack_binaries import DevstackError, RunAs

POLL_SECONDS = 0.05
HOST = "127.0.0.1"

# Popen objects of servers started by this process, kept so stopping them can reap the child.
_spawned: dict[int, subprocess.Popen] = {}


def spawn(command: list[str], *, log: Path, run_as: RunAs | None, cwd: Path) -> psutil.Process:
    """Start a server in its own session (it outlives us); output goes to `log`."""
    with log.open("ab") as output:
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=server_env(),
            start_new_session=True,
            **(run_as.popen_kwargs() if run_as else {}),
        )
    _spawned[popen.pid] = popen
    return psutil.Process(popen.pid)


def server_env() -> dict[str, str]:
    # PG* variables from the caller's shell must not steer the embedded server or its tools.
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def identity(process: psutil.Process) -> dict:
    return {"pid": process.pid, "created": process.create_time()}


def is_ours(entry: dict | None) -> bool:
    """The recorded pid is alive and still the server we started (same binary, same start)."""
    if not entry or not entry.get("pid"):
        return False
    try:
        process = psutil.Process(entry["pid"])
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(entry["pid"])
            return False
        same_binary = os.path.realpath(process.exe()) == os.path.realpath(entry["binary"])
        same_start = abs(process.create_time() - float(entry.get("created", 0))) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, ValueError):
        return False
    return same_binary and same_start


def _reap(pid: int) -> None:
    popen = _spawned.pop(pid, None)
    if popen is not None:
        popen.poll()
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop(pid: int, first_signal: signal.Signals, timeout: float) -> None:
    """Ask the process to stop; after `timeout` seconds, kill it."""
    try:
        process = psutil.Process(pid)
        process.send_signal(first_signal)
        try:
            process.wait(timeout)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    _reap(pid)


def wait_until(
    answers: Callable[[], bool], *, process: psutil.Process, timeout: float, what: str, log: Path
) -> None:
    """Poll until the server answers; fail fast when it exits, with the end of its log."""
    deadline = time.monotonic() + timeout
    while not answers():
        if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
            _reap(process.pid)
            raise DevstackError(f"{what} exited while starting. End of {log}:\n{log_tail(log)}")
        if time.monotonic() > deadline:
            raise DevstackError(
                f"{what} (pid {process.pid}) did not answer within {timeout:.0f} s. "
                f"Look at {log}; its end reads:\n{log_tail(log)}"
            )
        time.sleep(POLL_SECONDS)


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def port_free(port: int) -> bool:
    # SO_REUSEADDR as the servers use it: a TIME_WAIT left by our last run does not count as busy.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
