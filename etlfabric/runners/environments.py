"""A uv virtualenv per (organisation, script, requirements + Python), built once and reused.

Layout under DATA_DIR/envs/<org_id>/<script_id>/:
  <key>/          the environment (key = sha256 of the normalised requirements and the Python)
  <key>.lock      flock: exclusive while building or pruning, shared while a run uses <key>/
  <key>.build-*/  staging: an environment is built here and renamed into place when complete,
                  so a crash mid-build never leaves a half-made <key>/ (prune removes the staging)
<key>/.etlfabric-last-used is touched at every use; prune_environments() deletes idle ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from etlfabric.config import get_settings
from etlfabric.runners.process import Command, OnOutput, ShouldCancel, run_process
from etlfabric.runners.requirements import (
    base_python,
    environment_key,
    normalise_requirements,
    python_version,
    requirement_problem,
)

LAST_USED = ".etlfabric-last-used"
INSTALL_TIMEOUT_SECONDS = 900
STALE_STAGING_SECONDS = 2 * INSTALL_TIMEOUT_SECONDS
LOCK_POLL_SECONDS = 0.05
PASSED_TO_UV = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR"}
PROXIES = {"http_proxy", "https_proxy", "no_proxy", "all_proxy"}


class EnvironmentFailed(Exception):
    """The environment could not be made ready; `status` and `error` go on the run."""

    def __init__(self, status: str, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass(frozen=True)
class Environment:
    path: Path
    built: bool  # True when this call built it, False when an existing one was reused

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


@functools.cache
def find_uv() -> str:
    """The uv binary: the one installed with etlfabric (pinned by uv.lock), else `uv` on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise EnvironmentFailed(
                "failed", "uv is not installed on this worker (pip install uv)"
            ) from None
        return found


def uv_environment(cache_dir: Path) -> dict[str, str]:
    """What uv sees: no platform secret (a package's build code runs with this environment)."""
    env = {k: v for k, v in os.environ.items() if k in PASSED_TO_UV or k.lower() in PROXIES}
    env.update({k: v for k, v in os.environ.items() if k.startswith("UV_")})
    env.update(
        UV_CACHE_DIR=str(cache_dir),
        UV_NO_PROGRESS="1",
        UV_PYTHON_DOWNLOADS="never",
        NO_COLOR="1",
    )
    return env


@contextlib.contextmanager
def environment(
    *,
    data_dir: Path,
    org_id: int,
    script_id: int,
    requirements: str,
    python: str | None = None,
    on_output: OnOutput,
    should_cancel: ShouldCancel,
) -> Iterator[Environment]:
    """Yield a ready environment, holding a shared lock on it for the with-block (prune skips it).

    Raises EnvironmentFailed when the requirements are refused, fail to install, or the run is
    cancelled while it waits or builds.
    """
    lines = normalise_requirements(requirements)
    if problem := requirement_problem(lines):
        raise EnvironmentFailed("failed", f"The requirements were refused: {problem}.")
    python = python or base_python()
    folder = data_dir / "envs" / str(org_id) / str(script_id)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        key = environment_key(lines, python)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise EnvironmentFailed(
            "failed", f"The interpreter {python} (SCRIPT_PYTHON) cannot be run: {exc}."
        ) from None
    final = folder / key
    lock = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        built = _acquire(lock, final, on_output, should_cancel)
        if built:
            _build(final, lines, python, _Uv(data_dir / "uv-cache", on_output, should_cancel))
            fcntl.flock(lock, fcntl.LOCK_SH)  # others may now use it too
        _touch(final)
        yield Environment(final, built)
    finally:
        os.close(lock)


def _acquire(lock: int, final: Path, on_output: OnOutput, should_cancel: ShouldCancel) -> bool:
    """Take the lock: shared to use an existing environment (False), exclusive to build (True)."""
    waited = False
    next_check = time.monotonic()
    while True:
        if final.exists() and _try_lock(lock, fcntl.LOCK_SH):
            if final.exists():
                return False
            fcntl.flock(lock, fcntl.LOCK_UN)  # pruned meanwhile: build it
        if _try_lock(lock, fcntl.LOCK_EX):
            if not final.exists():
                return True
            fcntl.flock(lock, fcntl.LOCK_SH)
            return False
        if not waited:
            on_output("system", "Waiting for another run that is building this environment")
            waited = True
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + 0.25
            if should_cancel():
                raise EnvironmentFailed("cancelled", "cancelled")
        time.sleep(LOCK_POLL_SECONDS)


