"""Form pieces the settings pages share: native selects, copy boxes, error lines, buttons."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.shell import FOCUS_RING

ROLES = ("owner", "admin", "editor", "viewer")

SELECT_STYLE = {
    "height": "var(--space-6)",
    "padding": "0 0.5rem",
    "border": f"1px solid {rx.color('gray', 8)}",
    "border_radius": "var(--radius-2)",
    "background_color": rx.color("gray", 1),
    "color": rx.color("gray", 12),
    "font_size": "var(--font-size-2)",
    "max_width": "100%",  # a native select is as wide as its longest option, even on a phone
    "&:focus-visible": FOCUS_RING,
    # as a disabled text input looks: greyed, so a read-only form reads as one
    "&:disabled": {
        "background_color": rx.color("gray", 3),
        "color": rx.color("gray", 11),
        "border_color": rx.color("gray", 6),
        "cursor": "not-allowed",
        "opacity": "1",
    },
}
LABEL_STYLE = {"fontWeight": "500", "fontSize": "var(--font-size-2)"}


def error_line(error: rx.Var, *, id: str) -> rx.Component:
    """The message for one field (or one row), announced when it appears."""
    return rx.text(error, id=id, size="2", color=rx.color("red", 11), aria_live="polite")


def form_error(error: rx.Var, *, id: str) -> rx.Component:
    """An error that belongs to no single field; always in the page so it is announced."""
    return rx.box(
        rx.cond(error, rx.callout(error, icon="triangle_alert", color_scheme="red", size="1")),
        id=id,
        aria_live="assertive",
        width="100%",
    )


def role_options(include_owner: rx.Var | bool = True) -> list[rx.Component]:
    """<option>s for the roles; `owner` only where the caller may grant it."""
    options = [rx.el.option(role.capitalize(), value=role) for role in ROLES[1:]]
    owner = rx.el.option("Owner", value="owner")
    return [rx.cond(include_owner, owner), *options]


def select_field(
    label: str, *, name: str, error: rx.Var, options: list[rx.Component], **props
) -> rx.Component:
    """A labelled native <select> with its error underneath."""
    error_id = f"{name}-error"
    return rx.vstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        rx.el.select(
            *options,
            id=name,
            name=name,
            aria_describedby=error_id,
            style={**SELECT_STYLE, "width": "100%"},
            **props,
        ),
        error_line(error, id=error_id),
        spacing="1",
        width="100%",
    )


def copy_box(label: str, value: rx.Var, *, id: str, button: str, copied: str) -> rx.Component:
    """A read-only field holding `value` and a button that copies it to the clipboard."""
    return rx.vstack(
        rx.el.label(label, html_for=id, style=LABEL_STYLE),
        rx.hstack(
            rx.input(value=value, id=id, read_only=True, size="2", width="100%", flex="1"),
            rx.button(
                rx.icon("copy", size=16, aria_hidden="true"),
                button,
                type="button",
                on_click=[rx.set_clipboard(value), rx.toast.success(copied)],
                size="2",
            ),
            width="100%",
            align="center",
        ),
        spacing="1",
        width="100%",
    )


def dialog_buttons(*buttons: rx.Component) -> rx.Component:
    return rx.hstack(*buttons, justify="end", spacing="3", width="100%", margin_top="1rem")


def cancel_button(text: str = "Cancel") -> rx.Component:
    return rx.dialog.close(
        rx.button(text, type="button", variant="soft", color_scheme="gray", size="2")
    )


def shown_once(what: str, *parts: rx.Component) -> rx.Component:
    """The view of a secret just created (an API key, a trigger URL): the warning that it is
    shown only this once, its copy boxes and notes, and a Done button."""
    return rx.vstack(
        rx.callout(
            f"Copy this {what} now. It is shown only this once: ETL Fabric keeps only a hash of "
            "it and cannot show it again.",
            icon="triangle_alert",
            color_scheme="amber",
            role="alert",
        ),
        *parts,
        dialog_buttons(cancel_button("Done")),
        spacing="3",
    )


def form_dialog(
    trigger: rx.Component | None,
    title: rx.Var | str,
    description: rx.Var | str,
    body: rx.Component,
    *,
    width: str = "28rem",
    **open_state,
) -> rx.Component:
    """A dialog opened by `trigger` holding a form (or what replaces it once submitted);
    `open_state` is `open=` / `on_open_change=` when the state closes it after a success.
    Without a trigger only the state opens it (a button elsewhere on the page)."""
    return rx.dialog.root(
        *([] if trigger is None else [rx.dialog.trigger(trigger)]),
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description, margin_bottom="1rem"),
            body,
            max_width=width,
        ),
        **open_state,
    )


def icon_button(icon: str, text: str, **props) -> rx.Component:
    return rx.button(rx.icon(icon, size=16, aria_hidden="true"), text, **props)
