"""The pipeline page's data cards: its dlt state (cursors per resource, last load, a pending
reset) with "Reset state" confirmed by typing the name, the loaded tables with their column
types, and the first rows of a chosen table with CSV / XLSX downloads."""

from __future__ import annotations

import reflex as rx

from etlfabric.services.pipeline_data import EXPORT_ROWS, PREVIEW_ROWS
from etlfabric.ui.components.forms import SELECT_STYLE, cancel_button, dialog_buttons, error_line
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.pipeline_detail import PipelineDetailState as S


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def fact(label: str, value: rx.Component | rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, color=rx.color("gray", 11), min_width="9rem"),
        rx.data_list.value(value),
    )


def or_dash(value: rx.Var) -> rx.Component:
    return rx.cond(value, rx.text(value), muted("—"))


def reset_dialog() -> rx.Component:
    form = rx.form(
        rx.vstack(
            rx.text(
                "The incremental cursors are forgotten: the next run loads from the initial "
                "values again. Loaded tables stay. Type ",
                rx.text.strong(S.facts["name"]),
                " to confirm.",
                size="2",
            ),
            form_field(
                "Pipeline name",
                name="confirm_name",
                error=S.reset_error,
                auto_complete="off",
            ),
            dialog_buttons(
                cancel_button(),
                rx.button("Reset state", type="submit", color_scheme="red", size="2"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.reset_state,
        reset_on_submit=False,
    )
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("rotate-ccw", size=14, aria_hidden="true"),
                "Reset state",
                variant="soft",
                color_scheme="red",
                size="1",
                type="button",
            )
        ),
        rx.dialog.content(rx.dialog.title("Reset the state?"), form, max_width="30rem"),
        open=S.reset_open,
        on_open_change=S.set_reset_open,
    )


def cursor_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["resource"]),
        rx.table.cell(row["column"]),
        rx.table.cell(rx.code(row["value"])),
    )


def last_load() -> rx.Component:
    """When the last load started, its dlt load id beside it (the run page's notes name it)."""
    return rx.cond(
        S.last_load,
        rx.vstack(
            rx.text(S.last_load, id="last-load"),
            muted("Load id " + S.last_load_id, size="1", id="last-load-id"),
            spacing="0",
        ),
        muted("—"),
    )


def no_cursor_yet() -> rx.Component:
    """Before the first run (or after a reset) a configured cursor has no value yet."""
    return rx.cond(
        S.facts["cursor"],
        muted(
            "Incremental cursor " + S.facts["cursor"] + " is configured: it gets its first value "
            "on the next run, and later runs continue from it.",
            id="cursor-pending",
        ),
        muted("No incremental cursor: every run reads the whole source.", id="no-cursors"),
    )


def state_card() -> rx.Component:
    cursors = data_table(
        "Incremental cursors",
        header_row("Resource", "Cursor column", "Last value"),
        rx.table.body(rx.foreach(S.cursors, cursor_row)),
        size="1",
        id="state-cursors",
    )
    pending = rx.badge(
        S.reset_pending + " on the next run", color_scheme="amber", id="reset-pending"
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("State", as_="h2", size="4"),
                rx.cond(S.reset_pending, pending),
                rx.spacer(),
                rx.cond(can_write(), reset_dialog()),
                align="center",
                width="100%",
            ),
            rx.data_list.root(
                fact("Last load", last_load()),
                fact("Last extracted", or_dash(S.last_extracted)),
                size="2",
            ),
            rx.cond(S.cursors, cursors, no_cursor_yet()),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        id="state-card",
    )


def column_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(row["table"], weight="medium")),
        rx.table.cell(row["column"]),
        rx.table.cell(rx.code(row["type"])),
    )


def tables_card() -> rx.Component:
    table = data_table(
        "Loaded tables",
        header_row("Table", "Column", "Type"),
        rx.table.body(rx.foreach(S.columns, column_row)),
        size="1",
        id="loaded-tables",
    )
    return rx.card(
        rx.vstack(
            rx.heading("Tables", as_="h2", size="4"),
            error_line(S.data_error, id="data-error"),
            rx.cond(S.columns, table, muted("Nothing loaded yet.", id="no-tables")),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def preview_table() -> rx.Component:
    return data_table(
        "Preview of " + S.table,
        rx.table.row(
            rx.foreach(S.preview_columns, lambda c: rx.table.column_header_cell(c)),
        ),
        rx.table.body(
            rx.foreach(
                S.preview_rows,
                lambda row: rx.table.row(
                    rx.foreach(row, lambda cell: rx.table.cell(cell, white_space="nowrap"))
                ),
            )
        ),
        size="1",
        id="preview",
        max_height="28rem",
        overflow_y="auto",
    )


def download(fmt: str, label: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=14, aria_hidden="true"),
        label,
        on_click=S.export(fmt),
        loading=S.exporting == fmt,
        disabled=~S.table,
        variant="soft",
        size="1",
        type="button",
    )


def preview_card() -> rx.Component:
    picker = rx.el.select(
        rx.foreach(S.tables, lambda t: rx.el.option(t, value=t)),
        id="preview-table",
        value=S.table,
        on_change=S.choose_table,
        style=SELECT_STYLE,
    )
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading("Preview", as_="h2", size="4"),
                rx.el.label("Table", html_for="preview-table", style={"font_size": "14px"}),
                picker,
                rx.spacer(),
                download("csv", "Download CSV"),
                download("xlsx", "Download XLSX"),
                align="center",
                gap="0.75rem",
                wrap="wrap",
                width="100%",
            ),
            muted(
                f"The first {PREVIEW_ROWS} rows, without the sensitive columns; the downloads "
                f"have the first {EXPORT_ROWS:,}.",
                size="1",
            ),
            error_line(S.preview_error, id="preview-error"),
            rx.cond(S.preview_columns, preview_table()),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )
