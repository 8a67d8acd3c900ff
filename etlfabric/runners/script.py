"""Run one script: its environment, a fresh working directory, an allowlisted environment, limits.

The Celery task calls `run_script` with a ScriptSpec it loaded from the database; nothing here knows
about the database or Celery.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import pwd
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from etlfabric.config import get_settings
from etlfabric.runners import orphans, warm
from etlfabric.runners.environments import Environment, EnvironmentFailed, environment
from etlfabric.runners.limits import Limits
from etlfabric.runners.process import Command, OnOutput, Outcome, ShouldCancel, run_process
from etlfabric.runners.run_user import RunAs, choose_run_as, gate, interpreter, let_through

SCRIPT_FILES = {"python": "script.py", "shell": "script.sh"}
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
RESERVED_VARIABLES = {"ETLFABRIC_RUN_ID", "ETLFABRIC_PAYLOAD"}
PR_SET_DUMPABLE = 4


@dataclass(frozen=True)
class ScriptSpec:
    org_id: int
    script_id: int
    run_id: int
    type: str  # "python" | "shell" | "batch"
    content: str
    requirements: str
    env_vars: dict[str, str]  # the script's own variables, already decrypted
    timeout_seconds: int
    limits: Limits = field(default_factory=Limits)
    payload: str | None = None  # JSON text, handed to the script as ETLFABRIC_PAYLOAD


def run_script(spec: ScriptSpec, *, on_output: OnOutput, should_cancel: ShouldCancel) -> Outcome:
    """Build or reuse the script's environment, run it in a fresh directory, clean up, report."""
    started = time.monotonic()
    if spec.type not in SCRIPT_FILES:
        error = (
            "batch scripts run only on Windows workers"
            if spec.type == "batch"
            else f"unknown script type '{spec.type}'"
        )
        on_output("system", error)
        return _failed(started, error)
    protect_worker_process()
    settings = get_settings()
    try:
        _announce_run_as(settings.run_scripts_as, on_output)
        run_as = choose_run_as(settings.run_scripts_as, spec.org_id, settings.data_dir)
        with (
            environment(
                data_dir=settings.data_dir,
                org_id=spec.org_id,
                script_id=spec.script_id,
                requirements=spec.requirements,
                python=interpreter(settings.script_python, run_as),
                on_output=on_output,
                should_cancel=should_cancel,
            ) as env,
            working_directory(settings.data_dir, spec, run_as) as workdir,
        ):
            outcome = _run(spec, env, workdir, run_as, on_output, should_cancel)
    except EnvironmentFailed as exc:
        on_output("system", exc.error)
        return _failed(started, exc.error, status=exc.status)
    return replace(outcome, duration_ms=int((time.monotonic() - started) * 1000))


def _run(spec, env: Environment, workdir: Path, run_as, on_output, should_cancel) -> Outcome:
    uid, gid = (run_as.uid, run_as.gid) if run_as else (None, None)
    warm_key = None
    if spec.type == "python":
        argv = [str(env.python), "-u", SCRIPT_FILES["python"]]
        if get_settings().prestart_interpreters and not warm.acts_at_startup(spec.env_vars):
            warm_key = warm.key_for(env.python, base_environment(env), uid, gid)
    else:
        argv = ["/bin/bash", SCRIPT_FILES["shell"]]
    command = Command(
        argv=argv,
        cwd=workdir,
        env=child_environment(spec, env, workdir),
        timeout_seconds=spec.timeout_seconds,
        limits=spec.limits,
        user=uid,
        group=gid,
        dedicated_user=bool(run_as and run_as.uid != 0),
        prestarted=warm.pool.take(warm_key) if warm_key else None,
    )
    notes: list[Path] = []
    data_dir = get_settings().data_dir

    def started(sid: int) -> None:
        # a dead worker's successor kills what this run left running
        notes.append(
            orphans.register(data_dir, f"{spec.org_id}-{spec.run_id}", sid=sid, workdir=workdir)
        )
        if warm_key:  # the next run of this script skips Python's start-up
            warm.pool.start_soon(warm_key)

    try:
        outcome = run_process(
            command, on_output=on_output, should_cancel=should_cancel, on_start=started
        )
    finally:
        if command.prestarted:
            command.prestarted.discard()
        for path in notes:
            orphans.forget(path)
    if run_as and outcome.exit_code is None and outcome.status == "failed":
        hint = (
            f"{outcome.error} (the user '{run_as.name}' must be able to reach {argv[0]} "
            f"(real path {Path(argv[0]).resolve()}): every folder above DATA_DIR needs o+x, and "
            "SCRIPT_PYTHON can name an interpreter it may run)"
        )
        outcome = replace(outcome, error=hint)
    return outcome


