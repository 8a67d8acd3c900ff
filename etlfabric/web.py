"""`etlfabric web`: the Reflex app in prod mode, REST API included, on WEB_PORT.

The process becomes `reflex run --env prod` (exec), so whoever started it signals Reflex itself:
SIGTERM stops it and its granian workers cleanly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from etlfabric.config import get_settings
from etlfabric.toolchain import ensure_js_runtime

ROOT = Path(__file__).resolve().parent.parent  # rxconfig.py lives here


def command() -> list[str]:
    return [sys.executable, "-m", "reflex", "run", "--env", "prod", "--loglevel", "warning"]


def environment() -> dict[str, str]:
    settings = get_settings()  # refuses to start on bad settings before the long build
    env = {**os.environ, **ensure_js_runtime(ROOT), "WEB_PORT": str(settings.web_port)}
    # Reflex builds the frontend into .web beside rxconfig.py unless told otherwise; keep it
    # with the rest of the data so a read-only checkout works too.
    env.setdefault("REFLEX_WEB_WORKDIR", str(settings.data_dir / "web"))
    return env


def serve() -> int:
    os.chdir(ROOT)
    argv = command()
    os.execve(argv[0], argv, environment())
