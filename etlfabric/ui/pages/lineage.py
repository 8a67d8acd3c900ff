"""/lineage: pipelines → sources → models (seeds, snapshots) of the organisation's dbt project,
drawn with the dependency graph's React Flow component; a click on a node shows its description
and column docs beside the graph."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.dependency_graph import dependency_graph
from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.lineage import LineageState as S

ROUTE = "/lineage"
TITLE = "Lineage · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def column_row(column: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(column["name"], size="1")),
        rx.table.cell(rx.cond(column["description"], column["description"], "—")),
    )


def node_panel() -> rx.Component:
    columns = data_table(
        "Columns",
        rx.table.row(
            rx.table.column_header_cell("Column"),
            rx.table.column_header_cell("Description"),
        ),
        rx.table.body(rx.foreach(S.node_columns, column_row)),
        size="1",
    )
    chosen = rx.vstack(
        rx.heading(S.node["name"], as_="h2", size="4"),
        muted(S.node["kind"] + rx.cond(S.node["schema"], " in " + S.node["schema"], "")),
        rx.text(rx.cond(S.node["description"], S.node["description"], "No description.")),
        rx.cond(S.node_columns, columns, muted("No documented columns.")),
        spacing="2",
        width="100%",
    )
    return rx.card(
        rx.cond(S.selected, chosen, muted("Click a node to see its description and columns.")),
        id="lineage-node",
        role="region",
        aria_label="Selected node",
        width="100%",
    )


def page() -> rx.Component:
    graph = dependency_graph(
        nodes=S.nodes,
        edges=S.edges,
        label="Lineage graph",
        on_select_node=S.select_node,
        on_clear_selection=S.clear_selection,
    )
    empty = muted(
        "Nothing to draw yet: declare sources and write transformations first.",
        id="lineage-empty",
    )
    return app_page(
        "Lineage",
        rx.vstack(
            rx.hstack(
                muted(S.summary, id="lineage-summary", role="status"),
                rx.cond(S.loading, rx.hstack(rx.spinner(size="2"), muted("Reading the project…"))),
                rx.spacer(),
                text_link("Transformations", "/transformations", size="2"),
                width="100%",
                align="center",
            ),
            form_error(S.error, id="lineage-error"),
            rx.cond(S.nodes, graph, rx.cond(~S.loading & ~S.error, empty)),
            node_panel(),
            spacing="4",
            width="100%",
        ),
    )
