"""dbt's results in the shape a Run keeps (child side), and the child's result line read back
(worker side). Duck-typed on dbt's result objects: the worker never imports dbt."""

from __future__ import annotations

from etlfabric.pipelines import results
from etlfabric.pipelines.results import MARKER, result_line

__all__ = [
    "MARKER",
    "ResultReader",
    "catalog_columns",
    "lineage",
    "node_result",
    "result_line",
    "summary",
    "with_catalog",
]

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


def _documented(columns) -> list[dict]:
    """The manifest's columns (schema.yml): [{name, type (declared data_type), description}]."""
    out = []
    for name, column in (columns or {}).items():
        if isinstance(column, dict):
            kind, text = column.get("data_type"), column.get("description")
        else:
            kind, text = getattr(column, "data_type", None), getattr(column, "description", None)
        out.append({"name": str(name), "type": kind or "", "description": text or ""})
    return out


def _merged(documented: list[dict], typed) -> list[dict]:
    """The relation's columns in table order with the warehouse's types (catalog pairs), their docs
    joined by name in any case; documented columns the catalog did not see come last."""
    if not typed:
        return documented
    docs = {column["name"].lower(): column for column in documented}
    out = []
    for name, kind in typed:
        doc = docs.pop(str(name).lower(), {})
        description = doc.get("description", "")
        out.append({"name": name, "type": kind or doc.get("type", ""), "description": description})
    return out + list(docs.values())


def lineage(nodes: list[dict], catalog: dict | None = None) -> dict:
    """{"nodes", "edges"} of sources, seeds, models and snapshots (tests left out); each node
    {id, type, name, schema, description, columns [{name, type, description}]}, the types from
    `catalog` (catalog_columns) when given; edges {from, to}."""
    kept = {n["unique_id"] for n in nodes if n["resource_type"] != "test"}
    out_nodes, edges = [], []
    for node in sorted(nodes, key=lambda n: n["unique_id"]):
        if node["unique_id"] not in kept:
            continue
        documented = _documented(node.get("columns"))
        out_nodes.append(
            {
                "id": node["unique_id"],
                "type": node["resource_type"],
                "name": node["name"],
                "schema": node.get("schema"),
                "description": node.get("description") or "",
                "columns": _merged(documented, (catalog or {}).get(node["unique_id"])),
            }
        )
        for parent in node.get("depends_on") or []:
            if parent in kept:
                edges.append({"from": parent, "to": node["unique_id"]})
    return {"nodes": out_nodes, "edges": edges}


def catalog_columns(catalog: dict) -> dict[str, list[list[str]]]:
    """catalog.json (dbt docs generate) → {unique_id: [[column, type], ...]} in table order."""
    out = {}
    for group in ("nodes", "sources"):
        for unique_id, table in (catalog.get(group) or {}).items():
            columns = sorted(
                (table.get("columns") or {}).values(), key=lambda c: c.get("index") or 0
            )
            out[unique_id] = [[str(c.get("name")), str(c.get("type") or "")] for c in columns]
    return out


def with_catalog(graph: dict, catalog: dict | None) -> dict:
    """A lineage answer's nodes with the column types of a docs run's catalog_columns."""
    if not catalog:
        return graph
    nodes = [
        node | {"columns": _merged(list(node.get("columns") or []), catalog.get(node["id"]))}
        for node in graph["nodes"]
    ]
    return {**graph, "nodes": nodes}


class ResultReader(results.ResultReader):
    """Passes dbt's lines on; keeps the result line (not shown in the log)."""

    ROWS = "rows_affected"

    def details(self, result: dict) -> dict:
        details = {"dbt": {k: result[k] for k in ("command", "select", "nodes") if k in result}}
        for key in ("lineage", "catalog"):  # a docs run's; the lineage page reads the catalog
            if key in result:
                details[key] = result[key]
        return details
