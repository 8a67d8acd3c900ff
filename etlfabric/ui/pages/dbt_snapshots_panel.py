"""The snapshots card of /transformations/project: each snapshot's schema, unique key and
strategy, Delete, "Run snapshots", and the "New snapshot" dialog with each refusal under its
field (the strategy's own field appears with the strategy)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import row_delete_button
from etlfabric.ui.components.forms import (
    LABEL_STYLE,
    cancel_button,
    dialog_buttons,
    error_line,
    form_dialog,
    form_error,
    icon_button,
    select_field,
)
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dbt_project_runs import DbtProjectRunState as R
from etlfabric.ui.state.dbt_snapshots import DbtSnapshotsState as S


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def snapshot_row(row: rx.Var) -> rx.Component:
    delete = row_delete_button(
        thing="snapshot",
        name=row["name"],
        description="It leaves the project; the history table it recorded stays.",
        on_confirm=S.delete(row["id"]),
    )
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.code(row["name"]),
                rx.el.details(
                    rx.el.summary("SQL", style={"cursor": "pointer", "font_size": "0.8rem"}),
                    rx.el.pre(row["sql"], style={"white_space": "pre-wrap", "font_size": "0.8rem"}),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(rx.code(row["schema"])),
        rx.table.cell(rx.code(row["unique_key"])),
        rx.table.cell(row["strategy"]),
        rx.table.cell(rx.cond(can("resources.write"), delete)),
    )


def snapshots_table() -> rx.Component:
    return data_table(
        "Snapshots",
        header_row("Snapshot", "Schema", "Unique key", "Strategy", actions=True),
        rx.table.body(rx.foreach(S.rows, snapshot_row)),
        id="snapshots-table",
    )


def sql_field() -> rx.Component:
    return rx.vstack(
        rx.el.label("SELECT", html_for="snap_sql", style=LABEL_STYLE),
        rx.text_area(
            id="snap_sql",
            name="snap_sql",
            rows="5",
            width="100%",
            placeholder="select id, status, updated_at from {{ source('shop', 'orders') }}",
            aria_describedby="snap_sql-error",
            style={"font_family": "var(--code-font-family)"},
        ),
        error_line(S.errors.get("snap_sql", ""), id="snap_sql-error"),
        spacing="1",
        width="100%",
    )


def strategy_fields() -> rx.Component:
    errors = S.errors
    return rx.fragment(
        select_field(
            "Strategy",
            name="snap_strategy",
            error=errors.get("snap_strategy", ""),
            options=[
                rx.el.option("timestamp: a column says when a row changed", value="timestamp"),
                rx.el.option("check: compare column values", value="check"),
            ],
            value=S.strategy,
            on_change=S.set_strategy,
        ),
        rx.cond(
            S.strategy == "timestamp",
            form_field(
                "Updated-at column",
                name="snap_updated_at",
                error=errors.get("snap_updated_at", ""),
                hint="The column holding when each row last changed (e.g. updated_at).",
                auto_complete="off",
            ),
            form_field(
                "Columns to compare",
                name="snap_check_cols",
                error=errors.get("snap_check_cols", ""),
                hint="Comma-separated column names, or all to compare every column.",
                auto_complete="off",
            ),
        ),
    )


def snapshot_dialog() -> rx.Component:
    errors = S.errors
    form = rx.form(
        rx.vstack(
            form_field(
                "Snapshot name",
                name="snap_name",
                error=errors.get("snap_name", ""),
                hint="The history table's name: lower-case letters, digits, _.",
                auto_complete="off",
                auto_focus=True,
            ),
            select_field(
                "Schema",
                name="snap_schema",
                error=errors.get("snap_schema", ""),
                options=[rx.foreach(S.schemas, lambda s: rx.el.option(s, value=s))],
            ),
            sql_field(),
            form_field(
                "Unique key",
                name="snap_unique_key",
                error=errors.get("snap_unique_key", ""),
                hint="The column that identifies a row (e.g. id).",
                auto_complete="off",
            ),
            strategy_fields(),
            form_error(errors.get("", ""), id="snapshot-error"),
            dialog_buttons(
                cancel_button(), rx.button("Add snapshot", type="submit", loading=S.saving)
            ),
            spacing="3",
        ),
        on_submit=S.create,
        reset_on_submit=False,
        aria_label="New snapshot",
    )
    return form_dialog(
        icon_button("plus", "New snapshot", variant="soft"),
        "New snapshot",
        "dbt snapshot records how the query's rows change over time.",
        form,
        width="36rem",
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def snapshots_card() -> rx.Component:
    run = rx.button(
        rx.icon("history", size=16, aria_hidden="true"),
        "Run snapshots",
        on_click=R.run_snapshots,
        disabled=S.rows.length() == 0,
        variant="soft",
        color_scheme="green",
    )
    empty = muted("No snapshots yet.", id="snapshots-empty")
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Snapshots", as_="h2", size="4"),
                rx.spacer(),
                rx.cond(can("runs.start"), run),
                rx.cond(can("resources.write"), snapshot_dialog()),
                align="center",
                spacing="2",
                width="100%",
            ),
            muted("Type-2 history of a query: each change of a row is kept with its dates."),
            form_error(S.error, id="snapshots-error"),
            rx.cond(S.rows, snapshots_table(), rx.cond(S.loaded, empty)),
            spacing="3",
            width="100%",
        ),
        id="snapshots-card",
        width="100%",
    )
