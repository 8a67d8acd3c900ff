"""A button that asks first: an alert dialog with Cancel and the action (deletes, removals)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import dialog_buttons


def confirm_button(
    trigger: rx.Component,
    *,
    title: str | rx.Var,
    description: str | rx.Var,
    action: str,
    on_confirm,
) -> rx.Component:
    """`trigger` opens the dialog; `action` (a red button) runs `on_confirm` and closes it."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            dialog_buttons(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", size="2")
                ),
                rx.alert_dialog.action(
                    rx.button(action, on_click=on_confirm, color_scheme="red", size="2")
                ),
            ),
            max_width="28rem",
        ),
    )


def delete_button(*, thing: str, description: str, on_confirm) -> rx.Component:
    """A page's red Delete button, confirmed in a dialog ("Delete this <thing>?")."""
    return confirm_button(
        rx.button(
            rx.icon("trash-2", size=16, aria_hidden="true"),
            "Delete",
            variant="soft",
            color_scheme="red",
            type="button",
        ),
        title=f"Delete this {thing}?",
        description=description,
        action=f"Delete {thing}",
        on_confirm=on_confirm,
    )


def row_delete_button(*, thing: str, name: rx.Var, description: str, on_confirm) -> rx.Component:
    """A table row's small "Delete" (named "Delete <name>" for screen readers), confirmed."""
    return confirm_button(
        rx.button(
            "Delete", size="1", variant="soft", color_scheme="red", aria_label="Delete " + name
        ),
        title=f"Delete {thing} " + name + "?",
        description=description,
        action=f"Delete {thing}",
        on_confirm=on_confirm,
    )
