"""Parts of the script editor page: settings and env vars (whose values are write-only)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    LABEL_STYLE,
    error_line,
    select_field,
)
from etlfabric.ui.components.layout import VISUALLY_HIDDEN, data_table, form_field
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.script_editor import ScriptEditorState as S
from etlfabric.ui.state.scripts import TYPE_LABELS, TYPES

MASK = "••••"


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def error_of(field: str) -> rx.Var:
    return S.errors.get(field, "")


def number_field(label: str, name: str, value: rx.Var, hint: str) -> rx.Component:
    return form_field(
        label,
        name=name,
        error=error_of(name),
        hint=hint,
        default_value=value,
        input_mode="numeric",
        auto_complete="off",
    )


def card(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(
        rx.heading(title, as_="h2", size="4", margin_bottom="0.75rem"),
        *children,
        size="2",
        width="100%",
        **props,
    )


def settings_card() -> rx.Component:
    fields = rx.vstack(
        form_field(
            "Name",
            name="script_name",
            error=error_of("script_name"),
            default_value=S.name,
            required=True,
            auto_complete="off",
        ),
        rx.vstack(
            rx.el.label("Description", html_for="description", style=LABEL_STYLE),
            rx.text_area(
                id="description",
                name="description",
                default_value=S.description,
                rows="3",
                width="100%",
                aria_describedby="description-error",
            ),
            error_line(error_of("description"), id="description-error"),
            spacing="1",
            width="100%",
        ),
        rx.grid(
            select_field(
                "Type",
                name="script_type",
                error=error_of("script_type"),
                options=[rx.el.option(TYPE_LABELS[t], value=t) for t in TYPES],
                default_value=S.script_type,
            ),
            select_field(
                "Folder",
                name="script_folder",
                error=error_of("script_folder"),
                options=[
                    rx.el.option("Top level", value=""),
                    rx.foreach(S.folder_options, lambda f: rx.el.option(f["path"], value=f["id"])),
                ],
                default_value=S.folder,
            ),
            number_field("Timeout (seconds)", "timeout_seconds", S.timeout_seconds, "1 to 86,400."),
            number_field(
                "Memory limit (MB)", "memory_limit_mb", S.memory_limit_mb, "64 to 65,536."
            ),
            number_field(
                "CPU time limit (seconds)",
                "cpu_limit_seconds",
                S.cpu_limit_seconds,
                "Empty for no limit.",
            ),
            number_field(
                "Concurrent runs at most",
                "max_concurrent_runs",
                S.max_concurrent_runs,
                "Empty for no limit; more runs wait in the queue.",
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rx.checkbox(
            "Enabled (a disabled script cannot be run)",
            name="enabled",
            id="enabled",
            default_checked=S.enabled,
        ),
        error_line(error_of("enabled"), id="enabled-error"),
        spacing="3",
        width="100%",
    )
    # Disabled for roles that may not write: the values stay readable, nothing can be sent.
    return card(
        "Settings",
        rx.el.fieldset(
            rx.el.legend("Script settings", style=VISUALLY_HIDDEN),
            fields,
            disabled=~can_write(),
            key=S.form_key,
            style={"border": "none", "padding": "0", "margin": "0", "min_width": "0"},
        ),
    )


def env_row(row: rx.Var) -> rx.Component:
    stored = row["stored"] == "yes"
    name_id, value_id = f"env_name_{row['key']}", f"env_value_{row['key']}"
    name_cell = rx.cond(
        stored,
        rx.hstack(
            rx.code(row["name"], size="2"),
            rx.el.input(type="hidden", name=name_id, value=row["name"]),
        ),
        rx.box(
            rx.el.label("Name", html_for=name_id, style=VISUALLY_HIDDEN),
            rx.input(
                id=name_id,
                name=name_id,
                placeholder="NAME",
                size="2",
                auto_complete="off",
                on_blur=lambda value: S.name_env_var(row["key"], value),
            ),
        ),
    )
    value_label = rx.cond(stored, f"New value for {row['name']}", "Value")
    return rx.table.row(
        rx.table.cell(name_cell),
        rx.table.cell(
            rx.el.label(value_label, html_for=value_id, style=VISUALLY_HIDDEN),
            rx.input(
                id=value_id,
                name=value_id,
                type="password",
                placeholder=rx.cond(stored, f"{MASK} (unchanged)", "value"),
                auto_complete="new-password",
                size="2",
            ),
        ),
        rx.cond(
            can_write(),
            rx.table.cell(
                rx.icon_button(
                    rx.icon("trash-2", size=16, aria_hidden="true"),
                    type="button",
                    on_click=S.remove_env_var(row["key"]),
                    aria_label=rx.cond(
                        row["name"], f"Remove {row['name']}", "Remove this variable"
                    ),
                    variant="ghost",
                    color_scheme="red",
                    size="2",
                )
            ),
        ),
        key=row["key"],
    )


def env_vars_card() -> rx.Component:
    table = data_table(
        "Environment variables",
        rx.table.row(
            rx.table.column_header_cell("Name"),
            rx.table.column_header_cell("Value"),
            rx.cond(
                can_write(), rx.table.column_header_cell(rx.text("Remove", style=VISUALLY_HIDDEN))
            ),
        ),
        rx.table.body(rx.foreach(S.env_rows, env_row)),
        size="1",
        id="env-vars",
    )
    return card(
        "Environment variables",
        muted(
            "Values are stored encrypted and never shown again. Leave a value empty to keep it, "
            "type a new one to replace it. Changes apply when you save.",
            margin_bottom="0.75rem",
        ),
        rx.el.fieldset(
            rx.el.legend("Environment variables", style=VISUALLY_HIDDEN),
            rx.cond(S.env_rows, table, muted("No variables.", id="env-empty")),
            disabled=~can_write(),
            key=S.form_key,
            style={"border": "none", "padding": "0", "margin": "0", "min_width": "0"},
        ),
        error_line(error_of("env_vars"), id="env_vars-error"),
        rx.cond(
            can_write(),
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"),
                "Add variable",
                type="button",
                on_click=S.add_env_var,
                variant="soft",
                size="2",
                margin_top="0.75rem",
            ),
        ),
    )
