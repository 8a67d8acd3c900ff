"""/pipelines: every pipeline — what it loads from where to where, its latest run (status colour
and word, when, a link to the run), rows loaded by it, the next scheduled run — with a search, an
enabled switch and "New pipeline". Write controls only for roles that may."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.pipelines import PipelinesState as S

ROUTE = "/pipelines"
TITLE = "Pipelines · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def pipeline_row(row: rx.Var) -> rx.Component:
    last_run = rx.cond(
        row["last_run_href"],
        rx.vstack(
            status_badge(row["last_status"], row["last_status_label"]),
            text_link(row["last_run"], row["last_run_href"], size="1"),
            spacing="1",
        ),
        muted("Never run"),
    )
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                text_link(row["name"], row["href"], weight="medium"),
                muted(row["what"], size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["source"], size="2"),
                muted("→ " + row["destination"], size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(last_run, white_space="nowrap"),
        rx.table.cell(row["rows"], text_align="right"),
        rx.table.cell(row["next_run"], white_space="nowrap"),
        rx.table.cell(
            rx.el.label(
                rx.switch(
                    checked=row["enabled"] == "yes",
                    on_change=lambda on: S.toggle(row["id"], on),
                    disabled=~can_write(),
                    aria_label="Enabled: " + row["name"],
                ),
                rx.text(rx.cond(row["enabled"], "On", "Off"), size="2"),
                style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
            )
        ),
    )


def pipelines_table() -> rx.Component:
    return data_table(
        "Pipelines",
        header_row(
            "Pipeline", "From → to", "Last run (UTC)", "Rows loaded", "Next run (UTC)", "Enabled"
        ),
        rx.table.body(rx.foreach(S.rows, pipeline_row)),
        id="pipelines-table",
    )


def toolbar() -> rx.Component:
    search = rx.form(
        rx.hstack(
            rx.input(
                name="pipeline_search",
                placeholder="Name or dataset",
                aria_label="Search pipelines",
                width="16rem",
            ),
            rx.button("Search", type="submit", variant="soft"),
            spacing="2",
        ),
        on_submit=S.find,
        reset_on_submit=False,
        role="search",
    )
    new = rx.button(
        rx.link(
            rx.icon("plus", size=16, aria_hidden="true"),
            "New pipeline",
            href="/pipelines/new",
            underline="none",
        ),
        as_child=True,
    )
    return rx.flex(
        search,
        rx.spacer(),
        rx.cond(can_write(), new),
        wrap="wrap",
        gap="0.75rem",
        align="center",
        width="100%",
    )


def page() -> rx.Component:
    empty = rx.text(
        "No pipelines yet. Add a connection to read from, then a pipeline that loads it into "
        "the Warehouse.",
        id="pipelines-empty",
    )
    return app_page(
        "Pipelines",
        rx.vstack(
            toolbar(),
            form_error(S.error, id="pipelines-error"),
            muted(S.summary, id="pipelines-summary", role="status"),
            rx.cond(S.rows, pipelines_table(), rx.cond(S.loaded, empty)),
            spacing="4",
            width="100%",
        ),
    )
