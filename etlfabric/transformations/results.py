"""dbt's results in the shape a Run keeps (child side), and the child's result line read back
(worker side). Duck-typed on dbt's result objects: the worker never imports dbt."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from etlfabric.pipelines.results import MARKER, result_line

if TYPE_CHECKING:
    from etlfabric.runners.process import Outcome

__all__ = ["MARKER", "ResultReader", "lineage", "node_result", "result_line", "summary"]

WRITES = ("model", "seed", "snapshot")
FAILED = ("error", "fail", "runtime error")
MAX_NODE_ERROR = 2000


def _text(value) -> str:
    return str(getattr(value, "value", value))


def node_result(result) -> dict:
    """One node of a run: unique id, status, seconds, rows affected; tests: failing rows + SQL."""
    node = result.node
    kind = _text(node.resource_type)
    response = getattr(result, "adapter_response", None) or {}
    out = {
        "unique_id": node.unique_id,
        "name": node.name,
        "resource_type": kind,
        "status": _text(result.status),
        "execution_time": round(float(getattr(result, "execution_time", 0) or 0), 3),
        "rows_affected": response.get("rows_affected") if isinstance(response, dict) else None,
        "message": (str(result.message)[:MAX_NODE_ERROR] if result.message else None),
    }
    if kind == "test":
        out["failures"] = getattr(result, "failures", None)
        out["compiled_sql"] = getattr(node, "compiled_code", None)
    if kind == "source":  # source freshness
        out["max_loaded_at"] = str(getattr(result, "max_loaded_at", "") or "") or None
        out["age_seconds"] = getattr(result, "age", None)
    return out


def summary(nodes: list[dict]) -> tuple[str | None, int | None]:
    """(the error a user reads, or None; rows written by models, seeds and snapshots)."""
    rows = [
        n["rows_affected"]
        for n in nodes
        if n["resource_type"] in WRITES
        and isinstance(n["rows_affected"], int)
        and n["rows_affected"] >= 0  # a view reports -1
    ]
    failed = [n for n in nodes if n["status"] in FAILED]
    tests = [n for n in failed if n["resource_type"] == "test"]
    others = [n for n in failed if n["resource_type"] != "test"]
    parts = []
    for node in others[:5]:
        message = (node["message"] or node["status"]).strip().splitlines()
        parts.append(f"{node['resource_type']} '{node['name']}' failed: {' '.join(message)[:500]}")
    if tests:
        listed = ", ".join(
            f"{n['name']} ({n.get('failures') or 0} failing rows)" for n in tests[:5]
        )
        total = sum(1 for n in nodes if n["resource_type"] == "test")
        parts.append(f"{len(tests)} of {total} tests failed: {listed}")
    return ("; ".join(parts) + "." if parts else None), (sum(rows) if rows else None)


def _columns(columns) -> dict[str, str]:
    out = {}
    for name, column in (columns or {}).items():
        desc = column.get("description") if isinstance(column, dict) else column.description
        out[name] = desc or ""
    return out


def lineage(nodes: list[dict]) -> dict:
    """{"nodes", "edges"} of sources, seeds, models and snapshots (tests left out); each node
    {id, type, name, schema, description, columns{name: description}}; edges {from, to}."""
    kept = {n["unique_id"] for n in nodes if n["resource_type"] != "test"}
    out_nodes, edges = [], []
    for node in sorted(nodes, key=lambda n: n["unique_id"]):
        if node["unique_id"] not in kept:
            continue
        out_nodes.append(
            {
                "id": node["unique_id"],
                "type": node["resource_type"],
                "name": node["name"],
                "schema": node.get("schema"),
                "description": node.get("description") or "",
                "columns": _columns(node.get("columns")),
            }
        )
        for parent in node.get("depends_on") or []:
            if parent in kept:
                edges.append({"from": parent, "to": node["unique_id"]})
    return {"nodes": out_nodes, "edges": edges}


class ResultReader:
    """Passes dbt's lines on; keeps the result line (not shown in the log)."""

    def __init__(self, on_output):
        self.on_output = on_output
        self.result: dict | None = None

    def __call__(self, stream: str, line: str) -> None:
        if stream == "stdout" and line.startswith(MARKER):
            try:
                self.result = json.loads(line[len(MARKER) :])
                return
            except ValueError:
                pass
        self.on_output(stream, line)

    def outcome(self, outcome: Outcome) -> Outcome:
        result = self.result
        if result is None:
            return outcome
        details = {"dbt": {k: result[k] for k in ("command", "select", "nodes") if k in result}}
        if "lineage" in result:
            details["lineage"] = result["lineage"]
        rows = result.get("rows_affected")
        if outcome.status == "succeeded" and result.get("ok"):
            return replace(outcome, rows_loaded=rows, details=details)
        error = result.get("error") if outcome.status in ("succeeded", "failed") else None
        return replace(
            outcome,
            status="failed" if outcome.status == "succeeded" else outcome.status,
            error=error or outcome.error,
            rows_loaded=rows,
            details=details,
        )
