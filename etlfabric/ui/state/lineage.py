"""The /lineage page's state: pipelines → sources → models (seeds, snapshots) from the project's
manifest (dbt_project.lineage, answered by a worker), laid out left to right; a click on a node
shows its description and its columns with their types (from the latest docs run's catalog) and
docs. "Generate docs" runs `dbt docs generate` on a worker and redraws when it has ended."""

from __future__ import annotations

import re

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import RunStatus
from etlfabric.services import dbt_project, run_waits
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, when
from etlfabric.ui.state.graph_layout import positions

DOCS_WAIT_SECONDS = 300  # a docs run reads every relation's columns: large projects take a while

KIND_LABELS = {
    "pipeline": "Pipeline",
    "source": "Source",
    "model": "Model",
    "seed": "Seed",
    "snapshot": "Snapshot",
}


PHYSICAL_PREFIX = re.compile(r"^t\d+_")  # t12_staging is the organisation's data schema staging


def node_details(node: dict) -> dict:
    """What the panel beside the graph shows for one node."""
    kind = str(node.get("type") or "")
    return {
        "id": str(node["id"]),
        "name": str(node.get("name") or ""),
        "kind": KIND_LABELS.get(kind, kind.capitalize()),
        "schema": PHYSICAL_PREFIX.sub("", str(node.get("schema") or "")),
        "description": str(node.get("description") or ""),
        "columns": [
            {
                "name": str(column.get("name") or ""),
                "type": str(column.get("type") or ""),
                "description": str(column.get("description") or ""),
            }
            for column in node.get("columns") or []
        ],
    }


def catalog_note(catalog: dict | None) -> str:
    """Where the column types come from, in words."""
    if not catalog:
        return "No column types yet: generate the docs to read them from the warehouse."
    moment = catalog.get("generated_at")
    shown = when(moment) if hasattr(moment, "astimezone") else str(moment or "")
    return f"Column types from docs run #{catalog['run_id']}" + (f", {shown}." if shown else ".")


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
                "detail": info["schema"],
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
    catalog_note: str = ""
    catalog_href: str = ""
    generating: bool = False
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
        await self._draw(principal)
        return None

    async def _draw(self, principal) -> None:
        try:
            graph = await dbt_project.lineage(principal=principal)
        except DomainError as exc:
            async with self:
                self.loading, self.error = False, exc.message
            return
        async with self:
            self.nodes, self.edges, self._details = lineage_graph(graph)
            catalog = graph.get("catalog")
            self.catalog_note = catalog_note(catalog)
            self.catalog_href = f"/runs/{catalog['run_id']}" if catalog else ""
            self._select(self.selected)
            self.loading = False

    @rx.event(background=True)
    async def generate_docs(self):
        """Start `dbt docs generate`, wait for its end, then redraw with the new column types."""
        async with self:
            principal = await acting_principal(self)
            if principal is None:
                return SESSION_OVER
            if self.generating:
                return None
            self.generating, self.error = True, ""
        try:
            async with tenant_session(principal.org_id) as session:
                run = await dbt_project.run_project(
                    session=session, principal=principal, command="docs"
                )
            ended = await run_waits.wait_for_end(
                org_id=principal.org_id, run_id=run.id, timeout=DOCS_WAIT_SECONDS
            )
        except DomainError as exc:
            async with self:
                self.generating, self.error = False, exc.message
            return None
        if ended.status is not RunStatus.succeeded:
            async with self:
                self.generating = False
                self.error = ended.error or f"The docs run #{run.id} is {ended.status.value}."
            return None
        await self._draw(principal)
        async with self:
            self.generating = False
        return rx.toast.success("Docs generated: the column types are up to date.")

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
