"""Who a script runs as, and with which interpreter.

A worker running as root never runs scripts as root unless told to: RUN_SCRIPTS_AS names the user
(default `etlfabric-run`, a system user without a home or a shell, created on first use; `root`
opts out, which is not recommended). Such a user cannot read the worker's files (DATA_DIR's secrets,
other runs' folders) and the kernel caps its processes (RLIMIT_NPROC). A worker that does not run as
root runs scripts as its own user.

The run user must reach the interpreter its environment is made from: SCRIPT_PYTHON when set, else
the worker's own interpreter, else (when that sits in a folder the user cannot enter, such as a
pyenv under /root) the system's python3.
"""

from __future__ import annotations

import os
from pathlib import Path

from etlfabric import system_users
from etlfabric.runners.environments import EnvironmentFailed
from etlfabric.runners.requirements import base_python
from etlfabric.system_users import RunAs

DEFAULT_RUN_USER = "etlfabric-run"
SYSTEM_PYTHONS = ("/usr/local/bin/python3", "/usr/bin/python3")


def choose_run_as(name: str | None) -> RunAs | None:
    """The user to switch to, or None to run as the worker's own user."""
    if os.geteuid() != 0:
        return None  # script.py notes in the run log when a user was asked for
    name = name or DEFAULT_RUN_USER
    user = system_users.named(name)
    if user is None and name == DEFAULT_RUN_USER:
        if problem := system_users.create_system_user(name):
            raise EnvironmentFailed(
                "failed",
                f"Scripts run as the user '{name}', who could not be created on this worker "
                f"({problem}). Create it, or set RUN_SCRIPTS_AS to an existing user.",
            )
        user = system_users.named(name)
    if user is None:
        raise EnvironmentFailed(
            "failed", f"RUN_SCRIPTS_AS names the user '{name}', who does not exist on this worker."
        )
    return None if user.uid == 0 else user


def interpreter(configured: str | None, run_as: RunAs | None) -> str:
    """SCRIPT_PYTHON, else the worker's interpreter, else a system one the run user can reach."""
    if configured or run_as is None:
        return configured or base_python()
    own = base_python()
    if reachable(own, run_as):
        return own
    for candidate in SYSTEM_PYTHONS:
        if os.path.exists(candidate) and reachable(candidate, run_as):
            return candidate
    raise EnvironmentFailed(
        "failed",
        f"The user '{run_as.name}' cannot run the worker's Python ({Path(own).resolve()}) and "
        "no system python3 was found: set SCRIPT_PYTHON to an interpreter it can run.",
    )


def reachable(path: str, user: RunAs) -> bool:
    """Whether `user` can enter every folder on the way to `path` (resolved) and execute it."""
    return system_users.blocked_by(Path(path).resolve(), user) is None
