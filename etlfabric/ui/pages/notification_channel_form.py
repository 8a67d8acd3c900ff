"""The notifications page's channel dialog: one form per kind (e-mail, Slack, webhook), to add
a channel or to edit one. Editing prefills the settings; secrets stay empty and are kept unless
typed again."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    cancel_button,
    dialog_buttons,
    form_dialog,
    form_error,
    icon_button,
    select_field,
)
from etlfabric.ui.components.layout import form_field
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.notifications import NotificationsState as State

KINDS = (("email", "E-mail (SMTP)"), ("slack", "Slack incoming webhook"), ("webhook", "Webhook"))
KEEP_SECRET = "Leave empty to keep the stored one."


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("notifications.write")


def _field(label: str, name: str, hint: str | None = None, **props) -> rx.Component:
    """A channel setting, prefilled from `channel_values` (empty when adding)."""
    props.setdefault("default_value", State.channel_values.get(name, ""))
    return form_field(
        label, name=name, error=State.channel_errors.get(name, ""), hint=hint, **props
    )


def _secret(label: str, name: str, hint: str, **props) -> rx.Component:
    """A write-only field: empty when editing, where leaving it empty keeps the stored one."""
    required = props.pop("required", False)
    props |= {"type": "password", "default_value": ""}
    return rx.cond(
        State.channel_editing,
        _field(label, name, KEEP_SECRET, **props),
        _field(label, name, hint, required=required, **props),
    )


def email_fields() -> rx.Component:
    return rx.vstack(
        _field("SMTP host", "smtp_host", "e.g. smtp.example.com", required=True),
        _field("Port", "smtp_port", "587 for STARTTLS, 465 for TLS, 25 plain."),
        select_field(
            "TLS",
            name="smtp_tls",
            error=State.channel_errors.get("smtp_tls", ""),
            default_value=State.channel_values.get("smtp_tls", "starttls"),
            options=[
                rx.el.option("STARTTLS (port 587)", value="starttls"),
                rx.el.option("TLS from the start (port 465)", value="tls"),
                rx.el.option("None (local relays only)", value="none"),
            ],
        ),
        _field("User (optional)", "smtp_user", "Leave empty when the server needs no login."),
        _secret(
            "Password (optional)",
            "smtp_password",
            "Stored encrypted; it is never shown again.",
            auto_complete="new-password",
        ),
        _field("From", "smtp_from", "e.g. ETL Fabric <alerts@example.com>", required=True),
        _field("Recipients", "smtp_recipients", "Addresses separated by commas.", required=True),
        spacing="3",
        width="100%",
    )


def slack_fields() -> rx.Component:
    return _secret(
        "Webhook URL",
        "slack_url",
        "Slack → Apps → Incoming Webhooks → Add New Webhook. The URL is a secret: stored "
        "encrypted, never shown again.",
        auto_complete="off",
        required=True,
    )


def webhook_fields() -> rx.Component:
    return rx.vstack(
        _field("URL", "webhook_url", "We POST a JSON body here.", required=True),
        _secret(
            "Signing secret",
            "signing_secret",
            "At least 16 characters. Each request carries X-ETLFabric-Timestamp and "
            "X-ETLFabric-Signature: sha256=HMAC(secret, timestamp + '.' + body).",
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
                disabled=State.channel_editing != "",
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
                rx.button(
                    rx.cond(State.channel_editing, "Save channel", "Add channel"),
                    type="submit",
                    loading=State.saving,
                ),
            ),
            spacing="3",
        ),
        on_submit=State.save_channel,
        reset_on_submit=False,
        key=State.channel_editing,  # another channel, fresh inputs (they are uncontrolled)
        aria_label=rx.cond(State.channel_editing, "Edit a channel", "Add a channel"),
    )
    return form_dialog(
        icon_button("plus", "Add channel"),
        rx.cond(
            State.channel_editing, "Edit the notification channel", "Add a notification channel"
        ),
        "Where alerts are sent.",
        form,
        width="34rem",
        open=State.channel_open,
        on_open_change=State.set_channel_open,
    )
