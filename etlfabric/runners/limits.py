"""Resource limits of a run: rlimits set in the child, and a watcher over the whole process group.

How the limits are enforced (the watcher samples every 50 ms, and at once when a fork bomb starts):
- memory_mb: the resident memory (RSS) of all the run's processes together (PSS once they pass the
  limit, so pages shared after fork count once); past it the run is killed, "out of memory".
  Each process also gets RLIMIT_AS = 2 × memory_mb as a hard stop between samples (not 1 ×:
  thread arenas and runtimes reserve address space they never use).
- processes: the number of the run's processes; past it the run is killed. The kernel backs this
  up at 2 × processes where it can: a pids cgroup per run (root worker, writable cgroup fs), and
  RLIMIT_NPROC (it counts every task of the uid: 2 × processes for a dedicated run user, the
  machine's task count + 2 × processes for a non-root worker's own user; root ignores it).
- cpu_seconds: RLIMIT_CPU per process (SIGXCPU at the limit, SIGKILL 2 s later).
- file_size_mb: RLIMIT_FSIZE per process.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MB = 1024 * 1024
SAMPLE_SECONDS = 0.05
TICK_SECONDS = 0.01
FIRST_SAMPLE_SECONDS = 0.02  # short scripts: sample often at first (100 ms) so their peak is seen
EARLY_SAMPLES = 5
HWM_MAX_PROCESSES = 16
KILL_GIVE_UP_SECONDS = 5.0
NICENESS = 10  # scripts yield the CPU to the worker (and its watcher) when both want it
CPU_HARD_EXTRA_SECONDS = 2
SYSTEM_BIN = "/usr/bin:/bin:/usr/sbin:/sbin"
PRLIMIT, SETPRIV = (
    shutil.which("prlimit", path=SYSTEM_BIN),
    shutil.which("setpriv", path=SYSTEM_BIN),
)
PRLIMIT_OPTIONS = {
    resource.RLIMIT_CORE: "--core",
    resource.RLIMIT_AS: "--as",
    resource.RLIMIT_CPU: "--cpu",
    resource.RLIMIT_FSIZE: "--fsize",
    resource.RLIMIT_NPROC: "--nproc",
}
LAUNCH_FAILED = ("prlimit: failed to execute", "setpriv: failed to execute")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Limits:
    memory_mb: int | None = 512
    cpu_seconds: int | None = None
    file_size_mb: int | None = 1024
    processes: int | None = 256


@dataclass(frozen=True)
class ChildSetup:
    """What the child does between fork and exec, in this order: join its pids cgroup (as root),
    lower its priority, set its rlimits, then drop to the run user."""

    limits: Limits
    cgroup_procs: str | None = None  # the cgroup.procs file to join
    max_tasks: int | None = None  # RLIMIT_NPROC, when the kernel will enforce it
    uid: int | None = None
    gid: int | None = None

    def rlimits(self) -> list[tuple[int, int]]:
        limits = self.limits
        wanted = [(resource.RLIMIT_CORE, 0)]
        if limits.memory_mb:
            wanted.append((resource.RLIMIT_AS, 2 * limits.memory_mb * MB))
        if limits.cpu_seconds:
            wanted.append((resource.RLIMIT_CPU, limits.cpu_seconds))
        if limits.file_size_mb:
            wanted.append((resource.RLIMIT_FSIZE, limits.file_size_mb * MB))
        if self.max_tasks:
            wanted.append((resource.RLIMIT_NPROC, self.max_tasks))
        return wanted

    def settings(self) -> list[tuple[int, int, int]]:
        extra = {resource.RLIMIT_CPU: CPU_HARD_EXTRA_SECONDS}
        return [
            _within_hard_limit(which, soft, soft + extra.get(which, 0))
            for which, soft in self.rlimits()
        ]

    def launcher(self) -> list[str] | None:
        """The same set-up as argv to put before the command: util-linux's prlimit sets the
        rlimits and setpriv drops to the run user, each then exec'ing the next. The worker can
        then start the child by vfork instead of fork + preexec, ~10 ms less per run from a
        worker of ~90 MB. None when a cgroup must be joined first or the tools are missing;
        niceness is set by the caller once the child exists (setpriority)."""
        if self.cgroup_procs or PRLIMIT is None or (self.uid is not None and SETPRIV is None):
            return None
        argv = [PRLIMIT]
        argv += [f"{PRLIMIT_OPTIONS[which]}={soft}:{hard}" for which, soft, hard in self.settings()]
        argv.append("--")
        if self.uid is not None:
            argv += [SETPRIV, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--"]
        return argv

    def preexec(self) -> Callable[[], None]:
        settings = self.settings()
        procs, uid, gid = self.cgroup_procs, self.uid, self.gid

        def apply() -> None:  # keep it minimal: it runs between fork and exec
            if procs:
                fd = os.open(procs, os.O_WRONLY)
                os.write(fd, b"0")
                os.close(fd)
            os.nice(NICENESS)
            for which, soft, hard in settings:
                resource.setrlimit(which, (soft, hard))
            if uid is not None:
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)

        return apply


def _within_hard_limit(which: int, soft: int, hard: int) -> tuple[int, int, int]:
    """A process may lower its hard limits but not raise them: stay under the worker's own."""
    _, ceiling = resource.getrlimit(which)
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    return which, soft, hard


