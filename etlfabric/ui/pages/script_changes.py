"""The /scripts page's change controls: rename, move and delete a script (buttons in its row) or
the folder in view (buttons by its heading). Shown only to roles that may write; the dialogs show
the service's own message under the field it names, and a confirmation names what goes."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import cancel_button, dialog_buttons, form_error, select_field
from etlfabric.ui.components.layout import form_field
from etlfabric.ui.state.script_changes import ScriptChangesState as C
from etlfabric.ui.state.scripts import ScriptsState


def folder_choices(*, skip: rx.Var | str = "") -> list[rx.Component]:
    """<option>s: the top level, then every folder by path (less `skip`, the folder moving)."""
    return [
        rx.el.option("Top level", value=""),
        rx.foreach(
            ScriptsState.folders,
            lambda f: rx.cond(f["id"] != skip, rx.el.option(f["path"], value=f["id"])),
        ),
    ]


def row_actions(row: rx.Var) -> rx.Component:
    """The buttons in a script's row; their names say which script they act on."""
    return rx.hstack(
        rx.icon_button(
            rx.icon("pencil", size=16, aria_hidden="true"),
            on_click=C.open_edit(row["id"]),
            aria_label=f"Rename or move {row['name']}",
            title="Rename or move",
            variant="ghost",
            size="2",
        ),
        rx.icon_button(
            rx.icon("trash-2", size=16, aria_hidden="true"),
            on_click=C.open_delete(row["id"]),
            aria_label=f"Delete {row['name']}",
            title="Delete",
            variant="ghost",
            color_scheme="red",
            size="2",
        ),
        spacing="3",
    )


def confirm_dialog(
    *, open, on_open_change, title, description, error, error_id, action, on_confirm
):
    """An alert dialog that stays open when the service refuses, showing why."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            form_error(error, id=error_id),
            dialog_buttons(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", size="2")
                ),
                rx.button(action, on_click=on_confirm, color_scheme="red", size="2"),
            ),
            max_width="30rem",
        ),
        open=open,
        on_open_change=on_open_change,
    )


def script_edit_dialog() -> rx.Component:
    errors = C.edit_errors
    form = rx.form(
        rx.vstack(
            form_field(
                "Name",
                name="edit_name",
                error=errors.get("edit_name", ""),
                hint="Its safe name is made again from the new name (and must be free in the "
                "folder; a -2 suffix otherwise).",
                default_value=C.target["name"],
                required=True,
                auto_focus=True,
                auto_complete="off",
            ),
            select_field(
                "Folder",
                name="edit_folder",
                error=errors.get("edit_folder", ""),
                options=folder_choices(),
                default_value=C.target["folder_id"],
            ),
            form_error(errors.get("", ""), id="edit-script-error"),
            dialog_buttons(cancel_button(), rx.button("Save", type="submit")),
            spacing="3",
        ),
        on_submit=C.save_script,
        reset_on_submit=False,
        aria_label="Rename or move script",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(f"Rename or move “{C.target['name']}”"),
            rx.dialog.description(
                rx.text("Safe name now: ", rx.code(C.target["safe_name"])), margin_bottom="1rem"
            ),
            form,
            max_width="30rem",
        ),
        open=C.edit_open,
        on_open_change=C.set_edit_open,
    )


def script_delete_dialog() -> rx.Component:
    return confirm_dialog(
        open=C.delete_open,
        on_open_change=C.set_delete_open,
        title=f"Delete script “{C.target['name']}”?",
        description="It disappears from the scripts and can no longer run; its versions and "
        "its runs are kept (the run history still lists them), links to it under Dependencies "
        "are removed, and its safe name is free for a new script.",
        error=C.delete_error,
        error_id="delete-script-error",
        action="Delete script",
        on_confirm=C.delete_script,
    )


def folder_edit_dialog() -> rx.Component:
    errors = C.folder_edit_errors
    folder = C.folder_in_view
    form = rx.form(
        rx.vstack(
            form_field(
                "Folder name",
                name="edit_folder_name",
                error=errors.get("edit_folder_name", ""),
                default_value=folder["name"],
                required=True,
                auto_focus=True,
                auto_complete="off",
            ),
            select_field(
                "Inside",
                name="edit_folder_parent",
                error=errors.get("edit_folder_parent", ""),
                options=folder_choices(skip=folder["id"]),
                default_value=folder["parent"],
            ),
            form_error(errors.get("", ""), id="edit-folder-error"),
            dialog_buttons(cancel_button(), rx.button("Save folder", type="submit")),
            spacing="3",
        ),
        on_submit=C.save_folder,
        reset_on_submit=False,
        aria_label="Rename or move folder",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(f"Rename or move folder {folder['path']}"),
            form,
            max_width="30rem",
        ),
        open=C.folder_edit_open,
        on_open_change=C.set_folder_edit_open,
    )


def folder_delete_dialog() -> rx.Component:
    return confirm_dialog(
        open=C.folder_delete_open,
        on_open_change=C.set_folder_delete_open,
        title=f"Delete folder {C.folder_in_view['path']}?",
        description="Only an empty folder can be deleted; move or delete what is in it first.",
        error=C.folder_delete_error,
        error_id="delete-folder-error",
        action="Delete folder",
        on_confirm=C.delete_folder,
    )


def folder_actions() -> rx.Component:
    """Beside the heading of the folder in view."""
    return rx.cond(
        ScriptsState.folder,
        rx.hstack(
            rx.button(
                rx.icon("pencil", size=14, aria_hidden="true"),
                "Rename or move folder",
                on_click=C.set_folder_edit_open(True),
                variant="soft",
                size="1",
            ),
            rx.button(
                rx.icon("trash-2", size=14, aria_hidden="true"),
                "Delete folder",
                on_click=C.set_folder_delete_open(True),
                variant="soft",
                color_scheme="red",
                size="1",
            ),
            spacing="2",
        ),
    )


def change_dialogs() -> rx.Component:
    """Every dialog once in the page; the state says which one is open and about what."""
    return rx.fragment(
        script_edit_dialog(),
        script_delete_dialog(),
        folder_edit_dialog(),
        folder_delete_dialog(),
    )
