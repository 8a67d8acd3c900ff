"""`python -m etlfabric.transformations.server <project_dir> <target_path> [<parent pid>]`: a
warm dbt child. Given the parent pid, it first reads the workload credentials from stdin.

Holds the parsed manifest of one organisation's project and answers one JSON request per line
on stdin with one JSON line: compile a model, show its first rows, or the project's lineage.
It re-parses (dbt's partial parsing) only when the request's fingerprint says the project
changed, and exits when its stdin closes, after IDLE_SECONDS without a request, or at once when
its worker process dies (PR_SET_PDEATHSIG: even in the middle of a long preview). dbt's own
prints go to stderr: stdout carries the answers only.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import decimal
import json
import os
import select
import signal
import sys
import uuid

from etlfabric.transformations import results
from etlfabric.transformations.child import common_flags

IDLE_SECONDS = 900
PR_SET_DUMPABLE, PR_SET_PDEATHSIG = 4, 1
MODEL_ONLY = ("--indirect-selection", "empty")  # a compile or preview of one model, no tests


class Warm:
    def __init__(self, project_dir: str, target_path: str) -> None:
        self.flags = common_flags(project_dir, target_path)
        self.manifest = None
        self.fingerprint: str | None = None

    def parse(self, fingerprint: str) -> dict | None:
        """Reparse when the project changed; an error answer when it does not parse."""
        if self.manifest is not None and fingerprint == self.fingerprint:
            return None
        from dbt.cli.main import dbtRunner

        outcome = dbtRunner().invoke(["parse", *self.flags])
        if not outcome.success:
            self.manifest, self.fingerprint = None, None
            return {"ok": False, "field": "sql", "error": _error(outcome, "parse")}
        self.manifest, self.fingerprint = outcome.result, fingerprint
        return None

    def invoke(self, args: list[str]):
        from dbt.cli.main import dbtRunner

        return dbtRunner(manifest=self.manifest).invoke(
            [*args, "--no-populate-cache", "--no-write-json", *self.flags]
        )

    def compile(self, name: str) -> dict:
        # Only the model: dbt's default (eager) would also pick the tests on it.
        outcome = self.invoke(["compile", "--select", name, *MODEL_ONLY])
        found = _first(outcome)
        if not outcome.success or found is None:
            return {"ok": False, "field": "sql", "error": _error(outcome, "compile")}
        return {"ok": True, "compiled_sql": found.node.compiled_code or ""}

    def show(self, name: str, limit: int) -> dict:
        # Without its tests, which would query a relation that may not be built yet.
        outcome = self.invoke(["show", "--select", name, "--limit", str(limit), *MODEL_ONLY])
        found = _first(outcome)
        table = getattr(found, "agate_table", None)
        if not outcome.success or table is None:
            return {"ok": False, "field": "sql", "error": _error(outcome, "preview")}
        rows = [[_plain(value) for value in row] for row in table.rows]
        return {"ok": True, "columns": list(table.column_names), "rows": rows}

    def lineage(self) -> dict:
        nodes = []
        for group in (self.manifest.nodes, self.manifest.sources):
            for unique_id, node in group.items():
                depends = getattr(getattr(node, "depends_on", None), "nodes", None) or []
                nodes.append(
                    {
                        "unique_id": unique_id,
                        "resource_type": str(node.resource_type),
                        "name": node.name,
                        "schema": node.schema,
                        "description": node.description,
                        "columns": node.columns,
                        "depends_on": list(depends),
                    }
                )
        return {"ok": True, **results.lineage(nodes)}

    def answer(self, request: dict) -> dict:
        refused = self.parse(request["fingerprint"])
        if refused is not None:
            return refused
        op = request["op"]
        if op == "compile":
            return self.compile(request["name"])
        if op == "show":
            return self.show(request["name"], int(request.get("limit") or 100))
        if op == "lineage":
            return self.lineage()
        return {"ok": False, "error": f"Unknown request '{op}'."}


def _first(outcome):
    found = getattr(outcome.result, "results", None) or []
    return found[0] if found else None


def _error(outcome, what: str) -> str:
    if outcome.exception is not None:
        return f"dbt could not {what} the project: {outcome.exception}"
    found = _first(outcome)
    message = getattr(found, "message", None)
    return f"dbt could not {what} the model: {message or 'see the run log for details'}"


def _plain(value):
    """A JSON value for a cell (dates, decimals and UUIDs as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.time | uuid.UUID):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def serve(warm: Warm, requests, answers) -> None:
    while True:
        ready, _, _ = select.select([requests], [], [], IDLE_SECONDS)
        if not ready:
            return
        line = requests.readline()
        if not line:
            return
        try:
            answer = warm.answer(json.loads(line))
        except Exception as exc:  # one bad request must not end the warm child
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()


def die_with(parent: int) -> None:
    """SIGKILL when the worker process that started us goes. Set here, not by the worker: the
    kernel clears it when setpriv changes the user. Exit if the worker went already."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def take_secrets(fd: int = 0) -> None:
    """The credentials arrive as the first line on stdin, not in the environment: the run user
    also runs scripts, which could read a dumpable process's /proc/<pid>/environ. Made
    non-dumpable first, so they never sit where another process of that user can read them.
    Read a byte at a time: nothing of the next line may stay in a buffer select() cannot see."""
    _prctl(PR_SET_DUMPABLE, 0)
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte:
            os._exit(0)  # the worker went before sending them
        line += byte
    os.environ.update(json.loads(line))


def main() -> None:
    if len(sys.argv) > 3:
        die_with(int(sys.argv[3]))
        take_secrets()
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever dbt prints goes to stderr, never into an answer
    serve(Warm(sys.argv[1], sys.argv[2]), sys.stdin, answers)


if __name__ == "__main__":
    main()
    os._exit(0)
