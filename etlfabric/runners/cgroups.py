"""A pids cgroup per run, where the worker may make one: the kernel then caps the run's tasks.

Used when the worker runs as root and the pids controller is writable (cgroup v1, or v2 where our
own cgroup delegates `pids`); elsewhere `create` returns None and the watcher alone stops fork
bombs. The child joins its cgroup between fork and exec (limits.ChildSetup), so not one of its
processes starts outside it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_serial = itertools.count(1)


@dataclass(frozen=True)
class PidsCgroup:
    path: Path

    @property
    def procs_file(self) -> str:
        return str(self.path / "cgroup.procs")

    @classmethod
    def create(cls, max_tasks: int) -> PidsCgroup | None:
        """A new cgroup allowing max_tasks tasks (processes and threads), or None if we cannot."""
        if os.geteuid() != 0:
            return None
        for parent in _parents():
            _sweep_once(parent / "etlfabric")
            path = parent / "etlfabric" / f"run-{os.getpid()}-{next(_serial)}"
            try:
                path.mkdir(parents=True)
                _enable_pids(path.parent)
                (path / "pids.max").write_text(str(max_tasks))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return cls(path)
        return None

    def refused_forks(self) -> int:
        """How many forks the kernel refused at pids.max (its "max" event count)."""
        try:
            lines = (self.path / "pids.events").read_text().splitlines()
            events = dict(line.split() for line in lines)
            return int(events.get("max", 0))
        except (OSError, ValueError):
            return 0

    def remove(self) -> None:
        """Remove the cgroup once its killed tasks have left it (a moment after SIGKILL)."""
        for _ in range(40):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.025)


@functools.cache
def _sweep_once(folder: Path) -> None:
    """Remove cgroups left by workers that died mid-run (named run-<their pid>-<n>)."""
    with contextlib.suppress(OSError):
        for path in folder.glob("run-*-*"):
            pid = int(path.name.split("-")[1])
            if pid != os.getpid() and not _alive(pid):
                with contextlib.suppress(OSError):
                    path.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parents() -> list[Path]:
    """Where this process may create a pids cgroup: its own v1 pids cgroup, or its v2 cgroup."""
    found = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, own = line.split(":", 2)
        relative = own.lstrip("/")
        if "pids" in controllers.split(","):
            found.append(CGROUP_ROOT / "pids" / relative)
        elif controllers == "" and _delegates_pids(CGROUP_ROOT / relative):
            found.append(CGROUP_ROOT / relative)
    return found


def _delegates_pids(path: Path) -> bool:
    try:
        return "pids" in (path / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


def _enable_pids(folder: Path) -> None:
    """cgroup v2: let the children of our own `etlfabric` cgroup use the pids controller."""
    control = folder / "cgroup.subtree_control"
    if control.exists() and "pids" not in control.read_text().split():
        control.write_text("+pids")
