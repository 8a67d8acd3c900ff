"""The worker's side of the warm dbt children (server.py): one per organisation in each worker
process, started on the first compile or preview and reused while the credentials stay the same.
A child that died, hung or was left with other credentials is replaced.

Bounded: each runs under a dbt run's rlimits (launch.py says why not as the run user); a worker
process keeps at most DBT_WARM_CHILDREN of them, stopping the least recently used when another is
needed; a child exits by itself after server.IDLE_SECONDS without a request, and dies with its
worker process (server.py asks the kernel for SIGKILL when its parent goes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import subprocess
import time
from collections import OrderedDict
from pathlib import Path

from etlfabric.config import get_settings
from etlfabric.transformations import environment, launch

ANSWER_SECONDS = 60.0
SERVER_MODULE = "etlfabric.transformations.server"

_children: OrderedDict[int, WarmChild] = OrderedDict()  # least recently used first


class NoAnswer(Exception):
    """The warm child did not answer in time, or died while answering."""


class WarmChild:
    def __init__(self, org_id: int, project_dir: Path, home: Path, secrets: dict[str, str]):
        self.key = _key(project_dir, secrets)
        module = [SERVER_MODULE, str(project_dir), str(home / "target"), str(os.getpid())]
        start = launch.prepare(home, module)
        env = environment.child_environment(home, {}) | {"PYTHONPATH": start.python_path}
        self.process = subprocess.Popen(
            start.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=home,
            env=env,
            text=True,
            start_new_session=True,
            preexec_fn=start.preexec,  # noqa: PLW1509 (only without prlimit)
        )
        self._send(secrets)  # on stdin, never in its environment (server.take_secrets)

    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise NoAnswer("The dbt process ended unexpectedly.") from exc

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict, timeout: float = ANSWER_SECONDS) -> dict:
        self._send(request)
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
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):  # a request half-written to a killed child
                pipe.close()


def _key(project_dir: Path, secrets: dict[str, str]) -> str:
    text = json.dumps([str(project_dir), sorted(secrets.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def _make_room(keep: int) -> None:
    """Stop children that exited by themselves (idle), then the least recently used ones until
    at most `keep` are left."""
    for org_id, child in list(_children.items()):
        if not child.alive():
            _children.pop(org_id).stop()
    while len(_children) > keep:
        _, oldest = _children.popitem(last=False)
        oldest.stop()


def ask(org_id: int, project_dir: Path, home: Path, secrets: dict[str, str], request: dict):
    """The warm child's answer to `request`; a new child when there is none fit to ask."""
    child = _children.pop(org_id, None)
    if child is not None and (not child.alive() or child.key != _key(project_dir, secrets)):
        child.stop()
        child = None
    if child is None:
        _make_room(get_settings().dbt_warm_children - 1)
        child = WarmChild(org_id, project_dir, home, secrets)
    _children[org_id] = child  # now the most recently used
    try:
        return child.ask(request)
    except NoAnswer:
        child.stop()
        _children.pop(org_id, None)
        raise


def live_children() -> dict[int, int]:
    """{organisation id: pid} of this process's warm children, least recently used first."""
    return {org_id: child.process.pid for org_id, child in _children.items() if child.alive()}


def stop_all() -> None:
    for child in list(_children.values()):
        child.stop()
    _children.clear()