def child_environment(spec: ScriptSpec, env: Environment, workdir: Path) -> dict[str, str]:
    """Built from an allowlist: nothing of the worker's own environment reaches a script."""
    variables = base_environment(env) | {"HOME": str(workdir), "TMPDIR": str(workdir / "tmp")}
    variables.update({k: v for k, v in spec.env_vars.items() if k not in RESERVED_VARIABLES})
    variables["ETLFABRIC_RUN_ID"] = str(spec.run_id)
    if spec.payload is not None:
        variables["ETLFABRIC_PAYLOAD"] = spec.payload
    return variables


def base_environment(env: Environment) -> dict[str, str]:
    """What every script of `env` starts with, before its run's own folder and variables."""
    return {
        "PATH": f"{env.bin_dir}:{SYSTEM_PATH}",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": os.environ.get("TZ", "UTC"),
        "PYTHONUNBUFFERED": "1",
        "VIRTUAL_ENV": str(env.path),
    }


def _announce_run_as(name: str | None, on_output: OnOutput) -> None:
    if name and os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != name:
        on_output(
            "system",
            f"RUN_SCRIPTS_AS={name} is ignored: the worker does not run as root, so the script "
            "runs as the worker's own user",
        )


@contextlib.contextmanager
def working_directory(data_dir: Path, spec: ScriptSpec, run_as: RunAs | None) -> Iterator[Path]:
    """A fresh DATA_DIR/runs/<org>/<run>/ holding the script and tmp/, removed afterwards."""
    workdir = data_dir / "runs" / str(spec.org_id) / str(spec.run_id)
    if workdir.exists():  # left by an attempt of this run on a worker that died
        remove_tree(workdir)
    workdir.mkdir(parents=True, mode=0o700)
    try:
        (workdir / "tmp").mkdir(mode=0o700)
        script = workdir / SCRIPT_FILES[spec.type]
        content = spec.content if spec.type == "python" else spec.content.replace("\r\n", "\n")
        script.write_text(content, encoding="utf-8")
        if run_as:
            for path in (workdir, workdir / "tmp", script):
                os.chown(path, run_as.uid, run_as.gid)
            _let_through(data_dir, spec, run_as)
        yield workdir
    finally:
        remove_tree(workdir)


def _let_through(data_dir: Path, spec: ScriptSpec, run_as: RunAs) -> None:
    """Let the run user traverse (not list) the folders above its workdir and environment; the
    organisation's own folders admit only its run user (run_user.gate)."""
    envs, runs = data_dir / "envs", data_dir / "runs"
    let_through([data_dir, envs, runs, envs / str(spec.org_id) / str(spec.script_id)])
    gate([envs / str(spec.org_id), runs / str(spec.org_id)], run_as)


def remove_tree(path: Path) -> None:
    """rmtree that also removes what a script made unwritable (chmod 0500 or 000 on its folders)."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except OSError:
        pass
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    for root, folders, _ in os.walk(path):  # top-down: opened up before it is entered
        for folder in folders:
            inside = os.path.join(root, folder)
            if not os.path.islink(inside):  # never follow a script's link out of its folder
                with contextlib.suppress(OSError):
                    os.chmod(inside, 0o700)
    shutil.rmtree(path, ignore_errors=True)


@functools.cache
def protect_worker_process() -> None:
    """Make this process non-dumpable: a script running as the same user then cannot read its
    /proc/<pid>/environ or memory (where SECRET_KEY and FERNET_KEYS live). Idempotent."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _failed(started: float, error: str, *, status: str = "failed") -> Outcome:
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(None, status, error, duration_ms, None, None)
