"""/scripts: the folder tree, the scripts in view with their last run, and the ways to add one
(a new script by name, an uploaded file, a new folder) or change one (rename, move, delete:
script_changes.py). Write controls only for roles that may."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    cancel_button,
    dialog_buttons,
    error_line,
    form_dialog,
    form_error,
    icon_button,
    select_field,
)
from etlfabric.ui.components.layout import (
    FILL_ROW,
    VISUALLY_HIDDEN,
    action_row,
    data_table,
    form_field,
    header_row,
)
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import FOCUS_RING, app_page
from etlfabric.ui.pages.script_changes import change_dialogs, folder_actions, row_actions
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.scripts import TYPE_LABELS, TYPES, UPLOAD_ID, ScriptsState

ROUTE = "/scripts"
TITLE = "Scripts · ETL Fabric"
ON_LOAD = [AuthState.require_user, ScriptsState.load]


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def folder_options(none_label: str) -> list[rx.Component]:
    return [
        rx.el.option(none_label, value=""),
        rx.foreach(ScriptsState.folders, lambda f: rx.el.option(f["path"], value=f["id"])),
    ]


def type_options() -> list[rx.Component]:
    return [rx.el.option(TYPE_LABELS[t], value=t) for t in TYPES]


def new_script_dialog() -> rx.Component:
    errors = ScriptsState.new_errors
    form = rx.form(
        rx.vstack(
            form_field(
                "Name",
                name="new_name",
                error=errors.get("new_name", ""),
                hint="Any name, e.g. “Data Backup Script!”; its file name is made from it.",
                required=True,
                auto_focus=True,
                auto_complete="off",
            ),
            select_field(
                "Folder",
                name="new_folder",
                error=errors.get("new_folder", ""),
                options=folder_options("Top level"),
                default_value=ScriptsState.folder,
            ),
            select_field(
                "Type",
                name="new_type",
                error=errors.get("new_type", ""),
                options=type_options(),
                default_value="python",
            ),
            form_error(errors.get("", ""), id="new-script-error"),
            dialog_buttons(
                cancel_button(),
                rx.button("Create and edit", type="submit", loading=ScriptsState.creating),
            ),
            spacing="3",
        ),
        on_submit=ScriptsState.create,
        reset_on_submit=False,
        aria_label="New script",
    )
    return form_dialog(
        icon_button("plus", "New script"),
        "New script",
        "Only a name is needed; the editor opens at once.",
        form,
        open=ScriptsState.new_open,
        on_open_change=ScriptsState.set_new_open,
    )


def new_folder_dialog() -> rx.Component:
    errors = ScriptsState.folder_errors
    form = rx.form(
        rx.vstack(
            form_field(
                "Folder name",
                name="folder_name",
                error=errors.get("folder_name", ""),
                required=True,
                auto_focus=True,
                auto_complete="off",
            ),
            select_field(
                "Inside",
                name="folder_parent",
                error=errors.get("folder_parent", ""),
                options=folder_options("Top level"),
                default_value=ScriptsState.folder,
            ),
            form_error(errors.get("", ""), id="new-folder-error"),
            dialog_buttons(cancel_button(), rx.button("Create folder", type="submit")),
            spacing="3",
        ),
        on_submit=ScriptsState.create_folder,
        reset_on_submit=False,
        aria_label="New folder",
    )
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("folder-plus", size=16, aria_hidden="true"),
                "New folder",
                variant="soft",
            )
        ),
        rx.dialog.content(rx.dialog.title("New folder"), form, max_width="28rem"),
        open=ScriptsState.folder_open,
        on_open_change=ScriptsState.set_folder_open,
    )


def upload_button() -> rx.Component:
    """A file picker (click, Enter/Space, or drop a file on it); each file becomes a script."""
    return rx.upload.root(
        rx.button(
            rx.icon("upload", size=16, aria_hidden="true"),
            rx.cond(ScriptsState.uploading, "Uploading…", "Upload files"),
            variant="soft",
            type="button",
            title="Upload .py, .sh or .bat files (at most 10 MB each)",
        ),
        id=UPLOAD_ID,
        accept={"text/plain": [".py", ".sh", ".bat"]},
        multiple=True,
        on_drop=ScriptsState.upload,
        border="none",
        padding="0",
    )


def folder_button(label: rx.Var | str, folder_id: rx.Var | str, depth) -> rx.Component:
    current = ScriptsState.folder == folder_id
    return rx.el.li(
        rx.el.button(
            rx.icon(rx.cond(current, "folder-open", "folder"), size=16, aria_hidden="true"),
            label,
            type="button",
            on_click=ScriptsState.select_folder(folder_id),
            aria_current=rx.cond(current, "true", "false"),
            style={
                "display": "flex",
                "align_items": "center",
                "gap": "0.5rem",
                "width": "100%",
                "text_align": "left",
                "padding": "0.375rem 0.5rem",
                "padding_left": f"calc(0.5rem + {depth} * 1rem)",
                "border": "none",
                "border_radius": "var(--radius-2)",
                "cursor": "pointer",
                "font_size": "var(--font-size-2)",
                "font_weight": rx.cond(current, "600", "400"),
                "color": rx.color("gray", 12),
                "background_color": rx.cond(current, rx.color("accent", 4), "transparent"),
                "&:hover": {"background_color": rx.color("gray", 4)},
                "&:focus-visible": FOCUS_RING,
            },
        ),
        list_style="none",
    )


def folder_tree() -> rx.Component:
    return rx.el.nav(
        rx.heading("Folders", as_="h2", size="3", margin_bottom="0.5rem"),
        rx.el.ul(
            folder_button("All scripts", "", 0),
            rx.foreach(
                ScriptsState.folders, lambda f: folder_button(f["name"], f["id"], f["depth"])
            ),
            padding="0",
            margin="0",
            display="grid",
            gap="0.125rem",
        ),
        aria_label="Folders",
        min_width="14rem",
    )


def script_row(row: rx.Var) -> rx.Component:
    last_run = rx.cond(
        row["last_run_href"],
        text_link(row["last_run"], row["last_run_href"], aria_label=f"Last run of {row['name']}"),
        muted("—"),
    )
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                text_link(row["name"], row["href"], weight="medium"),
                rx.code(row["safe_name"], variant="ghost", size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(row["type"]),
        rx.table.cell(rx.cond(row["folder"], row["folder"], muted("Top level"))),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(last_run, white_space="nowrap"),
        rx.table.cell(
            rx.badge(
                row["enabled"],
                color_scheme=rx.cond(row["enabled"] == "Enabled", "green", "gray"),
                variant="outline",
            )
        ),
        rx.cond(can_write(), rx.table.cell(row_actions(row))),
    )


def scripts_table() -> rx.Component:
    headers = ("Name", "Type", "Folder", "Last run status", "Last run (UTC)", "Enabled")
    return data_table(
        "Scripts",
        header_row(*headers, actions=can_write()),
        rx.table.body(rx.foreach(ScriptsState.rows, script_row)),
        id="scripts-table",
    )


def search_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.label("Search scripts", html_for="script_search", style=VISUALLY_HIDDEN),
            rx.input(
                rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
                id="script_search",
                name="script_search",
                placeholder="Search by name or description",
                type="search",
                style=FILL_ROW,
            ),
            rx.button("Search", type="submit", variant="soft"),
            spacing="2",
            width="100%",
        ),
        on_submit=ScriptsState.apply_search,
        reset_on_submit=False,
        aria_label="Search scripts",
        flex="1 1 18rem",
        max_width="24rem",
        min_width="0",
    )


def toolbar() -> rx.Component:
    return action_row(
        search_form(),
        rx.spacer(),
        rx.cond(
            can_write(),
            action_row(new_folder_dialog(), upload_button(), new_script_dialog(), gap="0.5rem"),
        ),
        width="100%",
    )


def upload_problems() -> rx.Component:
    return rx.box(
        rx.cond(
            ScriptsState.upload_errors,
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle_alert")),
                rx.el.ul(
                    rx.foreach(ScriptsState.upload_errors, lambda e: rx.el.li(e)),
                    margin="0",
                    padding_left="1rem",
                ),
                color_scheme="red",
                size="1",
            ),
        ),
        id="upload-errors",
        aria_live="assertive",
        width="100%",
    )


def listing() -> rx.Component:
    empty = rx.cond(
        ScriptsState.search,
        "No scripts match this search.",
        "No scripts here yet.",
    )
    return rx.vstack(
        rx.hstack(
            rx.heading(ScriptsState.folder_label, as_="h2", size="4"),
            rx.cond(can_write(), folder_actions()),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        muted(ScriptsState.summary, id="scripts-summary", role="status"),
        rx.cond(
            ScriptsState.rows,
            scripts_table(),
            rx.cond(ScriptsState.loaded, rx.text(empty, id="scripts-empty", padding="1rem 0")),
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )


def page() -> rx.Component:
    return app_page(
        "Scripts",
        rx.vstack(
            toolbar(),
            upload_problems(),
            error_line(ScriptsState.error, id="scripts-error"),
            rx.flex(
                folder_tree(),
                listing(),
                direction=rx.breakpoints(initial="column", md="row"),
                gap="1.5rem",
                width="100%",
            ),
            rx.cond(can_write(), change_dialogs()),
            spacing="4",
            width="100%",
        ),
    )
