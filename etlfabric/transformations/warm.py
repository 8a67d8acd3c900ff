"""The worker's side of the warm dbt children (server.py): one per organisation in each worker
process, started on the first compile or preview and reused while the credentials stay the same.
A child that died, hung or was left with other credentials is replaced."""

from __future__ import annotations

import hashlib
import json
import select
import subprocess
import sys
import time
from pathlib import Path

from etlfabric.transformations import environment

ANSWER_SECONDS = 60.0

_children: dict[int, WarmChild] = {}


class NoAnswer(Exception):
    """The warm child did not answer in time, or died while answering."""


class WarmChild:
    def __init__(self, org_id: int, project_dir: Path, home: Path, secrets: dict[str, str]):
        self.key = _key(project_dir, secrets)
        home.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "etlfabric.transformations.server"]
            + [str(project_dir), str(home / "target")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=home,
            env=environment.child_environment(home, secrets),
            text=True,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict, timeout: float = ANSWER_SECONDS) -> dict:
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise NoAnswer("The dbt process ended unexpectedly.") from exc
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
            if not ready:
                raise NoAnswer(f"dbt did not answer within {timeout:.0f} s.")
            line = self.process.stdout.readline()
            if not line:
                raise NoAnswer("The dbt process ended unexpectedly.")
            return json.loads(line)

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=5)


def _key(project_dir: Path, secrets: dict[str, str]) -> str:
    text = json.dumps([str(project_dir), sorted(secrets.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def ask(org_id: int, project_dir: Path, home: Path, secrets: dict[str, str], request: dict):
    """The warm child's answer to `request`; a new child when there is none fit to ask."""
    child = _children.get(org_id)
    if child is not None and (not child.alive() or child.key != _key(project_dir, secrets)):
        child.stop()
        child = None
    if child is None:
        child = _children[org_id] = WarmChild(org_id, project_dir, home, secrets)
    try:
        return child.ask(request)
    except NoAnswer:
        child.stop()
        _children.pop(org_id, None)
        raise


def stop_all() -> None:
    for child in list(_children.values()):
        child.stop()
    _children.clear()
