"""`python -m etlfabric.transformations.child`: one dbt command, the spec read from stdin.

Prints dbt's log lines (from its events) and, last, one `ETLFABRIC_RESULT {json}` line with the
node results; exits 0 when dbt succeeded, 1 otherwise. The workload credentials are in the
environment, where profiles.yml reads them; the spec holds none.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from etlfabric.transformations import results

COMMANDS = {
    "run": ["run"],
    "test": ["test"],
    "build": ["build"],
    "seed": ["seed"],
    "snapshot": ["snapshot"],
    "freshness": ["source", "freshness"],
    "docs": ["docs", "generate"],
}
PARTIAL = "partial_parse.msgpack"
QUIET_EVENTS = {"DebugCmdOut", "DebugCmdResult", "MainEncounteredError", "MainStackTrace"}
_print_lock = threading.Lock()


def say(text: str) -> None:
    with _print_lock:
        print(text, flush=True)


def on_event(message) -> None:
    """dbt's info, warning and error lines into the run log (debug lines left out)."""
    info = message.info
    if info.level in ("info", "warn", "error") and info.name not in QUIET_EVENTS and info.msg:
        say(info.msg)


def arguments(spec: dict) -> list[str]:
    args = list(COMMANDS[spec["command"]])
    if spec.get("select"):
        args += ["--select", spec["select"]]
    return args + common_flags(spec["project_dir"], spec["target_path"])


def common_flags(project_dir: str, target_path: str) -> list[str]:
    return [
        "--project-dir",
        project_dir,
        "--profiles-dir",
        project_dir,
        "--target-path",
        target_path,
        "--log-path",
        target_path,
        "--log-level",
        "none",
        "--log-level-file",
        "none",
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
    ]


def _swap_partial(source: Path, target: Path) -> None:
    """Copy dbt's partial-parse state, atomically, so a reader never sees half a file."""
    if not source.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    with contextlib.suppress(OSError):
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)


def manifest_nodes(target_path: str) -> list[dict]:
    """The manifest.json's nodes, sources and snapshots, flattened for results.lineage."""
    with open(Path(target_path) / "manifest.json") as handle:
        manifest = json.load(handle)
    nodes = []
    for group in ("nodes", "sources"):
        for unique_id, node in manifest.get(group, {}).items():
            nodes.append(
                {
                    "unique_id": unique_id,
                    "resource_type": node["resource_type"],
                    "name": node["name"],
                    "schema": node.get("schema"),
                    "description": node.get("description"),
                    "columns": node.get("columns"),
                    "depends_on": (node.get("depends_on") or {}).get("nodes", []),
                }
            )
    return nodes


def read_catalog(target_path: str) -> dict:
    """The column types `dbt docs generate` read from the warehouse (catalog.json), compacted."""
    path = Path(target_path) / "catalog.json"
    if not path.is_file():
        return {}
    with open(path) as handle:
        return results.catalog_columns(json.load(handle))


def run(spec: dict) -> dict:
    from dbt.cli.main import dbtRunner

    started = time.monotonic()
    shared = Path(spec["partial_parse"]) if spec.get("partial_parse") else None
    if shared is not None:
        _swap_partial(shared, Path(spec["target_path"]) / PARTIAL)
    outcome = dbtRunner(callbacks=[on_event]).invoke(arguments(spec))
    if shared is not None and outcome.exception is None:
        _swap_partial(Path(spec["target_path"]) / PARTIAL, shared)
    found = getattr(outcome.result, "results", None) or []
    nodes = [results.node_result(r) for r in found if getattr(r, "node", None) is not None]
    error, rows = results.summary(nodes)
    if outcome.exception is not None:
        error = f"dbt could not {spec['command']} the project: {outcome.exception}".strip()
    elif not outcome.success and error is None:
        error = f"dbt {spec['command']} failed; see the log above."
    result = {
        "ok": bool(outcome.success),
        "command": spec["command"],
        "select": spec.get("select"),
        "nodes": nodes,
        "rows_affected": rows,
        "error": error,
        "seconds": round(time.monotonic() - started, 3),
    }
    if spec["command"] == "docs" and outcome.success:
        result["catalog"] = read_catalog(spec["target_path"])
        result["lineage"] = results.lineage(manifest_nodes(spec["target_path"]), result["catalog"])
    return result


def main() -> int:
    spec = json.loads(sys.stdin.read())
    try:
        result = run(spec)
    except Exception as exc:  # dbt itself broke: say so in the result, not only a traceback
        result = {"ok": False, "command": spec.get("command"), "nodes": [], "error": str(exc)}
    say(results.result_line(result))
    return 0 if result["ok"] else 1


def stop_resource_tracker() -> None:
    """dbt's multiprocessing starts a resource tracker process; os._exit would leave it behind
    (the runner then stops it and says a process was left running). Its own stop: close its
    pipe, wait for it (private, but the same from Python 3.8 to 3.13)."""
    from multiprocessing import resource_tracker

    with contextlib.suppress(Exception):
        resource_tracker._resource_tracker._stop()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    stop_resource_tracker()
    os._exit(code)
