"""The /dependencies page's state: the graph of targets and edges, adding and removing edges,
and "Run with downstream" on a node.

Nodes are React Flow nodes placed by graph_layout (computed here, in Python); a node's id is its
target key "script:12". The graph and the edge table show the same edges: the table is how a
keyboard or screen-reader user reads and removes them. Refused edges (self-edge, duplicate,
cycle) are explained above the graph, the cycle named by the service.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dependencies, flows
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.graph_layout import positions
from etlfabric.ui.state.run_format import TARGET_LABELS, status_label, target_href

# service field -> the add form's select
EDGE_FIELDS = {
    "upstream_id": "upstream",
    "upstream_type": "upstream",
    "downstream_id": "downstream",
    "downstream_type": "downstream",
}


def node_key(target_type: str, target_id: int) -> str:
    return f"{target_type}:{target_id}"


def parse_key(key: str) -> tuple[str, int] | None:
    kind, _, number = str(key or "").partition(":")
    return (kind, int(number)) if kind in TARGET_LABELS and number.isdigit() else None


def flow_node(key: str, name: str, kind: str, status: str | None, x: int, y: int) -> dict:
    return {
        "id": key,
        "type": "target",
        "position": {"x": x, "y": y},
        "data": {
            "label": name,
            "kind": TARGET_LABELS.get(kind, kind),
            "status": status or "",
            "status_label": status_label(status),
        },
    }


def graph_nodes(items: list[tuple[str, str, str, str | None]], edges: list[tuple[str, str]]):
    """React Flow nodes for (key, name, kind, status) items, laid out in layers."""
    placed = positions([item[0] for item in items], edges)
    return [flow_node(key, name, kind, status, *placed[key]) for key, name, kind, status in items]


def edge_dict(edge_id: str, source: str, target: str, selected: bool = False) -> dict:
    return {"id": edge_id, "source": source, "target": target, "selected": selected}


class DependenciesState(rx.State):
    nodes: list[dict] = []
    edges: list[dict] = []
    edge_rows: list[dict[str, str]] = []  # {"id", "upstream", "downstream"}
    targets: list[dict[str, str]] = []  # {"key", "label"} for the pickers
    details: dict[str, dict[str, str]] = {}  # node key -> name, kind, status, hrefs
    selected_node: str = ""
    selected_edge: str = ""
    problem: str = ""  # why the last change was refused (a cycle, a duplicate...)
    errors: dict[str, str] = {}
    loaded: bool = False
    starting: bool = False

    @rx.var
    def node_info(self) -> dict[str, str]:
        return self.details.get(self.selected_node, {})

    @rx.var
    def edge_info(self) -> dict[str, str]:
        return next((row for row in self.edge_rows if row["id"] == self.selected_edge), {})

    @rx.var
    def summary(self) -> str:
        nodes, edges = len(self.nodes), len(self.edge_rows)
        return f"{nodes} target{'s' * (nodes != 1)}, {edges} edge{'s' * (edges != 1)}"

    async def _fetch(self, principal) -> None:
        async with tenant_session(principal.org_id) as session:
            found = await dependencies.graph(session=session, principal=principal)
        keys = {node_key(n.type, n.id) for n in found.nodes}
        pairs = [
            (node_key(e.upstream_type, e.upstream_id), node_key(e.downstream_type, e.downstream_id))
            for e in found.edges
        ]
        items = [(node_key(n.type, n.id), n.name, n.type, n.last_status) for n in found.nodes]
        self.nodes = graph_nodes(items, [p for p in pairs if p[0] in keys and p[1] in keys])
        self.edges = [
            edge_dict(str(e.id), up, down, str(e.id) == self.selected_edge)
            for e, (up, down) in zip(found.edges, pairs, strict=True)
        ]
        self.edge_rows = [
            {"id": str(e.id), "upstream": e.upstream_name, "downstream": e.downstream_name}
            for e in found.edges
        ]
        self.targets = [
            {"key": key, "label": f"{name} ({TARGET_LABELS.get(kind, kind)})"}
            for key, name, kind, _ in items
        ]
        self.details = {
            node_key(n.type, n.id): {
                "name": n.name,
                "kind": TARGET_LABELS.get(n.type, n.type),
                "status": n.last_status or "",
                "status_label": status_label(n.last_status),
                "href": target_href(n.type, n.id),
                "run_href": f"/runs/{n.last_run_id}" if n.last_run_id else "",
            }
            for n in found.nodes
        }
        if self.selected_node not in self.details:
            self.selected_node = ""
        if not any(row["id"] == self.selected_edge for row in self.edge_rows):
            self.selected_edge = ""

    async def _refresh(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            await self._fetch(principal)
        except DomainError as exc:
            self.problem = exc.message
        self.loaded = True
        return None

    @rx.event
    async def load(self):
        self.loaded, self.problem, self.errors = False, "", {}
        self.selected_node = self.selected_edge = ""
        return await self._refresh()

    async def _add(self, upstream: str, downstream: str):
        self.problem, self.errors = "", {}
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        up, down = parse_key(upstream), parse_key(downstream)
        if up is None or down is None:
            missing = "upstream" if up is None else "downstream"
            self.errors = {missing: f"Choose the {missing} target."}
            return rx.set_focus(missing)
        try:
            async with tenant_session(principal.org_id) as session:
                edge = await dependencies.create_edge(
                    session=session,
                    principal=principal,
                    upstream_type=up[0],
                    upstream_id=up[1],
                    downstream_type=down[0],
                    downstream_id=down[1],
                )
        except DomainError as exc:
            if exc.field in EDGE_FIELDS:
                self.errors = {EDGE_FIELDS[exc.field]: exc.message}
            else:
                self.problem = exc.message
            return None
        self.selected_edge = str(edge.id)
        await self._fetch(principal)
        return rx.toast.success(f"{edge.downstream_name} now runs after {edge.upstream_name}.")

    @rx.event
    async def add_edge(self, form_data: dict):
        """The form: pick the upstream and the downstream target."""
        return await self._add(str(form_data.get("upstream") or ""), form_data.get("downstream"))

    @rx.event
    async def connect(self, source: str, target: str):
        """A handle dragged to another node in the graph."""
        return await self._add(source, target)

    @rx.event
    async def remove_edge(self, edge_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.problem = ""
        try:
            async with tenant_session(principal.org_id) as session:
                await dependencies.delete_edge(
                    session=session, principal=principal, edge_id=int(edge_id)
                )
        except (DomainError, ValueError) as exc:
            self.problem = getattr(exc, "message", "That edge no longer exists.")
            await self._fetch(principal)
            return None
        if self.selected_edge == edge_id:
            self.selected_edge = ""
        await self._fetch(principal)
        return rx.toast.success("The edge was removed.")

    @rx.event
    def select_edge(self, edge_id: str):
        self.selected_edge, self.selected_node = edge_id, ""
        self.edges = [edge | {"selected": edge["id"] == edge_id} for edge in self.edges]

    @rx.event
    def select_node(self, key: str):
        self.selected_node, self.selected_edge = key, ""
        self.edges = [edge | {"selected": False} for edge in self.edges]

    @rx.event
    def clear_selection(self):
        self.selected_node = self.selected_edge = ""
        self.edges = [edge | {"selected": False} for edge in self.edges]

    @rx.event
    async def run_with_downstream(self, key: str):
        """Start the target and everything downstream of it; open the flow's page."""
        target = parse_key(key)
        if target is None:
            return
        self.starting = True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.starting = False
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                run = await flows.run_with_downstream(
                    session=session, principal=principal, target_type=target[0], target_id=target[1]
                )
        except DomainError as exc:
            self.starting = False
            yield rx.toast.error(exc.message)
            return
        self.starting = False
        yield rx.redirect(f"/flows/{run.flow_id}")
