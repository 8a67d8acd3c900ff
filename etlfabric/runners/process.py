"""Run one command in a new session under limits, stream its output line by line, stop it on demand.

`run_process` is the one place that starts, watches, stops and reaps a child. It blocks; output
lines, should_cancel() and the Outcome all happen on the calling thread (a reader thread and a
waiter thread only feed a queue), so callbacks need no locking.
"""

from __future__ import annotations

import contextlib
import os
import queue
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from etlfabric.runners.cgroups import PidsCgroup
from etlfabric.runners.limits import (
    LAUNCH_FAILED,
    MB,
    NICENESS,
    ChildSetup,
    GroupWatcher,
    Limits,
    task_limit,
)
from etlfabric.runners.output import pump

if TYPE_CHECKING:
    from etlfabric.runners.warm import Warm

__all__ = ["Command", "Limits", "OnOutput", "Outcome", "ShouldCancel", "run_process"]

OnOutput = Callable[[str, str], None]  # (stream "stdout"|"stderr"|"system", one line without "\n")
ShouldCancel = Callable[[], bool]  # called on the caller's thread every POLL_SECONDS

POLL_SECONDS = 0.25
TERM_GRACE_SECONDS = 5.0
CANCEL_GRACE_SECONDS = 1.0  # cancel must take effect within 2 s even if SIGTERM is ignored
DRAIN_SECONDS = 2.0
MEMORY_ERROR_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc")


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None  # negative: killed by that signal (the subprocess convention)
    status: str  # "succeeded" | "failed" | "timed_out" | "cancelled"
    error: str | None
    duration_ms: int
    peak_memory_mb: float | None
    cpu_time_ms: int | None
    rows_loaded: int | None = None  # what the work reports about itself (pipelines, dbt)
    details: dict | None = None


@dataclass(frozen=True)
class Command:
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    timeout_seconds: float
    limits: Limits | None = None  # None: no rlimits and no watcher (trusted tools such as uv)
    user: int | None = None  # uid/gid to switch to before exec (the worker runs as root)
    group: int | None = None
    dedicated_user: bool = False
    prestarted: Warm | None = None  # an interpreter waiting to become argv (runners/warm.py)


@dataclass
class _Flags:
    memory_error: bool = False
    file_too_large: bool = False
    launch_error: str | None = None  # prlimit / setpriv could not exec the command


def _await_exit(pid: int, out: queue.Queue) -> None:
    """Tell the supervisor the child exited, without reaping it: its pid keeps the group ours."""
    with contextlib.suppress(ChildProcessError):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    out.put(("exit", None))


def _setup(command: Command, cgroup: PidsCgroup | None) -> ChildSetup | None:
    if command.limits is None and command.user is None:
        return None
    limits = command.limits or Limits(None, None, None, None)
    return ChildSetup(
        limits=limits,
        cgroup_procs=cgroup.procs_file if cgroup else None,
        max_tasks=task_limit(limits, dedicated_user=command.dedicated_user),
        uid=command.user,
        gid=command.group,
    )


def _start(command: Command, cgroup: PidsCgroup | None) -> tuple[subprocess.Popen, bool]:
    """The child, and whether it starts through prlimit / setpriv (ChildSetup.launcher): the
    interpreter waiting for this command when there is one (and no cgroup to join), else new."""
    if (warm := command.prestarted) is not None:
        if cgroup is None:
            setup = _setup(command, None)
            job = {"cwd": command.cwd, "env": command.env, "argv0": command.argv[-1]}
            if proc := warm.hand_over(**job, rlimits=setup.settings() if setup else []):
                return proc, False
        warm.discard()
    return _spawn(command, cgroup)


def _spawn(command: Command, cgroup: PidsCgroup | None) -> tuple[subprocess.Popen, bool]:
    argv, extra, launched = command.argv, {}, False
    if (setup := _setup(command, cgroup)) is not None:
        if (prefix := setup.launcher()) is not None:
            argv, launched = prefix + argv, True
        else:
            extra["preexec_fn"] = setup.preexec()
    proc = subprocess.Popen(
        argv,
        cwd=command.cwd,
        env=command.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **extra,
    )
    if launched:  # at once: the child is still in prlimit / setpriv, or just past them
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    return proc, launched


