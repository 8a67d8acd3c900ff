"""/notifications: where alerts go (channels), when (rules), and what was sent (history)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.forms import (
    cancel_button,
    dialog_buttons,
    form_error,
    select_field,
)
from etlfabric.ui.components.layout import data_table, form_field, pager
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.notifications import EVENT_LABELS, WEEKDAYS, NotificationsState

ROUTE = "/notifications"
TITLE = "Notifications · ETL Fabric"
ON_LOAD = [AuthState.require_user, NotificationsState.load]
KINDS = (("email", "E-mail (SMTP)"), ("slack", "Slack incoming webhook"), ("webhook", "Webhook"))
State = NotificationsState


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("notifications.write")


def _field(label: str, name: str, hint: str | None = None, **props) -> rx.Component:
    return form_field(
        label, name=name, error=State.channel_errors.get(name, ""), hint=hint, **props
    )


def email_fields() -> rx.Component:
    return rx.vstack(
        _field("SMTP host", "smtp_host", "e.g. smtp.example.com", required=True),
        _field(
            "Port", "smtp_port", "587 for STARTTLS, 465 for TLS, 25 plain.", default_value="587"
        ),
        select_field(
            "TLS",
            name="smtp_tls",
            error=State.channel_errors.get("smtp_tls", ""),
            options=[
                rx.el.option("STARTTLS (port 587)", value="starttls"),
                rx.el.option("TLS from the start (port 465)", value="tls"),
                rx.el.option("None (local relays only)", value="none"),
            ],
        ),
        _field("User (optional)", "smtp_user", "Leave empty when the server needs no login."),
        _field(
            "Password (optional)",
            "smtp_password",
            "Stored encrypted; it is never shown again.",
            type="password",
            auto_complete="new-password",
        ),
        _field("From", "smtp_from", "e.g. ETL Fabric <alerts@example.com>", required=True),
        _field("Recipients", "smtp_recipients", "Addresses separated by commas.", required=True),
        spacing="3",
        width="100%",
    )


def slack_fields() -> rx.Component:
    return _field(
        "Webhook URL",
        "slack_url",
        "Slack → Apps → Incoming Webhooks → Add New Webhook. The URL is a secret: stored "
        "encrypted, never shown again.",
        type="password",
        auto_complete="off",
        required=True,
    )


def webhook_fields() -> rx.Component:
    return rx.vstack(
        _field("URL", "webhook_url", "We POST a JSON body here.", required=True),
        _field(
            "Signing secret",
            "signing_secret",
            "At least 16 characters. Each request carries X-ETLFabric-Timestamp and "
            "X-ETLFabric-Signature: sha256=HMAC(secret, timestamp + '.' + body).",
            type="password",
            auto_complete="new-password",
            required=True,
        ),
        spacing="3",
        width="100%",
    )


def channel_dialog() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("Name", "channel_name", "e.g. “Ops on-call”.", required=True),
            select_field(
                "Kind",
                name="channel_kind",
                error=State.channel_errors.get("channel_kind", ""),
                options=[rx.el.option(text, value=value) for value, text in KINDS],
                value=State.channel_kind,
                on_change=State.choose_kind,
            ),
            rx.match(
                State.channel_kind,
                ("slack", slack_fields()),
                ("webhook", webhook_fields()),
                email_fields(),
            ),
            form_error(State.channel_errors.get("", ""), id="channel-error"),
            dialog_buttons(
                cancel_button(),
                rx.button("Add channel", type="submit", loading=State.saving),
            ),
            spacing="3",
        ),
        on_submit=State.create_channel,
        reset_on_submit=False,
        aria_label="Add a channel",
    )
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add channel")),
        rx.dialog.content(
            rx.dialog.title("Add a notification channel"),
            rx.dialog.description("Where alerts are sent.", margin_bottom="1rem"),
            form,
            max_width="34rem",
        ),
        open=State.channel_open,
        on_open_change=State.set_channel_open,
    )


def channel_row(row: rx.Var) -> rx.Component:
    actions = rx.hstack(
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
        rx.cond(can_write(), rx.table.cell(actions)),
    )


def channels_section() -> rx.Component:
    headers = ["Name", "Kind", "Sends to", "Secrets"]
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
                rx.table.row(
                    *(rx.table.column_header_cell(text) for text in headers),
                    rx.cond(can_write(), rx.table.column_header_cell("Actions")),
                ),
                rx.table.body(rx.foreach(State.channels, channel_row)),
            ),
            muted("No channels yet: add e-mail, Slack or a webhook.", id="channels-empty"),
        ),
        spacing="3",
        width="100%",
    )


def rule_dialog() -> rx.Component:
    errors = State.rule_errors
    form = rx.form(
        rx.vstack(
            select_field(
                "Channel",
                name="rule_channel",
                error=errors.get("rule_channel", ""),
                options=[
                    rx.foreach(State.channels, lambda c: rx.el.option(c["name"], value=c["id"]))
                ],
            ),
            select_field(
                "When",
                name="rule_event",
                error=errors.get("rule_event", ""),
                options=[rx.el.option(text, value=value) for value, text in EVENT_LABELS.items()],
                value=State.rule_event,
                on_change=State.choose_event,
            ),
            select_field(
                "Target",
                name="rule_target",
                error=errors.get("rule_target", ""),
                options=[
                    rx.el.option("Every target", value=""),
                    rx.foreach(State.targets, lambda t: rx.el.option(t["label"], value=t["value"])),
                ],
            ),
            rx.cond(
                State.rule_event == "failure",
                form_field(
                    "Group repeats for (minutes)",
                    name="rule_group",
                    error=errors.get("rule_group", ""),
                    hint="At most one alert per target in this window; 0 sends every failure.",
                    default_value="15",
                ),
            ),
            rx.cond(
                State.rule_event.contains("digest"),
                form_field(
                    "Hour (organisation's time zone)",
                    name="rule_hour",
                    error=errors.get("rule_hour", ""),
                    hint="0 to 23.",
                    default_value="8",
                ),
            ),
            rx.cond(
                State.rule_event == "weekly_digest",
                select_field(
                    "Day",
                    name="rule_weekday",
                    error=errors.get("rule_weekday", ""),
                    options=[rx.el.option(day, value=str(n)) for n, day in enumerate(WEEKDAYS)],
                ),
            ),
            form_error(errors.get("", ""), id="rule-error"),
            dialog_buttons(cancel_button(), rx.button("Add rule", type="submit")),
            spacing="3",
        ),
        on_submit=State.create_rule,
        reset_on_submit=False,
        aria_label="Add a rule",
    )
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"),
                "Add rule",
                disabled=State.channels.length() == 0,
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Add a notification rule"),
            rx.dialog.description("What is sent, about which target.", margin_bottom="1rem"),
            form,
            max_width="30rem",
        ),
        open=State.rule_open,
        on_open_change=State.set_rule_open,
    )


def rule_row(row: rx.Var) -> rx.Component:
    delete = confirm_button(
        rx.button("Delete", variant="soft", color_scheme="red", size="1"),
        title="Delete this rule?",
        description="Nothing more is sent for it.",
        action="Delete rule",
        on_confirm=State.delete_rule(row["id"]),
    )
    return rx.table.row(
        rx.table.row_header_cell(row["event"]),
        rx.table.cell(row["target"]),
        rx.table.cell(row["channel"]),
        rx.table.cell(row["detail"]),
        rx.cond(can_write(), rx.table.cell(delete)),
    )


def rules_section() -> rx.Component:
    headers = ["When", "Target", "Channel", "Details"]
    return rx.vstack(
        rx.hstack(
            rx.heading("Rules", as_="h2", size="4"),
            rx.spacer(),
            rx.cond(can_write(), rule_dialog()),
            width="100%",
        ),
        rx.cond(
            State.rules,
            data_table(
                "Rules",
                rx.table.row(
                    *(rx.table.column_header_cell(text) for text in headers),
                    rx.cond(can_write(), rx.table.column_header_cell("Actions")),
                ),
                rx.table.body(rx.foreach(State.rules, rule_row)),
            ),
            muted("No rules yet: nothing is sent.", id="rules-empty"),
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
                    rx.table.row(*(rx.table.column_header_cell(text) for text in headers)),
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
