"""The API keys tab of /settings: the keys, the create dialog (secret shown once), revoke."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    LABEL_STYLE,
    cancel_button,
    copy_box,
    dialog_buttons,
    error_line,
    form_dialog,
    form_error,
    icon_button,
    shown_once,
)
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.api_keys import ApiKeysState
from etlfabric.ui.state.auth import AuthState

# scope -> what it lets the key do
SCOPES = (
    ("read", "Read: see the organisation, its members and resources"),
    ("write", "Write: create and change resources"),
    ("run", "Run: start and cancel runs"),
    ("admin", "Admin: everything an admin can do"),
)


def can_manage() -> rx.Var:
    return AuthState.allowed_actions.contains("api_keys.manage")


def scope_choices() -> rx.Component:
    error_id = "key_scopes-error"
    return rx.el.fieldset(
        rx.el.legend("Scopes", style=LABEL_STYLE),
        rx.vstack(
            *(
                rx.checkbox(
                    text,
                    name="key_scopes",
                    value=scope,
                    default_checked=scope == "read",
                    aria_describedby=error_id,
                )
                for scope, text in SCOPES
            ),
            spacing="2",
            padding_top="0.25rem",
        ),
        error_line(ApiKeysState.errors.get("key_scopes", ""), id=error_id),
        border="none",
        padding="0",
        margin="0",
    )


def create_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_field(
                "Name",
                name="key_name",
                error=ApiKeysState.errors.get("key_name", ""),
                hint="What uses the key, e.g. “nightly export”.",
                required=True,
                auto_focus=True,
            ),
            scope_choices(),
            form_field(
                "Valid through (optional)",
                name="key_expires",
                error=ApiKeysState.errors.get("key_expires", ""),
                hint="The key stops working after this day (UTC). Leave empty for no expiry.",
                type="date",
            ),
            form_error(ApiKeysState.errors.get("", ""), id="key-error"),
            dialog_buttons(
                cancel_button(),
                rx.button("Create key", type="submit", size="2", loading=ApiKeysState.creating),
            ),
            spacing="3",
        ),
        on_submit=ApiKeysState.create,
        reset_on_submit=False,
        aria_label="Create an API key",
    )


def secret_view() -> rx.Component:
    return shown_once(
        "key",
        copy_box(
            f"Secret of {ApiKeysState.created_name}",
            ApiKeysState.secret,
            id="api-key-secret",
            button="Copy key",
            copied="API key copied.",
        ),
        muted("Send it as a bearer token: Authorization: Bearer etf_…", size="2"),
    )


def create_dialog() -> rx.Component:
    return form_dialog(
        icon_button("key-round", "Create API key"),
        "Create an API key",
        "A key acts in this organisation with the scopes you choose.",
        rx.cond(ApiKeysState.secret, secret_view(), create_form()),
        width="30rem",
        open=ApiKeysState.create_open,
        on_open_change=ApiKeysState.set_create_open,
    )


def revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke API key"),
            rx.alert_dialog.description(
                f"Revoke {ApiKeysState.revoking_label}? Anything using it is refused at once; "
                "this cannot be undone."
            ),
            form_error(ApiKeysState.revoke_error, id="revoke-error"),
            dialog_buttons(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", size="2")
                ),
                rx.button("Revoke key", on_click=ApiKeysState.revoke, color_scheme="red"),
            ),
        ),
        open=ApiKeysState.revoking_id != "",
        on_open_change=ApiKeysState.set_revoke_open,
    )


def status_badge(status: rx.Var) -> rx.Component:
    colour = rx.match(status, ("Active", "green"), ("Expired", "amber"), "gray")
    return rx.badge(status, color_scheme=colour, variant="soft")


def key_row(key: rx.Var) -> rx.Component:
    revoke = rx.button(
        "Revoke",
        on_click=ApiKeysState.ask_revoke(key["id"], key["name"]),
        aria_label=f"Revoke {key['name']}",
        variant="soft",
        color_scheme="red",
        size="1",
    )
    return rx.table.row(
        rx.table.row_header_cell(key["name"]),
        rx.table.cell(rx.code(key["prefix"] + "…", variant="ghost"), white_space="nowrap"),
        rx.table.cell(key["scopes"]),
        rx.table.cell(key["expires"], white_space="nowrap"),
        rx.table.cell(key["last_used"], white_space="nowrap"),
        rx.table.cell(key["created"], white_space="nowrap"),
        rx.table.cell(status_badge(key["status"])),
        rx.cond(can_manage(), rx.table.cell(rx.cond(key["status"] == "Active", revoke))),
    )


def keys_table() -> rx.Component:
    headers = ["Name", "Prefix", "Scopes", "Expires", "Last used", "Created", "Status"]
    return data_table(
        "API keys",
        header_row(*headers, actions=can_manage()),
        rx.table.body(rx.foreach(ApiKeysState.rows, key_row)),
    )


def api_keys_section() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("API keys", as_="h2", size="4"),
            rx.spacer(),
            rx.cond(can_manage(), create_dialog()),
            align="center",
            width="100%",
        ),
        rx.text(
            "Keys let scripts and tools call the REST API as this organisation.",
            size="2",
            color=rx.color("gray", 11),
        ),
        form_error(ApiKeysState.error, id="api-keys-error"),
        rx.cond(
            ApiKeysState.rows,
            keys_table(),
            rx.text("No API keys yet.", size="2", color=rx.color("gray", 11)),
        ),
        revoke_dialog(),
        spacing="4",
        width="100%",
    )