class _Supervisor:
    def __init__(
        self,
        command: Command,
        on_output: OnOutput,
        should_cancel: ShouldCancel,
        on_start: Callable[[int], None] | None = None,
    ):
        self.command = command
        self.on_start = on_start
        self.on_output = on_output
        self.should_cancel = should_cancel
        self.started = time.monotonic()
        self.queue: queue.Queue = queue.Queue()
        self.stop_pump = threading.Event()
        self.flags = _Flags()
        self.reason: str | None = None  # "cancelled" | "timed_out" | a watcher breach
        self.kill_at: float | None = None
        self.exited = self.pumped = self.launched = False
        self.cgroup: PidsCgroup | None = None

    def run(self) -> Outcome:
        limits = self.command.limits
        # A dedicated run user has RLIMIT_NPROC enforced by the kernel: no cgroup needed (joining
        # one costs ~11 ms per run on cgroup v1, where moving a process waits for an RCU grace).
        wanted = limits and limits.processes and not self.command.dedicated_user
        cgroup = PidsCgroup.create(2 * limits.processes) if wanted else None
        try:
            return self._run(cgroup)
        finally:
            if cgroup:
                cgroup.remove()

    def _run(self, cgroup: PidsCgroup | None) -> Outcome:
        try:
            proc, self.launched = _start(self.command, cgroup)
        except (OSError, subprocess.SubprocessError) as exc:
            return self._not_started(exc)
        self.pid = proc.pid  # also the session and process group id (start_new_session)
        self.cgroup = cgroup
        if self.on_start:
            self.on_start(proc.pid)
        limits = self.command.limits
        procs_file = cgroup.procs_file if cgroup else None
        self.watcher = GroupWatcher(proc.pid, limits, procs_file) if limits else None
        pipes = {"stdout": proc.stdout.fileno(), "stderr": proc.stderr.fileno()}
        self.pump = threading.Thread(target=pump, args=(pipes, self.queue, self.stop_pump))
        waiter = threading.Thread(target=_await_exit, args=(proc.pid, self.queue), daemon=True)
        try:
            for thread in (self.watcher, self.pump, waiter):
                if thread:
                    thread.start()
            self._supervise()
        finally:
            self._stop_leftovers()
            status, usage = _reap(proc)
            self._drain()
            if self.watcher:
                self.watcher.stop()
            proc.stdout.close()
            proc.stderr.close()
        return self._outcome(status, usage)

    def _supervise(self) -> None:
        next_poll = self.started
        deadline = self.started + self.command.timeout_seconds
        while not self.exited:
            now = time.monotonic()
            if now >= next_poll:
                next_poll = now + POLL_SECONDS
                if self.reason is None and self.should_cancel():
                    self._stop("cancelled", CANCEL_GRACE_SECONDS)
            if now >= deadline and self.reason is None:
                self._stop("timed_out", TERM_GRACE_SECONDS)
            if self.kill_at is not None and now >= self.kill_at:
                self._kill_all()
                self.kill_at = None
            if self.watcher and self.watcher.breach and self.reason is None:
                self.reason = self.watcher.breach
            wake = min(next_poll, deadline, self.kill_at or next_poll)
            self._take(timeout=max(0.0, wake - time.monotonic()))

    def _take(self, timeout: float) -> None:
        try:
            stream, lines = self.queue.get(timeout=timeout)
        except queue.Empty:
            return
        if stream == "exit":
            self.exited = True
        elif stream == "eof":
            self.pumped = True
        else:
            self._deliver(stream, lines)

    def _deliver(self, stream: str, lines: list[str]) -> None:
        for line in lines:
            if stream == "stderr" and self.launched and line.startswith(LAUNCH_FAILED):
                self.flags.launch_error = line.split(": ", 1)[1]
                continue
            if stream == "stderr":
                self.flags.memory_error |= any(m in line for m in MEMORY_ERROR_MARKERS)
                self.flags.file_too_large |= "File too large" in line
            self.on_output(stream, line)

    def _stop(self, reason: str, grace: float) -> None:
        self.reason = reason
        self.kill_at = time.monotonic() + grace
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGTERM)

    def _stop_leftovers(self) -> None:
        """Nothing of a run outlives it: background processes are killed when the script ends."""
        left = self.watcher.left_running() if self.watcher and self.reason is None else 0
        self._kill_all()
        if left and left > (self.command.limits.processes or left):
            self.reason = "processes"  # a fork bomb whose first process returned at once
        elif self.reason is None and self.cgroup and self.cgroup.refused_forks():
            self.reason = "processes"  # the kernel said no to a fork: the bomb died of it
        if left:
            self.on_output("system", f"Stopped {left} process(es) the run left running")

    def _kill_all(self) -> None:
        if self.watcher:
            self.watcher.kill_all()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def _drain(self) -> None:
        """Deliver the lines still in the pipes; give up after DRAIN_SECONDS (escaped holders)."""
        until = time.monotonic() + DRAIN_SECONDS
        while not self.pumped:
            if not self.pump.is_alive() and self.queue.empty():
                return  # the reader never started (or is gone): nothing more will come
            if time.monotonic() >= until:
                self.stop_pump.set()
            self._take(timeout=0.1)

    def _outcome(self, status: int | None, usage) -> Outcome:
        exit_code = None if status is None else os.waitstatus_to_exitcode(status)
        if self.flags.launch_error and exit_code in (126, 127):
            return self._not_started(self.flags.launch_error)
        # Not ru_maxrss: it counts the worker's own memory, which the child had until its exec.
        peak = self.watcher.peak_rss if self.watcher else 0
        if self.reason is None and self.watcher:
            self.reason = self.watcher.breach  # the watcher killed it just before it exited
        cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000) if usage else None
        state, error = self._classify(exit_code, peak, cpu_ms)
        return Outcome(
            exit_code=exit_code,
            status=state,
            error=error,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            peak_memory_mb=round(peak / MB, 1) if peak else None,
            cpu_time_ms=cpu_ms,
        )

    def _not_started(self, exc: Exception | str) -> Outcome:
        error = f"the process could not be started: {exc}"
        self.on_output("system", error)
        duration_ms = int((time.monotonic() - self.started) * 1000)
        return Outcome(None, "failed", error, duration_ms, None, None)

    def _classify(self, exit_code: int | None, peak: int, cpu_ms: int | None):
        return classify(
            reason=self.reason,
            flags=self.flags,
            command=self.command,
            exit_code=exit_code,
            peak=peak,
            cpu_ms=cpu_ms,
        )


