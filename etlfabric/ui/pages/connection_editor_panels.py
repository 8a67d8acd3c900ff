"""Pieces of the connection editor: the type picker, the inputs of one type (made from
connection_fields, help text under each), the organisation's files folder with an upload, and the
answer of "Test connection"."""

from __future__ import annotations

from functools import reduce

import reflex as rx

from etlfabric.ui.components.forms import LABEL_STYLE, SELECT_STYLE, error_line
from etlfabric.ui.components.layout import data_table
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state import connection_fields as cf
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.connection_editor import UPLOAD_ID
from etlfabric.ui.state.connection_editor import ConnectionEditorState as S
from etlfabric.ui.state.connections import type_label

STORED = "•••••••• stored — leave blank to keep"
KEEP_STORED = "Leave blank to keep the stored one."


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def field_box(key: str, label: str, control: rx.Component, hint: rx.Var | str = "") -> rx.Component:
    """A label, its control, the help text and the control's error (announced)."""
    input_id = cf.input_id(key)
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style=LABEL_STYLE),
        control,
        muted(hint, size="1", id=f"{input_id}-hint")
        if isinstance(hint, rx.Var) or hint
        else rx.fragment(),
        error_line(S.errors.get(key, ""), id=f"{input_id}-error"),
        spacing="1",
        width="100%",
    )


def control(field: cf.Field) -> rx.Component:
    key, input_id = field.key, field.input_id
    common = {
        "id": input_id,
        "aria_describedby": f"{input_id}-hint {input_id}-error",
        "aria_invalid": rx.cond(S.errors.get(key, ""), "true", "false"),
        "disabled": ~can_write(),
    }
    if field.kind == "select":
        return rx.el.select(
            *(rx.el.option(option, value=option) for option in field.options),
            value=S.values[key],
            on_change=lambda value: S.edit(key, value),
            style={**SELECT_STYLE, "width": "100%"},
            **common,
        )
    if field.kind == "secret":  # uncontrolled: what is stored never comes back to the browser
        return rx.input(
            type="password",
            key=S.secret_key,
            default_value="",
            auto_complete="new-password",
            placeholder=rx.cond(S.secrets_set.get(key, False), STORED, ""),
            on_change=lambda value: S.edit_secret(key, value),
            width="100%",
            **common,
        )
    if field.kind == "lines":
        return rx.text_area(
            value=S.values[key],
            on_change=lambda value: S.edit(key, value),
            rows="3",
            placeholder="Accept: application/json",
            width="100%",
            **common,
        )
    return rx.input(
        value=S.values[key],
        on_change=lambda value: S.edit(key, value),
        type="number" if field.kind == "number" else "text",
        placeholder=field.default,
        width="100%",
        **common,
    )


def hint(spec: cf.Field) -> rx.Var | str:
    """The field's help; a secret's says it may stay blank only once a value is stored."""
    if spec.kind != "secret":
        return spec.help
    return rx.cond(S.secrets_set.get(spec.key, False), f"{spec.help} {KEEP_STORED}", spec.help)


def field(spec: cf.Field) -> rx.Component:
    box = field_box(spec.key, spec.label, control(spec), hint(spec))
    if spec.shown_when is None:
        return box
    other, values = spec.shown_when
    shown = reduce(lambda a, b: a | b, [S.values[other] == value for value in values])
    return rx.cond(shown, box)


def type_fields() -> rx.Component:
    """The inputs of the chosen type; every type's are built here from connection_fields."""
    forms = [
        (
            kind,
            rx.grid(
                *(field(spec) for spec in cf.FIELDS[kind]),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
        )
        for kind in cf.TYPES
    ]
    return rx.match(S.kind, *forms, rx.fragment())


def type_picker() -> rx.Component:
    choices = [
        rx.button(
            rx.vstack(
                rx.text(type_label(kind), weight="bold", size="3"),
                rx.text(cf.EXERCISED[kind], size="1", weight="regular", text_align="left"),
                spacing="1",
                align="start",
            ),
            on_click=S.choose_type(kind),
            type="button",
            variant="surface",
            color_scheme="gray",
            height="auto",
            padding="0.75rem",
            justify_content="start",
            white_space="normal",
        )
        for kind in cf.TYPES
    ]
    return rx.el.fieldset(
        rx.el.legend("What do you want to connect?", style=LABEL_STYLE),
        rx.grid(*choices, columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="3"),
        error_line(S.errors.get("type", ""), id="type-error"),
        id="type-picker",
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def file_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["name"]),
        rx.table.cell(row["size"], white_space="nowrap"),
        rx.table.cell(row["modified"], white_space="nowrap"),
        rx.table.cell(
            rx.button(
                "Use",
                on_click=S.use_file(row["name"]),
                type="button",
                variant="soft",
                size="1",
                aria_label="Use " + row["name"],
            )
        ),
    )


def files_card() -> rx.Component:
    upload = rx.upload.root(
        rx.button(
            rx.icon("upload", size=16, aria_hidden="true"),
            rx.cond(S.uploading, "Uploading…", "Upload files"),
            variant="soft",
            type="button",
            title="CSV, JSONL, Parquet or SQLite files, at most 500 MB each",
        ),
        id=UPLOAD_ID,
        multiple=True,
        on_drop=S.upload,
        border="none",
        padding="0",
    )
    table = data_table(
        "Files in the organisation's folder",
        rx.table.row(
            rx.table.column_header_cell("File"),
            rx.table.column_header_cell("Size"),
            rx.table.column_header_cell("Modified (UTC)"),
            rx.table.column_header_cell(rx.el.span("Use")),
        ),
        rx.table.body(rx.foreach(S.files, file_row)),
        size="1",
        id="files-table",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("The organisation's files", as_="h2", size="4"),
                rx.spacer(),
                rx.cond(can_write(), upload),
                align="center",
                width="100%",
            ),
            muted("CSV, JSONL, Parquet and SQLite files that file and SQLite connections read."),
            error_line(S.errors.get("file", ""), id="file-error"),
            rx.cond(S.files, table, muted("No files yet.", id="files-empty")),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def test_result() -> rx.Component:
    ok = rx.callout(
        rx.text(rx.text.strong("OK"), " · ", S.test_message, " · ", S.test_latency),
        icon="circle-check",
        color_scheme="green",
        size="1",
    )
    failed = rx.callout(
        rx.text(rx.text.strong("Failed"), " · ", S.test_message, " · ", S.test_latency),
        icon="circle-x",
        color_scheme="red",
        size="1",
    )
    return rx.box(
        rx.cond(S.test_status == "ok", ok, rx.cond(S.test_status == "failed", failed)),
        id="test-result",
        aria_live="polite",
        width="100%",
    )
