"""/transformations: every dbt model — schema, materialization, its last run and last test (status
word and colour, a link to the run) — with a Run button, "New transformation" (name, schema,
materialization; the editor opens at once), links to the sources (freshness), the dbt project
page (seeds, snapshots, import/export, build) and the lineage graph."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    cancel_button,
    dialog_buttons,
    form_dialog,
    form_error,
    icon_button,
    select_field,
)
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.transformation_format import MATERIALIZATION_LABELS
from etlfabric.ui.state.transformations import TransformationsState as S

ROUTE = "/transformations"
TITLE = "Transformations · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def last(row: rx.Var, prefix: str) -> rx.Component:
    return rx.cond(
        row[f"{prefix}_href"],
        rx.vstack(
            status_badge(row[f"{prefix}_status"], row[f"{prefix}_label"]),
            text_link(row[f"{prefix}_when"], row[f"{prefix}_href"], size="1"),
            spacing="1",
        ),
        muted("Never" if prefix == "test" else "Never run"),
    )


def model_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                text_link(row["name"], row["href"], weight="medium"),
                muted(row["description"], size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.code(row["schema"])),
        rx.table.cell(row["materialization"]),
        rx.table.cell(last(row, "run"), white_space="nowrap"),
        rx.table.cell(last(row, "test"), white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                can("runs.start"),
                rx.button(
                    rx.icon("play", size=14, aria_hidden="true"),
                    "Run",
                    size="1",
                    variant="soft",
                    on_click=S.run(row["id"]),
                    aria_label="Run " + row["name"],
                ),
            )
        ),
    )


def models_table() -> rx.Component:
    return data_table(
        "Transformations",
        header_row(
            "Model", "Schema", "Materialization", "Last run (UTC)", "Last test (UTC)", actions=True
        ),
        rx.table.body(rx.foreach(S.rows, model_row)),
        id="transformations-table",
    )


def new_dialog() -> rx.Component:
    errors = S.create_errors
    form = rx.form(
        rx.vstack(
            form_field(
                "Name",
                name="new_name",
                error=errors.get("new_name", ""),
                hint="The model's name in ref(): lower-case letters, digits, _ (e.g. stg_orders).",
                required=True,
                auto_focus=True,
                auto_complete="off",
            ),
            select_field(
                "Schema",
                name="new_schema",
                error=errors.get("new_schema", ""),
                options=[rx.foreach(S.schemas, lambda s: rx.el.option(s, value=s))],
            ),
            select_field(
                "Materialization",
                name="new_mat",
                error=errors.get("new_mat", ""),
                options=[rx.el.option(v, value=k) for k, v in MATERIALIZATION_LABELS.items()],
                default_value="view",
            ),
            form_error(errors.get("", ""), id="new-transformation-error"),
            dialog_buttons(
                cancel_button(),
                rx.button("Create and edit", type="submit", loading=S.creating),
            ),
            spacing="3",
        ),
        on_submit=S.create,
        reset_on_submit=False,
        aria_label="New transformation",
    )
    return form_dialog(
        icon_button("plus", "New transformation"),
        "New transformation",
        "A SQL model of your dbt project; the editor opens at once.",
        form,
    )


def link_button(text: str, icon: str, href: str) -> rx.Component:
    return rx.button(
        rx.link(rx.icon(icon, size=16, aria_hidden="true"), text, href=href, underline="none"),
        as_child=True,
        variant="soft",
    )


def toolbar() -> rx.Component:
    return rx.flex(
        muted(S.summary, id="transformations-summary", role="status"),
        rx.spacer(),
        link_button("Sources", "database", "/transformations/sources"),
        link_button("dbt project", "package", "/transformations/project"),
        link_button("Lineage", "git-fork", "/lineage"),
        rx.cond(can("resources.write"), new_dialog()),
        wrap="wrap",
        gap="0.75rem",
        align="center",
        width="100%",
    )


def page() -> rx.Component:
    empty = rx.text(
        "No transformations yet. Write a SQL model over the tables your pipelines load.",
        id="transformations-empty",
    )
    return app_page(
        "Transformations",
        rx.vstack(
            toolbar(),
            form_error(S.error, id="transformations-error"),
            rx.cond(S.rows, models_table(), rx.cond(S.loaded, empty)),
            spacing="4",
            width="100%",
        ),
    )
