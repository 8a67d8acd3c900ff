"""How a warm dbt child (server.py) is started: under a dbt run's rlimits (executor.LIMITS),
through prlimit when it is there, as the worker's own user like a dbt run child.

Not as the organisation's run user (runners/run_user.py): that user would need the worker's
interpreter and code, and the organisation's project folder opened to it, and its scripts run
as it too. dbt renders the organisation's Jinja in its sandboxed environment (no file or shell
access from a template), and Python models are not accepted, so the worker's user plus rlimits
is what dbt runs as for now; the child is not dumpable (no script may read its memory or
environment) and the credentials reach it on stdin, not in its environment
(server.take_secrets).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from etlfabric.runners.limits import ChildSetup, task_limit
from etlfabric.transformations.executor import LIMITS

CODE_ROOT = Path(__file__).resolve().parents[2]  # where `etlfabric` is importable from


@dataclass(frozen=True)
class Launch:
    argv: list[str]  # the interpreter's command, after prlimit when it is used
    python_path: str
    preexec: Callable[[], None] | None  # the same set-up in the child without prlimit


def prepare(home: Path, module_argv: list[str]) -> Launch:
    """The command that starts `python -m <module_argv>` in `home` under dbt's rlimits."""
    home.mkdir(parents=True, exist_ok=True)
    setup = ChildSetup(limits=LIMITS, max_tasks=task_limit(LIMITS, dedicated_user=False))
    argv = [sys.executable, "-u", "-m", *module_argv]
    prefix = setup.launcher()
    preexec = None if prefix else setup.preexec()
    return Launch((prefix or []) + argv, os.pathsep.join([str(CODE_ROOT)]), preexec)
