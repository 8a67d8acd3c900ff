"""The JavaScript runtime Reflex needs, installed from the npm registry into `<root>/.tools/`.

Reflex 0.10 builds its frontend with bun, or with npm on Node >= 22.22. Both ship as npm packages
whose binaries come from the registry itself (bun: `@oven/bun-<platform>` copied by its postinstall;
Node: `node-<os>-<arch>`), so nothing is fetched from anywhere else. bun is the default, as it is
Reflex's; `ETLFABRIC_JS_RUNTIME=node` picks Node + npm instead.

    uv run python -m etlfabric.toolchain      # install if needed, print the environment to use
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reflex_base.constants.installer import Bun, Node

TOOLS_DIR = ".tools"
DEFAULT_REGISTRY = "https://registry.npmjs.org"
INSTALL_TIMEOUT_SECONDS = 600

# DESIGN §9: nothing phones home. NPM_CONFIG_REGISTRY also spares Reflex its registry latency probe.
OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "REFLEX_TELEMETRY_ENABLED": "false",
    "REFLEX_CHECK_LATEST_VERSION": "false",
    "SE_OFFLINE": "true",
}


class ToolchainError(RuntimeError):
    """The JavaScript runtime could not be made available; the message says what to do."""


@dataclass(frozen=True)
class Runtime:
    name: str
    package: str  # what `npm install` is given
    binary: str  # the executable, relative to the install prefix
    reflex_env: tuple[tuple[str, str], ...]


def _node_package() -> str:
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    os_name = {"linux": "linux", "darwin": "darwin"}.get(sys.platform, sys.platform)
    return f"node-{os_name}-{arch}@^{Node.MIN_VERSION}"


RUNTIMES = {
    "bun": Runtime(
        name="bun",
        package=f"bun@{Bun.VERSION}",  # the version this Reflex release pins
        binary="node_modules/.bin/bun",
        # Without REFLEX_USE_SYSTEM_BUN Reflex downloads bun from GitHub into ~/.local/share/reflex.
        reflex_env=(("REFLEX_USE_SYSTEM_BUN", "1"), ("REFLEX_USE_NPM", "0")),
    ),
    "node": Runtime(
        name="node",
        package=_node_package(),
        binary="node_modules/.bin/node",
        # npm itself comes from the system; first on PATH, this node is the one it runs on.
        reflex_env=(("REFLEX_USE_NPM", "1"),),
    ),
}


def ensure_js_runtime(root: Path, runtime: str | None = None) -> dict[str, str]:
    """Install the runtime under `<root>/.tools/<name>` unless present; the env vars Reflex needs.

    Fast when already installed (no subprocess). Raises ToolchainError when npm is missing or
    the install fails.
    """
    chosen = _choose(runtime)
    prefix = Path(root).resolve() / TOOLS_DIR / chosen.name
    if not _installed(prefix, chosen):
        with _install_lock(prefix):
            if not _installed(prefix, chosen):  # another process may have finished meanwhile
                _install(prefix, chosen)
    return runtime_env(prefix / chosen.binary, chosen)


def installed_bun(root: Path) -> Path | None:
    """The project-local bun, when `ensure_js_runtime` has installed it (read by rxconfig.py)."""
    runtime = RUNTIMES["bun"]
    prefix = Path(root).resolve() / TOOLS_DIR / runtime.name
    return (prefix / runtime.binary) if _installed(prefix, runtime) else None


def runtime_env(binary: Path, runtime: Runtime) -> dict[str, str]:
    """PATH with the runtime's bin folder first, the Reflex switches, and telemetry off."""
    bin_dir = str(binary.parent)
    path = [bin_dir, *(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != bin_dir)]
    env = dict(OFFLINE_ENV)
    env["NPM_CONFIG_REGISTRY"] = npm_registry()
    env.update(runtime.reflex_env)
    env["PATH"] = os.pathsep.join(path)
    return env


def npm_registry() -> str:
    """NPM_CONFIG_REGISTRY, else the `registry=` of ~/.npmrc (a company mirror), else npmjs."""
    if os.environ.get("NPM_CONFIG_REGISTRY"):
        return os.environ["NPM_CONFIG_REGISTRY"]
    npmrc = Path.home() / ".npmrc"
    with contextlib.suppress(OSError):
        for line in npmrc.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "registry" and value.strip():
                return value.strip()
    return DEFAULT_REGISTRY


def _choose(runtime: str | None) -> Runtime:
    name = (runtime or os.environ.get("ETLFABRIC_JS_RUNTIME") or "bun").strip().lower()
    if name not in RUNTIMES:
        raise ToolchainError(
            f"ETLFABRIC_JS_RUNTIME={name!r} is not supported; use one of: {', '.join(RUNTIMES)}."
        )
    return RUNTIMES[name]


def _marker(prefix: Path) -> Path:
    return prefix / ".installed"


def _installed(prefix: Path, runtime: Runtime) -> bool:
    binary = prefix / runtime.binary
    marker = _marker(prefix)
    return (
        binary.is_file()
        and os.access(binary, os.X_OK)
        and marker.is_file()
        and marker.read_text().strip() == runtime.package
    )


@contextlib.contextmanager
def _install_lock(prefix: Path) -> Iterator[None]:
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix.parent / f".{prefix.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(prefix: Path, runtime: Runtime) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ToolchainError(
            "npm was not found on PATH. Reflex needs bun or Node >= "
            f"{Node.MIN_VERSION}, which ETL Fabric installs from the npm registry with npm. "
            "Install npm (Debian/Ubuntu: `apt-get install -y npm`) and run this again."
        )
    _marker(prefix).unlink(missing_ok=True)
    # A package.json of our own: with none, npm names the project after the folder, and a folder
    # called "bun" would then treat `npm install bun` as a dependency on itself and install nothing.
    (prefix / "package.json").write_text(
        json.dumps({"name": "etlfabric-js-tools", "private": True}, indent=2) + "\n"
    )
    _npm_install(npm, prefix, runtime.package)
    if not (prefix / runtime.binary).is_file():
        raise ToolchainError(f"npm installed {runtime.package} but {runtime.binary} is missing.")
    _marker(prefix).write_text(runtime.package + "\n")


def _npm_install(npm: str, prefix: Path, package: str) -> None:
    registry = npm_registry()
    env = {**os.environ, "NPM_CONFIG_REGISTRY": registry, "NPM_CONFIG_UPDATE_NOTIFIER": "false"}
    command = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", package]
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(
            f"`npm install {package}` did not finish in {INSTALL_TIMEOUT_SECONDS}s "
            f"(registry {registry}); check the network and retry."
        ) from exc
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise ToolchainError(
            f"`npm install {package}` into {prefix} failed (exit {result.returncode}; "
            f"registry {registry}):\n{tail}"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    started = time.monotonic()
    try:
        env = ensure_js_runtime(root)
    except ToolchainError as exc:
        print(f"etlfabric toolchain: {exc}", file=sys.stderr)
        return 1
    runtime = _choose(None)
    print(
        f"etlfabric toolchain: {runtime.package} ready under {root / TOOLS_DIR / runtime.name} "
        f"({time.monotonic() - started:.1f}s)"
    )
    for key in sorted(env):
        if key != "PATH":
            print(f"  {key}={env[key]}")
    print(f"  PATH={env['PATH'].split(os.pathsep)[0]}:...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
