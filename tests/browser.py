"""The web app in a real browser: `reflex run --env prod` as a child process, Debian's Chromium.

    from tests.browser import chromium_page, screenshot, web_app

    with web_app(name="sign-in") as base_url, chromium_page(base_url, name="sign-in") as page:
        page.goto("/sign-in")
        screenshot(page, "sign-in")

Never `playwright install` (no browser downloads): Chromium comes from `apt-get install chromium`.
A failure inside `chromium_page` leaves `tests/artifacts/<name>-failure.png`, and the web process
logs to `tests/artifacts/<name>.log`. Playwright's sync API is used: call it from plain tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
# Our own build folder, so a test run never rebuilds the .web a developer's server is serving.
TEST_WEB_DIR = ROOT / ".data" / "test-web"
WEB_READY_TIMEOUT = 240
WEB_STOP_TIMEOUT = 20
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 15_000


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{_safe(name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@contextlib.contextmanager
def chromium_page(
    base_url: str | None = None,
    *,
    name: str = "page",
    viewport: tuple[int, int] = (1280, 800),
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Iterator:
    """A fresh browser, context and page; relative `page.goto("/x")` resolves against base_url.
    Assertions wait as long as actions do (Playwright's own default is 5 s, too short for a
    server round trip on a loaded 2-core machine); a test may still pass its own timeout."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=timeout_ms)

    if not chromium_available():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            with _context_page(browser, base_url, name, viewport, timeout_ms) as page:
                yield page
        finally:
            browser.close()


@contextlib.contextmanager
def second_page(page, base_url: str, *, name: str = "second") -> Iterator:
    """A page in a new context (its own cookies and storage) of `page`'s browser: another person.

    (A second sync_playwright cannot start while the first one runs.)
    """
    viewport = page.viewport_size
    with _context_page(
        page.context.browser,
        base_url,
        name,
        (viewport["width"], viewport["height"]),
        DEFAULT_TIMEOUT_MS,
    ) as other:
        yield other


@contextlib.contextmanager
def _context_page(browser, base_url, name, viewport, timeout_ms) -> Iterator:
    context = browser.new_context(
        base_url=base_url, viewport={"width": viewport[0], "height": viewport[1]}
    )
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    try:
        yield page
    except BaseException:
        with contextlib.suppress(Exception):
            screenshot(page, f"{name}-failure")
        raise
    finally:
        context.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    # SIGTERM to the Reflex process alone: it stops its granian workers itself. Signalling the
    # whole group as well makes a worker deadlock in its signal handler now and then.
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=WEB_STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers, if any
    process.wait()


@contextlib.contextmanager
def build_dir() -> Iterator[Path]:
    """TEST_WEB_DIR when no other test session is building there, else a folder of our own.

    Two sessions compiling into one .web folder at once break each other's builds.
    """
    TEST_WEB_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(TEST_WEB_DIR.parent / "test-web.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            own = Path(tempfile.mkdtemp(prefix="test-web-", dir=TEST_WEB_DIR.parent))
            try:
                yield own
            finally:
                shutil.rmtree(own, ignore_errors=True)
            return
        yield TEST_WEB_DIR


def _web_env(port: int, web_dir: Path, extra: dict[str, str] | None) -> dict[str, str]:
    from etlfabric.toolchain import ensure_js_runtime

    environment = {
        **os.environ,
        **ensure_js_runtime(ROOT),
        "WEB_PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",  # links the app hands out (invitations)
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "GRANIAN_WORKERS": "2",
        **(extra or {}),
    }
    environment.pop("PYTEST_CURRENT_TEST", None)  # Reflex behaves differently under pytest
    return environment


@contextlib.contextmanager
def web_app(*, name: str = "web", env: dict[str, str] | None = None) -> Iterator[str]:
    """`reflex run --env prod` on a free port with the current environment; yields its base URL.

    DATABASE_URL / REDIS_URL etc. come from os.environ (tests/conftest.py points them at the test
    database); `env` adds or overrides variables.
    """
    with build_dir() as web_dir:
        yield from _serve(name, web_dir, env)


def _serve(name: str, web_dir: Path, env: dict[str, str] | None) -> Iterator[str]:
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"{_safe(name)}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod"],
            cwd=ROOT,
            env=_web_env(port, web_dir, env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: process.poll() is not None or _answers(f"{base_url}/ping"),
            WEB_READY_TIMEOUT,
            f"the web app on port {port} (log: {log_path})",
        )
        if process.poll() is not None:
            raise RuntimeError(f"the web app exited ({process.returncode}):\n{_log_tail(log_path)}")
        yield base_url
    finally:
        _stop(process)
