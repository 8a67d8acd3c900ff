"""`etlfabric up`: embedded services when none are configured, migrations, the first admin, then
web + worker + scheduler as child processes. Ctrl-C stops everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from etlfabric.config import get_settings, reset_settings

READY_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 20


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    pump: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.pump = threading.Thread(target=self._copy_output, daemon=True)
        self.pump.start()

    def _copy_output(self) -> None:
        for line in self.process.stdout:
            sys.stdout.write(f"[{self.name}] {line}")
            sys.stdout.flush()


def say(message: str) -> None:
    print(f"etlfabric up: {message}", flush=True)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def ensure_services() -> tuple[str, ...]:
    """Start embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set; say what started."""
    settings = get_settings()
    if settings.database_url and settings.redis_url:
        return ()
    from etlfabric import devstack

    say(f"no DATABASE_URL/REDIS_URL: starting embedded services under {settings.data_dir}")
    info = devstack.up(settings.data_dir)
    os.environ.setdefault("DATABASE_URL", info.database_url)
    os.environ.setdefault("REDIS_URL", info.redis_url)
    reset_settings()
    return info.started


def prepare(admin_email: str) -> None:
    import asyncio

    from etlfabric.db import dispose_engines, platform_session
    from etlfabric.migrations import migrate_all
    from etlfabric.services.users import ensure_admin

    report = migrate_all()
    for schema, error in report.failed.items():
        say(f"WARNING: migration of {schema} failed: {error}")

    async def admin() -> tuple[str, str | None]:
        async with platform_session() as session:
            user, password = await ensure_admin(session=session, email=admin_email)
        await dispose_engines()
        return user.email, password

    email, password = asyncio.run(admin())
    if password:
        say(f"created administrator {email} with password: {password}")
        say("this password is shown once; keep it somewhere safe")
    else:
        say(f"administrator {email} already exists (password unchanged)")


def spawn(name: str, *args: str) -> Child:
    process = subprocess.Popen(
        [sys.executable, "-m", "etlfabric", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,  # its own process group, so stopping it reaches its children
    )
    return Child(name, process)


def stop_all(children: list[Child]) -> None:
    # SIGTERM to each child alone: Reflex stops its granian workers and Celery its pool by
    # themselves (signalling the whole group as well can deadlock a granian worker). Whatever is
    # left in a child's process group afterwards is killed.
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop in {STOP_TIMEOUT_SECONDS}s; killing it")
        _signal_group(child.process, signal.SIGKILL)  # stragglers in the group, if any
        child.process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def supervise(children: list[Child], stop: threading.Event, web_port: int | None) -> int:
    """Wait for Ctrl-C or for a child to die; announce readiness once the web answers."""
    started, announced = time.monotonic(), web_port is None
    while not stop.wait(0.5):
        for child in children:
            if child.process.poll() is not None:
                say(f"{child.name} exited with code {child.process.returncode}; stopping")
                return 1
        if not announced and healthy(web_port):
            announced = True
            say(f"ready: http://localhost:{web_port} (API docs: /api/docs). Ctrl-C stops.")
        elif not announced and time.monotonic() - started > READY_TIMEOUT_SECONDS:
            say(f"the web app did not answer /api/health in {READY_TIMEOUT_SECONDS}s; stopping")
            return 1
    return 0


def _check_port(port: int) -> None:
    """Prod mode serves pages, event socket and REST API all on WEB_PORT."""
    from etlfabric.errors import ConfigError

    if port_in_use(port):
        raise ConfigError(
            f"WEB_PORT {port} is already in use; stop what uses it, or set WEB_PORT to a free port."
        )


def up(*, admin_email: str, with_web: bool = True) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    settings = get_settings()
    if with_web:
        _check_port(settings.web_port)
    started_services = ensure_services()
    children: list[Child] = []
    try:
        prepare(admin_email)
        children.append(spawn("worker", "worker"))
        children.append(spawn("scheduler", "scheduler"))
        if with_web:
            children.append(spawn("web", "web"))
        return supervise(children, stop, settings.web_port if with_web else None)
    finally:
        say("stopping")
        stop_all(children)
        if started_services:
            from etlfabric import devstack

            devstack.down(get_settings().data_dir)
        say("stopped")
