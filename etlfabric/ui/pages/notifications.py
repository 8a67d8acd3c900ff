"""/notifications: where alerts go (channels), when (rules), and what was sent (history)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table, header_row, pager
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.notification_channel_form import can_write, channel_dialog
from etlfabric.ui.pages.notification_rules_panel import rules_section
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.notifications import NotificationsState

ROUTE = "/notifications"
TITLE = "Notifications · ETL Fabric"
ON_LOAD = [AuthState.require_user, NotificationsState.load]
State = NotificationsState


def channel_switch(row: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.switch(
            checked=row["enabled"] == "yes",
            on_change=lambda on: State.switch_channel(row["id"], on),
            disabled=~can_write(),
            aria_label=f"Enabled: {row['name']}",
        ),
        rx.text(rx.cond(row["enabled"], "On", "Off: sends nothing"), size="2"),
        style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
    )


def channel_row(row: rx.Var) -> rx.Component:
    actions = rx.hstack(
        rx.button(
            "Edit",
            on_click=State.edit_channel(row["id"]),
            aria_label=f"Edit {row['name']}",
            variant="soft",
            size="1",
        ),
        rx.button(
            "Send test",
            on_click=State.test_channel(row["id"]),
            aria_label=f"Send a test message to {row['name']}",
            variant="soft",
            size="1",
        ),
        confirm_button(
            rx.button("Delete", variant="soft", color_scheme="red", size="1"),
            title=f"Delete the channel {row['name']}?",
            description="Its rules are deleted too; its past deliveries stay in the history.",
            action="Delete channel",
            on_confirm=State.delete_channel(row["id"]),
        ),
    )
    return rx.table.row(
        rx.table.row_header_cell(row["name"]),
        rx.table.cell(row["kind"]),
        rx.table.cell(row["where"]),
        rx.table.cell(row["secrets"]),
        rx.table.cell(channel_switch(row)),
        rx.cond(can_write(), rx.table.cell(actions)),
        opacity=rx.cond(row["enabled"], "1", "0.55"),
    )


def channels_section() -> rx.Component:
    headers = ["Name", "Kind", "Sends to", "Secrets", "Enabled"]
    return rx.vstack(
        rx.hstack(
            rx.heading("Channels", as_="h2", size="4"),
            rx.spacer(),
            rx.cond(can_write(), channel_dialog()),
            width="100%",
        ),
        rx.cond(
            State.channels,
            data_table(
                "Channels",
                header_row(*headers, actions=can_write()),
                rx.table.body(rx.foreach(State.channels, channel_row)),
            ),
            muted("No channels yet: add e-mail, Slack or a webhook.", id="channels-empty"),
        ),
        spacing="3",
        width="100%",
    )


def status_badge(status: rx.Var) -> rx.Component:
    colour = rx.match(status, ("sent", "green"), ("failed", "red"), ("pending", "amber"), "gray")
    return rx.badge(status, color_scheme=colour, variant="soft")


def delivery_row(row: rx.Var) -> rx.Component:
    subject = rx.cond(
        row["run_href"], text_link(row["subject"], row["run_href"]), rx.text(row["subject"])
    )
    return rx.table.row(
        rx.table.cell(row["created"], white_space="nowrap"),
        rx.table.cell(row["event"]),
        rx.table.row_header_cell(subject),
        rx.table.cell(row["channel"]),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(row["attempts"]),
        rx.table.cell(row["error"]),
    )


def history_section() -> rx.Component:
    headers = ["When (UTC)", "Event", "Message", "Channel", "Status", "Attempts", "Last error"]
    return rx.vstack(
        rx.hstack(
            rx.heading("History", as_="h2", size="4"),
            rx.spacer(),
            rx.button("Refresh", on_click=State.refresh, variant="soft", size="2"),
            width="100%",
        ),
        rx.cond(
            State.history,
            rx.vstack(
                data_table(
                    "Deliveries",
                    header_row(*headers),
                    rx.table.body(rx.foreach(State.history, delivery_row)),
                    id="deliveries",
                ),
                pager(State, summary_id="deliveries-summary"),
                width="100%",
            ),
            muted("Nothing has been sent yet.", id="history-empty"),
        ),
        spacing="3",
        width="100%",
    )


def page() -> rx.Component:
    return app_page(
        "Notifications",
        rx.vstack(
            form_error(State.error, id="notifications-error"),
            channels_section(),
            rules_section(),
            history_section(),
            spacing="6",
            width="100%",
        ),
    )
