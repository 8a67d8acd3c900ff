"""The "URL triggers" card of the script editor, the pipeline page and the transformation editor:
create a token (shown once, with a copyable curl example), list them, revoke one (confirmed)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.forms import (
    cancel_button,
    copy_box,
    dialog_buttons,
    form_dialog,
    form_error,
    icon_button,
    shown_once,
)
from etlfabric.ui.components.layout import action_row, data_table, form_field, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.trigger_tokens import TriggerTokensState as T


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def can_manage() -> rx.Var:
    return can("resources.write") & can("runs.start")


def create_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_field(
                "Name",
                name="trigger_name",
                error=T.errors.get("trigger_name", ""),
                hint="What calls it, e.g. “CRM webhook”.",
                required=True,
                auto_focus=True,
            ),
            form_field(
                "Allowed IPs (optional)",
                name="trigger_ips",
                error=T.errors.get("trigger_ips", ""),
                hint="Addresses or CIDR ranges, separated by commas, e.g. 203.0.113.0/24. "
                "Empty: any address.",
                auto_complete="off",
            ),
            form_field(
                "Calls per minute",
                name="trigger_rate",
                error=T.errors.get("trigger_rate", ""),
                hint="More calls than this in a minute are refused with 429.",
                default_value="60",
                input_mode="numeric",
            ),
            form_error(T.errors.get("", ""), id="trigger-error"),
            dialog_buttons(
                cancel_button(),
                rx.button("Create trigger", type="submit", size="2", loading=T.creating),
            ),
            spacing="3",
        ),
        on_submit=T.create,
        reset_on_submit=False,
        aria_label="Create a URL trigger",
    )


def secret_view() -> rx.Component:
    return shown_once(
        "URL",
        copy_box(
            f"URL of {T.created_name}",
            T.url,
            id="trigger-url",
            button="Copy URL",
            copied="Trigger URL copied.",
        ),
        copy_box(
            "Example", T.curl, id="trigger-curl", button="Copy curl", copied="curl command copied."
        ),
        muted(
            "POST to it; a JSON body becomes the run's payload. Add ?wait=30 to wait for the end.",
            size="2",
        ),
    )


def create_dialog() -> rx.Component:
    return form_dialog(
        icon_button("webhook", "Create URL trigger"),
        "Create a URL trigger",
        "Anyone with its URL can start a run; keep it like a password.",
        rx.cond(T.secret, secret_view(), create_form()),
        width="34rem",
        open=T.create_open,
        on_open_change=T.set_create_open,
    )


def revoke_button(row: rx.Var) -> rx.Component:
    return confirm_button(
        rx.button(
            "Revoke",
            aria_label="Revoke " + row["name"],
            variant="soft",
            color_scheme="red",
            size="1",
            type="button",
        ),
        title="Revoke this URL trigger?",
        description="Calls to " + row["name"] + " (" + row["prefix"] + "…) are refused at once; "
        "this cannot be undone.",
        action="Revoke trigger",
        on_confirm=T.revoke(row["id"], row["name"]),
    )


def token_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["name"]),
        rx.table.cell(rx.code(row["prefix"] + "…", variant="ghost"), white_space="nowrap"),
        rx.table.cell(row["created"], white_space="nowrap"),
        rx.table.cell(row["last_used"], white_space="nowrap"),
        rx.table.cell(row["allowlist"]),
        rx.table.cell(row["rate"], white_space="nowrap"),
        rx.table.cell(
            rx.badge(
                row["status"],
                color_scheme=rx.cond(row["status"] == "Active", "green", "gray"),
                variant="soft",
            )
        ),
        rx.cond(
            can_manage(),
            rx.table.cell(rx.cond(row["status"] == "Active", revoke_button(row))),
        ),
    )


def tokens_table() -> rx.Component:
    headers = ["Name", "Prefix", "Created", "Last used", "Allowed IPs", "Rate", "Status"]
    return data_table(
        "URL triggers",
        header_row(*headers, actions=can_manage()),
        rx.table.body(rx.foreach(T.rows, token_row)),
        size="1",
    )


def trigger_tokens_card() -> rx.Component:
    """Shown to roles that may run the target; create and revoke to those who may also edit it."""
    card = rx.card(
        rx.vstack(
            action_row(
                rx.heading("URL triggers", as_="h2", size="4"),
                rx.spacer(),
                rx.cond(can_manage(), create_dialog()),
                width="100%",
            ),
            muted("Other systems start a run with a POST to a secret URL.", size="2"),
            form_error(T.error, id="triggers-error"),
            rx.cond(T.rows, tokens_table(), muted("No URL triggers yet.", id="no-triggers")),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        id="url-triggers",
    )
    return rx.cond(can("runs.start"), card)
