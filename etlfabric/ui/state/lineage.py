"""The /lineage page's state: pipelines → sources → models (seeds, snapshots) from the project's
manifest (dbt_project.lineage, answered by a worker), laid out left to right; a click on a node
shows its description and column docs."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.graph_layout import positions

KIND_LABELS = {
    "pipeline": "Pipeline",
    "source": "Source",
    "model": "Model",
    "seed": "Seed",
    "snapshot": "Snapshot",
}


def node_details(node: dict) -> dict:
    """What the panel beside the graph shows for one node."""
    kind = str(node.get("type") or "")
    return {
        "id": str(node["id"]),
        "name": str(node.get("name") or ""),
        "kind": KIND_LABELS.get(kind, kind.capitalize()),
        "schema": str(node.get("schema") or ""),
        "description": str(node.get("description") or ""),
        "columns": [
            {"name": str(name), "description": str(text or "")}
            for name, text in (node.get("columns") or {}).items()
        ],
    }


def lineage_graph(graph: dict) -> tuple[list[dict], list[dict], dict[str, dict]]:
    """(React Flow nodes, React Flow edges, node id -> details) of a lineage answer."""
    details = {str(node["id"]): node_details(node) for node in graph.get("nodes") or []}
    pairs = [
        (str(edge["from"]), str(edge["to"]))
        for edge in graph.get("edges") or []
        if str(edge["from"]) in details and str(edge["to"]) in details
    ]
    placed = positions(list(details), pairs)
    nodes = [
        {
            "id": node_id,
            "type": "target",
            "position": {"x": placed[node_id][0], "y": placed[node_id][1]},
            "data": {
                "label": info["name"],
                "kind": info["kind"],
                "status": "",
                "status_label": "",
                "detail": info["schema"] or "—",
            },
        }
        for node_id, info in details.items()
    ]
    edges = [{"id": f"{up}->{down}", "source": up, "target": down} for up, down in pairs]
    return nodes, edges, details


class LineageState(rx.State):
    nodes: list[dict] = []
    edges: list[dict] = []
    selected: str = ""
    node: dict[str, str] = {}  # the selected node: name, kind, schema, description
    node_columns: list[dict[str, str]] = []
    loading: bool = True
    error: str = ""
    _details: dict[str, dict] = {}

    @rx.var
    def summary(self) -> str:
        count = len(self.nodes)
        edges = len(self.edges)
        return f"{count} node{'s' * (count != 1)}, {edges} edge{'s' * (edges != 1)}"

    @rx.event(background=True)
    async def load(self):
        """on_load: the manifest is read on a worker, so the page shows a spinner meanwhile."""
        async with self:
            principal = await acting_principal(self)
            if principal is None:
                return SESSION_OVER
            self.loading, self.error = True, ""
            self._select("")
        try:
            async with tenant_session(principal.org_id) as session:
                graph = await dbt_project.lineage(session=session, principal=principal)
        except DomainError as exc:
            async with self:
                self.loading, self.error = False, exc.message
            return None
        async with self:
            self.nodes, self.edges, self._details = lineage_graph(graph)
            self.loading = False
        return None

    def _select(self, node_id: str) -> None:
        info = self._details.get(node_id) or {}
        self.selected = node_id if info else ""
        self.node = {k: v for k, v in info.items() if isinstance(v, str)}
        self.node_columns = list(info.get("columns") or [])

    @rx.event
    def select_node(self, node_id: str):
        self._select(node_id)

    @rx.event
    def clear_selection(self):
        self._select("")
