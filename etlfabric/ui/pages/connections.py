"""/connections: the organisation's sources and destinations — name, type, direction, created —
with the managed Warehouse first (marked, never deletable); a new connection, and deleting one
(asked first). Says plainly which types have been exercised against a real server."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.connections import ConnectionsState as S

ROUTE = "/connections"
TITLE = "Connections · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]
EXERCISED_NOTE = (
    "Exercised against real servers in our tests: PostgreSQL, MariaDB (MySQL type), SQLite "
    "files, CSV / JSONL / Parquet files, and REST and OData APIs served locally. SQL Server and "
    "Oracle: their drivers are installed, but they have not been exercised against a real server."
)


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def delete_button(row: rx.Var) -> rx.Component:
    return confirm_button(
        rx.button(
            rx.icon("trash-2", size=14, aria_hidden="true"),
            "Delete",
            variant="soft",
            color_scheme="red",
            size="1",
            aria_label="Delete " + row["name"],
        ),
        title="Delete connection " + row["name"] + "?",
        description="Pipelines that use it must be changed or deleted first. "
        "Its stored credentials are erased.",
        action="Delete connection",
        on_confirm=S.delete(row["id"]),
    )


def connection_row(row: rx.Var) -> rx.Component:
    managed = rx.badge(
        rx.icon("shield", size=12, aria_hidden="true"),
        "Managed · cannot be deleted",
        color_scheme="blue",
        variant="soft",
    )
    return rx.table.row(
        rx.table.row_header_cell(text_link(row["name"], row["href"], weight="medium")),
        rx.table.cell(rx.vstack(rx.text(row["type"]), muted(row["exercised"], size="1"))),
        rx.table.cell(row["direction"]),
        rx.table.cell(row["created"], white_space="nowrap"),
        rx.table.cell(rx.cond(row["managed"], managed, rx.cond(can_write(), delete_button(row)))),
    )


def connections_table() -> rx.Component:
    return data_table(
        "Connections",
        rx.table.row(
            rx.table.column_header_cell("Name"),
            rx.table.column_header_cell("Type"),
            rx.table.column_header_cell("Direction"),
            rx.table.column_header_cell("Created (UTC)"),
            rx.table.column_header_cell(rx.el.span("Actions")),
        ),
        rx.table.body(rx.foreach(S.rows, connection_row)),
        id="connections-table",
    )


def toolbar() -> rx.Component:
    return rx.flex(
        muted(S.summary, id="connections-summary", role="status"),
        rx.spacer(),
        rx.cond(
            can_write(),
            rx.button(
                rx.link(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    "New connection",
                    href="/connections/new",
                    underline="none",
                ),
                as_child=True,
            ),
        ),
        align="center",
        width="100%",
    )


def page() -> rx.Component:
    return app_page(
        "Connections",
        rx.vstack(
            toolbar(),
            rx.callout(EXERCISED_NOTE, icon="info", size="1", id="exercised-note"),
            form_error(S.error, id="connections-error"),
            rx.cond(S.loaded, connections_table(), rx.spinner()),
            spacing="4",
            width="100%",
        ),
    )