def task_limit(limits: Limits, *, dedicated_user: bool) -> int | None:
    """RLIMIT_NPROC for the child: it counts every task of the uid, so for the worker's own
    (non-root) user it is set above what that user already runs; root ignores it."""
    if not limits.processes:
        return None
    if dedicated_user:
        return 2 * limits.processes
    if os.geteuid() != 0:
        return task_count() + 2 * limits.processes
    return None


@dataclass
class _Proc:
    pid: int
    start: str  # starttime from /proc/<pid>/stat: tells a pid apart from a later reuse of it
    rss: int


def read_stat(pid: int) -> tuple[int, str, int] | None:
    """(session id, start time, rss bytes) of a process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    return int(fields[3]), fields[19].decode(), int(fields[21]) * _PAGE_SIZE


def task_count() -> int:
    """Every task (process or thread) on the machine: one small read, cheap every tick."""
    with open("/proc/loadavg", "rb") as handle:
        return int(handle.read().split()[3].split(b"/")[1])


def _pss(pid: int) -> int:
    """Proportional set size in bytes: shared pages divided among the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _high_water(pid: int) -> int:
    """Peak RSS of a process since its exec (VmHWM), in bytes."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _cgroup_members(procs_file: str) -> list[int]:
    try:
        with open(procs_file, "rb") as handle:
            return [int(pid) for pid in handle.read().split()]
    except OSError:
        return []


def session_members(sid: int) -> list[int]:
    members = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(name)) == sid:
                    members.append(int(name))
    return members


class GroupWatcher:
    """Samples the run's processes; kills them all when they exceed the memory or process limit.

    The run's processes are the members of its pids cgroup when it has one (one small read, and
    nothing escapes it), otherwise of its session (start_new_session=True: a scan of /proc) plus any
    child of a known member, so a process that calls setsid() is still found while its parent lives.
    """

    def __init__(self, sid: int, limits: Limits, procs_file: str | None = None) -> None:
        self.sid = sid
        self.limits = limits
        self.procs_file = procs_file
        self.breach: str | None = None  # "memory" | "processes"
        self.peak_rss = 0
        self._known: dict[int, _Proc] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"watch-{sid}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        """A full sample every 50 ms (20 ms at first), and one at once when the machine's task
        count jumps by half the process limit: a fork bomb is seen within a tick of 10 ms."""
        started = next_sample = time.monotonic()
        tasks = task_count()
        jump = max(1, (self.limits.processes or 1_000_000) // 2)
        while not self._stop.wait(TICK_SECONDS):
            now = time.monotonic()
            if now >= next_sample or task_count() - tasks > jump:
                self.sample()
                if self.breach:
                    return
                tasks = task_count()
                early = now - started < EARLY_SAMPLES * FIRST_SAMPLE_SECONDS
                next_sample = now + (FIRST_SAMPLE_SECONDS if early else SAMPLE_SECONDS)

    def members(self) -> list[int]:
        if self.procs_file:
            return _cgroup_members(self.procs_file)
        return session_members(self.sid)

    def sample(self) -> None:
        members = self.members()
        if self.limits.processes and len(members) > self.limits.processes:
            self._breached("processes")  # count first: a fork bomb must not outrun the scan
            return
        with self._lock:
            current = self._known = self._scan(members)
        total = sum(proc.rss for proc in current.values())
        if self.limits.memory_mb and total > self.limits.memory_mb * MB and len(current) > 1:
            total = sum(_pss(pid) for pid in current)  # forked processes share pages: count once
        if len(current) <= HWM_MAX_PROCESSES:  # a process's own peak, also between samples
            total = max([total, *(_high_water(pid) for pid in current)])
        self.peak_rss = max(self.peak_rss, total)
        if self.limits.processes and len(current) > self.limits.processes:
            self._breached("processes")
        elif self.limits.memory_mb and total > self.limits.memory_mb * MB:
            self._breached("memory")

    def _scan(self, members: list[int]) -> dict[int, _Proc]:
        """Members of the session, plus known processes and their children outside it."""
        found: dict[int, _Proc] = {}
        todo = set(members) | set(self._known)
        while todo:
            pid = todo.pop()
            stat = read_stat(pid)
            if pid in found or stat is None:
                continue
            sid, start, rss = stat
            known = self._known.get(pid)
            if sid == self.sid or (known and known.start == start) or pid not in self._known:
                found[pid] = _Proc(pid, start, rss)
                todo.update(child for child in _children(pid) if child not in found)
        return found

    def _breached(self, reason: str) -> None:
        self.breach = reason
        self.kill_all()

    def kill_all(self) -> None:
        """SIGKILL every process of the run until none is left (a fork bomb keeps forking)."""
        give_up = time.monotonic() + KILL_GIVE_UP_SECONDS
        while True:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.sid, signal.SIGKILL)  # the whole group in one call
            running = [pid for pid in self._targets() if _state(pid) not in ("Z", None)]
            if not running or time.monotonic() > give_up:
                return
            for pid in running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def left_running(self) -> int:
        """How many processes other than the (exited) leader are still running."""
        members = self.members()
        return sum(1 for pid in members if pid != self.sid and _state(pid) not in ("Z", None))

    def _targets(self) -> set[int]:
        """The session's members and the known escapees that are still the same process."""
        with self._lock:
            known = list(self._known.values())
        alive = {p.pid for p in known if (read_stat(p.pid) or (0, None, 0))[1] == p.start}
        return set(self.members()) | alive


def _state(pid: int) -> str | None:
    """The one-letter state of a process ("Z" for a zombie), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2 :].split()[0].decode()
