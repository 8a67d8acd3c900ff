"""The dependency graph: React Flow (@xyflow/react) wrapped from dependency_graph.jsx beside this
module. The package comes from the npm registry at build time and is bundled with the app, so the
graph works offline.

    dependency_graph(
        nodes=DependenciesState.nodes, edges=DependenciesState.edges, label="Dependency graph",
        on_connect_targets=DependenciesState.connect, on_select_edge=DependenciesState.select_edge,
        on_select_node=DependenciesState.select_node,
        on_clear_selection=DependenciesState.clear_selection,
    )

Nodes are React Flow nodes of type "target": {"id", "type": "target", "position": {"x", "y"},
"data": {"label", "kind", "status", "status_label", "detail"?}} (a `detail`, the lineage
node's schema, replaces the last run); edges {"id", "source", "target",
"selected"}. Positions come from ui/state/graph_layout.py.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var
from reflex_base.event import EventHandler, no_args_event_spec, passthrough_event_spec

XYFLOW = "@xyflow/react@12.12.1"
SOURCE = rx.asset("dependency_graph.jsx", shared=True)


class DependencyGraph(rx.NoSSRComponent):
    """The DependencyGraph function of dependency_graph.jsx."""

    library = SOURCE.importable_path
    tag = "DependencyGraph"
    lib_dependencies: list[str] = [XYFLOW]

    nodes: Var[list]
    edges: Var[list]
    color_mode: Var[str]

    on_connect_targets: EventHandler[passthrough_event_spec(str, str)]
    on_select_edge: EventHandler[passthrough_event_spec(str)]
    on_select_node: EventHandler[passthrough_event_spec(str)]
    on_clear_selection: EventHandler[no_args_event_spec]


def dependency_graph(*, nodes, edges, label: str, height: str = "36rem", **handlers):
    """The graph in a box named `label`; zoom, pan and fit with the controls or the mouse."""
    return rx.box(
        DependencyGraph.create(
            nodes=nodes,
            edges=edges,
            color_mode=rx.color_mode_cond(light="light", dark="dark"),
            **handlers,
        ),
        role="group",
        aria_label=label,
        id="dependency-graph",
        height=height,
        width="100%",
        border=f"1px solid {rx.color('gray', 7)}",
        border_radius="var(--radius-3)",
        overflow="hidden",
    )
