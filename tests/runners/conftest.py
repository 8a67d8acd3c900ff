"""Fixtures for the runner tests: real processes, a data dir of their own, a guard for bombs."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from etlfabric.config import reset_settings
from etlfabric.runners import Limits, ScriptSpec

_ids = itertools.count(1)
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


class Recorder:
    """An OnOutput that keeps (seconds since start, stream, line) of every call."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.calls: list[tuple[float, str, str]] = []

    def __call__(self, stream: str, line: str) -> None:
        self.calls.append((time.monotonic() - self.started, stream, line))

    def lines(self, stream: str | None = None) -> list[str]:
        return [line for _, s, line in self.calls if stream in (None, s)]

    def text(self) -> str:
        return "\n".join(self.lines())


def never() -> bool:
    return False


def spec(**fields) -> ScriptSpec:
    """A ScriptSpec with a script id and run id of its own (so environments do not collide)."""
    number = next(_ids)
    values = {
        "org_id": 1,
        "script_id": number,
        "run_id": number,
        "type": "python",
        "content": "print('hello')",
        "requirements": "",
        "env_vars": {},
        "timeout_seconds": 30,
        "limits": Limits(),
    }
    return ScriptSpec(**{**values, **fields})


@pytest.fixture(scope="session")
def shared_data_dir() -> Iterator[Path]:
    """One data dir for the runner tests: the uv cache stays warm from test to test. Not under
    pytest's tmp (a 0700 folder): scripts run as an unprivileged user must reach it."""
    folder = Path(tempfile.mkdtemp(prefix="etlfabric-runner-data-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def data_dir(shared_data_dir: Path) -> Path:
    os.environ["DATA_DIR"] = str(shared_data_dir)
    reset_settings()
    return shared_data_dir


@pytest.fixture
def pid_guard():
    """While a bomb test runs, a pids cgroup caps this process tree at 4000 tasks, so the machine
    survives even if the runner's own limits failed (needs root and a writable pids cgroup)."""
    group = PIDS_CGROUP / f"etlfabric-test-{os.getpid()}"
    try:
        group.mkdir()
        (group / "pids.max").write_text("4000")
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        yield None
        return
    try:
        yield group
    finally:
        (PIDS_CGROUP / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(100):  # the runner's own cgroups nest inside: remove from the bottom
            with contextlib.suppress(OSError):
                for folder, _, _ in sorted(os.walk(group), key=lambda entry: -len(entry[0])):
                    os.rmdir(folder)
                break
            time.sleep(0.05)
