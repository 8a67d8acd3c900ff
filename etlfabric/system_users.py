"""Unprivileged system users the platform runs things as (PostgreSQL in the devstack, scripts),
and whether such a user can reach a path."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

USERADD_EXISTS = 9
USERADD_BUSY = (1, 10)  # could not lock (update) the password or group file: try again
USERADD_ATTEMPTS = 5


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int
    name: str
    groups: tuple[int, ...]

    def popen_kwargs(self) -> dict:
        if self.uid == os.geteuid():
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": list(self.groups)}


def run_as(entry: pwd.struct_passwd) -> RunAs:
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name, groups)


def named(name: str) -> RunAs | None:
    try:
        return run_as(pwd.getpwnam(name))
    except KeyError:
        return None


def create_system_user(name: str, *, uid_range: tuple[int, int] | None = None) -> str | None:
    """Create a system user with no home and no login shell: None when done (or it exists
    already, say made by another process at the same moment), else why it failed. `uid_range`
    picks its uid and gid from that range instead of the system accounts' (100-999)."""
    useradd = shutil.which("useradd") or shutil.which("/usr/sbin/useradd")
    if not useradd:
        return "useradd is not installed"
    command = [useradd, "--system", "--no-log-init", "--no-create-home"]
    command += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"]
    if uid_range:
        low, high = uid_range
        for key in ("SYS_UID_MIN", "SYS_GID_MIN"):
            command += ["-K", f"{key}={low}"]
        for key in ("SYS_UID_MAX", "SYS_GID_MAX"):
            command += ["-K", f"{key}={high}"]
    for attempt in range(USERADD_ATTEMPTS):
        result = subprocess.run([*command, name], capture_output=True, text=True, check=False)
        if result.returncode in (0, USERADD_EXISTS):
            return None
        if result.returncode not in USERADD_BUSY:
            break
        time.sleep(0.05 * (attempt + 1))  # another useradd holds /etc/passwd's lock
    return result.stderr.strip() or f"useradd exited with {result.returncode}"


def _allowed(path: Path, user: RunAs, bits: int) -> bool:
    info = path.stat()
    if info.st_uid == user.uid:
        mode = (info.st_mode & stat.S_IRWXU) >> 6
    elif info.st_gid in user.groups:
        mode = (info.st_mode & stat.S_IRWXG) >> 3
    else:
        mode = info.st_mode & stat.S_IRWXO
    return mode & bits == bits


def blocked_by(path: Path, user: RunAs, bits: int = 1) -> Path | None:
    """The first directory on the way to `path` (or `path` itself) that `user` cannot use
    (bits: 1 execute/enter, 4 read)."""
    if user.uid == 0:
        return None
    path = path.absolute()
    for ancestor in reversed(path.parents):
        if not _allowed(ancestor, user, 1):
            return ancestor
    return None if _allowed(path, user, bits) else path
