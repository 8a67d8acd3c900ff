"""`etlfabric up` as a newcomer runs it: no DATABASE_URL/REDIS_URL, a fresh DATA_DIR, Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import socket
import tempfile
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

from tests.browser import ARTIFACTS, ROOT, chromium_available, chromium_page, screenshot
from tests.processes import free_port, start, stop, wait_for

pytestmark = pytest.mark.slow

ADMIN = "admin@example.com"
PASSWORD_LINE = re.compile(r"created administrator (\S+) with password: (\S+)")
# Its own frontend build folder: the browser tests' app may be serving .data/test-web right now.
WEB_WORKDIR = ROOT / ".data" / "test-up-web"
UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FERNET_KEYS", "PYTEST_CURRENT_TEST")


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="etf-up-"))
    path.chmod(0o755)  # PostgreSQL runs as an unprivileged user when the tests run as root
    yield path
    from etlfabric import devstack

    devstack.down(path)  # in case a failed test left it up
    shutil.rmtree(path, ignore_errors=True)


def up(data_dir: Path, port: int, *args: str, log_name: str):
    log = ARTIFACTS / f"{log_name}.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {
        "ENV": "development",
        "DATA_DIR": str(data_dir),
        "WEB_PORT": str(port),
        "REFLEX_WEB_WORKDIR": str(WEB_WORKDIR),
        "PYTHONUNBUFFERED": "1",
    }
    process = start("up", "--admin-email", ADMIN, *args, env=env, unset=UNSET, log=log)
    return process, log


def health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=3) as answer:
            return answer.status, json.loads(answer.read())
    except OSError:
        return 0, {}


def processes_of(data_dir: Path) -> list[psutil.Process]:
    """Every live process started for this DATA_DIR: by environment or by a path in its command."""
    marker = str(data_dir)
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get("DATA_DIR") == marker or any(
                marker in part for part in process.cmdline()
            ):
                found.append(process)
    return found


def interrupt(process, data_dir: Path) -> int:
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    try:
        code = process.wait(timeout=90)
    finally:
        stop(process, signal.SIGKILL)
    wait_for(lambda: not processes_of(data_dir), 15, "every process of `up` to be gone")
    return code


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs Chromium: apt-get install chromium")
def test_up_on_an_empty_data_dir_then_ctrl_c_then_again(data_dir):
    port = free_port()
    process, log = up(data_dir, port, log_name="up-first")
    try:
        wait_for(
            lambda: process.poll() is not None or "ready: http://" in log.read_text(),
            300,
            f"`etlfabric up` to say ready (log: {log})",
        )
        assert process.poll() is None, log.read_text()[-3000:]
        assert health(port) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
        email, password = PASSWORD_LINE.search(log.read_text()).groups()
        assert email == ADMIN and len(password) >= 16

        with chromium_page(f"http://127.0.0.1:{port}", name="up-sign-in") as page:
            page.goto("/")
            expect(page).to_have_url(re.compile(r"/sign-in/?$"))
            page.get_by_label("E-mail").fill(ADMIN)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            expect(page).not_to_have_url(re.compile(r"/sign-in/?$"))
            screenshot(page, "up-signed-in")
    finally:
        code = interrupt(process, data_dir)
    assert code == 0, log.read_text()[-3000:]
    assert password not in (data_dir / "devstack" / "postgres.log").read_text()

    # A second `up` reuses the data: the administrator exists, no new password is made up.
    process, log = up(data_dir, port, "--no-web", log_name="up-second")
    try:
        wait_for(
            lambda: process.poll() is not None or "already exists" in log.read_text(),
            120,
            f"the second `up` to find the administrator (log: {log})",
        )
        assert f"administrator {ADMIN} already exists" in log.read_text()
        assert "with password" not in log.read_text()
    finally:
        assert interrupt(process, data_dir) == 0


def test_a_busy_web_port_is_reported_by_name(data_dir):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process, log = up(data_dir, port, log_name="up-busy-port")
        code = process.wait(timeout=60)
    assert code == 2
    assert f"WEB_PORT {port} is already in use" in log.read_text()
    assert not processes_of(data_dir)
