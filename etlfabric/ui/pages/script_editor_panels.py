"""Parts of the script editor page: settings, env vars (write-only values) and history with diff."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    LABEL_STYLE,
    SELECT_STYLE,
    dialog_buttons,
    error_line,
    form_error,
    select_field,
)
from etlfabric.ui.components.layout import VISUALLY_HIDDEN, data_table, form_field
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.script_editor import ScriptEditorState as S
from etlfabric.ui.state.script_history import ScriptHistoryState as H
from etlfabric.ui.state.scripts import TYPE_LABELS, TYPES

MASK = "••••"
DIFF_COLOURS = {
    "added": (rx.color("green", 3), rx.color("green", 11)),
    "removed": (rx.color("red", 3), rx.color("red", 11)),
    "hunk": (rx.color("blue", 2), rx.color("blue", 11)),
    "file": (rx.color("gray", 3), rx.color("gray", 11)),
    "context": ("transparent", rx.color("gray", 12)),
}


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
            rx.input(id=name_id, name=name_id, placeholder="NAME", size="2", auto_complete="off"),
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


def version_row(version: rx.Var) -> rx.Component:
    is_current = version["number"] == S.current_version.to_string()
    restore = rx.button(
        "Restore",
        type="button",
        on_click=H.ask_restore(version["number"]),
        aria_label=f"Restore version {version['number']}",
        variant="soft",
        size="1",
    )
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(version["number"]),
                rx.cond(is_current, rx.badge("current", size="1", variant="soft")),
                spacing="2",
            )
        ),
        rx.table.cell(version["message"]),
        rx.table.cell(version["author"]),
        rx.table.cell(version["time"], white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    version["number"] != "1",
                    rx.button(
                        "Changes",
                        type="button",
                        on_click=H.show_changes(version["number"]),
                        aria_label=f"Show the changes of version {version['number']}",
                        variant="ghost",
                        size="1",
                    ),
                ),
                rx.cond(can_write() & ~is_current, restore),
                spacing="2",
            )
        ),
    )


def version_select(label: str, name: str, value: rx.Var, on_change) -> rx.Component:
    return rx.hstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        rx.el.select(
            rx.foreach(H.versions, lambda v: rx.el.option(v["number"], value=v["number"])),
            id=name,
            value=value,
            on_change=on_change,
            style=SELECT_STYLE,
        ),
        align="center",
        spacing="2",
    )


def diff_line(line: rx.Var) -> rx.Component:
    background = rx.match(line["kind"], *((k, v[0]) for k, v in DIFF_COLOURS.items()), "none")
    colour = rx.match(line["kind"], *((k, v[1]) for k, v in DIFF_COLOURS.items()), "inherit")
    return rx.el.div(
        line["text"],
        data_kind=line["kind"],
        style={
            "background_color": background,
            "color": colour,
            "white_space": "pre-wrap",
            "padding": "0 0.5rem",
            "min_height": "1.25em",
        },
    )


def diff_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            version_select("From", "compare_from", H.compare_from, H.set_compare_from),
            version_select("To", "compare_to", H.compare_to, H.set_compare_to),
            rx.button("Compare", type="button", on_click=H.compare, variant="soft", size="2"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            H.diff_title,
            rx.vstack(
                rx.heading(H.diff_title, as_="h3", size="3"),
                rx.cond(
                    H.diff,
                    rx.box(
                        rx.foreach(H.diff, diff_line),
                        id="version-diff",
                        font_family="var(--code-font-family)",
                        font_size="var(--font-size-1)",
                        border=f"1px solid {rx.color('gray', 6)}",
                        border_radius="var(--radius-2)",
                        max_height="24rem",
                        overflow="auto",
                        width="100%",
                        role="region",
                        aria_label=H.diff_title,
                        tab_index=0,
                    ),
                    muted("These versions hold the same code and requirements.", id="diff-same"),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def restore_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Restore version"),
            rx.alert_dialog.description(
                f"Restore version {H.restoring}? Its code and requirements become a new version; "
                "unsaved changes in the editors are discarded."
            ),
            dialog_buttons(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                ),
                rx.button("Restore", type="button", on_click=H.restore),
            ),
        ),
        open=H.restoring != "",
        on_open_change=H.set_restore_open,
    )


def history_card() -> rx.Component:
    versions = data_table(
        "Versions",
        rx.table.row(
            *(
                rx.table.column_header_cell(t)
                for t in ("Version", "Message", "Author", "Saved (UTC)")
            ),
            rx.table.column_header_cell("Actions"),
        ),
        rx.table.body(rx.foreach(H.versions, version_row)),
        size="1",
        id="versions",
        max_height="20rem",
        overflow_y="auto",
    )
    return card(
        "History",
        form_error(H.error, id="history-error"),
        rx.vstack(versions, diff_view(), spacing="4", width="100%"),
        restore_dialog(),
        id="history",
    )