def _try_lock(lock: int, kind: int) -> bool:
    try:
        fcntl.flock(lock, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _touch(final: Path) -> None:
    marker = final / LAST_USED
    try:
        os.utime(marker)
    except FileNotFoundError:
        marker.touch()


def _build(final: Path, lines: list[str], python: str, uv: _Uv) -> None:
    started = time.monotonic()
    what = f"{len(lines)} requirement(s)" if lines else "no requirements"
    uv.on_output("system", f"Creating the environment: Python {python_version(python)}, {what}")
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f"{final.name}.build-"))
    try:
        env = staging / "env"
        venv = ["venv", "--quiet", "--relocatable", "--no-project", "--python", python, str(env)]
        uv.run(venv, staging, "creating the environment")
        if lines:
            (staging / "requirements.txt").write_text("\n".join(lines) + "\n")
            install = ["pip", "install", "--compile-bytecode", "--python", str(env / "bin/python")]
            uv.run(install + ["-r", "requirements.txt"], staging, "installing the requirements")
        _open_to_all(env)
        (env / LAST_USED).touch()
        _move_into_place(env, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    uv.on_output("system", f"Environment ready in {time.monotonic() - started:.1f} s")


@dataclass(frozen=True)
class _Uv:
    """Runs uv with its output in the run log; a failure becomes EnvironmentFailed."""

    cache_dir: Path
    on_output: OnOutput
    should_cancel: ShouldCancel

    def run(self, args: list[str], cwd: Path, doing: str) -> None:
        problems: list[str] = []

        def relay(stream: str, line: str) -> None:
            if line.startswith("error:") or problems:
                problems.append(line.strip().removeprefix("error:").removeprefix("cause:").strip())
            self.on_output("system", line)

        command = Command(
            [find_uv(), *args], cwd, uv_environment(self.cache_dir), INSTALL_TIMEOUT_SECONDS
        )
        outcome = run_process(command, on_output=relay, should_cancel=self.should_cancel)
        if outcome.status == "succeeded":
            return
        if outcome.status == "cancelled":
            raise EnvironmentFailed("cancelled", "cancelled")
        detail = ": ".join(p for p in problems if p)[:1000].rstrip(".") or outcome.error
        raise EnvironmentFailed(
            "failed", f"{doing.capitalize()} failed: {detail}. Fix the requirements and run again."
        )


def _open_to_all(env: Path) -> None:
    """Readable by a dedicated run user whatever the worker's umask (a venv holds no secret)."""
    os.chmod(env, 0o755)
    for root, dirs, files in os.walk(env):
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode):
                extra = 0o555 if stat.S_ISDIR(mode) or mode & stat.S_IXUSR else 0o444
                os.chmod(path, stat.S_IMODE(mode) | extra)


def _move_into_place(env: Path, final: Path) -> None:
    try:
        os.rename(env, final)
    except OSError:
        if not final.exists():  # a concurrent builder won (its lock file was pruned): use its env
            raise


def prune_environments(
    *, max_idle_days: float, data_dir: Path | None = None, now: float | None = None
) -> list[Path]:
    """Delete environments unused for max_idle_days, and staging left by crashed builds.

    Safe to repeat and to run beside builds and runs: an environment in use (shared lock) or being
    built (exclusive lock) is skipped. Returns the deleted environment folders.
    """
    data_dir = data_dir or get_settings().data_dir
    now = time.time() if now is None else now
    removed = []
    for folder in (data_dir / "envs").glob("*/*"):
        for path in folder.iterdir():
            if ".build-" in path.name and _age(path, now) > STALE_STAGING_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
            elif _idle(path, now, max_idle_days) and _remove_idle(path, now, max_idle_days):
                removed.append(path)
    return removed


def _idle(path: Path, now: float, max_idle_days: float) -> bool:
    is_environment = path.is_dir() and "." not in path.name
    return is_environment and _age(path / LAST_USED, now) > max_idle_days * 86400


def _remove_idle(final: Path, now: float, max_idle_days: float) -> bool:
    lock = os.open(final.parent / f"{final.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(lock, fcntl.LOCK_EX):
            return False
        if not _idle(final, now, max_idle_days):
            return False  # used since we looked
        trash = Path(tempfile.mkdtemp(dir=final.parent, prefix=f"{final.name}.build-prune-"))
        os.rename(final, trash / "env")
        shutil.rmtree(trash, ignore_errors=True)
        return True
    finally:
        os.close(lock)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")