def _reap(proc: subprocess.Popen) -> tuple[int | None, resource.struct_rusage | None]:
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): no status, no usage
        proc.returncode = -1
        return None, None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage


def classify(
    *, reason, flags: _Flags, command: Command, exit_code: int | None, peak: int, cpu_ms
) -> tuple[str, str | None]:
    """(status, error) of a finished run: why it stopped, in words a user can act on."""
    limits = command.limits or Limits(None, None, None, None)
    memory = f"out of memory (limit {limits.memory_mb} MB)"
    if reason == "cancelled":
        return "cancelled", "cancelled"
    if reason == "timed_out":
        return "timed_out", f"timed out after {command.timeout_seconds:g} s"
    if reason == "memory":
        return "failed", memory
    if reason == "processes":
        return "failed", f"too many processes (limit {limits.processes}); the run was stopped"
    if exit_code == 0:
        return "succeeded", None
    near_limit = limits.memory_mb and peak >= 0.9 * limits.memory_mb * MB
    if limits.memory_mb and (flags.memory_error or (exit_code == -9 and near_limit)):
        return "failed", memory
    cpu_spent = cpu_ms is not None and cpu_ms >= (limits.cpu_seconds or 0) * 1000
    if limits.cpu_seconds and (exit_code == -signal.SIGXCPU or (exit_code == -9 and cpu_spent)):
        return "failed", f"CPU time limit exceeded ({limits.cpu_seconds} s)"
    if limits.file_size_mb and (exit_code == -signal.SIGXFSZ or flags.file_too_large):
        return "failed", f"file size limit exceeded ({limits.file_size_mb} MB)"
    if exit_code is None:
        return "failed", "the process ended but its exit status was lost"
    if exit_code < 0:
        return "failed", f"killed by signal {-exit_code} ({signal.Signals(-exit_code).name})"
    return "failed", f"exit code {exit_code}"


def run_process(
    command: Command,
    *,
    on_output: OnOutput,
    should_cancel: ShouldCancel,
    on_start: Callable[[int], None] | None = None,
) -> Outcome:
    """Run `command` to the end (or until timeout, cancel or a limit) and say how it ended;
    `on_start(pid)` is called once the child runs (its pid is also its session id)."""
    return _Supervisor(command, on_output, should_cancel, on_start).run()
