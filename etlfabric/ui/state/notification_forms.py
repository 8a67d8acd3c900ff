"""The notifications page's forms and rows: form inputs to service arguments (and back, to
prefill the edit form), and services' answers to table rows. No state, no database."""

from __future__ import annotations

from etlfabric.errors import Invalid
from etlfabric.services import notification_channels as channels
from etlfabric.ui.state.acting import when

# service field -> form input
CHANNEL_FIELDS = {
    "name": "channel_name",
    "kind": "channel_kind",
    "config.host": "smtp_host",
    "config.port": "smtp_port",
    "config.tls": "smtp_tls",
    "config.user": "smtp_user",
    "config.from": "smtp_from",
    "config.recipients": "smtp_recipients",
    "secrets.password": "smtp_password",
    "secrets.url": "slack_url",
    "config.url": "webhook_url",
    "secrets.signing_secret": "signing_secret",
}
RULE_FIELDS = {
    "channel_id": "rule_channel",
    "event": "rule_event",
    "target_type": "rule_target",
    "target_id": "rule_target",
    "group_minutes": "rule_group",
    "digest_hour": "rule_hour",
    "digest_weekday": "rule_weekday",
}
EVENT_LABELS = {
    "failure": "On failure",
    "success": "On success",
    "recovery": "On recovery",
    "auto_disable": "On auto-disable",
    "daily_digest": "Daily digest",
    "weekly_digest": "Weekly digest",
}
HISTORY_LABELS = {**EVENT_LABELS, "test": "Test message"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def channel_form(kind: str, form: dict) -> dict:
    """The service's keyword arguments from the channel form of `kind`."""
    text = {key: str(value or "").strip() for key, value in form.items()}
    if kind == "email":
        port = text.get("smtp_port", "")
        config = {
            "host": text.get("smtp_host"),
            "port": int(port) if port.isdigit() else (port or None),
            "tls": text.get("smtp_tls") or "starttls",
            "user": text.get("smtp_user") or None,
            "from": text.get("smtp_from"),
            "recipients": text.get("smtp_recipients", ""),
        }
        secrets = {"password": text["smtp_password"]} if text.get("smtp_password") else {}
    elif kind == "slack":
        config, secrets = {}, {"url": text.get("slack_url", "")}
    else:
        config = {"url": text.get("webhook_url")}
        secrets = {"signing_secret": text.get("signing_secret", "")}
    return {
        "name": text.get("channel_name", ""),
        "kind": kind,
        "config": config,
        "secrets": secrets,
    }


def channel_values(channel) -> dict[str, str]:
    """The channel form's inputs prefilled from a stored channel: settings, never secrets."""
    view = channels.public_view(channel)
    config = view["config"]
    values = {"channel_name": view["name"]}
    if view["kind"] == "email":
        values |= {
            "smtp_host": config.get("host") or "",
            "smtp_port": str(config.get("port") or ""),
            "smtp_tls": config.get("tls") or "starttls",
            "smtp_user": config.get("user") or "",
            "smtp_from": config.get("from") or "",
            "smtp_recipients": ", ".join(config.get("recipients") or []),
        }
    elif view["kind"] == "webhook":
        values["webhook_url"] = config.get("url") or ""
    return values


def _whole(field: str, value, default: int) -> int:
    value = str(value if value is not None else "").strip()
    if value == "":
        return default
    if not value.lstrip("-").isdigit():
        raise Invalid(field, "Enter a whole number.")
    return int(value)


def rule_form(form: dict) -> dict:
    target = str(form.get("rule_target") or "")
    kind, _, target_id = target.partition(":")
    channel = str(form.get("rule_channel") or "")
    return {
        "channel_id": int(channel) if channel.isdigit() else 0,
        "event": str(form.get("rule_event") or ""),
        "target_type": kind or None,
        "target_id": int(target_id) if target_id.isdigit() else None,
        "group_minutes": _whole("group_minutes", form.get("rule_group"), 15),
        "digest_hour": _whole("digest_hour", form.get("rule_hour"), 8),
        "digest_weekday": _whole("digest_weekday", form.get("rule_weekday"), 0),
    }


def channel_row(channel) -> dict[str, str]:
    view = channels.public_view(channel)
    config = view["config"]
    if view["kind"] == "email":
        where = f"{', '.join(config['recipients'])} via {config['host']}:{config['port']}"
    elif view["kind"] == "webhook":
        where = config["url"]
    else:
        where = "Slack incoming webhook"
    secret = ", ".join(f"{key}: ••••••" for key, is_set in view["secrets_set"].items() if is_set)
    return {
        "id": str(view["id"]),
        "name": view["name"],
        "kind": view["kind"],
        "where": where,
        "secrets": secret or "none",
        "enabled": "yes" if view["enabled"] else "",
    }


def rule_row(rule: dict, channels_off: set[int]) -> dict[str, str]:
    """A rule as its table row; `channels_off`: ids of disabled channels (their rules send
    nothing either)."""
    event = rule["event"]
    detail = ""
    if event == "failure":
        detail = f"grouped per {rule['group_minutes']} min" if rule["group_minutes"] else ""
    elif event == "daily_digest":
        detail = f"at {rule['digest_hour']:02d}:00"
    elif event == "weekly_digest":
        detail = f"{WEEKDAYS[rule['digest_weekday']]} at {rule['digest_hour']:02d}:00"
    return {
        "id": str(rule["id"]),
        "event": EVENT_LABELS.get(event, event),
        "target": rule["target_name"] or "Every target",
        "channel": rule["channel_name"],
        "detail": detail,
        "enabled": "yes" if rule["enabled"] else "",
        "state": _rule_state(rule["enabled"], rule["channel_id"] in channels_off),
    }


def _rule_state(enabled: bool, channel_off: bool) -> str:
    if not enabled:
        return "Off"
    return "Off: its channel is off" if channel_off else "On"


def delivery_row(delivery, channel_name: str) -> dict[str, str]:
    return {
        "id": str(delivery.id),
        "created": when(delivery.created_at),
        "event": HISTORY_LABELS.get(delivery.event.value, delivery.event.value),
        "subject": delivery.subject,
        "channel": channel_name,
        "status": delivery.status.value,
        "attempts": str(delivery.attempts),
        "error": delivery.last_error or "",
        "run_href": f"/runs/{delivery.run_id}" if delivery.run_id else "",
    }
