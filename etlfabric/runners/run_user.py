"""Who a script runs as, and with which interpreter.

A worker running as root never runs scripts as root unless told to. By default each
organisation's scripts run as a user of its own, `etlfabric-o<org id>` (a system user without a
home or a shell, created on first use with a uid from ORG_UIDS), so one tenant's script can
neither read another's files nor look into its running processes (/proc/<pid>/environ holds a
script's decrypted variables), and the kernel caps each organisation's processes on its own
(RLIMIT_NPROC counts per uid). Such a user cannot read the worker's files (DATA_DIR's secrets);
the folders of its organisation's environments and runs admit its group only (`gate`).

RUN_SCRIPTS_AS names one user for every organisation instead (then tenants' scripts share what
that user may see), or `root` (not recommended). A worker that does not run as root runs scripts
as its own user.

The run user must reach the interpreter its environment is made from: SCRIPT_PYTHON when set, else
the worker's own interpreter, else (when that sits in a folder the user cannot enter, such as a
pyenv under /root) the system's python3.
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

from etlfabric import system_users
from etlfabric.runners.environments import EnvironmentFailed
from etlfabric.runners.requirements import base_python
from etlfabric.system_users import RunAs

ORG_USER_PREFIX = "etlfabric-o"
ORG_UIDS = (20000, 59999)  # below 65536, so a container with a user namespace can map them
SYSTEM_PYTHONS = ("/usr/local/bin/python3", "/usr/bin/python3")


def choose_run_as(name: str | None, org_id: int, data_dir: Path) -> RunAs | None:
    """The user to switch to, or None to run as the worker's own user."""
    if os.geteuid() != 0:
        return None  # script.py notes in the run log when a user was asked for
    user = organisation_user(org_id, data_dir) if not name else system_users.named(name)
    if user is None:
        raise EnvironmentFailed(
            "failed", f"RUN_SCRIPTS_AS names the user '{name}', who does not exist on this worker."
        )
    return None if user.uid == 0 else user


def organisation_user(org_id: int, data_dir: Path) -> RunAs:
    """The organisation's own run user, created the first time one of its scripts runs here."""
    name = f"{ORG_USER_PREFIX}{int(org_id)}"
    if user := system_users.named(name):
        return user
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = os.open(data_dir / "run-users.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one useradd at a time from this worker's processes
        problem = None
        if system_users.named(name) is None:
            problem = system_users.create_system_user(name, uid_range=ORG_UIDS)
    finally:
        os.close(lock)
    if problem or (user := system_users.named(name)) is None:
        raise EnvironmentFailed(
            "failed",
            f"Scripts of this organisation run as the user '{name}', who could not be created on "
            f"this worker ({problem or 'not found after useradd'}). Create it, or set "
            "RUN_SCRIPTS_AS to an existing user.",
        )
    return user


def gate(folders: list[Path], user: RunAs) -> None:
    """Let `user` traverse (not list) each folder and nobody else but its owner: group
    `user`'s, mode 0710. Idempotent; an organisation's own folders get this."""
    for path in folders:
        info = path.stat()
        if info.st_gid != user.gid:
            os.chown(path, -1, user.gid)
        if stat.S_IMODE(info.st_mode) != 0o710:
            os.chmod(path, 0o710)


def let_through(folders: list[Path]) -> None:
    """Let every user traverse (not list) each folder: the ones above the organisations'."""
    for path in folders:
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(path, stat.S_IMODE(mode) | stat.S_IXOTH)


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
