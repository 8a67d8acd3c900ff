"""/lineage: pipelines → sources → models (seeds, snapshots) of the organisation's dbt project,
drawn with the dependency graph's React Flow component; a click on a node shows its description
and its columns with their types and docs below the graph; "Generate docs" refreshes the types."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.dependency_graph import dependency_graph
from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.lineage import LineageState as S

ROUTE = "/lineage"
TITLE = "Lineage · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def column_row(column: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(column["name"], size="1")),
        rx.table.cell(rx.cond(column["type"], rx.code(column["type"], variant="ghost"), "—")),
        rx.table.cell(rx.cond(column["description"], column["description"], "—")),
    )


def node_panel() -> rx.Component:
    columns = data_table(
        "Columns",
        header_row("Column", "Type", "Description"),
        rx.table.body(rx.foreach(S.node_columns, column_row)),
        size="1",
    )
    chosen = rx.vstack(
        rx.heading(S.node["name"], as_="h2", size="4"),
        muted(S.node["kind"] + rx.cond(S.node["schema"], " in " + S.node["schema"], "")),
        rx.text(rx.cond(S.node["description"], S.node["description"], "No description.")),
        rx.cond(S.node_columns, columns, muted("No columns known: generate the docs.")),
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


def catalog_bar() -> rx.Component:
    """Where the column types come from, and a button to read them again."""
    note = rx.cond(
        S.catalog_href,
        rx.link(S.catalog_note, href=S.catalog_href, size="2"),
        muted(S.catalog_note, size="2"),
    )
    generate = rx.button(
        rx.icon("book_open", size=16, aria_hidden="true"),
        "Generate docs",
        on_click=S.generate_docs,
        loading=S.generating,
        variant="soft",
        size="2",
        id="generate-docs",
    )
    return rx.hstack(
        rx.box(note, id="lineage-catalog", role="status"),
        rx.spacer(),
        rx.cond(can("runs.start"), generate),
        width="100%",
        align="center",
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
                text_link("Sources", "/transformations/sources", size="2"),
                width="100%",
                align="center",
            ),
            catalog_bar(),
            form_error(S.error, id="lineage-error"),
            rx.cond(S.nodes, graph, rx.cond(~S.loading & ~S.error, empty)),
            node_panel(),
            spacing="4",
            width="100%",
        ),
    )
