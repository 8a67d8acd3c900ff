"""/dependencies: the graph of targets ("when this succeeds, run that"), coloured by each target's
last run, with edges added (pick two targets, or drag from a node's right handle to another's left
one) and removed, zoom and pan; a selected node runs with everything downstream of it.

The edge table under the graph lists the same edges in words, for the keyboard and screen readers.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.dependency_graph import dependency_graph
from etlfabric.ui.components.forms import SELECT_STYLE, error_line
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dependencies import DependenciesState as D

ROUTE = "/dependencies"
TITLE = "Dependencies · ETL Fabric"
ON_LOAD = [AuthState.require_user, D.load]


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def target_select(label: str, name: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontWeight": "500", "fontSize": "14px"}),
        rx.el.select(
            rx.el.option("Choose a target…", value=""),
            rx.foreach(D.targets, lambda t: rx.el.option(t["label"], value=t["key"])),
            id=name,
            name=name,
            aria_describedby=f"{name}-error",
            style={**SELECT_STYLE, "min_width": "min(14rem, 100%)"},
        ),
        error_line(D.errors.get(name, ""), id=f"{name}-error"),
        spacing="1",
        max_width="100%",
    )


def add_form() -> rx.Component:
    return rx.form(
        rx.flex(
            target_select("Upstream (runs first)", "upstream"),
            # On a phone the pickers stack and their labels say which runs first.
            rx.icon(
                "arrow-right",
                size=18,
                aria_hidden="true",
                margin_top="1.75rem",
                display=rx.breakpoints(initial="none", sm="block"),
            ),
            target_select("Downstream (runs after it succeeds)", "downstream"),
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"),
                "Add edge",
                type="submit",
                margin_top="1.5rem",
            ),
            gap="0.75rem",
            wrap="wrap",
            align="start",
        ),
        on_submit=D.add_edge,
        reset_on_submit=False,
        aria_label="Add an edge",
    )


def problem() -> rx.Component:
    return rx.box(
        rx.cond(
            D.problem,
            rx.callout(D.problem, icon="triangle_alert", color_scheme="red", role="alert"),
        ),
        id="graph-problem",
        width="100%",
    )


def node_panel() -> rx.Component:
    info = D.node_info
    return rx.vstack(
        rx.heading(info["name"], as_="h3", size="3"),
        muted(info["kind"]),
        rx.hstack(
            muted("Last run"),
            status_badge(info["status"], info["status_label"]),
            align="center",
        ),
        rx.cond(info["href"], text_link("Open", info["href"], size="2")),
        rx.cond(info["run_href"], text_link("Last run", info["run_href"], size="2")),
        rx.cond(
            can("runs.start"),
            rx.button(
                rx.icon("play", size=16, aria_hidden="true"),
                "Run with downstream",
                on_click=D.run_with_downstream(D.selected_node),
                loading=D.starting,
                color_scheme="green",
                type="button",
            ),
        ),
        spacing="2",
        align="start",
    )


def remove_edge_button(edge_id: rx.Var, upstream: rx.Var, downstream: rx.Var) -> rx.Component:
    return confirm_button(
        rx.button(
            rx.icon("unlink", size=14, aria_hidden="true"),
            "Remove",
            variant="soft",
            color_scheme="red",
            size="1",
            type="button",
            aria_label=f"Remove edge {upstream} to {downstream}",
        ),
        title="Remove this edge?",
        description=f"{downstream} will no longer run after {upstream} succeeds.",
        action="Remove edge",
        on_confirm=D.remove_edge(edge_id),
    )


def edge_panel() -> rx.Component:
    info = D.edge_info
    return rx.vstack(
        rx.heading("Edge", as_="h3", size="3"),
        rx.text(info["upstream"], " → ", info["downstream"]),
        muted("The downstream target runs after the upstream one succeeds."),
        rx.cond(
            can("resources.write"),
            remove_edge_button(D.selected_edge, info["upstream"], info["downstream"]),
        ),
        spacing="2",
        align="start",
    )


def side_panel() -> rx.Component:
    return rx.card(
        rx.cond(
            D.selected_node,
            node_panel(),
            rx.cond(
                D.selected_edge,
                edge_panel(),
                muted("Select a target or an edge in the graph to see it here."),
            ),
        ),
        id="graph-selection",
        aria_live="polite",
        width=rx.breakpoints(initial="100%", lg="18rem"),
        flex_shrink="0",
    )


def edge_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["upstream"]),
        rx.table.cell(row["downstream"]),
        rx.cond(
            can("resources.write"),
            rx.table.cell(remove_edge_button(row["id"], row["upstream"], row["downstream"])),
        ),
    )


def edge_table() -> rx.Component:
    return data_table(
        "Edges",
        header_row("Upstream", "Downstream", actions=can("resources.write")),
        rx.table.body(rx.foreach(D.edge_rows, edge_row)),
        id="edges-table",
    )


def graph_area() -> rx.Component:
    return rx.flex(
        dependency_graph(
            nodes=D.nodes,
            edges=D.edges,
            label="Dependency graph",
            on_connect_targets=D.connect,
            on_select_edge=D.select_edge,
            on_select_node=D.select_node,
            on_clear_selection=D.clear_selection,
        ),
        side_panel(),
        direction=rx.breakpoints(initial="column", lg="row"),
        gap="1rem",
        width="100%",
    )


def page() -> rx.Component:
    return app_page(
        "Dependencies",
        rx.vstack(
            muted(
                "An edge runs the downstream target after the upstream one succeeds, in the same "
                "flow. Drag from a target's right edge to another target to connect them; scroll "
                "to zoom, drag the background to pan.",
            ),
            rx.cond(can("resources.write"), add_form()),
            problem(),
            muted(D.summary, id="graph-summary", role="status"),
            rx.cond(
                D.nodes,
                graph_area(),
                rx.cond(
                    D.loaded,
                    rx.text(
                        "No targets yet: create a script first, then link it here.",
                        id="graph-empty",
                    ),
                ),
            ),
            rx.heading("Edges", as_="h2", size="4", margin_top="1rem"),
            rx.cond(D.edge_rows, edge_table(), muted("No edges yet.", id="edges-empty")),
            spacing="3",
            width="100%",
        ),
    )
